/**
 * Exact integer lanes: whole-number value columns summed exactly in DOUBLE, two to a column
 * where their bounds allow, so the sweepline's sums and running sums run on fewer columns.
 *
 * A DOUBLE holds every integer of magnitude up to 2^53 exactly, and a sum of integers that
 * never leaves that range is exact in any order. So when every value is a whole number and the
 * sum of absolute values a group can ever add up stays below 2^53, running sums need no
 * rounding. Two such columns `hi` and `lo` fit one DOUBLE as `hi * scale + lo`, `scale` a power
 * of two above twice `lo`'s bound: sums of the packed value are the packed sums, and each is
 * unpacked exactly (`hi = round(p / scale)`, `lo = p - hi * scale`).
 *
 * | a column's values | its bound (largest possible sum of absolute values) | its lane |
 * |---|---|---|
 * | some not a whole number (or a coefficient is not) | - | its own, inexact: summed in DOUBLE, rounded by the caller |
 * | whole | 2^53 or more | its own, inexact |
 * | whole | `hi`'s bound x `scale` + `lo`'s bound below 2^53 | shared with another exact column |
 * | whole | otherwise | its own, exact |
 *
 * @module
 */
import type { Duck } from "../db/duckdb.ts";
import { sqlIdent } from "../sql.ts";

/** A caller's table or column name as a DuckDB identifier. */
const id = (name: string) => sqlIdent(name);

/** Integers up to this magnitude are exact in DOUBLE. */
export const EXACT_LIMIT = 2 ** 53;

/** One DOUBLE column of the sweepline: one value column, or two packed (`hi * scale + lo`). */
export interface Lane {
  /** Name of the lane's column: the value's own name, or `hi__lo`. */
  column: string;
  hi: string;
  /** The second value column, or null for a lane of one column. */
  lo: string | null;
  /** Power of two that `hi` is multiplied by (1 for a lane of one column). */
  scale: number;
  /** Its sums are exact (whole numbers below 2^53): nothing to round. */
  exact: boolean;
}

/**
 * The lane of one value column on its own: the column itself, exact or summed in DOUBLE and
 * rounded by the caller.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { singleLane } from "./lanes.ts";
 * deepEqual(singleLane("nodes", false), { column: "nodes", hi: "nodes", lo: null, scale: 1, exact: false });
 * ```
 */
export function singleLane(column: string, exact: boolean): Lane {
  return { column, hi: column, lo: null, scale: 1, exact };
}

/** Smallest power of two strictly above `2 * bound` (so `|lo| <= bound < scale / 2`). */
function scaleFor(bound: number): number {
  let s = 1;
  while (s <= 2 * bound) s *= 2;
  return s;
}

/**
 * Plans the lanes of value columns: `bounds` gives, per column, an upper bound on the absolute
 * value of any partial sum (a whole number), or null when its sums cannot be exact (fractions).
 * Exact columns are paired, as many pairs as fit below {@linkcode EXACT_LIMIT}. Returns one
 * lane per column without a partner, in the order of `values`, then the pairs. A bound that is
 * not below 2^53 makes its column inexact; a column missing from `bounds` is an error.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { planLanes } from "./lanes.ts";
 * const lanes = planLanes(["nodes", "vcpus", "memory_mb"], new Map([["nodes", 600], ["vcpus", 30_000], ["memory_mb", 2 ** 45]]));
 * deepEqual(lanes.map((l) => l.column), ["memory_mb", "vcpus__nodes"]);
 * const kvm = planLanes(["nodes", "vcpus"], new Map([["nodes", null], ["vcpus", 30_000]]));
 * deepEqual(kvm.map((l) => [l.column, l.exact]), [["nodes", false], ["vcpus", true]]);
 * ```
 */
export function planLanes(
  values: readonly string[],
  bounds: ReadonlyMap<string, number | null>,
): Lane[] {
  const exact = new Map<string, number>();
  for (const v of values) {
    if (!bounds.has(v)) {
      throw new Error(`Cannot plan the lanes of "${v}": expected a bound for it, found none`);
    }
    const b = bounds.get(v);
    if (typeof b === "number" && Number.isFinite(b) && b >= 0 && b < EXACT_LIMIT) exact.set(v, b);
  }
  // Two pointers over the exact columns sorted by bound: the smallest with the largest it fits
  // with gives the most pairs.
  const sorted = [...exact.keys()].sort((a, b) =>
    exact.get(a)! - exact.get(b)! || a.localeCompare(b)
  );
  const fits = (hi: string, lo: string) =>
    exact.get(hi)! * scaleFor(exact.get(lo)!) + exact.get(lo)! < EXACT_LIMIT;
  const pairs: Lane[] = [];
  const paired = new Set<string>();
  let i = 0;
  let j = sorted.length - 1;
  while (i < j) {
    const lo = sorted[i], hi = sorted[j];
    if (fits(hi, lo)) {
      pairs.push({
        column: `${hi}__${lo}`,
        hi,
        lo,
        scale: scaleFor(exact.get(lo)!),
        exact: true,
      });
      paired.add(hi).add(lo);
      i++;
    }
    j--;
  }
  const singles = values.filter((v) => !paired.has(v)).map((v) => singleLane(v, exact.has(v)));
  return [...singles, ...pairs];
}

/**
 * The SQL expression of a lane from its value columns, each read through `read` (for example
 * `coalesce(x, 0)`).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { packLane } from "./lanes.ts";
 * equal(packLane({ column: "a__b", hi: "a", lo: "b", scale: 8, exact: true }, (c) => `coalesce(${c}, 0)`), '(coalesce("a", 0)::DOUBLE * 8 + coalesce("b", 0)::DOUBLE)');
 * ```
 */
export function packLane(lane: Lane, read: (column: string) => string): string {
  const hi = `${read(id(lane.hi))}::DOUBLE`;
  return lane.lo === null ? hi : `(${hi} * ${lane.scale} + ${read(id(lane.lo))}::DOUBLE)`;
}

/**
 * The SQL expressions that turn a lane's column back into its value columns, exactly, as
 * `[value column, expression]` pairs (`hi` first); a zero comes back as +0, never -0.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { unpackLane } from "./lanes.ts";
 * using db = await Duck.open();
 * const lane = { column: "a__b", hi: "a", lo: "b", scale: 8, exact: true };
 * const list = unpackLane(lane).map(([c, e]) => `${e} AS ${c}`).join(", ");
 * deepEqual(await db.json(`SELECT ${list} FROM (SELECT -2 * 8 + 3 AS "a__b")`), [{ a: -2, b: 3 }]);
 * ```
 */
export function unpackLane(lane: Lane): [string, string][] {
  const c = id(lane.column);
  if (lane.lo === null) return [[id(lane.hi), c]];
  const hi = `round(${c} / ${lane.scale})`;
  return [[id(lane.hi), `${hi} + 0.0`], [id(lane.lo), `${c} - ${hi} * ${lane.scale}`]];
}

/**
 * Upper bounds for exact sums of combined deltas, per value column, for {@linkcode planLanes}.
 * `input` holds intervals (`seriesColumn`, the `groups`, value columns; NULL counts as 0);
 * `coefficients` has `(out, series, k)` as for `combineDeltas()`. Each interval adds its value
 * at most twice (start and end) to each series it is a term of, times `|k|`; a column's bound
 * is the largest such sum over the output series and groups. A column's bound is null when one
 * of its values is not a whole number (NaN and infinities are not), when a coefficient is not,
 * or when it is not below {@linkcode EXACT_LIMIT}.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { combinedDeltaBounds } from "./lanes.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE iv (m VARCHAR, g VARCHAR, v DOUBLE, w DOUBLE)");
 * await db.run("INSERT INTO iv VALUES ('x', 'g', 3, 0.5), ('y', 'g', 4, 1)");
 * await db.run("CREATE TABLE k AS SELECT * FROM (VALUES ('x', 'x', 1), ('d', 'x', 1), ('d', 'y', -1)) t(out, series, k)");
 * const options = { input: "iv", seriesColumn: "m", groups: ["g"], values: ["v", "w"], coefficients: "k" };
 * deepEqual(await combinedDeltaBounds(db, options), new Map([["v", 14], ["w", null]]));
 * ```
 */
export async function combinedDeltaBounds(
  db: Duck,
  options: {
    input: string;
    seriesColumn: string;
    groups: readonly string[];
    values: readonly string[];
    coefficients: string;
  },
): Promise<Map<string, number | null>> {
  const m = id(options.seriesColumn);
  const g = options.groups.map(id);
  const gs = g.length ? `, ${g.map((x) => `s.${x}`).join(", ")}` : "";
  const vs = options.values.map(id);
  const row = await db.json<Record<string, unknown>>(`
    WITH s AS (
      SELECT ${m}${g.length ? `, ${g.join(", ")}` : ""},
        ${
    vs.map((v, i) =>
      `bool_and(isfinite(coalesce(${v}, 0)) AND coalesce(${v}, 0) = trunc(coalesce(${v}, 0))) AS w${i}`
    ).join(", ")
  },
        ${vs.map((v, i) => `sum(abs(coalesce(${v}, 0))) AS v${i}`).join(", ")}
      FROM ${id(options.input)} GROUP BY ALL),
    b AS (
      SELECT bool_and(k.k = trunc(k.k)) AS kw,
        ${
    vs.map((_, i) => `bool_and(s.w${i}) AS w${i}, 2 * sum(abs(k.k) * s.v${i}) AS v${i}`).join(", ")
  }
      FROM s JOIN ${id(options.coefficients)} k ON k.series = s.${m}
      GROUP BY k.out${gs})
    SELECT coalesce(bool_and(kw), true) AS kw,
      ${
    vs.map((_, i) =>
      `coalesce(bool_and(w${i}), true) AS w${i}, coalesce(max(v${i}), 0)::DOUBLE AS v${i}`
    )
      .join(", ")
  }
    FROM b`);
  const r = row[0];
  const bounds = new Map<string, number | null>();
  for (const [i, v] of options.values.entries()) {
    const b = Number(r[`v${i}`]);
    const whole = r.kw === true && r[`w${i}`] === true;
    bounds.set(v, whole && Number.isFinite(b) && b < EXACT_LIMIT ? b : null);
  }
  return bounds;
}
