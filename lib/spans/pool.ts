/**
 * Three-state pool membership (DESIGN §6): at every instant an existing host is `reservable`,
 * `not_reservable` or `unknown`; the unknown part becomes `pool_unknown` spans.
 *
 * | case | state |
 * |---|---|
 * | a `reservable` span (Blazar record or allocation evidence) covers the instant | reservable |
 * | before the coverage start, an on-demand instance runs on it | not reservable (Blazar's filter places instances without a reservation only on hosts outside the pool) |
 * | before the coverage start, no reservable span | unknown (`pool_unknown`) |
 * | from the coverage start on, no reservable span | not reservable (on-demand capacity) |
 *
 * The coverage start is the site's `blazar_coverage_start`; unset, the earliest Blazar host
 * record; with no Blazar host records at all (no Blazar, or upstream Blazar's hard deletes left
 * none), the snapshot's `as_of`: all membership is unknown, not empty.
 *
 * @module
 */
import { splitByWindows } from "../math/windows.ts";
import type { SpanContext } from "./context.ts";

/** Source name of these spans. */
export const POOL = "pool_membership";

/** Computes the coverage start (microseconds) of the site. */
export async function coverageStart(ctx: SpanContext): Promise<bigint> {
  if (ctx.blazarCoverageStart) {
    return BigInt(Date.parse(`${ctx.blazarCoverageStart}T00:00:00Z`)) * 1000n;
  }
  const first = await ctx.db.value<bigint | null>(
    "SELECT min(epoch_us(created_at)) FROM stg_blazar_computehosts",
  );
  return first === null || first === undefined ? ctx.asOfUs : BigInt(first);
}

/** Writes `pool_unknown` spans: host windows minus reservable spans, before the coverage start. */
export async function poolUnknownSpans(ctx: SpanContext): Promise<bigint> {
  const db = ctx.db;
  const cov = await coverageStart(ctx);
  await db.run(`
    CREATE OR REPLACE TABLE pool_kids AS
    SELECT row_number() OVER () AS pid, hostname, s, least(e, ${cov}::BIGINT) AS e FROM host_windows
    WHERE s < ${cov}::BIGINT`);
  await db.run(
    `CREATE OR REPLACE TABLE pool_res AS SELECT hostname, s, e FROM span_pieces WHERE metric IN ('reservable', 'occupied_ondemand')`,
  );
  await splitByWindows(db, {
    children: "pool_kids",
    windows: "pool_res",
    key: "hostname",
    inside: "pool_in",
    outside: "pool_out",
  });
  await db.run(`
    INSERT INTO span_pieces
    SELECT '${POOL}', 'pool_unknown', 'pool:' || k.hostname || ':' || o.s, k.hostname, k.hostname, o.s, o.e,
      1, NULL, NULL, NULL
    FROM pool_out o JOIN pool_kids k USING (pid)`);
  await db.run(
    `DROP TABLE pool_kids; DROP TABLE pool_res; DROP TABLE pool_in; DROP TABLE pool_out`,
  );
  return cov;
}
