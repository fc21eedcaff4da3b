/**
 * Every metric of the stack as a linear combination of measured metrics, from the formulas of
 * `lib/metrics.ts`: what lets the sweepline compute derived series on deltas, exactly.
 *
 * @module
 */
import { DERIVED_METRICS, MEASURED_METRICS } from "../metrics.ts";

/** One term: `out` includes `k` times the measured series `series`. */
export interface Term {
  out: string;
  series: string;
  k: number;
}

/**
 * The expansion of every metric (measured ones as themselves) over measured metrics.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { metricTerms } from "./coefficients.ts";
 * const available = metricTerms().filter((t) => t.out === "available");
 * deepEqual(available.map((t) => [t.series, t.k]), [["committed", -1], ["maintenance", -1],
 *   ["operator_hold", -1], ["reservable", 1]]);
 * ```
 */
export function metricTerms(): Term[] {
  const expansion = new Map<string, Map<string, number>>();
  for (const m of MEASURED_METRICS) expansion.set(m, new Map([[m, 1]]));
  for (const d of DERIVED_METRICS) {
    const acc = new Map<string, number>();
    const add = (name: string, sign: number) => {
      const e = expansion.get(name);
      if (!e) {
        throw new Error(`Cannot expand metric "${d.name}": "${name}" is not defined before it`);
      }
      for (const [s, k] of e) acc.set(s, (acc.get(s) ?? 0) + sign * k);
    };
    for (const p of d.formula.plus) add(p, 1);
    for (const m of d.formula.minus) add(m, -1);
    expansion.set(d.name, acc);
  }
  const terms: Term[] = [];
  for (const [out, e] of expansion) {
    for (const [series, k] of [...e].sort(([a], [b]) => a.localeCompare(b))) {
      if (k !== 0) terms.push({ out, series, k });
    }
  }
  return terms;
}
