/**
 * Span source: legacy maintenance records -> `maintenance` (DESIGN §4, §6).
 *
 * The legacy `chameleon_usage.node_maintenance` schema is not public, so its columns are mapped
 * per site (`legacy.node_maintenance` in sites.yaml): daily rows `host, date[, hours]` (a row
 * stands for `[date, date + hours)`, 24 hours when no hours column is mapped; consecutive daily
 * rows form contiguous windows) or windows `host, start, end`. Spans stay one per source row so
 * every span traces back to its row; adjacent spans of one host are one window to the sweepline.
 *
 * | case | outcome |
 * |---|---|
 * | a mapped column is missing from the table | the run fails naming the column |
 * | host NULL or blank | `missing_host` |
 * | date / start NULL | `missing_start` |
 * | zero or negative hours, end <= start | `phantom_span` |
 * | start >= as_of | `after_as_of` |
 * | no `reservable` window of the host overlaps | `orphan` |
 * | partly outside the host's `reservable` windows | the outside: `clipped` |
 * | while a Blazar allocation holds the host | the overlap: `committed_overlap` (committed wins) |
 * | else | `maintenance` span |
 *
 * @module
 */
import { quoteIdent } from "../registry.ts";
import { CANDIDATE_COLUMNS } from "./pieces.ts";
import type { SpanContext } from "./context.ts";

/** Source name of these spans. */
export const MAINTENANCE = "chameleon_usage.node_maintenance";

/**
 * Checks the site's column mapping against the staged table and builds `cand_maintenance` and
 * `rows_maintenance`.
 *
 * @example
 * ```ts ignore
 * await maintenanceCandidates(ctx);
 * ```
 */
export async function maintenanceCandidates(ctx: SpanContext): Promise<void> {
  const m = ctx.maintenance;
  const have = (await ctx.db.rows<{ column_name: string }>(
    "SELECT column_name FROM duckdb_columns() WHERE table_name = 'stg_chameleon_usage_node_maintenance'",
  )).map((r) => r.column_name);
  const mapped: [string, string | undefined][] = m.layout === "daily"
    ? [["host", m.host], ["date", m.date], ["hours", m.hours]]
    : [["host", m.host], ["start", m.start], ["end", m.end]];
  for (const [key, column] of mapped) {
    if (column !== undefined && !have.includes(column)) {
      throw new Error(
        `Cannot read "${MAINTENANCE}" with the site's mapping: column "${column}" (legacy.node_maintenance.${key}) is missing; the table has ${
          have.map((c) => `"${c}"`).join(", ")
        }`,
      );
    }
  }
  const q = (c: string) => quoteIdent(c, "duckdb");
  const start = m.layout === "daily"
    ? `CAST(${q(m.date)} AS TIMESTAMP)`
    : `CAST(${q(m.start)} AS TIMESTAMP)`;
  const end = m.layout === "daily"
    ? (m.hours
      ? `epoch_us(${start}) + CAST(round(CAST(${q(m.hours)} AS DOUBLE) * 3600000000) AS BIGINT)`
      : `epoch_us(${start}) + 86400000000`)
    : `epoch_us(CAST(${q(m.end)} AS TIMESTAMP))`;
  await ctx.db.run(`
    CREATE OR REPLACE TABLE cand_maintenance (${CANDIDATE_COLUMNS});
    INSERT INTO cand_maintenance
    -- pid only has to be unique (no ranking uses it here): numbered in scan order, no sort.
    SELECT row_number() OVER (), '${MAINTENANCE}', 'maintenance', id::VARCHAR,
      nullif(trim(CAST(${q(m.host)} AS VARCHAR)), ''), nullif(trim(CAST(${
    q(m.host)
  } AS VARCHAR)), ''),
      nullif(trim(CAST(${q(m.host)} AS VARCHAR)), ''),
      epoch_us(${start}), CASE WHEN ${start} IS NULL THEN NULL ELSE ${end} END, NULL, NULL, 1, NULL, NULL, NULL
    FROM stg_chameleon_usage_node_maintenance;
    CREATE OR REPLACE TABLE rows_maintenance AS SELECT row_id, s, e FROM cand_maintenance;`);
}
