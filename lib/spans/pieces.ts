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
import { sqlLiteral } from "../sql.ts";
import { type Duck, enumType, sqlBigint } from "../db/duckdb.ts";
import { MEASURED_METRICS } from "../metrics.ts";
import { REASONS } from "./reasons.ts";
import { excludeOverlaps, splitByWindows } from "../math/windows.ts";
import { type TableHandle, tableHandle } from "./plan.ts";

/**
 * Columns of a candidate table (sources insert into it by name: a column they do not name is
 * NULL; a plan that sets no `project_id` gives spans of project `unknown`). `source`, `metric` and `reason` are ENUMs (the types
 * {@linkcode createCollectors} makes): pieces are grouped, joined and sorted by them many times,
 * and a one-byte key is cheaper than a string; a name outside the type fails the statement.
 */
export const CANDIDATE_COLUMNS = `
  pid BIGINT, source span_source, metric span_metric, row_id VARCHAR, entity_id VARCHAR,
  hostname VARCHAR, parent_key VARCHAR, s BIGINT, e BIGINT, reject VARCHAR, detail VARCHAR,
  nodes DOUBLE, vcpus DOUBLE, memory_mb DOUBLE, disk_gb DOUBLE, devices DOUBLE,
  project_id VARCHAR`;

/**
 * Creates the ENUM types `span_source` (the given source names), `span_metric` (the measured
 * metrics) and `span_reason` (the audit reasons; `duplicate_key` only with `duplicateKeys`), and
 * the run-wide tables that collect spans,
 * audit pieces and input rows.
 */
export async function createCollectors(
  db: Duck,
  sources: readonly string[],
  options: { duplicateKeys?: boolean; operatorHolds?: boolean } = {},
): Promise<void> {
  // `duplicate_key` is in the type only when staging set rows apart: the parquet writer writes an
  // ENUM's whole dictionary, so `audit.parquet` of a run without duplicates stays byte for byte
  // what it was before the reason existed.
  // Likewise `operator_hold`, only for a site with `ops_projects`.
  const reasons = Object.keys(REASONS).filter((r) =>
    (r !== "duplicate_key" || options.duplicateKeys) &&
    (r !== "operator_hold" || options.operatorHolds)
  );
  await db.run(`
    DROP TABLE IF EXISTS span_pieces; DROP TABLE IF EXISTS audit_pieces; DROP TABLE IF EXISTS input_rows;
    DROP TYPE IF EXISTS span_source; DROP TYPE IF EXISTS span_metric; DROP TYPE IF EXISTS span_reason;
    CREATE TYPE span_source AS ${enumType(sources)};
    CREATE TYPE span_metric AS ${enumType(MEASURED_METRICS)};
    CREATE TYPE span_reason AS ${enumType(reasons)};`);
  await db.run(`
    CREATE OR REPLACE TABLE span_pieces (
      source span_source, metric span_metric, row_id VARCHAR, entity_id VARCHAR, hostname VARCHAR,
      s BIGINT, e BIGINT, nodes DOUBLE, vcpus DOUBLE, memory_mb DOUBLE, disk_gb DOUBLE, devices DOUBLE,
      project_id VARCHAR);
    CREATE OR REPLACE TABLE audit_pieces (
      source span_source, row_id VARCHAR, reason span_reason, s BIGINT, e BIGINT, us BIGINT,
      hostname VARCHAR, detail VARCHAR);
    CREATE OR REPLACE TABLE input_rows (source span_source, row_id VARCHAR, s BIGINT, e BIGINT);`);
}

/**
 * Creates an empty candidate table (columns of {@linkcode CANDIDATE_COLUMNS}) for a source to
 * insert into by name.
 *
 * @example
 * ```ts ignore
 * const c = await createCandidates(ctx.db, "cand_nova_hosts");
 * await ctx.db.run(`INSERT INTO ${c.name} BY NAME SELECT 1 AS pid, ...`);
 * ```
 */
export async function createCandidates(
  db: Duck,
  name: string,
): Promise<TableHandle<"candidates">> {
  const c = tableHandle("candidates", name);
  await db.run(`CREATE OR REPLACE TABLE ${c.name} (${CANDIDATE_COLUMNS})`);
  return c;
}

/**
 * Input rows `(row_id, s, e)` of a source whose candidates are one piece per row: the
 * candidates' own intervals.
 */
export async function rowsOfCandidates(
  db: Duck,
  candidates: TableHandle<"candidates">,
  name: string,
): Promise<TableHandle<"rows">> {
  const rows = tableHandle("rows", name);
  await db.run(
    `CREATE OR REPLACE TABLE ${rows.name} AS SELECT row_id, s, e FROM ${candidates.name}`,
  );
  return rows;
}

/** How one source's candidates are screened. */
export interface ScreenPlan {
  /** Source name written to spans and audit, e.g. `nova.compute_nodes`. */
  source: string;
  candidates: TableHandle<"candidates">;
  /** Input rows: the interval each source row stands for (for invariant 2). */
  rows: TableHandle<"rows">;
  /** Reject candidates without a hostname as `missing_host`. @default {true} */
  requireHost?: boolean;
  /** Exclude overlaps per hostname, earlier-ranked rows winning (ranking columns of the candidates). */
  dedupe?: { order: readonly string[] };
}

/**
 * Steps 1-7: records input rows, sends rejected rows and pieces to the audit, and leaves the
 * remaining pieces in `<candidates>_live` (closed at `as_of`).
 */
export async function screenSource(
  db: Duck,
  plan: ScreenPlan,
  asOfUs: bigint,
): Promise<TableHandle<"live">> {
  const c = plan.candidates.name;
  const live = `${c}_live`;
  const asOf = sqlBigint(asOfUs);
  const needHost = plan.requireHost ?? true;
  await db.run(`
    INSERT INTO input_rows BY NAME
    SELECT ${sqlLiteral(plan.source)} AS source, row_id, s, e FROM ${plan.rows.name}`);
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
    INSERT INTO audit_pieces BY NAME
    SELECT source, row_id, why AS reason, s, e,
      CASE WHEN s IS NULL THEN 0 ELSE greatest(0, coalesce(e, ${asOf}) - s) END AS us,
      hostname, detail
    FROM ${c}_why WHERE why IS NOT NULL`);
  await db.run(`
    INSERT INTO audit_pieces BY NAME
    SELECT source, row_id, 'after_as_of' AS reason, ${asOf} AS s, e, e - ${asOf} AS us, hostname,
      detail
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
      INSERT INTO audit_pieces BY NAME
      SELECT l.source, l.row_id, 'duplicate_conflict' AS reason, d.s, d.e, d.e - d.s AS us,
        l.hostname, 'covered by row ' || w.row_id AS detail
      FROM ${live}_dup d JOIN ${live} l USING (pid) JOIN ${live} w ON w.pid = d.winner`);
    await db.run(`CREATE OR REPLACE TABLE ${live} AS SELECT * FROM ${live}_kept`);
    await db.run(`DROP TABLE ${live}_kept; DROP TABLE ${live}_dup`);
  }
  return tableHandle("live", live);
}

/** The columns of `span_pieces`, which settled pieces carry over by name. */
const SPAN_COLUMNS = [
  "source",
  "metric",
  "row_id",
  "entity_id",
  "hostname",
  "s",
  "e",
  "nodes",
  "vcpus",
  "memory_mb",
  "disk_gb",
  "devices",
  "project_id",
] as const;

/**
 * Steps 8-9: clamps live pieces to parent windows (same `parent_key`) and writes what is inside
 * as spans, what is outside to the audit. Without parents, every live piece is a span. With
 * `subtract`, the part of the inside that falls in those windows (same key) goes to the audit
 * with the given reason instead.
 */
export async function settleSource(
  db: Duck,
  live: TableHandle<"live">,
  options: {
    parents?: TableHandle<"windows">;
    orphanDetail?: string;
    subtract?: { windows: TableHandle<"windows">; reason: string; detail: string };
  } = {},
): Promise<void> {
  const l = live.name;
  let inside = l;
  if (options.parents) {
    await splitByWindows(db, {
      children: l,
      windows: options.parents.name,
      key: "parent_key",
      inside: `${l}_in`,
      outside: `${l}_out`,
    });
    const detail = sqlLiteral(options.orphanDetail ?? "no parent window");
    await db.run(`
      INSERT INTO audit_pieces BY NAME
      SELECT l.source, l.row_id,
        CASE o.why WHEN 'partial' THEN 'clipped' ELSE 'orphan' END AS reason,
        o.s, o.e, o.e - o.s AS us, l.hostname,
        CASE o.why WHEN 'partial' THEN 'outside ' ELSE '' END || ${detail} AS detail
      FROM ${l}_out o JOIN ${l} l USING (pid)`);
    await db.run(`DROP TABLE ${l}_out`);
    inside = `${l}_in`;
  }
  if (options.subtract) {
    await db.run(
      `CREATE OR REPLACE TABLE ${l}_in2 AS SELECT * REPLACE (row_number() OVER () AS pid) FROM ${inside}`,
    );
    await splitByWindows(db, {
      children: `${l}_in2`,
      windows: options.subtract.windows.name,
      key: "parent_key",
      inside: `${l}_hit`,
      outside: `${l}_keep`,
    });
    await db.run(`
      INSERT INTO audit_pieces BY NAME
      SELECT source, row_id, ${sqlLiteral(options.subtract.reason)} AS reason, s, e, e - s AS us,
        hostname, ${sqlLiteral(options.subtract.detail)} AS detail
      FROM ${l}_hit`);
    const picked = SPAN_COLUMNS.map((c) => c === "s" || c === "e" ? `k.${c}` : `i.${c}`);
    await db.run(`
      INSERT INTO span_pieces BY NAME
      SELECT ${picked.join(", ")} FROM ${l}_keep k JOIN ${l}_in2 i USING (pid)`);
    await db.run(`DROP TABLE ${l}_in2; DROP TABLE ${l}_hit; DROP TABLE ${l}_keep`);
  } else {
    await db.run(
      `INSERT INTO span_pieces BY NAME SELECT ${SPAN_COLUMNS.join(", ")} FROM ${inside}`,
    );
  }
  if (inside !== l) await db.run(`DROP TABLE ${inside}`);
}
