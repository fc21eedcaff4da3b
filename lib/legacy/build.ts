/**
 * Stage 04: the legacy `chameleon_usage` caches side by side with the reconstructed ledger
 * (docs/design.md §10, docs/decisions/0003-legacy-comparison.md).
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
import { OUTPUT_FILES } from "../outputs/files.ts";

/** Largest magnitude a legacy value may have (hours or counts per day and node type). */
export const LEGACY_MAX_MAGNITUDE = 1e9;

/**
 * Reads a legacy cache into the table `output`, minus the rows with a value that is not finite
 * or larger than {@linkcode LEGACY_MAX_MAGNITUDE} in magnitude: those go to the table
 * `legacy_audit` (created when missing), one row per bad value with table, column, row number in
 * the file, the row's key (date, node type), the value and the reason (`non_finite_value`,
 * `absurd_value`). Returns how many rows were rejected.
 *
 * @example
 * ```ts ignore
 * await screenLegacyTable(db, { table: "chameleon_usage.node_count_cache", path, values: ["cnt"], output: "ok" });
 * ```
 */
export async function screenLegacyTable(
  db: Duck,
  options: { table: string; path: string; values: readonly string[]; output: string },
): Promise<{ rejected: number }> {
  await db.run(`
    CREATE TEMP TABLE IF NOT EXISTS legacy_audit ("table" VARCHAR, "column" VARCHAR,
      row_number BIGINT, row_key VARCHAR, value VARCHAR, reason VARCHAR)`);
  const src = `read_parquet(${sqlLiteral(options.path)}, file_row_number = true)`;
  const reasons = options.values.map((c) => {
    const v = `TRY_CAST("${c}" AS DOUBLE)`;
    return `SELECT ${sqlLiteral(options.table)}, ${sqlLiteral(c)}, file_row_number + 1,
        'date=' || coalesce(CAST(date AS VARCHAR), 'NULL') || ', node_type=' || coalesce(CAST(node_type AS VARCHAR), 'NULL'),
        CAST("${c}" AS VARCHAR),
        CASE WHEN isnan(${v}) OR isinf(${v}) THEN 'non_finite_value' ELSE 'absurd_value' END
      FROM ${src}
      WHERE isnan(${v}) OR isinf(${v}) OR abs(${v}) > ${LEGACY_MAX_MAGNITUDE}`;
  });
  const before = Number(
    await db.value('SELECT count(DISTINCT ("table", row_number)) FROM legacy_audit'),
  );
  await db.run(`INSERT INTO legacy_audit ${reasons.join(" UNION ALL ")}`);
  await db.run(`
    CREATE OR REPLACE TEMP TABLE ${options.output} AS
    SELECT * EXCLUDE (file_row_number) FROM ${src}
    WHERE file_row_number + 1 NOT IN (
      SELECT row_number FROM legacy_audit WHERE "table" = ${sqlLiteral(options.table)})`);
  const after = Number(
    await db.value('SELECT count(DISTINCT ("table", row_number)) FROM legacy_audit'),
  );
  return { rejected: after - before };
}

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
 * `legacy_ranking` and writes them as `legacy_daily.parquet`, `legacy_comparison.parquet`,
 * `legacy_comparison.csv` and `legacy_ranking.parquet`, with the rejected cache rows in
 * `legacy_audit.parquet` (it reads `usage_daily.parquet`, never writes it).
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
  const cache = await screenLegacyTable(db, {
    table: "chameleon_usage.node_usage_report_cache",
    path: options.reportCache,
    values: ["total_hours", "maint_hours", "reserved_hours", "used_hours"],
    output: "report_cache_ok",
  });
  await db.run(`
    CREATE OR REPLACE TEMP TABLE legacy_daily AS
    WITH c AS (
      SELECT CAST(date AS DATE) AS day, coalesce(nullif(trim(node_type), ''), 'unknown') AS node_type,
        sum(total_hours)::DOUBLE AS total_h, sum(coalesce(maint_hours, 0))::DOUBLE AS maint_h,
        sum(coalesce(reserved_hours, 0))::DOUBLE AS reserved_h, sum(coalesce(used_hours, 0))::DOUBLE AS used_h
      FROM report_cache_ok WHERE date IS NOT NULL GROUP BY ALL
    ), m AS (
      SELECT day, node_type, total_h / 24 AS total, (total_h - maint_h) / 24 AS reservable,
        (reserved_h + used_h) / 24 AS committed, used_h / 24 AS occupied_reservation, reserved_h / 24 AS idle,
        (total_h - maint_h - reserved_h - used_h) / 24 AS available
      FROM c
    )
    SELECT ${site} AS site, '${COLLECTOR_LEGACY}' AS collector_type, metric, 'nodes' AS resource, node_type,
      CAST(day AS TIMESTAMP) AS timestamp, value
    FROM (UNPIVOT m ON total, reservable, committed, occupied_reservation, idle, available INTO NAME metric VALUE value)`);
  let rejected = cache.rejected;
  if (options.countCache) {
    const count = await screenLegacyTable(db, {
      table: "chameleon_usage.node_count_cache",
      path: options.countCache,
      values: ["cnt"],
      output: "count_cache_ok",
    });
    rejected += count.rejected;
    await db.run(`
      INSERT INTO legacy_daily
      SELECT ${site}, '${COLLECTOR_LEGACY}', 'node_count', 'nodes', coalesce(nullif(trim(node_type), ''), 'unknown'),
        CAST(CAST(date AS DATE) AS TIMESTAMP), sum(cnt)::DOUBLE
      FROM count_cache_ok WHERE date IS NOT NULL GROUP BY ALL`);
  }
  if (rejected > 0) {
    const [first] = await db.json<Record<string, string>>(
      'SELECT * FROM legacy_audit ORDER BY "table", row_number, "column" LIMIT 1',
    );
    notes.push(
      `legacy caches: ${rejected} rows rejected into legacy_audit.parquet, e.g. ${first.table}.${first.column} = ${first.value} at row ${first.row_number} (${first.row_key}): ${first.reason}`,
    );
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
  // The legacy series in the shape of usage_daily (collector_type legacy), in their own file:
  // stage 03 alone writes usage_daily.parquet (docs/decisions/0011-output-sets.md).
  await atomicWrite(join(out, OUTPUT_FILES.legacyDaily), (tmp) =>
    db.run(
      `COPY (SELECT * FROM legacy_daily ORDER BY metric, node_type, timestamp) TO ${
        sqlLiteral(tmp)
      } (FORMAT parquet, COMPRESSION zstd)`,
    ));
  await atomicWrite(join(out, OUTPUT_FILES.legacyAudit), (tmp) =>
    db.run(
      `COPY (SELECT * FROM legacy_audit ORDER BY "table", row_number, "column") TO ${
        sqlLiteral(tmp)
      } (FORMAT parquet)`,
    ));
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
