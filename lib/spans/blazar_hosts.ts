/**
 * Span source: Blazar host records -> `reservable` (the host is in the reservable pool).
 *
 * Interval `[created_at, deleted_at)` of `blazar.computehosts`, clamped to the `total` windows of
 * the same hostname. Chameleon's fork soft-deletes (`deleted` = id once deleted); upstream Blazar
 * hard-deletes, so there a live row's history before the snapshot is all there is.
 *
 * | case | outcome |
 * |---|---|
 * | `deleted` set but `deleted_at` NULL | `missing_end` |
 * | `created_at` NULL | `missing_start` |
 * | `hypervisor_hostname` NULL or blank | `missing_host` |
 * | `deleted_at` <= `created_at` | `phantom_span` |
 * | `created_at` >= as_of | `after_as_of` |
 * | overlaps an earlier record of the same hostname | the overlap: `duplicate_conflict` |
 * | no `total` window of the hostname overlaps | `orphan` |
 * | partly outside the `total` windows | the outside: `clipped` |
 * | else | `reservable` span |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import type { RecordsPlan } from "./plan.ts";

/** Source name of these spans. */
export const BLAZAR_HOSTS = "blazar.computehosts";

/**
 * The plan of Blazar host records (decision table above): `reservable` within the hostname's
 * `total` windows, overlapping records excluded (earliest first).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { BLAZAR_HOSTS_PLAN } from "./blazar_hosts.ts";
 * equal(BLAZAR_HOSTS_PLAN.parent?.layer, "total");
 * ```
 */
export const BLAZAR_HOSTS_PLAN: RecordsPlan = {
  kind: "records",
  source: BLAZAR_HOSTS,
  writes: ["reservable"],
  tables: [BLAZAR_HOSTS],
  absentNote: `${BLAZAR_HOSTS} is absent: pool membership is unknown (pool_unknown), not empty`,
  chain: "hosts",
  reasons: ["missing_end"],
  resources: ["nodes"],
  dedupe: { order: ["s", "pid"] },
  parent: { layer: "total", orphanDetail: "the host's Nova windows" },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_blazar_hosts");
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      SELECT row_number() OVER (ORDER BY created_at NULLS LAST, id) AS pid,
        ${sqlLiteral(BLAZAR_HOSTS)} AS source, 'reservable' AS metric, id AS row_id,
        hypervisor_hostname AS entity_id, hypervisor_hostname AS hostname,
        hypervisor_hostname AS parent_key, epoch_us(created_at) AS s, epoch_us(deleted_at) AS e,
        CASE WHEN deleted_at IS NULL AND deleted IS NOT NULL THEN 'missing_end' END AS reject,
        1 AS nodes
      FROM stg_blazar_computehosts`);
    return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, "rows_blazar_hosts") };
  },
};
