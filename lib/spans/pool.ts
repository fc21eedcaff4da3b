/**
 * Three-state pool membership (docs/design.md §6): at every instant an existing host is `reservable`,
 * `not_reservable` or `unknown`; the unknown part becomes `pool_unknown` spans.
 *
 * | case | state |
 * |---|---|
 * | a `reservable` span (Blazar record or allocation evidence) covers the instant | reservable |
 * | before the coverage start, an on-demand instance runs on it | not reservable (Blazar's filter places instances without a reservation only on hosts outside the pool) |
 * | before the coverage start, no reservable span | unknown (`pool_unknown`) |
 * | from the coverage start on, no reservable span | not reservable (on-demand capacity) |
 * | an Edge device (a `total` span with `devices` > 0) | never unknown: its reservable flag decides (devices.ts) |
 *
 * The coverage start is the site's `blazar_coverage_start`; unset, the earliest Blazar host
 * record; with no Blazar host records at all (no Blazar, or upstream Blazar's hard deletes left
 * none), the snapshot's `as_of`: all membership is unknown, not empty.
 *
 * @module
 */
import { utcUs } from "../time.ts";
import { sqlLiteral } from "../sql.ts";
import { sqlBigint } from "../db/duckdb.ts";
import { splitByWindows } from "../math/windows.ts";
import type { SpanContext } from "./context.ts";
import type { DerivedPlan } from "./plan.ts";
import { HOST_WINDOWS } from "./node_types.ts";

/** Source name of these spans. */
export const POOL = "pool_membership";

/** Computes the coverage start (microseconds) of the site. */
export async function coverageStart(ctx: SpanContext): Promise<bigint> {
  if (ctx.blazarCoverageStart) {
    return utcUs(ctx.blazarCoverageStart);
  }
  const first = await ctx.db.value<bigint | null>(
    "SELECT min(epoch_us(created_at)) FROM stg_blazar_computehosts",
  );
  return first === null || first === undefined ? ctx.asOfUs : BigInt(first);
}

/** Writes `pool_unknown` spans: host windows minus reservable spans, before the coverage start. */
async function poolUnknownSpans(ctx: SpanContext): Promise<bigint> {
  const db = ctx.db;
  const covUs = await coverageStart(ctx);
  const cov = sqlBigint(covUs);
  await db.run(`
    CREATE OR REPLACE TABLE pool_kids AS
    SELECT row_number() OVER () AS pid, hostname, s, least(e, ${cov}) AS e FROM ${HOST_WINDOWS.name}
    WHERE s < ${cov} AND hostname NOT IN (
      SELECT hostname FROM span_pieces WHERE metric = 'total' AND devices > 0 AND hostname IS NOT NULL)`);
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
    INSERT INTO span_pieces BY NAME
    SELECT ${sqlLiteral(POOL)} AS source, 'pool_unknown' AS metric,
      'pool:' || k.hostname || ':' || o.s AS row_id, k.hostname AS entity_id, k.hostname, o.s, o.e,
      1 AS nodes
    FROM pool_out o JOIN pool_kids k USING (pid)`);
  await db.run(
    `DROP TABLE pool_kids; DROP TABLE pool_res; DROP TABLE pool_in; DROP TABLE pool_out`,
  );
  return covUs;
}

/**
 * The plan of pool membership (decision table above): `pool_unknown` from the host windows
 * (layer `total`), once every `reservable` and `occupied_ondemand` span is written.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { POOL_PLAN } from "./pool.ts";
 * deepEqual(POOL_PLAN.steps[0].writes, ["pool_unknown"]);
 * ```
 */
export const POOL_PLAN: DerivedPlan = {
  kind: "derived",
  sources: [POOL],
  enabled: (rules) => rules.pool,
  chain: "hosts",
  resources: ["nodes"],
  steps: [{
    reads: ["reservable", "occupied_ondemand"],
    writes: ["pool_unknown"],
    layers: ["total"],
    run: async (ctx) => ({ coverageStart: await poolUnknownSpans(ctx) }),
  }],
};
