/**
 * Readers of a set's parquet artifacts (`files.ts` names them): small async functions that load,
 * with DuckDB, only the rows a chart, table or notebook needs from a site's output files (filters on resource, node type, metric, collector,
 * host and a `[start, end)` window are pushed into the query). BIGINTs come back as numbers and
 * timestamps as UTC text, `YYYY-MM-DD HH:MM:SS` (dates `YYYY-MM-DD`).
 *
 * For long windows read daily means (`readUsageDaily`), not raw steps: a day's value is the exact
 * time-weighted mean of the step function over the day, so nothing is sampled away, and a decade
 * is ~3,650 rows per series instead of every change.
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { join } from "node:path";
import { Duck } from "../db/duckdb.ts";
import { exists } from "../fs.ts";
import { OUTPUT_FILES } from "./files.ts";
import type { AuditSummaryRow } from "../spans/summary.ts";
import { auditSummary } from "../spans/summary.ts";
import type { RankingRow as LegacyRankingRow } from "../legacy/build.ts";
import type { LegacyComparisonRow, SpanRow, UsageRow } from "./rows.ts";
import { num, toUsage, usageWhere, Where, withDb } from "./_read_sql.ts";

/** Filters of the usage readers; every field is optional. */
export interface UsageFilter {
  /** One resource, e.g. `"nodes"`. */
  resource?: string;
  /** One node type. */
  nodeType?: string;
  /** Only these metrics. */
  metrics?: readonly string[];
  /** `collector_type`; `null` for both collectors. @default {"current"} */
  collector?: string | null;
  /** One site. */
  site?: string;
  /** Window start (inclusive), UTC `YYYY-MM-DD[ HH:MM:SS]`. */
  start?: string;
  /** Window end (exclusive), UTC. */
  end?: string;
  /** An open database to use; one is opened (and closed) when absent. */
  db?: Duck;
}

/** One row of `hours.parquet`. */
export interface HoursRow {
  site: string;
  collector_type: string;
  metric: string;
  resource: string;
  node_type: string;
  period: "month" | "year";
  /** `YYYY-MM-DD`. */
  period_start: string;
  hours: number;
}

const TS = (col: string) => `strftime("${col}", '%Y-%m-%d %H:%M:%S')`;
const DAY = (col: string) => `strftime("${col}", '%Y-%m-%d')`;

/**
 * Reads daily means from `usage_daily.parquet` (or any file of that shape), ordered by metric,
 * node type and day. The window keeps the days that start in `[start, end)`; `sumNodeTypes`
 * sums each day over node types (node type {@linkcode ALL_NODE_TYPES}).
 *
 * @param path The parquet file, or several of that shape read as one (`usage_daily.parquet` and
 * `legacy_daily.parquet`: {@linkcode dailyFiles}).
 * @param filter Rows to keep.
 * @returns The rows, timestamps as `YYYY-MM-DD HH:MM:SS`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readUsageDaily } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/usage_daily.parquet`;
 * await db.run(`COPY (SELECT 's' AS site, 'current' AS collector_type, 'total' AS metric, 'nodes' AS resource, 'a' AS node_type, TIMESTAMP '2024-01-01' AS timestamp, 2.5 AS value) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const rows = await readUsageDaily(file, { resource: "nodes", start: "2024-01-01", db });
 * deepEqual(rows.map((r) => [r.timestamp, r.value]), [["2024-01-01 00:00:00", 2.5]]);
 * const summed = await readUsageDaily(file, { resource: "nodes", sumNodeTypes: true, db });
 * deepEqual(summed.map((r) => [r.node_type, r.value]), [["all node types", 2.5]]);
 * ```
 */
export async function readUsageDaily(
  path: string | readonly string[],
  filter: UsageFilter & { sumNodeTypes?: boolean } = {},
): Promise<UsageRow[]> {
  const w = usageWhere(filter)
    .add((p) => (filter.start ? `"timestamp" >= ${p(filter.start)}::TIMESTAMP` : "true"))
    .add((p) => (filter.end ? `"timestamp" < ${p(filter.end)}::TIMESTAMP` : "true"));
  // Summed over node types in DuckDB: a site-wide chart then reads one row per day and metric.
  const sql = filter.sumNodeTypes
    ? `SELECT site, collector_type, metric, resource, '${ALL_NODE_TYPES}' AS node_type,
        ${TS("timestamp")} AS timestamp, sum(value)::DOUBLE AS value
      FROM ${parquetOf(path)} WHERE ${w}
      GROUP BY site, collector_type, metric, resource, "timestamp"
      ORDER BY site, collector_type, metric, resource, "timestamp"`
    : `SELECT site, collector_type, metric, resource, node_type, ${TS("timestamp")} AS timestamp,
        value::DOUBLE AS value
      FROM ${parquetOf(path)} WHERE ${w}
      ORDER BY site, collector_type, metric, resource, node_type, "timestamp"`;
  return await withDb(
    filter.db,
    async (db) => (await db.json<Record<string, unknown>>(sql, w.params)).map(toUsage),
  );
}

function parquetOf(path: string | readonly string[]): string {
  const paths = typeof path === "string" ? [path] : path;
  return `read_parquet([${paths.map(sqlLiteral).join(", ")}], union_by_name = true)`;
}

/**
 * The daily files of a set folder: `usage_daily.parquet` (stage 03, current collector) and, when
 * stage 04 ran, `legacy_daily.parquet` (legacy collector), read together by
 * {@linkcode readUsageDaily}.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { dailyFiles } from "./read.ts";
 * const dir = await Deno.makeTempDir();
 * deepEqual(await dailyFiles(dir), [`${dir}/usage_daily.parquet`]);
 * await Deno.writeTextFile(`${dir}/legacy_daily.parquet`, "");
 * deepEqual(await dailyFiles(dir), [`${dir}/usage_daily.parquet`, `${dir}/legacy_daily.parquet`]);
 * ```
 */
export async function dailyFiles(dir: string): Promise<string[]> {
  const legacy = join(dir, OUTPUT_FILES.legacyDaily);
  return [join(dir, OUTPUT_FILES.usageDaily), ...(await exists(legacy) ? [legacy] : [])];
}

/** The `node_type` of rows that {@linkcode readUsageDaily} summed over node types. */
export const ALL_NODE_TYPES = "all node types";

/**
 * Reads raw steps from `usage.parquet`. With a window start, each series also keeps its last
 * step before the start (the value in effect at the start), so the step function over the
 * window is complete.
 *
 * @param path The parquet file.
 * @param filter Rows to keep.
 * @returns The steps, ordered by series and time.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readUsageSteps } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/usage.parquet`;
 * await db.run(`COPY (SELECT 's' AS site, 'current' AS collector_type, 'total' AS metric, 'nodes' AS resource, 'a' AS node_type, TIMESTAMP '2024-01-01 06:00:00' AS timestamp, 3 AS value) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * // the step of 06:00 is in effect at the start of 2024-01-02
 * const steps = await readUsageSteps(file, { start: "2024-01-02", db });
 * deepEqual(steps.map((r) => [r.timestamp, r.value]), [["2024-01-01 06:00:00", 3]]);
 * ```
 */
export async function readUsageSteps(path: string, filter: UsageFilter = {}): Promise<UsageRow[]> {
  const w = usageWhere(filter)
    .add((p) => (filter.end ? `"timestamp" < ${p(filter.end)}::TIMESTAMP` : "true"));
  // The step in effect at the start is the last one at or before it; keep it and all later ones.
  const params = [...w.params];
  let qualify = "";
  if (filter.start) {
    params.push(filter.start);
    const start = `$${params.length}::TIMESTAMP`;
    qualify =
      `QUALIFY "timestamp" >= coalesce(max("timestamp") FILTER (WHERE "timestamp" <= ${start})
      OVER (PARTITION BY site, collector_type, metric, resource, node_type), ${start})`;
  }
  return await withDb(filter.db, async (db) =>
    (await db.json<Record<string, unknown>>(
      `SELECT site, collector_type, metric, resource, node_type, ${TS("timestamp")} AS timestamp,
        value::DOUBLE AS value
      FROM read_parquet(${sqlLiteral(path)}) WHERE ${w}
      ${qualify}
      ORDER BY site, collector_type, metric, resource, node_type, "timestamp"`,
      params,
    )).map(toUsage));
}

/**
 * Reads resource-hours per period from `hours.parquet`.
 *
 * @param path The parquet file.
 * @param filter Rows to keep, plus `period`; the window keeps periods starting in it.
 * @returns The rows, ordered by series and period.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readHours } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/hours.parquet`;
 * await db.run(`COPY (SELECT 's' AS site, 'current' AS collector_type, 'total' AS metric, 'nodes' AS resource, 'a' AS node_type, 'year' AS period, DATE '2024-01-01' AS period_start, 24.0 AS hours) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const years = await readHours(file, { resource: "nodes", period: "year", db });
 * deepEqual(years.map((r) => [r.period_start, r.hours]), [["2024-01-01", 24]]);
 * ```
 */
export async function readHours(
  path: string,
  filter: UsageFilter & { period?: "month" | "year" } = {},
): Promise<HoursRow[]> {
  const w = usageWhere(filter)
    .eq("period", filter.period)
    .add((p) => (filter.start ? `period_start >= ${p(filter.start)}::DATE` : "true"))
    .add((p) => (filter.end ? `period_start < ${p(filter.end)}::DATE` : "true"));
  return await withDb(filter.db, async (db) =>
    (await db.json<Record<string, unknown>>(
      `SELECT site, collector_type, metric, resource, node_type, period, ${
        DAY("period_start")
      } AS period_start,
        hours::DOUBLE AS hours
      FROM read_parquet(${sqlLiteral(path)}) WHERE ${w}
      ORDER BY site, collector_type, metric, resource, node_type, period, period_start`,
      w.params,
    )).map((r) => ({
      site: String(r.site),
      collector_type: String(r.collector_type),
      metric: String(r.metric),
      resource: String(r.resource),
      node_type: String(r.node_type),
      period: r.period as "month" | "year",
      period_start: String(r.period_start),
      hours: Number(r.hours),
    })));
}

/** Filters of {@linkcode readLegacyComparison} and {@linkcode readLegacyRanking}. */
export interface LegacyFilter {
  metrics?: readonly string[];
  nodeType?: string;
  /** Ranking only. */
  site?: string;
  /** Window start (inclusive), `YYYY-MM-DD`; for the ranking, compared with the year. */
  start?: string;
  /** Window end (exclusive). */
  end?: string;
  db?: Duck;
}

/**
 * Reads `legacy_comparison.parquet`, ordered by date, metric and node type.
 *
 * @param path The parquet file.
 * @param filter Rows to keep.
 * @returns The rows, dates as `YYYY-MM-DD`, NULL sides as `null`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readLegacyComparison } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/legacy_comparison.parquet`;
 * await db.run(`COPY (SELECT DATE '2024-01-01' AS date, 'idle' AS metric, 'a' AS node_type, 1.0 AS legacy, NULL::DOUBLE AS current, NULL::DOUBLE AS diff, NULL::DOUBLE AS rel_diff, 'legacy_only' AS flag, 'idle' AS current_metric) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const rows = await readLegacyComparison(file, { db });
 * deepEqual(rows.map((r) => [r.date, r.legacy, r.current]), [["2024-01-01", 1, null]]);
 * ```
 */
export async function readLegacyComparison(
  path: string,
  filter: LegacyFilter = {},
): Promise<LegacyComparisonRow[]> {
  const w = new Where()
    .in("metric", filter.metrics)
    .eq("node_type", filter.nodeType)
    .add((p) => (filter.start ? `"date" >= ${p(filter.start)}::DATE` : "true"))
    .add((p) => (filter.end ? `"date" < ${p(filter.end)}::DATE` : "true"));
  return await withDb(filter.db, async (db) =>
    (await db.json<Record<string, unknown>>(
      `SELECT ${
        DAY("date")
      } AS date, metric, node_type, legacy::DOUBLE AS legacy, current::DOUBLE AS current,
        diff::DOUBLE AS diff, rel_diff::DOUBLE AS rel_diff, flag, current_metric
      FROM read_parquet(${sqlLiteral(path)}) WHERE ${w} ORDER BY "date", metric, node_type`,
      w.params,
    )).map((r) => ({
      date: String(r.date),
      metric: String(r.metric),
      node_type: String(r.node_type),
      legacy: num(r.legacy),
      current: num(r.current),
      diff: num(r.diff),
      rel_diff: num(r.rel_diff),
      flag: r.flag as LegacyComparisonRow["flag"],
      current_metric: String(r.current_metric),
    })));
}

/**
 * Reads `legacy_ranking.parquet`, largest discrepancy first.
 *
 * @param path The parquet file.
 * @param filter Rows to keep (the window keeps years that overlap it).
 * @returns The rows.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readLegacyRanking } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/legacy_ranking.parquet`;
 * await db.run(`COPY (SELECT 's' AS site, 2024::BIGINT AS year, 'idle' AS metric, 'a' AS node_type, 48.0 AS abs_node_hours, -48.0 AS net_node_hours, 2 AS days_both, 0 AS days_legacy_only, 0 AS days_current_only) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const [top] = await readLegacyRanking(file, { db });
 * equal(top.year, 2024);
 * ```
 */
export async function readLegacyRanking(
  path: string,
  filter: LegacyFilter = {},
): Promise<LegacyRankingRow[]> {
  const w = new Where()
    .in("metric", filter.metrics)
    .eq("node_type", filter.nodeType)
    .eq("site", filter.site)
    .add((p) => (filter.start ? `year >= year(${p(filter.start)}::DATE)` : "true"))
    .add((p) => (filter.end ? `make_date(year, 1, 1) < ${p(filter.end)}::DATE` : "true"));
  return await withDb(filter.db, async (db) =>
    (await db.json<Record<string, unknown>>(
      `SELECT site, year::INTEGER AS year, metric, node_type, abs_node_hours::DOUBLE AS abs_node_hours,
        net_node_hours::DOUBLE AS net_node_hours, days_both::INTEGER AS days_both,
        days_legacy_only::INTEGER AS days_legacy_only, days_current_only::INTEGER AS days_current_only
      FROM read_parquet(${sqlLiteral(path)}) WHERE ${w}
      ORDER BY abs_node_hours DESC, site, year, metric, node_type`,
      w.params,
    )).map((r) => ({
      site: String(r.site),
      year: Number(r.year),
      metric: String(r.metric),
      node_type: String(r.node_type),
      abs_node_hours: Number(r.abs_node_hours),
      net_node_hours: Number(r.net_node_hours),
      days_both: Number(r.days_both),
      days_legacy_only: Number(r.days_legacy_only),
      days_current_only: Number(r.days_current_only),
    })));
}

/**
 * The audit summary of `audit.parquet` (`auditSummary()` of `lib/spans/summary.ts`), with
 * numbers as numbers.
 *
 * @param path The parquet file.
 * @param options An open database to use.
 * @returns One row per site, source, reason and year of start.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readAuditSummary } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/audit.parquet`;
 * await db.run(`COPY (SELECT 's' AS site, 'nova.instances' AS source, '7' AS source_row_id, 'orphan' AS reason, TIMESTAMP '2024-05-01' AS start, TIMESTAMP '2024-05-01 01:30:00' AS "end", 5400 AS seconds) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const audit = await readAuditSummary(file, { db });
 * deepEqual(audit.map((r) => [r.reason, r.year, r.rows, r.hours]), [["orphan", 2024, 1, 1.5]]);
 * ```
 */
export async function readAuditSummary(
  path: string,
  options: { db?: Duck } = {},
): Promise<AuditSummaryRow[]> {
  return await withDb(options.db, async (db) =>
    (await auditSummary(db, path)).map((r) => ({
      site: String(r.site),
      source: String(r.source),
      reason: String(r.reason),
      year: r.year === null || r.year === undefined ? null : Number(r.year),
      rows: Number(r.rows),
      hours: Number(r.hours),
    })));
}

/** Filters of {@linkcode readSpans}. */
export interface SpanFilter {
  /** One `hypervisor_hostname`. */
  host?: string;
  metrics?: readonly string[];
  nodeType?: string;
  /** Spans that overlap `[start, end)` (an open end overlaps every later time). */
  start?: string;
  end?: string;
  db?: Duck;
}

/**
 * Reads `spans.parquet`, ordered by host, metric and start.
 *
 * @param path The parquet file.
 * @param filter Rows to keep.
 * @returns The spans; an open end is `null`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { sqlLiteral } from "../sql.ts";
 * import { readSpans } from "./read.ts";
 * using db = await Duck.open();
 * const file = `${await Deno.makeTempDir()}/spans.parquet`;
 * await db.run(`COPY (SELECT 's' AS site, 'nova.compute_nodes' AS source, 'total' AS metric, 'e' AS entity_id, '1' AS source_row_id, 'c01' AS hypervisor_hostname, 'gpu' AS node_type, TIMESTAMP '2024-01-01' AS start, NULL::TIMESTAMP AS "end", 1.0 AS nodes, 48.0 AS vcpus, 1024.0 AS memory_mb, 100.0 AS disk_gb) TO ${sqlLiteral(file)} (FORMAT parquet)`);
 * const spans = await readSpans(file, { host: "c01", start: "2030-01-01", db });
 * deepEqual(spans.map((r) => [r.start, r.end]), [["2024-01-01 00:00:00", null]]);
 * ```
 */
export async function readSpans(path: string, filter: SpanFilter = {}): Promise<SpanRow[]> {
  const w = new Where()
    .eq("hypervisor_hostname", filter.host)
    .eq("node_type", filter.nodeType)
    .in("metric", filter.metrics)
    .add((p) => (filter.end ? `start < ${p(filter.end)}::TIMESTAMP` : "true"))
    .add((p) => filter.start ? `("end" IS NULL OR "end" > ${p(filter.start)}::TIMESTAMP)` : "true");
  return await withDb(filter.db, async (db) => {
    // Spans written before the `devices` column existed hold no device: 0.
    const hasDevices = (await db.json<{ column_name: string }>(
      `SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(path)}))`,
    )).some((c) => c.column_name === "devices");
    return (await db.json<Record<string, unknown>>(
      `SELECT site, source, metric, entity_id, source_row_id, hypervisor_hostname, node_type,
        ${TS("start")} AS start, ${
        TS("end")
      } AS "end", nodes::DOUBLE AS nodes, vcpus::DOUBLE AS vcpus,
        memory_mb::DOUBLE AS memory_mb, disk_gb::DOUBLE AS disk_gb,
        ${hasDevices ? "devices" : "0"}::DOUBLE AS devices
      FROM read_parquet(${sqlLiteral(path)}) WHERE ${w}
      ORDER BY hypervisor_hostname, metric, start, source, source_row_id`,
      w.params,
    )).map((r) => ({
      site: String(r.site),
      source: String(r.source),
      metric: String(r.metric),
      entity_id: r.entity_id === null ? null : String(r.entity_id),
      source_row_id: r.source_row_id === null ? null : String(r.source_row_id),
      hypervisor_hostname: r.hypervisor_hostname === null ? null : String(r.hypervisor_hostname),
      node_type: String(r.node_type),
      start: String(r.start),
      end: r.end === null ? null : String(r.end),
      nodes: num(r.nodes),
      vcpus: num(r.vcpus),
      memory_mb: num(r.memory_mb),
      disk_gb: num(r.disk_gb),
      devices: num(r.devices),
    }));
  });
}
