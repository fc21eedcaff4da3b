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

/** The resources of a bare-metal site's truth (an Edge site's is `devices` alone). */
export const HOST_RESOURCES: readonly Resource[] = ["nodes", "vcpus", "memory_mb", "disk_gb"];

/** Accumulates exact resource-seconds per measured state, node type and month. */
export class TruthAccumulator {
  readonly from: number;
  readonly to: number;
  readonly #edges: number[];
  readonly #cells = new Map<string, number[]>();
  readonly #resources: readonly Resource[];

  /**
   * Truth is counted inside `[from, to)` (epoch seconds), for `resources` (the amounts given to
   * {@linkcode TruthAccumulator.add} are in this order).
   */
  constructor(from: number, to: number, resources: readonly Resource[] = HOST_RESOURCES) {
    this.from = from;
    this.to = to;
    this.#edges = monthEdges(from, to);
    this.#resources = resources;
  }

  /** Adds every interval of a set, each holding `amounts` (one per resource). */
  add(
    metric: Measured,
    nodeType: string,
    amounts: Amounts | readonly number[],
    intervals: readonly Interval[],
  ) {
    const key = `${metric}\u0000${nodeType}`;
    const width = this.#resources.length;
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = new Array((this.#edges.length - 1) * width).fill(0);
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
          for (let r = 0; r < width; r++) cell[i * width + r] += secs * amounts[r];
        }
        i++;
      }
    }
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
    const width = this.#resources.length;
    const get = (metric: string, nt: string, i: number, r: number) =>
      this.#cells.get(`${metric}\u0000${nt}`)?.[i * width + r] ?? 0;
    for (let i = 0; i < months.length; i++) {
      for (const nt of nodeTypes) {
        for (let r = 0; r < width; r++) {
          const measured: Record<string, number> = {};
          for (const m of MEASURED_METRICS) {
            measured[m] = m === "pool_unknown" ? 0 : get(m, nt, i, r);
          }
          const v = deriveMetrics(measured);
          for (const metric of Object.keys(v).sort()) {
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
