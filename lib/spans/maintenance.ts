/**
 * Span source: legacy maintenance records -> `maintenance` (docs/design.md §4, §6).
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
 * | hours not a number, not finite, or over 100,000 (`1e300`) | `unreadable_value` (0 seconds, the value in the detail) |
 * | zero or negative hours, end <= start | `phantom_span` |
 * | start >= as_of | `after_as_of` |
 * | no `reservable` window of the host overlaps | `orphan` |
 * | partly outside the host's `reservable` windows | the outside: `clipped` |
 * | while a Blazar allocation holds the host | the overlap: `committed_overlap` (committed wins) |
 * | else | `maintenance` span |
 *
 * @module
 */
import { sqlIdent, sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import type { SpanContext } from "./context.ts";
import type { RecordsPlan, StagedSource } from "./plan.ts";
import { normalHostname } from "./staging.ts";

/** Largest maintenance hours of one daily row that is read (more is `unreadable_value`). */
const MAX_HOURS = 100_000;

/** Source name of these spans. */
export const MAINTENANCE = "chameleon_usage.node_maintenance";

/**
 * Checks the site's column mapping against the staged table and builds the candidates (the host
 * column normalised here: the legacy table is staged as it is).
 */
async function maintenanceCandidates(ctx: SpanContext): Promise<StagedSource> {
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
  const q = (c: string) => sqlIdent(c, "duckdb");
  const start = m.layout === "daily"
    ? `CAST(${q(m.date)} AS TIMESTAMP)`
    : `CAST(${q(m.start)} AS TIMESTAMP)`;
  // An hours value that is no finite number of at most MAX_HOURS is unreadable: the row is set
  // apart (0 seconds) with the value in its detail, never a crash of the cast below.
  const hours = m.layout === "daily" && m.hours ? q(m.hours) : null;
  const hoursValue = hours ? `TRY_CAST(${hours} AS DOUBLE)` : null;
  const unreadable = hours
    ? `(${hours} IS NOT NULL AND (${hoursValue} IS NULL OR NOT isfinite(${hoursValue}) OR abs(${hoursValue}) > ${MAX_HOURS}))`
    : "false";
  const end = m.layout === "daily"
    ? (hours
      ? `epoch_us(${start}) + CAST(round(${hoursValue} * 3600000000) AS BIGINT)`
      : `epoch_us(${start}) + 86400000000`)
    : `epoch_us(CAST(${q(m.end)} AS TIMESTAMP))`;
  const detail = hours
    ? `CASE WHEN ${unreadable} THEN ${
      sqlLiteral(
        `column "${m.layout === "daily" ? m.hours : ""}" (legacy.node_maintenance.hours) = `,
      )
    } || CAST(${hours} AS VARCHAR) || ${
      sqlLiteral(`: expected a finite number of hours up to ${MAX_HOURS}`)
    } END`
    : "NULL";
  const c = await createCandidates(ctx.db, "cand_maintenance");
  await ctx.db.run(`
    INSERT INTO ${c.name} BY NAME
    WITH m AS (
      SELECT *, ${normalHostname(q(m.host))} AS host_name_ FROM stg_chameleon_usage_node_maintenance
    )
    -- pid only has to be unique (no ranking uses it here): numbered in scan order, no sort.
    SELECT row_number() OVER () AS pid, ${sqlLiteral(MAINTENANCE)} AS source,
      'maintenance' AS metric, id::VARCHAR AS row_id, host_name_ AS entity_id,
      host_name_ AS hostname, host_name_ AS parent_key, epoch_us(${start}) AS s,
      CASE WHEN ${start} IS NULL THEN NULL WHEN ${unreadable} THEN epoch_us(${start})
        ELSE ${end} END AS e,
      CASE WHEN ${start} IS NOT NULL AND ${unreadable} THEN 'unreadable_value' END AS reject,
      ${detail} AS detail, 1 AS nodes
    FROM m`);
  return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, "rows_maintenance") };
}

/**
 * The plan of legacy maintenance records (decision table above): `maintenance` within the host's
 * `reservable` windows, less what is `committed`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { MAINTENANCE_PLAN } from "./maintenance.ts";
 * equal(MAINTENANCE_PLAN.subtract?.reason, "committed_overlap");
 * ```
 */
export const MAINTENANCE_PLAN: RecordsPlan = {
  kind: "records",
  source: MAINTENANCE,
  writes: ["maintenance"],
  tables: [MAINTENANCE],
  absentNote: `${MAINTENANCE} is absent: no maintenance series (admittable = reservable)`,
  enabled: (rules) => rules.maintenance,
  chain: "hosts",
  reasons: ["unreadable_value"],
  resources: ["nodes"],
  parent: { layer: "reservable", orphanDetail: "the host's reservable windows" },
  subtract: {
    layer: "committed",
    reason: "committed_overlap",
    detail: "a Blazar allocation held the host",
  },
  stage: maintenanceCandidates,
};
