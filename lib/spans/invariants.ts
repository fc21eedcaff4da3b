/**
 * The invariants of docs/design.md §8.1 and §8.2, exact in integer microseconds, checked on every run.
 *
 * For every source that has input rows:
 * - `rows`: input rows = rows with at least one valid piece + rows wholly rejected; every input row
 *   id appears in the spans or the audit, and no id appears that was not input.
 * - `seconds`: per row, input = valid + rejected, where input = `max(0, coalesce(end, as_of) -
 *   start)` (0 without a start). The check fails if any row differs.
 *
 * And for the replay of instance actions: per instance, occupied = active + stopped, with active
 * inside occupied (`check: "partition"`).
 *
 * @module
 */
import { type Duck, sqlBigint } from "../db/duckdb.ts";

/** One check of `invariants.json`. */
export interface InvariantCheck {
  source: string;
  check: "rows" | "seconds" | "partition";
  input: number;
  output: number;
  rejected: number;
  ok: boolean;
  /** rows: input ids that appear nowhere. */
  missing?: number;
  /** rows: ids in spans or audit that were not input. */
  invented?: number;
  /** seconds: rows whose valid + rejected seconds differ from their input seconds. */
  mismatched_rows?: number;
}

/** The whole `invariants.json`. */
export interface Invariants {
  ok: boolean;
  checks: InvariantCheck[];
}

const US = 1_000_000;

/**
 * Computes every check from the run's `input_rows`, `span_pieces` and `audit_pieces` tables
 * (times in microseconds; span pieces closed at as_of).
 *
 * @example
 * ```ts ignore
 * const inv = await checkInvariants(db, asOfUs);
 * if (!inv.ok) throw new Error(describeViolations(inv));
 * ```
 */
export async function checkInvariants(
  db: Duck,
  asOfUs: bigint,
  options: { partition?: boolean } = {},
): Promise<Invariants> {
  const asOf = sqlBigint(asOfUs);
  // One pass over all ids: valid and rejected sums per id (one aggregation over spans and audit;
  // NULL ids group together, as the UNION that counted invented ids had them), then a full join
  // with the input rows; ids only on the right are invented. This replaced a UNION and an
  // anti-join over the same ids, then two aggregations and a full join of their results.
  const rows = await db.json<Record<string, string | number>>(`
    WITH inp AS (
      SELECT source, row_id, CASE WHEN s IS NULL THEN 0 ELSE greatest(0, coalesce(e, ${asOf}) - s) END AS us
      FROM input_rows
    ), out AS (
      -- Valid and rejected time per source row in one aggregation over both tables (not two,
      -- then a full join of their results): 10x tacc has 10M input rows.
      SELECT source, row_id,
        sum(us) FILTER (WHERE valid)::HUGEINT AS valid_us,
        sum(us) FILTER (WHERE NOT valid)::HUGEINT AS rejected_us,
        bool_or(valid) AS has_valid, bool_or(NOT valid) AS has_rejected
      FROM (
        SELECT source, row_id, e - s AS us, true AS valid FROM span_pieces
        WHERE source IN (SELECT DISTINCT source FROM input_rows)
        UNION ALL
        SELECT source, row_id, us, false FROM audit_pieces
      ) GROUP BY source, row_id
    ), per_row AS (
      SELECT coalesce(i.source, o.source) AS source, i.source IS NOT NULL AS is_input, i.us AS input_us,
        coalesce(o.valid_us, 0) AS valid_us, coalesce(o.rejected_us, 0) AS rejected_us,
        coalesce(o.has_valid, false) AS has_valid, coalesce(o.has_rejected, false) AS has_rejected
      FROM inp i FULL JOIN out o ON o.source = i.source AND o.row_id = i.row_id
    )
    SELECT source,
      count(*) FILTER (WHERE is_input) AS input_rows,
      count(*) FILTER (WHERE is_input AND has_valid) AS valid_rows,
      count(*) FILTER (WHERE is_input AND NOT has_valid AND has_rejected) AS rejected_rows,
      count(*) FILTER (WHERE is_input AND NOT has_valid AND NOT has_rejected) AS missing_rows,
      count(*) FILTER (WHERE NOT is_input) AS invented_rows,
      (sum(input_us) FILTER (WHERE is_input))::HUGEINT AS input_us,
      (sum(valid_us) FILTER (WHERE is_input))::HUGEINT AS valid_us,
      (sum(rejected_us) FILTER (WHERE is_input))::HUGEINT AS rejected_us,
      count(*) FILTER (WHERE is_input AND input_us <> valid_us + rejected_us) AS mismatched_rows
    FROM per_row
    GROUP BY source HAVING count(*) FILTER (WHERE is_input) > 0 ORDER BY source`);
  const checks: InvariantCheck[] = [];
  for (const r of rows) {
    const n = (k: string) => Number(r[k]);
    const rowsOk = n("input_rows") === n("valid_rows") + n("rejected_rows") &&
      n("missing_rows") === 0 &&
      n("invented_rows") === 0;
    checks.push({
      source: String(r.source),
      check: "rows",
      input: n("input_rows"),
      output: n("valid_rows"),
      rejected: n("rejected_rows"),
      ok: rowsOk,
      missing: n("missing_rows"),
      invented: n("invented_rows"),
    });
    const exact = BigInt(r.input_us) === BigInt(r.valid_us) + BigInt(r.rejected_us) &&
      n("mismatched_rows") === 0;
    checks.push({
      source: String(r.source),
      check: "seconds",
      input: n("input_us") / US,
      output: n("valid_us") / US,
      rejected: n("rejected_us") / US,
      ok: exact,
      mismatched_rows: n("mismatched_rows"),
    });
  }
  if (options.partition === false) return { ok: checks.every((c) => c.ok), checks };
  const partition = await db.json<Record<string, string>>(`
    WITH occ AS (SELECT row_id, sum(e - s)::HUGEINT AS us FROM span_pieces WHERE metric LIKE 'occupied_%' GROUP BY row_id),
    act AS (SELECT row_id, sum(e - s)::HUGEINT AS us FROM span_pieces WHERE metric LIKE 'active_%' GROUP BY row_id),
    stp AS (SELECT row_id, sum(e - s)::HUGEINT AS us FROM stopped_pieces GROUP BY row_id),
    outside AS (
      SELECT count(*) AS n FROM span_pieces a WHERE a.metric LIKE 'active_%' AND NOT EXISTS (
        SELECT 1 FROM span_pieces o WHERE o.metric LIKE 'occupied_%' AND o.row_id = a.row_id AND o.s <= a.s AND a.e <= o.e)
    )
    SELECT coalesce(sum(occ.us), 0)::HUGEINT AS occ, coalesce(sum(act.us), 0)::HUGEINT AS act, coalesce(sum(stp.us), 0)::HUGEINT AS stp,
      count(*) FILTER (WHERE occ.us <> coalesce(act.us, 0) + coalesce(stp.us, 0)) AS bad,
      (SELECT n FROM outside) AS outside
    FROM occ LEFT JOIN act USING (row_id) LEFT JOIN stp USING (row_id)`);
  if (partition.length > 0) {
    const p = partition[0];
    checks.push({
      source: "nova.instance_actions",
      check: "partition",
      input: Number(p.occ) / US,
      output: Number(p.act) / US,
      rejected: Number(p.stp) / US,
      ok: BigInt(p.occ) === BigInt(p.act) + BigInt(p.stp) && Number(p.bad) === 0 &&
        Number(p.outside) === 0,
      mismatched_rows: Number(p.bad) + Number(p.outside),
    });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * One line per failed check, naming the source, the check and the numbers.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { describeViolations } from "./invariants.ts";
 * equal(
 *   describeViolations({ ok: false, checks: [{ source: "nova.instances", check: "rows", input: 10,
 *     output: 7, rejected: 2, ok: false, missing: 1, invented: 0 }] }),
 *   'Invariant "rows" violated for "nova.instances": input 10, valid 7, rejected 2, missing 1, invented 0',
 * );
 * ```
 */
export function describeViolations(inv: Invariants): string {
  return inv.checks.filter((c) => !c.ok).map((c) => {
    const extra = c.check === "rows"
      ? `, missing ${c.missing ?? 0}, invented ${c.invented ?? 0}`
      : `, rows that differ ${c.mismatched_rows ?? 0}`;
    return `Invariant "${c.check}" violated for "${c.source}": input ${c.input}, valid ${c.output}, rejected ${c.rejected}${extra}`;
  }).join("\n");
}
