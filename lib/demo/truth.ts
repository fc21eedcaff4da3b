/**
 * Ground-truth accumulator of the demo generator: exact resource-seconds per measured state,
 * node type and calendar month (UTC), from the intervals the generator knows to be true.
 *
 * Derived states (docs/design.md §6) are pure algebra on the measured ones, so they are computed at the
 * end, month by month, exactly as the ledger must compute them.
 *
 * @module
 */
import type { Interval } from "../math/intervals.ts";
import { deriveMetrics, MEASURED_METRICS, type Resource, RESOURCES } from "../metrics.ts";

/** Measured states the generator records (`pool_unknown` is 0 in the truth: it knows the pool). */
export type Measured = Exclude<typeof MEASURED_METRICS[number], "pool_unknown">;

/** Amount of each resource a span holds. */
export type Amounts = readonly [nodes: number, vcpus: number, memoryMb: number, diskGb: number];

/** One row of the ground-truth table. */
export interface TruthRow {
  month: string;
  node_type: string;
  metric: string;
  resource: Resource;
  /** Exact resource-seconds (an integer). */
  seconds: number;
  /** The same in hours. */
  hours: number;
}

/** Month starts (epoch seconds) covering `[from, to)`, plus the end. */
export function monthEdges(from: number, to: number): number[] {
  const d = new Date(from * 1000);
  let y = d.getUTCFullYear(), m = d.getUTCMonth();
  const edges: number[] = [];
  for (;;) {
    const t = Date.UTC(y, m, 1) / 1000;
    if (t >= to) break;
    edges.push(t);
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  edges.push(Date.UTC(y, m, 1) / 1000);
  return edges;
}

/** Accumulates exact resource-seconds per measured state, node type and month. */
export class TruthAccumulator {
  readonly from: number;
  readonly to: number;
  readonly #edges: number[];
  readonly #cells = new Map<string, number[]>();

  /** Truth is counted inside `[from, to)` (epoch seconds). */
  constructor(from: number, to: number) {
    this.from = from;
    this.to = to;
    this.#edges = monthEdges(from, to);
  }

  /** Adds every interval of a set, each holding `amounts`. */
  add(metric: Measured, nodeType: string, amounts: Amounts, intervals: readonly Interval[]) {
    const key = `${metric}\u0000${nodeType}`;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = new Array((this.#edges.length - 1) * 4).fill(0);
      this.#cells.set(key, cell);
    }
    const edges = this.#edges;
    for (const [s0, e0] of intervals) {
      const s = Math.max(s0, this.from), e = Math.min(e0, this.to);
      if (e <= s) continue;
      let i = upperBound(edges, s) - 1;
      while (i < edges.length - 1 && edges[i] < e) {
        const secs = Math.min(e, edges[i + 1]) - Math.max(s, edges[i]);
        if (secs > 0) {
          for (let r = 0; r < 4; r++) cell[i * 4 + r] += secs * amounts[r];
        }
        i++;
      }
    }
  }

  /** The measured rows as added (no derived metric), sorted by month, node type, metric, resource. */
  measuredRows(): TruthRow[] {
    const out: TruthRow[] = [];
    const months = this.#edges.slice(0, -1).map((t) =>
      new Date(t * 1000).toISOString().slice(0, 7)
    );
    const keys = [...this.#cells.keys()].sort();
    for (let i = 0; i < months.length; i++) {
      for (const key of keys) {
        const [metric, node_type] = key.split("\u0000");
        const cell = this.#cells.get(key)!;
        for (let r = 0; r < 4; r++) {
          const seconds = cell[i * 4 + r];
          if (seconds === 0) continue;
          out.push({
            month: months[i],
            node_type,
            metric,
            resource: RESOURCES[r],
            seconds,
            hours: seconds / 3600,
          });
        }
      }
    }
    return out.sort((a, b) =>
      a.month.localeCompare(b.month) || a.node_type.localeCompare(b.node_type) ||
      a.metric.localeCompare(b.metric) || a.resource.localeCompare(b.resource)
    );
  }

  /**
   * All rows, measured and derived, sorted by month, node type, metric and resource.
   * Derived metrics follow docs/design.md §6 with `pool_unknown` = 0 (the truth knows the pool).
   */
  rows(): TruthRow[] {
    const months = this.#edges.slice(0, -1).map((t) =>
      new Date(t * 1000).toISOString().slice(0, 7)
    );
    const nodeTypes = [...new Set([...this.#cells.keys()].map((k) => k.split("\u0000")[1]))].sort();
    const out: TruthRow[] = [];
    const get = (metric: string, nt: string, i: number, r: number) =>
      this.#cells.get(`${metric}\u0000${nt}`)?.[i * 4 + r] ?? 0;
    for (let i = 0; i < months.length; i++) {
      for (const nt of nodeTypes) {
        for (let r = 0; r < 4; r++) {
          const measured: Record<string, number> = {};
          for (const m of MEASURED_METRICS) {
            measured[m] = m === "pool_unknown" ? 0 : get(m, nt, i, r);
          }
          const v = deriveMetrics(measured);
          // The demo has no operator holds (its sites list no ops_projects): no such rows.
          for (const metric of Object.keys(v).sort().filter((m) => m !== "operator_hold")) {
            const seconds = v[metric];
            if (!Number.isSafeInteger(seconds)) {
              throw new Error(
                `Cannot keep ground truth exact: "${metric}" ${seconds} is not a safe integer`,
              );
            }
            out.push({
              month: months[i],
              node_type: nt,
              metric,
              resource: RESOURCES[r],
              seconds,
              hours: seconds / 3600,
            });
          }
        }
      }
    }
    return out;
  }
}

function upperBound(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One row of the per-project ground truth. */
export interface ProjectTruthRow extends TruthRow {
  project_id: string;
}

/**
 * Ground truth per project: exact resource-seconds of `committed`, `occupied_reservation` and
 * `occupied_ondemand` per project, node type and month (the lease's project, or the on-demand
 * instance's).
 */
export class ProjectTruth {
  readonly #from: number;
  readonly #to: number;
  readonly #by = new Map<string, TruthAccumulator>();

  /** Truth is counted inside `[from, to)` (epoch seconds). */
  constructor(from: number, to: number) {
    this.#from = from;
    this.#to = to;
  }

  /** Adds every interval of a set of `project`, each holding `amounts`. */
  add(
    project: string,
    metric: "committed" | "occupied_reservation" | "occupied_ondemand",
    nodeType: string,
    amounts: Amounts,
    intervals: readonly Interval[],
  ) {
    let acc = this.#by.get(project);
    if (!acc) {
      acc = new TruthAccumulator(this.#from, this.#to);
      this.#by.set(project, acc);
    }
    acc.add(metric, nodeType, amounts, intervals);
  }

  /** Every non-zero row, sorted by project, then as {@linkcode TruthAccumulator.measuredRows}. */
  rows(): ProjectTruthRow[] {
    return [...this.#by.keys()].sort().flatMap((project_id) =>
      this.#by.get(project_id)!.measuredRows().map((r) => ({ project_id, ...r }))
    );
  }
}
