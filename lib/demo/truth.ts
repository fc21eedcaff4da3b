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
import { deriveMetrics, MEASURED_METRICS, type Resource } from "../metrics.ts";

/** Measured states the generator records (`pool_unknown` is 0 in the truth: it knows the pool). */
export type Measured = Exclude<typeof MEASURED_METRICS[number], "pool_unknown">;

/**
 * Amount of each resource a span holds (a KVM world adds `vcpus_overcommit`, and counts `nodes` in
 * node units: see {@linkcode TruthAccumulator}).
 */
export type Amounts =
  | readonly [nodes: number, vcpus: number, memoryMb: number, diskGb: number]
  | readonly [nodes: number, vcpus: number, memoryMb: number, diskGb: number, overcommit: number];

/** One row of the ground-truth table. */
export interface TruthRow {
  month: string;
  node_type: string;
  metric: string;
  resource: Resource;
  /** Exact resource-seconds (an integer); for `nodes` of a KVM world, node-unit-seconds. */
  seconds: number;
  /** The same in hours (`seconds / units / 3600`). */
  hours: number;
  /** KVM worlds only: units per resource unit (the node unit for `nodes`, else 1). */
  units?: number;
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

/** The resources of a bare-metal site's truth (an Edge site's is `devices` alone). */
export const HOST_RESOURCES: readonly Resource[] = ["nodes", "vcpus", "memory_mb", "disk_gb"];

/**
 * Accumulates exact resource-seconds per measured state, node type and month.
 *
 * A bare-metal world counts four resources, an Edge world one (`devices`, option `resources`).
 * A KVM world (option `nodeUnits`) counts five
 * (`vcpus_overcommit` too) and holds fractions of nodes exactly: a node is `nodeUnits` units
 * (docs/decisions/0014-kvm-fractions.md), so a share `v / h` of a host is the whole number
 * `v x nodeUnits / h`, and its rows say `units`.
 */
export class TruthAccumulator {
  readonly from: number;
  readonly to: number;
  readonly #edges: number[];
  readonly #cells = new Map<string, number[]>();
  readonly #n: number;
  readonly #resources: readonly Resource[];
  readonly #nodeUnits: number | null;

  /** Truth is counted inside `[from, to)` (epoch seconds). */
  constructor(
    from: number,
    to: number,
    options: { nodeUnits?: number; resources?: readonly Resource[] } = {},
  ) {
    this.from = from;
    this.to = to;
    this.#edges = monthEdges(from, to);
    this.#resources = options.resources ??
      (options.nodeUnits === undefined ? HOST_RESOURCES : [...HOST_RESOURCES, "vcpus_overcommit"]);
    this.#n = this.#resources.length;
    this.#nodeUnits = options.nodeUnits ?? null;
  }

  /** Adds every interval of a set, each holding `amounts`. */
  add(
    metric: Measured,
    nodeType: string,
    amounts: Amounts | readonly number[],
    intervals: readonly Interval[],
  ) {
    const key = `${metric}\u0000${nodeType}`;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = new Array((this.#edges.length - 1) * this.#n).fill(0);
      this.#cells.set(key, cell);
    }
    const edges = this.#edges;
    const n = this.#n;
    if (amounts.length !== n) {
      throw new Error(`Cannot add truth: expected ${n} amounts, found ${amounts.length}`);
    }
    for (const [s0, e0] of intervals) {
      const s = Math.max(s0, this.from), e = Math.min(e0, this.to);
      if (e <= s) continue;
      let i = upperBound(edges, s) - 1;
      while (i < edges.length - 1 && edges[i] < e) {
        const secs = Math.min(e, edges[i + 1]) - Math.max(s, edges[i]);
        if (secs > 0) {
          for (let r = 0; r < n; r++) cell[i * n + r] += secs * amounts[r];
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
        for (let r = 0; r < this.#n; r++) {
          const seconds = cell[i * this.#n + r];
          if (seconds === 0) continue;
          out.push({
            month: months[i],
            node_type,
            metric,
            resource: this.#resources[r],
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
    const n = this.#n;
    const get = (metric: string, nt: string, i: number, r: number) =>
      this.#cells.get(`${metric}\u0000${nt}`)?.[i * n + r] ?? 0;
    for (let i = 0; i < months.length; i++) {
      for (const nt of nodeTypes) {
        for (let r = 0; r < n; r++) {
          const units = r === 0 && this.#nodeUnits !== null ? this.#nodeUnits : 1;
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
              resource: this.#resources[r],
              seconds,
              hours: units === 1 ? seconds / 3600 : seconds / units / 3600,
              ...(this.#nodeUnits === null ? {} : { units }),
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
