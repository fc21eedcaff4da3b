/**
 * The sweepline in SQL on DuckDB, with no domain knowledge: intervals -> deltas -> steps.
 *
 * 1. {@linkcode intervalsToDeltas}: each interval `[s, e)` with a value becomes `+value` at `s`
 *    and `-value` at `e` (no end event for an open interval, `e` NULL).
 * 2. {@linkcode combineDeltas} (optional): linear combinations of series, computed on the deltas,
 *    so a combined series is exactly the same combination of its parts at every instant.
 * 3. {@linkcode deltasToSteps}: deltas summed per instant, then a running sum per group: a step
 *    function `(t, value)`, each value holding from `t` until the next `t` of its group.
 *
 * Half-open intervals make an end and a start at the same instant one net delta: the count
 * neither dips nor spikes there. Instants whose net delta is zero produce no step.
 *
 * Sums are DOUBLE. Values with fractions are rounded to 9 decimals in the steps, so that sums
 * of fractions return to exact zeros. Whole-number values whose sums stay below 2^53 are exact
 * without rounding and may travel two to a column (`lanes`, from `lanes.ts`): the deltas carry
 * lane columns, the steps unpack them into the value columns again; only inexact lanes are
 * rounded.
 *
 * @module
 */
import type { Duck } from "../db/duckdb.ts";
import {
  combinedDeltaBounds,
  type Lane,
  packLane,
  planLanes,
  singleLane,
  unpackLane,
} from "./lanes.ts";
import { sqlIdent } from "../sql.ts";

/** A caller's table or column name as a DuckDB identifier. */
const id = (name: string) => sqlIdent(name);

/** Value columns on lanes of their own, summed in DOUBLE and rounded. */
function roundedLanes(values: readonly string[]): Lane[] {
  return values.map((v) => singleLane(v, false));
}

function cols(names: readonly string[]): string {
  return names.map(id).join(", ");
}

/**
 * Replaces `output` by `(groups..., t, values...)`: one delta row per interval start (`+value`)
 * and one per interval end (`-value`), for each value column. `input` has the group columns,
 * `s`, `e` (BIGINT; `e` NULL = open) and the value columns (NULL counts as 0). With `lanes`,
 * the deltas have one column per lane instead (`planLanes()` in `lanes.ts`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { intervalsToDeltas } from "./sweepline.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE iv AS SELECT * FROM (VALUES ('a', 0, 10, 2.0), ('a', 5, NULL, 1.0)) t(g, s, e, v)");
 * await intervalsToDeltas(db, { input: "iv", groups: ["g"], values: ["v"], output: "d" });
 * deepEqual(await db.json("SELECT t, v FROM d ORDER BY t"), [{ t: 0, v: 2 }, { t: 5, v: 1 }, { t: 10, v: -2 }]);
 * ```
 */
export async function intervalsToDeltas(
  db: Duck,
  options: {
    input: string;
    groups: readonly string[];
    values: readonly string[];
    output: string;
    /** Make `output` a view (computed where it is read, once), not a table. @default {false} */
    view?: boolean;
    /** The lanes of the values (`planLanes()`): one delta column per lane. */
    lanes?: readonly Lane[];
  },
): Promise<void> {
  const g = cols(options.groups);
  const lanes = options.lanes ?? roundedLanes(options.values);
  const zero = (c: string) => `coalesce(${c}, 0)`;
  const plus = lanes.map((l) => `${packLane(l, zero)} AS ${id(l.column)}`).join(", ");
  const minus = lanes.map((l) => `-${packLane(l, zero)} AS ${id(l.column)}`).join(", ");
  await db.run(`
    CREATE OR REPLACE ${options.view ? "VIEW" : "TABLE"} ${id(options.output)} AS
    SELECT ${g}, s AS t, ${plus} FROM ${id(options.input)} WHERE e IS NULL OR e > s
    UNION ALL
    SELECT ${g}, e AS t, ${minus} FROM ${id(options.input)} WHERE e > s`);
}

/**
 * Replaces `output` by linear combinations of the series in `deltas`. `coefficients` has
 * `(out, series, k)`: series `out` = sum over its rows of `k` x `series`. The series column of
 * `deltas` is `seriesColumn`; the other groups are kept; every value column is combined.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { combineDeltas } from "./sweepline.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE d AS SELECT * FROM (VALUES ('x', 0, 5.0), ('y', 0, 2.0), ('y', 3, -2.0)) t(m, t, v)");
 * await db.run("CREATE TABLE k AS SELECT * FROM (VALUES ('x_minus_y', 'x', 1), ('x_minus_y', 'y', -1)) t(out, series, k)");
 * await combineDeltas(db, { deltas: "d", seriesColumn: "m", groups: [], values: ["v"], coefficients: "k", output: "c" });
 * deepEqual(await db.json("SELECT m, t, v FROM c ORDER BY t"), [{ m: "x_minus_y", t: 0, v: 3 }, { m: "x_minus_y", t: 3, v: 2 }]);
 * ```
 */
export async function combineDeltas(
  db: Duck,
  options: {
    deltas: string;
    seriesColumn: string;
    groups: readonly string[];
    values: readonly string[];
    coefficients: string;
    output: string;
    /** Make `output` a view (computed where it is read, once), not a table. @default {false} */
    view?: boolean;
  },
): Promise<void> {
  const m = id(options.seriesColumn);
  const gs = [...options.groups.map((x) => `d.${id(x)}`), "d.t"].join(", ");
  const sums = options.values.map((v) => `sum(k.k * d.${id(v)}) AS ${id(v)}`).join(", ");
  const nonzero = options.values.map((v) => `sum(k.k * d.${id(v)}) <> 0`).join(" OR ");
  await db.run(`
    CREATE OR REPLACE ${options.view ? "VIEW" : "TABLE"} ${id(options.output)} AS
    SELECT k.out AS ${m}, ${gs}, ${sums}
    FROM ${id(options.deltas)} d JOIN ${id(options.coefficients)} k ON k.series = d.${m}
    GROUP BY k.out, ${gs}
    HAVING ${nonzero}`);
}

/**
 * Replaces `output` by the step function of each group: `(groups..., t, values...)`, with one
 * row per instant at which any of the group's values changes. Values are rounded to `digits`
 * decimals (default 9) so that sums of fractions return to exact zeros; with `lanes` the deltas
 * hold those lanes' columns, only the inexact lanes are rounded, and the steps have the value
 * columns again. With `grouped`, the deltas already have one row per group and instant
 * (as {@linkcode combineDeltas} leaves them) and are not aggregated again.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { deltasToSteps } from "./sweepline.ts";
 * using db = await Duck.open();
 * // one interval ends at 10 as another starts: no dip
 * await db.run("CREATE TABLE d AS SELECT * FROM (VALUES ('a', 0, 1.0), ('a', 10, -1.0), ('a', 10, 1.0), ('a', 20, -1.0)) t(g, t, v)");
 * await deltasToSteps(db, { deltas: "d", groups: ["g"], values: ["v"], output: "s" });
 * deepEqual(await db.json("SELECT t, v FROM s ORDER BY t"), [{ t: 0, v: 1 }, { t: 20, v: 0 }]);
 * ```
 */
export async function deltasToSteps(
  db: Duck,
  options: {
    deltas: string;
    groups: readonly string[];
    values: readonly string[];
    output: string;
    digits?: number;
    /** The deltas have one row per group and instant already. @default {false} */
    grouped?: boolean;
    /** The lanes the deltas carry (`planLanes()`): their columns, unpacked at the end. */
    lanes?: readonly Lane[];
    /**
     * Also write this column: the group's next instant (NULL on its last step), from the same
     * window as the running sums, so that readers of the steps need no window of their own.
     */
    next?: string;
  },
): Promise<void> {
  const g = options.groups.map(id);
  const gc = g.length > 0 ? `${g.join(", ")}, ` : "";
  const digits = options.digits ?? 9;
  const part = g.length > 0 ? `PARTITION BY ${g.join(", ")}` : "";
  const lanes = options.lanes ?? roundedLanes(options.values);
  const cs = lanes.map((l) => id(l.column));
  // Exact lanes as they are; the others rounded.
  const near = (i: number, x: string) => lanes[i].exact ? x : `round(${x}, ${digits})`;
  const sums = cs.map((c) => `sum(${c}) AS ${c}`).join(", ");
  const nonzero = cs.map((c, i) => `${near(i, `sum(${c})`)} <> 0`).join(" OR ");
  const run = cs.map((c, i) =>
    `${near(i, `sum(${c}) OVER (${part} ORDER BY t ROWS UNBOUNDED PRECEDING)`)} AS ${c}`
  ).join(", ");
  // One row per group and instant: the sum of a single row is the row, so the same filter
  // applies without a hash aggregation.
  const net = options.grouped
    ? `SELECT ${gc} t, ${cs.join(", ")} FROM ${id(options.deltas)} WHERE ${
      cs.map((c, i) => `${near(i, c)} <> 0`).join(" OR ")
    }`
    : `SELECT ${gc} t, ${sums} FROM ${id(options.deltas)} GROUP BY ALL HAVING ${nonzero}`;
  // Lanes unpacked into the value columns, in the order of `values`.
  const unpacked = new Map(lanes.flatMap(unpackLane));
  const missing = options.values.filter((v) => !unpacked.has(id(v)));
  if (missing.length > 0) {
    throw new Error(
      `Cannot build steps: expected a lane for every value column, found none for ${
        missing.join(", ")
      }`,
    );
  }
  const list = options.values.map((v) => `${unpacked.get(id(v))} AS ${id(v)}`).join(", ");
  const next = options.next ? `, ${id(options.next)}` : "";
  const nextRun = options.next ? `, lead(t) OVER (${part} ORDER BY t) AS ${id(options.next)}` : "";
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.output)} AS
    WITH net AS (${net})
    SELECT ${gc} t, ${list}${next} FROM (SELECT ${gc} t, ${run}${nextRun} FROM net)`);
}

/**
 * The sweepline of combined series in one call: intervals -> deltas -> the linear combinations
 * of `coefficients` (as {@linkcode combineDeltas}) -> `output`, the step functions
 * `(seriesColumn, groups..., t, values...)`. Value columns whose sums can be exact travel in
 * exact lanes (`combinedDeltaBounds()` and `planLanes()` in `lanes.ts`); the others are summed in
 * DOUBLE and rounded to 9 decimals. Returns the lanes used. The deltas and combined deltas are
 * views (`<output>__deltas`, `<output>__combined`), dropped at the end: `output` is one statement
 * from `input`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { intervalsToCombinedSteps } from "./sweepline.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE iv AS SELECT * FROM (VALUES ('x', 'g', 0, 10, 3), ('y', 'g', 5, NULL, 1)) t(m, g, s, e, v)");
 * await db.run("CREATE TABLE k AS SELECT * FROM (VALUES ('x', 'x', 1), ('x_minus_y', 'x', 1), ('x_minus_y', 'y', -1)) t(out, series, k)");
 * const lanes = await intervalsToCombinedSteps(db, { input: "iv", seriesColumn: "m", groups: ["g"], values: ["v"], coefficients: "k", output: "st" });
 * deepEqual(lanes.map((l) => [l.column, l.exact]), [["v", true]]);
 * deepEqual(await db.json("SELECT m, t, v FROM st ORDER BY m, t"), [
 *   { m: "x", t: 0, v: 3 }, { m: "x", t: 10, v: 0 },
 *   { m: "x_minus_y", t: 0, v: 3 }, { m: "x_minus_y", t: 5, v: 2 }, { m: "x_minus_y", t: 10, v: -1 },
 * ]);
 * ```
 */
export async function intervalsToCombinedSteps(
  db: Duck,
  options: {
    input: string;
    seriesColumn: string;
    groups: readonly string[];
    values: readonly string[];
    coefficients: string;
    output: string;
    /** Also write the next instant of each step in this column (as {@linkcode deltasToSteps}). */
    next?: string;
  },
): Promise<Lane[]> {
  const { input, seriesColumn, groups, values, coefficients, output } = options;
  const lanes = planLanes(
    values,
    await combinedDeltaBounds(db, { input, seriesColumn, groups, values, coefficients }),
  );
  const deltas = `${output}__deltas`;
  const combined = `${output}__combined`;
  const all = [seriesColumn, ...groups];
  await intervalsToDeltas(db, { input, groups: all, values, output: deltas, view: true, lanes });
  await combineDeltas(db, {
    deltas,
    seriesColumn,
    groups,
    values: lanes.map((l) => l.column),
    coefficients,
    output: combined,
    view: true,
  });
  // combineDeltas grouped by (series, groups, t) already: no second aggregation.
  await deltasToSteps(db, {
    deltas: combined,
    groups: all,
    values,
    output,
    grouped: true,
    lanes,
    ...(options.next ? { next: options.next } : {}),
  });
  await db.run(`DROP VIEW ${id(combined)}; DROP VIEW ${id(deltas)}`);
  return lanes;
}
