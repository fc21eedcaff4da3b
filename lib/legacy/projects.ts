/**
 * Stage 04, per project: the legacy `chameleon_usage.node_project_usage_report_cache` beside the
 * ledger's `project_hours.parquet` (docs/design.md §10, `0016`).
 *
 * The cache's columns are not public (SCHEMAS.md); this reads the shape the legacy method's other
 * cache has, per project: `date, project_id, node_type, reserved_hours, used_hours` (hours per
 * day; `reserved_hours` are the reserved hours with no instance, as in `node_usage_report_cache`).
 *
 * | legacy metric | from the cache | compared with (`project_hours.parquet`, nodes, year) |
 * |---|---|---|
 * | `committed` | `reserved_hours + used_hours` | `committed` |
 * | `occupied_reservation` | `used_hours` | `occupied_reservation` |
 *
 * Both sides are summed over node types per project and year, the legacy side over the days of
 * the ledger's window, the current side over the year's part inside the window. A project that
 * only one side has is compared with zero on the other and flagged (`legacy_only`,
 * `current_only`). Ranked by `|current - legacy|` in node-hours.
 *
 * @module
 */
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { atomicWrite } from "../fs.ts";
import { OUTPUT_FILES } from "../outputs/files.ts";
import { screenLegacyTable } from "./build.ts";

/** The source table of the per-project comparison. */
export const PROJECT_CACHE = "chameleon_usage.node_project_usage_report_cache";

/** One row of the per-project ranking. */
export interface ProjectRankingRow {
  site: string;
  year: number;
  project_id: string;
  metric: string;
  legacy_node_hours: number;
  current_node_hours: number;
  /** current - legacy: positive when the ledger finds more. */
  diff_node_hours: number;
  abs_node_hours: number;
  /** `both`, `legacy_only` or `current_only`. */
  flag: string;
}

/**
 * Builds `legacy_project_ranking` from the cache file and `project_hours.parquet`, writes it as
 * `legacy_project_ranking.parquet` into `outputDir`, and returns the largest discrepancies (the
 * rejected cache values go to the `legacy_audit` table, as with the site caches).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { buildProjectComparison } from "./projects.ts";
 * using db = await Duck.open();
 * const dir = await Deno.makeTempDir();
 * await db.run(`COPY (SELECT * FROM (VALUES (1, DATE '2025-03-01', 'p', 'bm', 10.0, 14.0))
 *   t(id, date, project_id, node_type, reserved_hours, used_hours)) TO '${dir}/cache.parquet'`);
 * await db.run(`COPY (SELECT * FROM (VALUES ('s', 'p', 'committed', 'nodes', 'bm', 'year', DATE '2025-01-01', 30.0),
 *   ('s', 'p', 'occupied_reservation', 'nodes', 'bm', 'year', DATE '2025-01-01', 14.0))
 *   t(site, project_id, metric, resource, node_type, period, period_start, hours)) TO '${dir}/project_hours.parquet'`);
 * const top = await buildProjectComparison(db, { site: "s", cache: `${dir}/cache.parquet`,
 *   projectHours: `${dir}/project_hours.parquet`, outputDir: dir,
 *   window: { start: "2025-01-01T00:00:00", end: "2026-01-01T00:00:00" } });
 * equal(top[0].metric, "committed");
 * equal(top[0].diff_node_hours, 6);
 * ```
 */
export async function buildProjectComparison(
  db: Duck,
  options: {
    site: string;
    cache: string;
    projectHours: string;
    outputDir: string;
    window: { start: string; end: string };
  },
): Promise<ProjectRankingRow[]> {
  await screenLegacyTable(db, {
    table: PROJECT_CACHE,
    path: options.cache,
    values: ["reserved_hours", "used_hours"],
    output: "legacy_project_cache",
  });
  const start = sqlLiteral(options.window.start.slice(0, 10));
  const end = sqlLiteral(options.window.end.slice(0, 19));
  await db.run(`
    CREATE OR REPLACE TEMP TABLE legacy_project_ranking AS
    WITH l AS (
      SELECT year(CAST(date AS DATE))::INTEGER AS year, coalesce(CAST(project_id AS VARCHAR), 'unknown') AS project_id,
        sum(coalesce(reserved_hours, 0) + coalesce(used_hours, 0))::DOUBLE AS committed,
        sum(coalesce(used_hours, 0))::DOUBLE AS occupied_reservation
      FROM legacy_project_cache
      WHERE CAST(date AS DATE) >= CAST(${start} AS DATE) AND CAST(date AS TIMESTAMP) < CAST(${end} AS TIMESTAMP)
      GROUP BY ALL
    ), ll AS (
      UNPIVOT l ON committed, occupied_reservation INTO NAME metric VALUE hours
    ), c AS (
      SELECT year(period_start)::INTEGER AS year, project_id, metric, sum(hours)::DOUBLE AS hours
      FROM read_parquet(${sqlLiteral(options.projectHours)})
      WHERE period = 'year' AND resource = 'nodes' AND metric IN ('committed', 'occupied_reservation')
        AND year(period_start) IN (SELECT year FROM l)
      GROUP BY ALL
    )
    SELECT ${sqlLiteral(options.site)} AS site, year, project_id, metric,
      coalesce(ll.hours, 0)::DOUBLE AS legacy_node_hours, coalesce(c.hours, 0)::DOUBLE AS current_node_hours,
      (coalesce(c.hours, 0) - coalesce(ll.hours, 0))::DOUBLE AS diff_node_hours,
      abs(coalesce(c.hours, 0) - coalesce(ll.hours, 0))::DOUBLE AS abs_node_hours,
      CASE WHEN ll.hours IS NULL THEN 'current_only' WHEN c.hours IS NULL THEN 'legacy_only' ELSE 'both' END AS flag
    FROM ll FULL JOIN c USING (year, project_id, metric)
    ORDER BY abs_node_hours DESC, year, project_id, metric`);
  await atomicWrite(
    join(options.outputDir, OUTPUT_FILES.legacyProjectRanking),
    (tmp) =>
      db.run(
        `COPY (SELECT * FROM legacy_project_ranking) TO ${sqlLiteral(tmp)} (FORMAT parquet)`,
      ),
  );
  return await db.json<ProjectRankingRow>("SELECT * FROM legacy_project_ranking LIMIT 10");
}

/** The columns 04 reads from the per-project cache (its real columns are not public). */
export const PROJECT_CACHE_COLUMNS = [
  "date",
  "project_id",
  "node_type",
  "reserved_hours",
  "used_hours",
] as const;

/**
 * Why the per-project cache cannot be compared (a note for the run), or null: the columns of the
 * fetched table lack one that 04 reads.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { projectCacheProblem } from "./projects.ts";
 * equal(projectCacheProblem(["id", "date", "project_id", "node_type", "reserved_hours", "used_hours"]), null);
 * equal(projectCacheProblem(["id", "date", "project", "hours"]),
 *   "04 per project skipped: chameleon_usage.node_project_usage_report_cache has no column project_id, node_type, reserved_hours, used_hours (found id, date, project, hours)");
 * ```
 */
export function projectCacheProblem(columns: readonly string[]): string | null {
  const lacking = PROJECT_CACHE_COLUMNS.filter((c) => !columns.includes(c));
  if (lacking.length === 0) return null;
  return `04 per project skipped: ${PROJECT_CACHE} has no column ${lacking.join(", ")} (found ${
    columns.join(", ")
  })`;
}
