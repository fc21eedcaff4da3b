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
 * | values | bounds (largest possible sum of absolute values, per column) | lanes |
 * |---|---|---|
 * | any not a whole number, or a coefficient not whole | - | none: callers sum in DOUBLE and round |
 * | whole | a column's bound above 2^53 | none |
 * | whole | `hi`'s bound x `scale` + `lo`'s bound below 2^53 | `hi` and `lo` share a lane |
 * | whole | otherwise | one lane per column |
 *
 * @module
 */
import type { Duck } from "../db/duckdb.ts";

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
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
function id(name: string): string {
  if (!IDENT.test(name)) {
    throw new Error(`Cannot use "${name}" as a column name: expected a plain identifier`);
  }
  return `"${name}"`;
}

/** Smallest power of two strictly above `2 * bound` (so `|lo| <= bound < scale / 2`). */
function scaleFor(bound: number): number {
  let s = 1;
  while (s <= 2 * bound) s *= 2;
  return s;
}

/**
 * Pairs value columns into lanes, as many pairs as fit: `bounds` gives, per column, an upper
 * bound on the absolute value of any partial sum (a whole number). Returns one lane per column
 * that found no partner, in the order of `values`, then the pairs. Throws when a column has no
 * bound or a bound is not below {@linkcode EXACT_LIMIT}: such columns cannot be summed exactly.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { planLanes } from "./lanes.ts";
 * const lanes = planLanes(["nodes", "vcpus", "memory_mb"], new Map([["nodes", 600], ["vcpus", 30_000], ["memory_mb", 2 ** 45]]));
 * deepEqual(lanes.map((l) => l.column), ["memory_mb", "vcpus__nodes"]);
 * ```
 */
export function planLanes(values: readonly string[], bounds: ReadonlyMap<string, number>): Lane[] {
  for (const v of values) {
    const b = bounds.get(v);
    if (b === undefined || !Number.isFinite(b) || b < 0 || b >= EXACT_LIMIT) {
      throw new Error(
        `Cannot plan exact lanes for "${v}": expected a bound from 0 to below 2^53, found ${b}`,
      );
    }
  }
  // Two pointers over the columns sorted by bound: the smallest with the largest it fits with
  // gives the most pairs.
  const sorted = [...values].sort((a, b) => bounds.get(a)! - bounds.get(b)! || a.localeCompare(b));
  const fits = (hi: string, lo: string) =>
    bounds.get(hi)! * scaleFor(bounds.get(lo)!) + bounds.get(lo)! < EXACT_LIMIT;
  const pairs: Lane[] = [];
  const paired = new Set<string>();
  let i = 0;
  let j = sorted.length - 1;
  while (i < j) {
    const lo = sorted[i], hi = sorted[j];
    if (fits(hi, lo)) {
      pairs.push({ column: `${hi}__${lo}`, hi, lo, scale: scaleFor(bounds.get(lo)!) });
      paired.add(hi).add(lo);
      i++;
    }
    j--;
  }
  const singles = values.filter((v) => !paired.has(v))
    .map((v): Lane => ({ column: v, hi: v, lo: null, scale: 1 }));
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
 * equal(packLane({ column: "a__b", hi: "a", lo: "b", scale: 8 }, (c) => `coalesce(${c}, 0)`), '(coalesce("a", 0)::DOUBLE * 8 + coalesce("b", 0)::DOUBLE)');
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
 * const lane = { column: "a__b", hi: "a", lo: "b", scale: 8 };
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
 * Upper bounds for exact sums of combined deltas, or null when they cannot be exact. `input`
 * holds intervals (`seriesColumn`, the `groups`, value columns; NULL counts as 0);
 * `coefficients` has `(out, series, k)` as for `combineDeltas()`. Each interval adds its value
 * at most twice (start and end) to each series it is a term of, times `|k|`; the bound of a
 * value column is the largest such sum over the output series and groups. Null when a value
 * or a coefficient is not a whole number, or a bound is not below {@linkcode EXACT_LIMIT}.
 *
 * @example
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { combinedDeltaBounds } from "./lanes.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE iv AS SELECT * FROM (VALUES ('x', 'g', 3.0), ('y', 'g', 4.0)) t(m, g, v)");
 * await db.run("CREATE TABLE k AS SELECT * FROM (VALUES ('x', 'x', 1), ('d', 'x', 1), ('d', 'y', -1)) t(out, series, k)");
 * const b = await combinedDeltaBounds(db, { input: "iv", seriesColumn: "m", groups: ["g"], values: ["v"], coefficients: "k" });
 * deepEqual(b, new Map([["v", 14]]));
 * await db.run("INSERT INTO iv VALUES ('x', 'g', 0.5)");
 * equal(await combinedDeltaBounds(db, { input: "iv", seriesColumn: "m", groups: ["g"], values: ["v"], coefficients: "k" }), null);
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
): Promise<Map<string, number> | null> {
  const m = id(options.seriesColumn);
  const g = options.groups.map(id);
  const gs = g.length ? `, ${g.map((x) => `s.${x}`).join(", ")}` : "";
  const vs = options.values.map(id);
  const row = await db.json<Record<string, unknown>>(`
    WITH s AS (
      SELECT ${m}${g.length ? `, ${g.join(", ")}` : ""},
        bool_and(${
    vs.map((v) => `coalesce(${v}, 0) = trunc(coalesce(${v}, 0))`).join(" AND ")
  }) AS whole,
        ${vs.map((v, i) => `sum(abs(coalesce(${v}, 0))) AS v${i}`).join(", ")}
      FROM ${id(options.input)} GROUP BY ALL),
    b AS (
      SELECT bool_and(s.whole AND k.k = trunc(k.k)) AS whole,
        ${vs.map((_, i) => `2 * sum(abs(k.k) * s.v${i}) AS v${i}`).join(", ")}
      FROM s JOIN ${id(options.coefficients)} k ON k.series = s.${m}
      GROUP BY k.out${gs})
    SELECT coalesce(bool_and(whole), true) AS whole,
      ${vs.map((_, i) => `coalesce(max(v${i}), 0)::DOUBLE AS v${i}`).join(", ")}
    FROM b`);
  const r = row[0];
  if (r.whole !== true) return null;
  const bounds = new Map<string, number>();
  for (const [i, v] of options.values.entries()) {
    const b = Number(r[`v${i}`]);
    if (!Number.isFinite(b) || b >= EXACT_LIMIT) return null;
    bounds.set(v, b);
  }
  return bounds;
}
