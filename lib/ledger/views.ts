/**
 * Views of stage 03's outputs for notebooks and reports: the step functions of `usage.parquet`
 * resampled to any bucket (exact time-weighted means, `lib/math/resample.ts`), and the hours
 * ledger as a month x state table.
 *
 * @module
 */
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { exists } from "../fs.ts";
import { type Bucket, resampleSteps } from "../math/resample.ts";
import { LEAF_METRICS, type Resource, RESOURCES } from "../metrics.ts";
import { utcUs } from "../time.ts";

/** One bucket of one series. */
export interface UsagePoint {
  metric: string;
  node_type: string;
  /** Bucket start, `YYYY-MM-DD HH:MM:SS` UTC. */
  timestamp: string;
  /** Bucket length in seconds (the first and last may be partial). */
  seconds: number;
  /** Time-weighted mean over the bucket. */
  value: number;
}

async function need(path: string): Promise<string> {
  if (!(await exists(path))) {
    throw new Error(`Cannot read "${path}": the file is missing (run the pipeline first)`);
  }
  return path;
}

function checkResource(resource: string): Resource {
  if (!(RESOURCES as readonly string[]).includes(resource)) {
    throw new Error(`Unknown resource "${resource}": expected one of ${RESOURCES.join(", ")}`);
  }
  return resource as Resource;
}

/**
 * The step functions of one resource from `usage.parquet`, resampled to `bucket` over the window
 * `[start, end)`: per metric, node type and bucket the exact time-weighted mean. Metrics default
 * to every metric in the file.
 *
 * @example
 * ```ts ignore
 * const weeks = await resampledUsage(db, "output/demo", { bucket: "week", resource: "nodes",
 *   start: "2025-01-01", end: "2026-01-01" });
 * ```
 */
export async function resampledUsage(
  db: Duck,
  outputDir: string,
  options: {
    bucket: Bucket;
    resource: string;
    start: string;
    end: string;
    metrics?: readonly string[];
  },
): Promise<UsagePoint[]> {
  const resource = checkResource(options.resource);
  const path = await need(join(outputDir, "usage.parquet"));
  const from = utcUs(options.start), to = utcUs(options.end);
  if (to <= from) {
    throw new Error(
      `Cannot resample: expected the window end after its start, found [${options.start}, ${options.end})`,
    );
  }
  const metricFilter = options.metrics
    ? `AND metric IN (${options.metrics.map(sqlLiteral).join(", ")})`
    : "";
  await db.run(`
    CREATE OR REPLACE TEMP TABLE view_steps AS
    SELECT metric, node_type, epoch_us(timestamp) AS t, value AS v
    FROM read_parquet(${sqlLiteral(path)})
    WHERE collector_type = 'current' AND resource = ${sqlLiteral(resource)} ${metricFilter}`);
  await resampleSteps(db, {
    steps: "view_steps",
    groups: ["metric", "node_type"],
    values: ["v"],
    bucket: options.bucket,
    from,
    to,
    output: "view_resampled",
  });
  const rows = await db.json<UsagePoint>(`
    SELECT metric, node_type, strftime(bucket_start, '%Y-%m-%d %H:%M:%S') AS timestamp,
      seconds::DOUBLE AS seconds, mean_v::DOUBLE AS value
    FROM view_resampled ORDER BY metric, node_type, bucket_start`);
  await db.run("DROP TABLE view_steps; DROP TABLE view_resampled");
  return rows;
}

/** One month of the hours ledger: resource-hours per leaf state and total. */
export interface MonthHours {
  month: string;
  total: number;
  /** Sum of the leaf states; equals `total` (the stack invariant). */
  leaves: number;
  [metric: string]: number | string;
}

/**
 * The hours ledger of one resource by month, summed over node types: one column per leaf state,
 * `total`, and the sum of the leaves (which equals total).
 *
 * @example
 * ```ts ignore
 * const months = await hoursByMonth(db, "output/demo", "nodes");
 * ```
 */
export async function hoursByMonth(
  db: Duck,
  outputDir: string,
  resource: string,
): Promise<MonthHours[]> {
  const r = checkResource(resource);
  const path = await need(join(outputDir, "hours.parquet"));
  const cols = ["total", ...LEAF_METRICS];
  const rows = await db.json<Record<string, number | string>>(`
    SELECT strftime(period_start, '%Y-%m') AS month,
      ${
    cols.map((m) => `coalesce(sum(hours) FILTER (WHERE metric = '${m}'), 0)::DOUBLE AS ${m}`)
      .join(", ")
  }
    FROM read_parquet(${sqlLiteral(path)})
    WHERE period = 'month' AND collector_type = 'current' AND resource = ${sqlLiteral(r)}
    GROUP BY ALL ORDER BY month`);
  return rows.map((row) => ({
    ...row,
    leaves: LEAF_METRICS.reduce((a, m) => a + Number(row[m]), 0),
  })) as MonthHours[];
}

/** One project's resource-hours in one year, summed over node types. */
export interface ProjectYear {
  year: number;
  project_id: string;
  committed: number;
  operator_hold: number;
  occupied_reservation: number;
  occupied_ondemand: number;
  /** committed - occupied_reservation: what the project reserved and did not use. */
  idle: number;
  /** occupied_reservation / committed; null without commitments. */
  use_of_committed: number | null;
}

/**
 * Resource-hours per project and year from `project_hours.parquet` (summed over node types), in
 * the order of the year, then committed hours (most first); null when the set has no such file
 * (a run older than the file).
 *
 * @example
 * ```ts ignore
 * const projects = await projectsByYear(db, "output/demo", "nodes");
 * ```
 */
export async function projectsByYear(
  db: Duck,
  outputDir: string,
  resource: string,
): Promise<ProjectYear[] | null> {
  const r = checkResource(resource);
  const path = join(outputDir, "project_hours.parquet");
  if (!(await exists(path))) return null;
  const metrics = ["committed", "operator_hold", "occupied_reservation", "occupied_ondemand"];
  const rows = await db.json<Omit<ProjectYear, "idle" | "use_of_committed">>(`
    SELECT year(period_start)::INTEGER AS year, project_id,
      ${
    metrics.map((m) => `coalesce(sum(hours) FILTER (WHERE metric = '${m}'), 0)::DOUBLE AS ${m}`)
      .join(", ")
  }
    FROM read_parquet(${sqlLiteral(path)})
    WHERE period = 'year' AND resource = ${sqlLiteral(r)}
    GROUP BY ALL ORDER BY year, committed DESC, project_id`);
  return rows.map((p) => ({
    ...p,
    idle: p.committed - p.occupied_reservation,
    use_of_committed: p.committed > 1e-9 ? p.occupied_reservation / p.committed : null,
  }));
}
