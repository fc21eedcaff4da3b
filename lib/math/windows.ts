/**
 * Interval algebra in SQL on DuckDB, with no domain knowledge: tables of half-open intervals
 * `[s, e)` (BIGINT microseconds) grouped by a key column. Callers pass table and column names;
 * the functions create the output tables they are given.
 *
 * Three operations cover every span rule:
 *
 * - {@linkcode mergeWindows}: the union of intervals per key, as disjoint sorted windows.
 * - {@linkcode splitByWindows}: each child interval cut into the parts inside and outside the
 *   windows of its key (clamping keeps the inside; subtracting keeps the outside).
 * - {@linkcode excludeOverlaps}: per key, the part of each interval already covered by an
 *   interval that ranks before it (the first record wins; later overlaps are set apart).
 *
 * Decision table of {@linkcode splitByWindows}, per child interval:
 *
 * | case | inside | outside |
 * |---|---|---|
 * | key is NULL | none | whole interval, `no_key` |
 * | no window of the key overlaps | none | whole interval, `no_overlap` |
 * | inside one window | whole interval | none |
 * | starts before / ends after the window | the overlap | the head / the tail, `partial` |
 * | spans several windows | one piece per window | the gaps between them, `partial` |
 *
 * @module
 */
import type { Duck } from "../db/duckdb.ts";
import { sqlIdent } from "../sql.ts";

/** A caller's table or column name as a DuckDB identifier. */
const id = (name: string) => sqlIdent(name);

/**
 * Replaces `output` by the union of the intervals of `input`, per key: disjoint windows
 * `(key, s, e)`, touching intervals joined. Empty intervals (`e <= s`) and NULL keys are dropped.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { mergeWindows } from "./windows.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE iv AS SELECT * FROM (VALUES ('a', 0, 5), ('a', 5, 7), ('a', 9, 10), ('b', 1, 2)) t(k, s, e)");
 * await mergeWindows(db, { input: "iv", output: "w", key: "k" });
 * deepEqual(await db.json("SELECT k, s, e FROM w ORDER BY k, s"), [
 *   { k: "a", s: 0, e: 7 }, { k: "a", s: 9, e: 10 }, { k: "b", s: 1, e: 2 },
 * ]);
 * ```
 */
export async function mergeWindows(
  db: Duck,
  options: { input: string; output: string; key: string },
): Promise<void> {
  const k = id(options.key);
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.output)} AS
    WITH iv AS (
      SELECT ${k} AS k, s, e FROM ${id(options.input)} WHERE ${k} IS NOT NULL AND e > s
    ), ordered AS (
      SELECT k, s, e,
        max(e) OVER (PARTITION BY k ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach,
        max(e) OVER (PARTITION BY k) AS last_e
      FROM iv
    ), starts AS (
      -- A window starts where no earlier interval reaches (touching ones join). It ends where the
      -- next one starts, at the reach there (earlier windows end before it), or, for the last
      -- window of a key, at the key's latest end: no running count and no grouping needed.
      SELECT k, s, reach, last_e FROM ordered WHERE reach IS NULL OR reach < s
    )
    SELECT k AS ${k}, s, coalesce(lead(reach) OVER (PARTITION BY k ORDER BY s), last_e) AS e
    FROM starts`);
}

/**
 * Cuts every child interval into the parts inside and outside the windows of its key.
 *
 * `children` needs a unique BIGINT column `pid`, the key column, `s` and `e`; its other columns
 * are carried to `inside`. `windows` is merged first, so it may hold overlapping intervals.
 * `outside` gets `(pid, s, e, why)` with `why` one of `no_key`, `no_overlap` (no part inside) or
 * `partial` (the rest of a child that has a part inside).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { splitByWindows } from "./windows.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE c AS SELECT * FROM (VALUES (1::BIGINT, 'a', 0, 10), (2, 'z', 0, 3)) t(pid, k, s, e)");
 * await db.run("CREATE TABLE w AS SELECT * FROM (VALUES ('a', 2, 4), ('a', 6, 20)) t(k, s, e)");
 * await splitByWindows(db, { children: "c", windows: "w", key: "k", inside: "i", outside: "o" });
 * deepEqual(await db.json("SELECT pid, s, e FROM i ORDER BY s"), [{ pid: "1", s: 2, e: 4 }, { pid: "1", s: 6, e: 10 }]);
 * deepEqual(await db.json("SELECT pid, s, e, why FROM o ORDER BY pid, s"), [
 *   { pid: "1", s: 0, e: 2, why: "partial" }, { pid: "1", s: 4, e: 6, why: "partial" },
 *   { pid: "2", s: 0, e: 3, why: "no_overlap" },
 * ]);
 * ```
 */
export async function splitByWindows(
  db: Duck,
  options: { children: string; windows: string; key: string; inside: string; outside: string },
): Promise<void> {
  const k = id(options.key);
  const c = id(options.children);
  const wName = `${options.windows}__merged`;
  const w = id(wName);
  await mergeWindows(db, { input: options.windows, output: wName, key: options.key });
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.inside)} AS
    SELECT c.* REPLACE (greatest(c.s, w.s) AS s, least(c.e, w.e) AS e)
    FROM ${c} c JOIN ${w} w ON w.${k} = c.${k} AND w.s < c.e AND c.s < w.e`);
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.outside)} AS
    WITH kids AS (SELECT pid, ${k} AS k, s, e FROM ${c}),
    pieces AS (SELECT pid, s, e FROM ${id(options.inside)}),
    ordered AS (
      SELECT pid, s, e, lag(e) OVER (PARTITION BY pid ORDER BY s) AS prev_e FROM pieces
    ),
    gaps AS (
      -- before each piece: from the previous piece (or the child's start) to this one
      SELECT o.pid, coalesce(o.prev_e, k.s) AS s, o.s AS e, 'partial' AS why
      FROM ordered o JOIN kids k USING (pid)
      UNION ALL
      -- after the last piece
      SELECT k.pid, max(p.e) AS s, k.e, 'partial' FROM kids k JOIN pieces p USING (pid)
      GROUP BY k.pid, k.e
      UNION ALL
      -- children with no piece at all
      SELECT k.pid, k.s, k.e, CASE WHEN k.k IS NULL THEN 'no_key' ELSE 'no_overlap' END
      FROM kids k WHERE NOT EXISTS (SELECT 1 FROM pieces p WHERE p.pid = k.pid)
    )
    SELECT pid, s, e, why FROM gaps WHERE e > s`);
  await db.run(`DROP TABLE ${w}`);
}

/**
 * Sets apart, per key, the parts of intervals that intervals ranked earlier already cover.
 *
 * `input` needs a unique BIGINT `pid`, the key column, `s`, `e` and the ranking columns. Each
 * elementary stretch of time is kept by the first-ranked interval covering it; `kept` gets the
 * input columns with `s`, `e` narrowed to what the row keeps (one row per kept stretch, adjacent
 * stretches joined), `dropped` gets `(pid, s, e, winner)` for the covered parts, `winner` being the
 * `pid` that keeps that stretch.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { excludeOverlaps } from "./windows.ts";
 * using db = await Duck.open();
 * await db.run("CREATE TABLE r AS SELECT * FROM (VALUES (1::BIGINT, 'h', 0, 10), (2, 'h', 5, 15), (3, 'h', 20, 30)) t(pid, k, s, e)");
 * await excludeOverlaps(db, { input: "r", key: "k", order: ["s", "pid"], kept: "kept", dropped: "dup" });
 * deepEqual(await db.json("SELECT pid, s, e FROM kept ORDER BY s"), [
 *   { pid: "1", s: 0, e: 10 }, { pid: "2", s: 10, e: 15 }, { pid: "3", s: 20, e: 30 },
 * ]);
 * deepEqual(await db.json("SELECT pid, s, e, winner FROM dup"), [{ pid: "2", s: 5, e: 10, winner: "1" }]);
 * ```
 */
export async function excludeOverlaps(
  db: Duck,
  options: { input: string; key: string; order: readonly string[]; kept: string; dropped: string },
): Promise<void> {
  const k = id(options.key);
  const input = id(options.input);
  const order = options.order.map((o) => `r.${id(o)}`).join(", ");
  const tmp = id(`${options.kept}__cover`);
  await db.run(`
    CREATE OR REPLACE TABLE ${tmp} AS
    WITH r AS (SELECT * FROM ${input} WHERE e > s AND ${k} IS NOT NULL),
    bounds AS (SELECT DISTINCT ${k} AS k, s AS t FROM r UNION SELECT DISTINCT ${k}, e FROM r),
    segs AS (
      SELECT k, t AS s, lead(t) OVER (PARTITION BY k ORDER BY t) AS e FROM bounds
    ),
    cover AS (
      SELECT r.pid, g.k, g.s, g.e,
        row_number() OVER (PARTITION BY g.k, g.s ORDER BY ${order}) AS rk
      FROM segs g JOIN r ON r.${k} = g.k AND r.s <= g.s AND g.e <= r.e
      WHERE g.e IS NOT NULL
    )
    SELECT c.pid, c.s, c.e, c.rk, w.pid AS winner
    FROM cover c JOIN cover w ON w.k = c.k AND w.s = c.s AND w.rk = 1`);
  // Join adjacent stretches of the same row and the same outcome.
  const islands = (where: string) => `
    WITH x AS (
      SELECT pid, s, e, winner, lag(e) OVER (PARTITION BY pid, winner ORDER BY s) AS prev_e
      FROM ${tmp} WHERE ${where}
    ), g AS (
      SELECT *, sum(CASE WHEN prev_e = s THEN 0 ELSE 1 END) OVER (PARTITION BY pid, winner ORDER BY s ROWS UNBOUNDED PRECEDING) AS grp FROM x
    )
    SELECT pid, min(s) AS s, max(e) AS e, winner FROM g GROUP BY pid, winner, grp`;
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.kept)} AS
    SELECT r.* REPLACE (p.s AS s, p.e AS e)
    FROM (${islands("rk = 1")}) p JOIN ${input} r USING (pid)`);
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.dropped)} AS
    SELECT pid, s, e, winner FROM (${islands("rk > 1")}) p`);
  await db.run(`DROP TABLE ${tmp}`);
}
