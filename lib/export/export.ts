/**
 * `deno task export`: publishes one site's daily series into a dashboard database
 * (docs/design.md §12, docs/decisions/0013-export.md). Reads the site's output set through
 * {@linkcode readExportInput}, pivots the wide table, checks the text limits of the target's
 * key columns, and hands the rows to the writer of the target's dialect, which replaces the
 * site's rows of the window in one transaction.
 *
 * @module
 */
import type { SiteConfig } from "../config.ts";
import { readExportInput } from "./input.ts";
import { TEXT_LIMITS } from "./schema.ts";
import { type ExportTarget, targetMessage } from "./target.ts";
import { wideRows } from "./wide.ts";
import type { SiteRows, WriteHooks, WriteResult } from "./targets/types.ts";
import { writeMysql } from "./targets/mysql.ts";
import { writePostgres } from "./targets/postgres.ts";
import { writeDuckdb } from "./targets/duckdb.ts";

/** Options of {@linkcode exportSite}. */
export interface ExportOptions {
  /** `--start`: must equal the run's window start. */
  start?: string;
  /** `--end`: must equal the run's window end. */
  end?: string;
  /** `--resource`: the wide table's resource instead of the headline rule. */
  resource?: string;
  /** Test hooks passed to the writer. */
  hooks?: WriteHooks;
}

/** What {@linkcode exportSite} did. */
export interface ExportResult extends WriteResult {
  site: string;
  target: string;
  window: { start: string; end: string };
  resource: string;
  /** Seconds reading and checking the output set, and writing the target. */
  seconds: { read: number; write: number };
}

/**
 * Exports one site into a target database.
 *
 * @example
 * ```ts ignore
 * const r = await exportSite(site, resolveTarget("postgres://postgres@127.0.0.1/dash"));
 * console.log(r.inserted.daily, r.seconds.write);
 * ```
 */
export async function exportSite(
  site: SiteConfig,
  target: ExportTarget,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const t0 = performance.now();
  const input = await readExportInput(site.outputDir, {
    site: site.key,
    start: options.start,
    end: options.end,
  });
  const rows: SiteRows = {
    site: site.key,
    window: input.window,
    daily: input.daily,
    wide: wideRows(input.daily, { resource: options.resource }),
  };
  checkTextLimits(rows);
  const t1 = performance.now();
  let result: WriteResult;
  try {
    const write = target.parts.scheme === "mysql"
      ? writeMysql
      : target.parts.scheme === "postgres"
      ? writePostgres
      : writeDuckdb;
    result = await write(target.parts, rows, options.hooks);
  } catch (e) {
    throw new Error(
      `Cannot export site "${site.key}" to "${target.masked}": ${targetMessage(target, e)}`,
    );
  }
  const t2 = performance.now();
  return {
    ...result,
    site: site.key,
    target: target.masked,
    window: input.window,
    resource: rows.wide.resource,
    seconds: {
      read: Math.round(t1 - t0) / 1000,
      write: Math.round(t2 - t1) / 1000,
    },
  };
}

/** Refuses a text longer than its key column holds, naming the column and the value. */
function checkTextLimits(rows: SiteRows): void {
  const fail = (col: keyof typeof TEXT_LIMITS, value: string) => {
    throw new Error(
      `Cannot export site "${rows.site}": ${col} "${value}" has ${
        [...value].length
      } characters, the target's usage_daily.${col} holds at most ${TEXT_LIMITS[col]}`,
    );
  };
  if ([...rows.site].length > TEXT_LIMITS.site) fail("site", rows.site);
  const d = rows.daily;
  for (const col of ["collector_type", "metric", "resource", "node_type"] as const) {
    const seen = new Set(d[col]);
    for (const v of seen) if ([...v].length > TEXT_LIMITS[col]) fail(col, v);
  }
}
