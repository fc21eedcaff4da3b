/**
 * The common path every span source takes from candidate rows to valid spans and audit pieces.
 *
 * A source builds a candidate table (one or more pieces per source row, see
 * {@linkcode CANDIDATE_COLUMNS}) and an input-row table `(row_id, s, e)`. Then:
 *
 * | step | rule | audit reason |
 * |---|---|---|
 * | 1 | the source's own verdict (`reject` column) | as the source says |
 * | 2 | no start | `missing_start` |
 * | 3 | no host, where the source needs one | `missing_host` |
 * | 4 | end at or before start | `phantom_span` |
 * | 5 | starts at or after `as_of` | `after_as_of` (whole row) |
 * | 6 | ends after `as_of` | the part after it: `after_as_of` |
 * | 7 | optional: overlaps an earlier record of the same host | the covered part: `duplicate_conflict` |
 * | 8 | optional: clamped to parent windows of the same key | outside: `clipped`; nothing inside: `orphan` |
 * | 9 | what remains | valid span |
 *
 * Times are BIGINT microseconds since the epoch throughout; `e` NULL means open at the snapshot.
 *
 * @module
 */
import { type Duck, enumType } from "../db/duckdb.ts";
import { MEASURED_METRICS } from "../metrics.ts";
import { REASONS } from "./reasons.ts";
import { excludeOverlaps, splitByWindows } from "../math/windows.ts";

/**
 * Columns of a candidate table, in order. `source`, `metric` and `reason` are ENUMs (the types
 * {@linkcode createCollectors} makes): pieces are grouped, joined and sorted by them many times,
 * and a one-byte key is cheaper than a string; a name outside the type fails the statement.
 */
export const CANDIDATE_COLUMNS = `
  pid BIGINT, source span_source, metric span_metric, row_id VARCHAR, entity_id VARCHAR,
  hostname VARCHAR, parent_key VARCHAR, s BIGINT, e BIGINT, reject VARCHAR, detail VARCHAR,
  nodes DOUBLE, vcpus DOUBLE, memory_mb DOUBLE, disk_gb DOUBLE`;

/**
 * Creates the ENUM types `span_source` (the given source names), `span_metric` (the measured
 * metrics) and `span_reason` (the audit reasons), and the run-wide tables that collect spans,
 * audit pieces and input rows.
 */
export async function createCollectors(db: Duck, sources: readonly string[]): Promise<void> {
  await db.run(`
    DROP TABLE IF EXISTS span_pieces; DROP TABLE IF EXISTS audit_pieces; DROP TABLE IF EXISTS input_rows;
    DROP TYPE IF EXISTS span_source; DROP TYPE IF EXISTS span_metric; DROP TYPE IF EXISTS span_reason;
    CREATE TYPE span_source AS ${enumType(sources)};
    CREATE TYPE span_metric AS ${enumType(MEASURED_METRICS)};
    CREATE TYPE span_reason AS ${enumType(Object.keys(REASONS))};`);
  await db.run(`
    CREATE OR REPLACE TABLE span_pieces (
      source span_source, metric span_metric, row_id VARCHAR, entity_id VARCHAR, hostname VARCHAR,
      s BIGINT, e BIGINT, nodes DOUBLE, vcpus DOUBLE, memory_mb DOUBLE, disk_gb DOUBLE);
    CREATE OR REPLACE TABLE audit_pieces (
      source span_source, row_id VARCHAR, reason span_reason, s BIGINT, e BIGINT, us BIGINT,
      hostname VARCHAR, detail VARCHAR);
    CREATE OR REPLACE TABLE input_rows (source span_source, row_id VARCHAR, s BIGINT, e BIGINT);`);
}

/** How one source's candidates are resolved. */
export interface SourcePlan {
  /** Source name written to spans and audit, e.g. `nova.compute_nodes`. */
  source: string;
  /** Candidate table (columns of {@linkcode CANDIDATE_COLUMNS}). */
  candidates: string;
  /** Input rows `(row_id, s, e)`: the interval each source row stands for (for invariant 2). */
  rows: string;
  /** Reject candidates without a hostname as `missing_host`. @default {true} */
  requireHost?: boolean;
  /** Exclude overlaps per hostname, earlier-ranked rows winning (ranking columns of the candidates). */
  dedupe?: { order: readonly string[] };
}

/** The as_of instant in microseconds, as SQL. */
function us(asOfUs: bigint): string {
  return `${asOfUs}::BIGINT`;
}

/**
 * Steps 1-7: records input rows, sends rejected rows and pieces to the audit, and leaves the
 * remaining pieces in `<candidates>_live` (closed at `as_of`).
 */
export async function screenSource(db: Duck, plan: SourcePlan, asOfUs: bigint): Promise<string> {
  const c = plan.candidates;
  const live = `${c}_live`;
  const asOf = us(asOfUs);
  const needHost = plan.requireHost ?? true;
  await db.run(`INSERT INTO input_rows SELECT '${plan.source}', row_id, s, e FROM ${plan.rows}`);
  // A view, not a copy of every candidate (650k maintenance rows): its three readers below each
  // scan the candidates once and evaluate the verdict again, which is cheaper than materializing.
  await db.run(`
    CREATE OR REPLACE VIEW ${c}_why AS
    SELECT *, CASE
      WHEN reject IS NOT NULL THEN reject
      WHEN s IS NULL THEN 'missing_start'
      ${needHost ? "WHEN hostname IS NULL THEN 'missing_host'" : ""}
      WHEN e IS NOT NULL AND e <= s THEN 'phantom_span'
      WHEN s >= ${asOf} THEN 'after_as_of'
    END AS why
    FROM ${c}`);
  await db.run(`
    INSERT INTO audit_pieces
    SELECT source, row_id, why, s, e,
      CASE WHEN s IS NULL THEN 0 ELSE greatest(0, coalesce(e, ${asOf}) - s) END,
      hostname, detail
    FROM ${c}_why WHERE why IS NOT NULL`);
  await db.run(`
    INSERT INTO audit_pieces
    SELECT source, row_id, 'after_as_of', ${asOf}, e, e - ${asOf}, hostname, detail
    FROM ${c}_why WHERE why IS NULL AND e > ${asOf}`);
  await db.run(`
    CREATE OR REPLACE TABLE ${live} AS
    SELECT * EXCLUDE (why) REPLACE (least(coalesce(e, ${asOf}), ${asOf}) AS e)
    FROM ${c}_why WHERE why IS NULL`);
  await db.run(`DROP VIEW ${c}_why`);
  if (plan.dedupe) {
    await excludeOverlaps(db, {
      input: live,
      key: "hostname",
      order: plan.dedupe.order,
      kept: `${live}_kept`,
      dropped: `${live}_dup`,
    });
    await db.run(`
      INSERT INTO audit_pieces
      SELECT l.source, l.row_id, 'duplicate_conflict', d.s, d.e, d.e - d.s, l.hostname,
        'covered by row ' || w.row_id
      FROM ${live}_dup d JOIN ${live} l USING (pid) JOIN ${live} w ON w.pid = d.winner`);
    await db.run(`CREATE OR REPLACE TABLE ${live} AS SELECT * FROM ${live}_kept`);
    await db.run(`DROP TABLE ${live}_kept; DROP TABLE ${live}_dup`);
  }
  return live;
}

/**
 * Steps 8-9: clamps live pieces to parent windows (a table with `parent_key, s, e`) and writes
 * what is inside as spans, what is outside to the audit. Without parents, every live piece is a
 * span. With `subtract`, the part of the inside that falls in those windows (same key) goes to
 * the audit with the given reason instead.
 */
export async function settleSource(
  db: Duck,
  live: string,
  options: {
    parents?: string;
    orphanDetail?: string;
    subtract?: { windows: string; reason: string; detail: string };
  } = {},
): Promise<void> {
  const spanColumns =
    "source, metric, row_id, entity_id, hostname, s, e, nodes, vcpus, memory_mb, disk_gb";
  let inside = live;
  if (options.parents) {
    await splitByWindows(db, {
      children: live,
      windows: options.parents,
      key: "parent_key",
      inside: `${live}_in`,
      outside: `${live}_out`,
    });
    const detail = sqlText(options.orphanDetail ?? "no parent window");
    await db.run(`
      INSERT INTO audit_pieces
      SELECT l.source, l.row_id, CASE o.why WHEN 'partial' THEN 'clipped' ELSE 'orphan' END,
        o.s, o.e, o.e - o.s, l.hostname,
        CASE o.why WHEN 'partial' THEN 'outside ' ELSE '' END || ${detail}
      FROM ${live}_out o JOIN ${live} l USING (pid)`);
    await db.run(`DROP TABLE ${live}_out`);
    inside = `${live}_in`;
  }
  if (options.subtract) {
    await db.run(
      `CREATE OR REPLACE TABLE ${live}_in2 AS SELECT * REPLACE (row_number() OVER () AS pid) FROM ${inside}`,
    );
    await splitByWindows(db, {
      children: `${live}_in2`,
      windows: options.subtract.windows,
      key: "parent_key",
      inside: `${live}_hit`,
      outside: `${live}_keep`,
    });
    await db.run(`
      INSERT INTO audit_pieces
      SELECT source, row_id, ${sqlText(options.subtract.reason)}, s, e, e - s, hostname, ${
      sqlText(options.subtract.detail)
    }
      FROM ${live}_hit`);
    await db.run(`
      INSERT INTO span_pieces
      SELECT ${
      spanColumns.split(", ").map((c) => c === "s" || c === "e" ? `k.${c}` : `i.${c}`).join(", ")
    }
      FROM ${live}_keep k JOIN ${live}_in2 i USING (pid)`);
    await db.run(`DROP TABLE ${live}_in2; DROP TABLE ${live}_hit; DROP TABLE ${live}_keep`);
  } else {
    await db.run(`INSERT INTO span_pieces SELECT ${spanColumns} FROM ${inside}`);
  }
  if (inside !== live) await db.run(`DROP TABLE ${inside}`);
}

/** A SQL string literal for fixed text written by this module. */
function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
