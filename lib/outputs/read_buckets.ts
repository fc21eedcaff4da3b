/**
 * Readers that aggregate in DuckDB what a chart draws, so JavaScript receives one row per point
 * instead of every daily row (`read.ts` reads the rows themselves):
 *
 * | reader | from | one row per |
 * |---|---|---|
 * | {@linkcode readUsageBuckets} | `usage_daily.parquet` | metric, node type (or all) and day, week or month |
 * | {@linkcode readLegacyDailySums} | `legacy_comparison.parquet` | metric and day, summed over node types |
 *
 * Each returns exactly the numbers the chart computes from the daily rows: sums are added in the
 * order the chart adds them (`list_sum` over the group's values sorted by day or node
 * type with `list_sort`, an order that does not depend on DuckDB's threads; `list(... ORDER BY)`
 * gives the same numbers at six times the cost), and a bucket's mean divides by the same number
 * of days.
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { Duck } from "../db/duckdb.ts";
import { ALL_NODE_TYPES, type UsageFilter } from "./read.ts";
import { num, toUsage, usageWhere, withDb } from "./_read_sql.ts";
import type { LegacyComparisonRow, UsageRow } from "./rows.ts";

/** Buckets of {@linkcode readUsageBuckets}: UTC days, ISO weeks (from Monday) or months. */
export type UsageBucket = "day" | "week" | "month";

const BUCKET_START: Record<UsageBucket, (col: string) => string> = {
  day: (c) => c,
  week: (c) => `date_trunc('week', ${c})`,
  month: (c) => `date_trunc('month', ${c})`,
};
const BUCKET_LENGTH: Record<UsageBucket, string> = {
  day: "INTERVAL 1 DAY",
  week: "INTERVAL 7 DAY",
  month: "INTERVAL 1 MONTH",
};

/**
 * Time-weighted means per bucket from `usage_daily.parquet`: for each metric and node type (or
 * their sum in node type order, `sumNodeTypes`, node type {@linkcode ALL_NODE_TYPES}), the mean of its daily values
 * over the bucket's days that lie between the first and the last day of all rows read (a day
 * without a row counts as 0). These are the points the stacked usage chart draws
 * (`prepareUsageStack` with `bucketed: true`), computed where the data are.
 *
 * @param path The parquet file.
 * @param filter Resource, metrics, collector (default `current`), node type and site; `bucket`
 *   (default `day`) and `sumNodeTypes`.
 * @returns Rows at each bucket's start (`YYYY-MM-DD HH:MM:SS`), ordered by metric, node type and
 *   time.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readUsageBuckets } from "./read_buckets.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/usage_daily.parquet`;
 * // Wednesday 2024-01-03 to Monday 2024-01-08, node types a and b
 * await db.run(`COPY (SELECT * FROM (VALUES
 *   ('s', 'current', 'total', 'nodes', 'a', TIMESTAMP '2024-01-03', 2.0),
 *   ('s', 'current', 'total', 'nodes', 'b', TIMESTAMP '2024-01-03', 1.0),
 *   ('s', 'current', 'total', 'nodes', 'a', TIMESTAMP '2024-01-05', 3.0),
 *   ('s', 'current', 'total', 'nodes', 'a', TIMESTAMP '2024-01-08', 4.0))
 *   t(site, collector_type, metric, resource, node_type, "timestamp", value)) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const weeks = await readUsageBuckets(file, { resource: "nodes", bucket: "week", sumNodeTypes: true, db });
 * // the first week holds 5 days of the data (Wed-Sun): (3 + 3) / 5; the second 1 day
 * deepEqual(weeks.map((r) => [r.timestamp, r.value]), [["2024-01-01 00:00:00", 1.2], ["2024-01-08 00:00:00", 4]]);
 * ```
 */
export async function readUsageBuckets(
  path: string,
  filter: Omit<UsageFilter, "start" | "end"> & { bucket?: UsageBucket; sumNodeTypes?: boolean } =
    {},
): Promise<UsageRow[]> {
  const bucket = filter.bucket ?? "day";
  if (!Object.hasOwn(BUCKET_START, bucket)) {
    throw new Error(`Unknown bucket "${bucket}": expected "day", "week" or "month"`);
  }
  const where = usageWhere(filter);
  // Daily rows (summed over node types in node type order), then one mean per bucket: the days
  // of a bucket added in day order, divided by its days inside [first, last]. Fixed orders, so
  // the means do not depend on the file's row order or DuckDB's threads.
  const daily = filter.sumNodeTypes
    ? `SELECT site, collector_type, metric, resource, ${
      sqlLiteral(ALL_NODE_TYPES)
    } AS node_type, day, list_sum([x.v FOR x IN by_type]) AS value
      FROM (SELECT site, collector_type, metric, resource, "timestamp" AS day,
          list_sort(list({k: node_type, v: value::DOUBLE})) AS by_type
        FROM read_parquet(${sqlLiteral(path)}) WHERE ${where}
        GROUP BY site, collector_type, metric, resource, "timestamp")`
    : `SELECT site, collector_type, metric, resource, node_type, "timestamp" AS day,
        value::DOUBLE AS value
      FROM read_parquet(${sqlLiteral(path)}) WHERE ${where}`;
  const sql = `WITH daily AS (${daily}),
    span AS (SELECT min(day) AS first, max(day) + INTERVAL 1 DAY AS after FROM daily),
    bucketed AS (SELECT *, ${BUCKET_START[bucket]("day")} AS b FROM daily)
    SELECT site, collector_type, metric, resource, node_type,
      strftime(b, '%Y-%m-%d %H:%M:%S') AS timestamp,
      list_sum([x.v FOR x IN list_sort(list({d: day, v: value}))]) / date_diff('day', greatest(b, any_value(first)),
          least(b + ${BUCKET_LENGTH[bucket]}, any_value(after)))::DOUBLE AS value
    FROM bucketed, span
    GROUP BY site, collector_type, metric, resource, node_type, b
    ORDER BY site, collector_type, metric, resource, node_type, b`;
  return await withDb(
    filter.db,
    async (db) => (await db.json<Record<string, unknown>>(sql, where.params)).map(toUsage),
  );
}

/**
 * Both collectors of `legacy_comparison.parquet` summed over node types per day and metric, as
 * the legacy lines chart sums them (`prepareLegacyLines`): a side adds the node types that have a
 * value, in node type order, and is `null` on a day where none has. Node type
 * {@linkcode ALL_NODE_TYPES}.
 *
 * @param path The parquet file.
 * @param options An open database to use.
 * @returns One row per day and metric, dates as `YYYY-MM-DD`, ordered by date and metric.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readLegacyDailySums } from "./read_buckets.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/legacy_comparison.parquet`;
 * await db.run(`COPY (SELECT * FROM (VALUES
 *   (DATE '2024-01-01', 'reservable', 'a', 2.0, 1.5, 'admittable'),
 *   (DATE '2024-01-01', 'reservable', 'b', 1.0, NULL, 'admittable'))
 *   t("date", metric, node_type, legacy, current, current_metric)) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const [day] = await readLegacyDailySums(file, { db });
 * deepEqual([day.date, day.legacy, day.current, day.current_metric], ["2024-01-01", 3, 1.5, "admittable"]);
 * ```
 */
export async function readLegacyDailySums(
  path: string,
  options: { db?: Duck } = {},
): Promise<LegacyComparisonRow[]> {
  return await withDb(options.db, async (db) =>
    (await db.json<Record<string, unknown>>(
      `SELECT strftime("date", '%Y-%m-%d') AS date, metric,
        list_sum([x.l FOR x IN by_type]) AS legacy, list_sum([x.c FOR x IN by_type]) AS current,
        current_metric
      FROM (SELECT "date", metric,
          list_sort(list({k: node_type, l: legacy::DOUBLE, c: current::DOUBLE})) AS by_type,
          coalesce(max(current_metric) FILTER (WHERE current_metric <> metric), metric)
            AS current_metric
        FROM read_parquet(${sqlLiteral(path)}) GROUP BY "date", metric)
      ORDER BY "date", metric`,
    )).map((r) => ({
      date: String(r.date),
      metric: String(r.metric),
      node_type: ALL_NODE_TYPES,
      legacy: num(r.legacy),
      current: num(r.current),
      current_metric: String(r.current_metric),
    })));
}
