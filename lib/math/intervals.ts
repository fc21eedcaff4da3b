/**
 * Interval sets in plain TypeScript: half-open `[start, end)` integer intervals, sorted and
 * disjoint. No domain knowledge.
 *
 * The pipeline does its interval work in SQL on DuckDB; this module is the small reference
 * implementation used by the demo generator to compute its ground truth, and by tests as an
 * oracle.
 *
 * @module
 */

/** A half-open interval `[start, end)`. */
export type Interval = readonly [start: number, end: number];

/**
 * Sorts and merges intervals; empty ones are dropped and touching ones joined.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { normalize } from "./intervals.ts";
 * deepEqual(normalize([[5, 9], [0, 2], [2, 3], [4, 4]]), [[0, 3], [5, 9]]);
 * ```
 */
export function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * The intersection of two interval sets.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { intersect } from "./intervals.ts";
 * deepEqual(intersect([[0, 10]], [[2, 4], [8, 12]]), [[2, 4], [8, 10]]);
 * ```
 */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalize(a), y = normalize(b);
  const out: Interval[] = [];
  let i = 0, j = 0;
  while (i < x.length && j < y.length) {
    const s = Math.max(x[i][0], y[j][0]);
    const e = Math.min(x[i][1], y[j][1]);
    if (e > s) out.push([s, e]);
    if (x[i][1] < y[j][1]) i++;
    else j++;
  }
  return out;
}

/**
 * The part of `a` outside `b`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { subtract } from "./intervals.ts";
 * deepEqual(subtract([[0, 10]], [[2, 4], [8, 12]]), [[0, 2], [4, 8]]);
 * ```
 */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const y = normalize(b);
  const out: Interval[] = [];
  for (const [s0, e0] of normalize(a)) {
    let s = s0;
    for (const [bs, be] of y) {
      if (be <= s) continue;
      if (bs >= e0) break;
      if (bs > s) out.push([s, bs]);
      s = Math.max(s, be);
      if (s >= e0) break;
    }
    if (s < e0) out.push([s, e0]);
  }
  return out;
}

/**
 * The total length of an interval set (overlaps counted once).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { measure } from "./intervals.ts";
 * equal(measure([[0, 10], [5, 12]]), 12);
 * ```
 */
export function measure(intervals: readonly Interval[]): number {
  return normalize(intervals).reduce((acc, [s, e]) => acc + (e - s), 0);
}
