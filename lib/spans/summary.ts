/**
 * Summaries of stage 02's outputs for notebooks and reports: the audit by reason and year, and
 * what each span rule added, excluded or inferred, in hours.
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import type { Duck } from "../db/duckdb.ts";
import { EVIDENCE_SOURCES } from "./evidence.ts";

/** One row of the audit summary. */
export interface AuditSummaryRow {
  site: string;
  source: string;
  reason: string;
  /** Year of the piece's start; null when the row has no start. */
  year: number | null;
  rows: number;
  hours: number;
}

/**
 * Rows and hours of `audit.parquet` by site, source, reason and year of start, most hours first.
 *
 * @example
 * ```ts ignore
 * const rows = await auditSummary(db, "output/demo/audit.parquet");
 * ```
 */
export async function auditSummary(db: Duck, auditPath: string): Promise<AuditSummaryRow[]> {
  return await db.json<AuditSummaryRow>(`
    SELECT site, source, reason, year(start)::INTEGER AS year, count(DISTINCT source_row_id)::INTEGER AS rows,
      (sum(seconds) / 3600)::DOUBLE AS hours
    FROM read_parquet(${sqlLiteral(auditPath)})
    GROUP BY ALL ORDER BY hours DESC, rows DESC, source, reason, year`);
}

/** One rule's effect. */
export interface RuleEffect {
  rule: string;
  /** What it did: `added`, `excluded`, `inferred`, `split`. */
  effect: string;
  source: string;
  metric: string;
  /** Node-hours (spans) or hours (audit pieces). */
  hours: number;
}

/**
 * What each rule of the span stage did, in node-hours: evidence spans added per source and
 * metric, duplicates excluded, pool membership left unknown, maintenance set aside under
 * committed, shelved time, and the stopped part of occupied time.
 *
 * @example
 * ```ts ignore
 * const effects = await ruleEffects(db, "output/demo/spans.parquet", "output/demo/audit.parquet", "2026-06-01T00:00:00");
 * ```
 */
export async function ruleEffects(
  db: Duck,
  spansPath: string,
  auditPath: string,
  asOf: string,
): Promise<RuleEffect[]> {
  const s = sqlLiteral(spansPath), a = sqlLiteral(auditPath);
  const asOfTs = `${sqlLiteral(asOf.replace("T", " "))}::TIMESTAMP`;
  const hours = `(epoch(coalesce("end", ${asOfTs})) - epoch(start)) / 3600 * nodes`;
  const evidence = [...EVIDENCE_SOURCES, "nova.services"].map(sqlLiteral).join(", ");
  return await db.json<RuleEffect>(`
    WITH sp AS (SELECT source, metric, ${hours} AS h FROM read_parquet(${s})),
    au AS (SELECT source, reason, seconds / 3600 AS h FROM read_parquet(${a}))
    SELECT 'evidence' AS rule, 'added' AS effect, source, metric, sum(h)::DOUBLE AS hours FROM sp
      WHERE source IN (${evidence}) GROUP BY ALL
    UNION ALL
    SELECT 'conflict exclusion', 'excluded', source, 'duplicate_conflict', sum(h) FROM au WHERE reason = 'duplicate_conflict' GROUP BY ALL
    UNION ALL
    SELECT 'three-state pool', 'inferred', source, metric, sum(h) FROM sp WHERE metric = 'pool_unknown' GROUP BY ALL
    UNION ALL
    SELECT 'maintenance mask', 'excluded', source, 'committed_overlap', sum(h) FROM au WHERE reason = 'committed_overlap' GROUP BY ALL
    UNION ALL
    SELECT 'maintenance mask', 'added', source, metric, sum(h) FROM sp WHERE metric = 'maintenance' GROUP BY ALL
    UNION ALL
    SELECT 'active vs occupied', 'split', 'nova.instance_actions', 'stopped',
      (SELECT sum(h) FROM sp WHERE metric LIKE 'occupied_%') - (SELECT sum(h) FROM sp WHERE metric LIKE 'active_%')
    UNION ALL
    SELECT 'shelve-offload', 'excluded', source, 'shelved_offloaded', sum(h) FROM au WHERE reason = 'shelved_offloaded' GROUP BY ALL
    ORDER BY rule, source, metric`);
}

/** Spans and node-hours of one source and metric. */
export interface SourceHours {
  source: string;
  metric: string;
  spans: number;
  /** Spans still open at the snapshot (measured to as_of). */
  open: number;
  node_hours: number;
}

/**
 * Spans and node-hours per source and metric of `spans.parquet` (open spans measured to
 * `asOf`): what each source adds, e.g. the host spine's `nova.compute_nodes` against the
 * evidence of allocations and instances.
 *
 * @example
 * ```ts ignore
 * const rows = await spansBySource(db, "output/demo/spans.parquet", "2026-06-01T00:00:00");
 * ```
 */
export async function spansBySource(
  db: Duck,
  spansPath: string,
  asOf: string,
): Promise<SourceHours[]> {
  const asOfTs = `${sqlLiteral(asOf.replace("T", " "))}::TIMESTAMP`;
  return await db.json<SourceHours>(`
    SELECT source, metric, count(*)::INTEGER AS spans,
      count(*) FILTER (WHERE "end" IS NULL)::INTEGER AS open,
      (sum((epoch(coalesce("end", ${asOfTs})) - epoch(start)) * nodes) / 3600)::DOUBLE AS node_hours
    FROM read_parquet(${sqlLiteral(spansPath)})
    GROUP BY ALL ORDER BY metric, node_hours DESC, source`);
}

/**
 * The host with the most layers (distinct metrics) in `spans.parquet`, then the most spans, ties
 * broken by hostname: a good first host for a timeline. Null when no span has a host.
 *
 * @example
 * ```ts ignore
 * const host = await busiestHost(db, "output/demo/spans.parquet");
 * ```
 */
export async function busiestHost(db: Duck, spansPath: string): Promise<string | null> {
  const [row] = await db.json<{ host: string }>(`
    SELECT hypervisor_hostname AS host FROM read_parquet(${sqlLiteral(spansPath)})
    WHERE hypervisor_hostname IS NOT NULL
    GROUP BY ALL ORDER BY count(DISTINCT metric) DESC, count(*) DESC, host LIMIT 1`);
  return row?.host ?? null;
}
