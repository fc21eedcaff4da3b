/**
 * The DuckDB writer of the export (a `duckdb:<file>` target): stages the rows in temporary
 * tables through DuckDB's appender, then in one transaction creates the tables if missing,
 * deletes the site's rows of the window and inserts the staged rows.
 *
 * @module
 */
import { Duck } from "../../db/duckdb.ts";
import type { DbUriParts } from "../../config.ts";
import { createTablesSql, deleteWindowSql, insertHeadSql } from "../schema.ts";
import { WIDE_METRICS } from "../wide.ts";
import type { SiteRows, WriteHooks, WriteResult } from "./types.ts";

/**
 * Replaces one site's rows of the window in a DuckDB file (created if missing).
 *
 * @example
 * ```ts ignore
 * await writeDuckdb(parseDbUri("duckdb:var/dash.duckdb"), rows);
 * ```
 */
export async function writeDuckdb(
  parts: DbUriParts,
  rows: SiteRows,
  hooks: WriteHooks = {},
): Promise<WriteResult> {
  if (!parts.database) throw new Error("Cannot export to DuckDB: expected duckdb:<file>");
  using db = await Duck.open(parts.database);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE stage_daily (collector_type VARCHAR, metric VARCHAR,
       resource VARCHAR, node_type VARCHAR, day VARCHAR, value DOUBLE)`,
  );
  await db.run(
    `CREATE OR REPLACE TEMP TABLE stage_wide (day VARCHAR, ${
      WIDE_METRICS.map((m) => `${m} DOUBLE`).join(", ")
    })`,
  );
  const d = rows.daily;
  const app = await db.conn.createAppender("stage_daily", "main", "temp");
  for (let i = 0; i < d.day.length; i++) {
    app.appendVarchar(d.collector_type[i]);
    app.appendVarchar(d.metric[i]);
    app.appendVarchar(d.resource[i]);
    app.appendVarchar(d.node_type[i]);
    app.appendVarchar(d.day[i]);
    app.appendDouble(d.value[i]);
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
  const w = rows.wide;
  const appW = await db.conn.createAppender("stage_wide", "main", "temp");
  for (let i = 0; i < w.day.length; i++) {
    appW.appendVarchar(w.day[i]);
    for (const m of WIDE_METRICS) {
      const v = w.values[m][i];
      if (v === null) appW.appendNull();
      else appW.appendDouble(v);
    }
    appW.endRow();
  }
  appW.flushSync();
  appW.closeSync();

  await db.run("BEGIN TRANSACTION");
  try {
    for (const ddl of createTablesSql("duckdb")) await db.run(ddl);
    const window = [rows.site, rows.window.start, rows.window.end];
    const [delDaily, delWide] = deleteWindowSql("duckdb");
    const nd = Number((await db.conn.run(delDaily, window)).rowsChanged);
    const nw = Number((await db.conn.run(delWide, window)).rowsChanged);
    await hooks.afterDelete?.();
    await db.run(
      `${insertHeadSql("duckdb", "usage_daily")}
       SELECT $1, collector_type, metric, resource, node_type, day::DATE, value FROM stage_daily`,
      [rows.site],
    );
    await db.run(
      `${insertHeadSql("duckdb", "usage_wide")}
       SELECT day::TIMESTAMP, $1, $2, ${WIDE_METRICS.join(", ")} FROM stage_wide`,
      [rows.site, w.resource],
    );
    await db.run("COMMIT");
    return {
      deleted: { daily: nd, wide: nw },
      inserted: { daily: d.day.length, wide: w.day.length },
    };
  } catch (e) {
    await db.run("ROLLBACK").catch(() => {});
    throw e;
  }
}
