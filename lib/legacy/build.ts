/**
 * Stage 04: the legacy `chameleon_usage` caches side by side with the reconstructed ledger
 * (DESIGN §10, docs/decisions/0003-legacy-comparison.md).
 *
 * Legacy daily hours per node type become daily mean counts:
 *
 * | legacy metric | from the cache | compared with the current series |
 * |---|---|---|
 * | `total` | `total_hours / 24` | `total` |
 * | `reservable` | `(total_hours - maint_hours) / 24` | `admittable` (reservable less maintenance: the legacy figure excludes maintenance) |
 * | `committed` | `(reserved_hours + used_hours) / 24` | `committed` |
 * | `occupied_reservation` | `used_hours / 24` | `occupied_reservation` |
 * | `idle` | `reserved_hours / 24` | `idle` |
 * | `available` | legacy `reservable - committed` | `available` |
 * | `node_count` | `node_count_cache.cnt` | `total` |
 *
 * The comparison covers the days the legacy caches cover (within the ledger's window); where one
 * side has no row it says so (`flag` = `legacy_only` or `current_only`, the other side NULL),
 * never a silent zero. Discrepancies are ranked in node-hours (`|diff| x 24` per day) by site,
 * year, metric and node type.
 *
 * @module
 */
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { atomicWrite } from "../fs.ts";
import { COLLECTOR_LEGACY } from "../metrics.ts";

/** Legacy metric -> the current metric it is compared with. */
export const LEGACY_TO_CURRENT: Readonly<Record<string, string>> = {
  total: "total",
  reservable: "admittable",
  committed: "committed",
  occupied_reservation: "occupied_reservation",
  idle: "idle",
  available: "available",
  node_count: "total",
};

/** The columns the report cache must have (ChameleonCloud/usage-exploration rawschemas.py). */
export const REPORT_CACHE_COLUMNS = [
  "date",
  "node_type",
  "total_hours",
  "maint_hours",
  "reserved_hours",
  "used_hours",
] as const;

/** What {@linkcode buildLegacyComparison} did. */
export interface LegacyResult {
  /** Days compared (first, last). */
  days: { first: string | null; last: string | null };
  /** The largest discrepancies, first first. */
  top: RankingRow[];
  notes: string[];
}

/** One row of the ranking. */
export interface RankingRow {
  site: string;
  year: number;
  metric: string;
  node_type: string;
  /** Sum over the days of |current - legacy| x 24. */
  abs_node_hours: number;
  /** Sum over the days of (current - legacy) x 24: positive when the ledger finds more. */
  net_node_hours: number;
  days_both: number;
  days_legacy_only: number;
  days_current_only: number;
}

/**
 * Builds `legacy_daily` (legacy rows in the shape of usage_daily), `legacy_comparison` and
 * `legacy_ranking`, appends the legacy rows to `usage_daily.parquet` and writes
 * `legacy_comparison.parquet`, `legacy_comparison.csv` and `legacy_ranking.parquet`.
 *
 * @example
 * ```ts ignore
 * await buildLegacyComparison(db, { site: "demo", reportCache: "input/demo/chameleon_usage.node_usage_report_cache.2026-06-01.parquet",
 *   usageDaily: "output/demo/usage_daily.parquet", outputDir: "output/demo" });
 * ```
 */
export async function buildLegacyComparison(
  db: Duck,
  options: {
    site: string;
    reportCache: string;
    countCache?: string;
    usageDaily: string;
    outputDir: string;
    window?: { start: string; end: string };
  },
): Promise<LegacyResult> {
  const notes: string[] = [];
  const site = sqlLiteral(options.site);
  const have = (await db.rows<{ column_name: string }>(
    `DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(options.reportCache)})`,
  )).map((r) => r.column_name);
  for (const c of REPORT_CACHE_COLUMNS) {
    if (!have.includes(c)) {
      throw new Error(
        `Cannot compare with the legacy caches: column "${c}" of "chameleon_usage.node_usage_report_cache" is missing in "${options.reportCache}"`,
      );
    }
  }
  await db.run(`
    CREATE OR REPLACE TEMP TABLE legacy_daily AS
    WITH c AS (
      SELECT CAST(date AS DATE) AS day, coalesce(nullif(trim(node_type), ''), 'unknown') AS node_type,
        sum(total_hours)::DOUBLE AS total_h, sum(coalesce(maint_hours, 0))::DOUBLE AS maint_h,
        sum(coalesce(reserved_hours, 0))::DOUBLE AS reserved_h, sum(coalesce(used_hours, 0))::DOUBLE AS used_h
      FROM read_parquet(${sqlLiteral(options.reportCache)}) WHERE date IS NOT NULL GROUP BY ALL
    ), m AS (
      SELECT day, node_type, total_h / 24 AS total, (total_h - maint_h) / 24 AS reservable,
        (reserved_h + used_h) / 24 AS committed, used_h / 24 AS occupied_reservation, reserved_h / 24 AS idle,
        (total_h - maint_h - reserved_h - used_h) / 24 AS available
      FROM c
    )
    SELECT ${site} AS site, '${COLLECTOR_LEGACY}' AS collector_type, metric, 'nodes' AS resource, node_type,
      CAST(day AS TIMESTAMP) AS timestamp, value
    FROM (UNPIVOT m ON total, reservable, committed, occupied_reservation, idle, available INTO NAME metric VALUE value)`);
  if (options.countCache) {
    await db.run(`
      INSERT INTO legacy_daily
      SELECT ${site}, '${COLLECTOR_LEGACY}', 'node_count', 'nodes', coalesce(nullif(trim(node_type), ''), 'unknown'),
        CAST(CAST(date AS DATE) AS TIMESTAMP), sum(cnt)::DOUBLE
      FROM read_parquet(${sqlLiteral(options.countCache)}) WHERE date IS NOT NULL GROUP BY ALL`);
  }
  const pairs = Object.entries(LEGACY_TO_CURRENT).map(([l, c]) =>
    `(${sqlLiteral(l)}, ${sqlLiteral(c)})`
  ).join(", ");
  const win = options.window
    ? `AND timestamp >= ${sqlLiteral(options.window.start)}::TIMESTAMP AND timestamp < ${
      sqlLiteral(options.window.end)
    }::TIMESTAMP`
    : "";
  await db.run(`
    CREATE OR REPLACE TEMP TABLE legacy_comparison AS
    WITH map(legacy_metric, current_metric) AS (VALUES ${pairs}),
    l AS (SELECT * FROM legacy_daily WHERE true ${win}),
    span AS (SELECT min(timestamp) AS first, max(timestamp) AS last FROM l),
    c AS (
      SELECT m.legacy_metric AS metric, u.node_type, u.timestamp, u.value, m.current_metric
      FROM read_parquet(${
    sqlLiteral(options.usageDaily)
  }) u JOIN map m ON m.current_metric = u.metric, span
      WHERE u.resource = 'nodes' AND u.collector_type = 'current' AND u.timestamp BETWEEN span.first AND span.last
        AND (m.legacy_metric <> 'node_count' OR EXISTS (SELECT 1 FROM l WHERE l.metric = 'node_count'))
    )
    SELECT CAST(coalesce(l.timestamp, c.timestamp) AS DATE) AS date, coalesce(l.metric, c.metric) AS metric,
      coalesce(l.node_type, c.node_type) AS node_type,
      l.value AS legacy, c.value AS current, c.value - l.value AS diff,
      CASE WHEN l.value <> 0 THEN (c.value - l.value) / abs(l.value) END AS rel_diff,
      CASE WHEN l.value IS NULL THEN 'current_only' WHEN c.value IS NULL THEN 'legacy_only' ELSE 'both' END AS flag,
      coalesce(c.current_metric, (SELECT current_metric FROM map WHERE legacy_metric = l.metric)) AS current_metric
    FROM l FULL OUTER JOIN c ON c.metric = l.metric AND c.node_type = l.node_type AND c.timestamp = l.timestamp
    ORDER BY date, metric, node_type`);
  await db.run(`
    CREATE OR REPLACE TEMP TABLE legacy_ranking AS
    SELECT ${site} AS site, year(date)::INTEGER AS year, metric, node_type,
      coalesce(sum(abs(diff)) * 24, 0)::DOUBLE AS abs_node_hours, coalesce(sum(diff) * 24, 0)::DOUBLE AS net_node_hours,
      count(*) FILTER (WHERE flag = 'both')::INTEGER AS days_both,
      count(*) FILTER (WHERE flag = 'legacy_only')::INTEGER AS days_legacy_only,
      count(*) FILTER (WHERE flag = 'current_only')::INTEGER AS days_current_only
    FROM legacy_comparison GROUP BY ALL
    ORDER BY abs_node_hours DESC, year, metric, node_type`);
  const out = options.outputDir;
  await atomicWrite(
    join(out, "legacy_comparison.parquet"),
    (tmp) =>
      db.run(`COPY (SELECT * FROM legacy_comparison) TO ${sqlLiteral(tmp)} (FORMAT parquet)`),
  );
  await atomicWrite(
    join(out, "legacy_comparison.csv"),
    (tmp) =>
      db.run(
        `COPY (SELECT * FROM legacy_comparison) TO ${sqlLiteral(tmp)} (HEADER, DELIMITER ',')`,
      ),
  );
  await atomicWrite(
    join(out, "legacy_ranking.parquet"),
    (tmp) => db.run(`COPY (SELECT * FROM legacy_ranking) TO ${sqlLiteral(tmp)} (FORMAT parquet)`),
  );
  // The legacy series join the current ones in usage_daily, told apart by collector_type.
  await atomicWrite(options.usageDaily, (tmp) =>
    db.run(`COPY (
      SELECT * FROM read_parquet(${
      sqlLiteral(options.usageDaily)
    }) WHERE collector_type <> '${COLLECTOR_LEGACY}'
      UNION ALL SELECT * FROM legacy_daily
    ) TO ${sqlLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`));
  const [span] = await db.json<
    { first: string | null; last: string | null; lo: string; co: string }
  >(`
    SELECT min(date)::VARCHAR AS first, max(date)::VARCHAR AS last,
      count(*) FILTER (WHERE flag = 'legacy_only') AS lo, count(*) FILTER (WHERE flag = 'current_only') AS co
    FROM legacy_comparison`);
  if (Number(span.lo) > 0) {
    notes.push(`legacy comparison: ${span.lo} day x metric x node type rows have legacy data only`);
  }
  if (Number(span.co) > 0) {
    notes.push(
      `legacy comparison: ${span.co} day x metric x node type rows have current data only`,
    );
  }
  const top = await db.json<RankingRow>("SELECT * FROM legacy_ranking LIMIT 10");
  return { days: { first: span.first, last: span.last }, top, notes };
}
