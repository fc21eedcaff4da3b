/**
 * The data the site report's charts draw (docs/design.md §12), read from one output set and
 * aggregated in DuckDB before it reaches JavaScript: bucket means, not every daily row.
 *
 * @module
 */
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { exists } from "../fs.ts";
import { OUTPUT_FILES } from "../outputs/files.ts";
import { LEAF_METRICS, type Resource, RESOURCES } from "../metrics.ts";
import { readLegacyDailySums, readUsageBuckets, type UsageRow } from "../plots/mod.ts";

/** The metrics the usage charts stack: the leaves, with total and reservable as lines. */
export const CHART_METRICS: string[] = [...LEAF_METRICS, "total", "reservable"];

/**
 * What the charts draw, aggregated in DuckDB (one row per bucket or day, not every row): usage
 * per resource summed over node types, the headline resource per node type, and the legacy comparison summed over
 * node types (null when the file is absent).
 *
 * @example
 * ```ts ignore
 * const { usage, nodesByType } = await readChartData(db, "output/demo", "week", "nodes");
 * ```
 */
export async function readChartData(
  db: Duck,
  out: string,
  bucket: "day" | "week" | "month",
  headline: Resource,
) {
  const daily = join(out, OUTPUT_FILES.usageDaily);
  const metrics = CHART_METRICS;
  const usage = {} as Record<Resource, UsageRow[]>;
  for (const resource of RESOURCES) {
    usage[resource] = await readUsageBuckets(daily, {
      resource,
      metrics,
      sumNodeTypes: true,
      bucket,
      db,
    });
  }
  const nodesByType = await readUsageBuckets(daily, { resource: headline, metrics, bucket, db });
  const compPath = join(out, OUTPUT_FILES.legacyComparison);
  const comparison = await exists(compPath) ? await readLegacyDailySums(compPath, { db }) : null;
  return { usage, nodesByType, comparison };
}
