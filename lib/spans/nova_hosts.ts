/**
 * Span source: Nova compute-node registrations -> `total` (host existence).
 *
 * One row of `nova.compute_nodes` is one registration of a hypervisor; re-registration makes a new
 * row with the same `hypervisor_hostname`. Interval `[created_at, deleted_at)`.
 *
 * | case | outcome |
 * |---|---|
 * | `deleted` set but `deleted_at` NULL | `missing_end` (end unknown) |
 * | `created_at` NULL | `missing_start` |
 * | `hypervisor_hostname` NULL or blank | `missing_host` |
 * | `deleted_at` <= `created_at` | `phantom_span` |
 * | `created_at` >= as_of | `after_as_of` |
 * | overlaps an earlier registration of the same hostname | the overlap: `duplicate_conflict` |
 * | else | `total` span (open when `deleted_at` is NULL) |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import type { RecordsPlan } from "./plan.ts";

/** Source name of these spans. */
export const NOVA_HOSTS = "nova.compute_nodes";

/**
 * The plan of Nova compute-node registrations (decision table above): `total`, no parent,
 * overlapping registrations of a hostname excluded (earliest first).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { NOVA_HOSTS_PLAN } from "./nova_hosts.ts";
 * equal(NOVA_HOSTS_PLAN.writes[0], "total");
 * ```
 */
export const NOVA_HOSTS_PLAN: RecordsPlan = {
  kind: "records",
  source: NOVA_HOSTS,
  writes: ["total"],
  tables: [NOVA_HOSTS],
  absentNote: `${NOVA_HOSTS} is absent: total comes only from evidence (allocations, instances)`,
  chain: "hosts",
  reasons: ["missing_end"],
  resources: ["nodes"],
  dedupe: { order: ["s", "pid"] },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_nova_hosts");
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      SELECT row_number() OVER (ORDER BY id) AS pid, ${sqlLiteral(NOVA_HOSTS)} AS source,
        'total' AS metric, id::VARCHAR AS row_id, hypervisor_hostname AS entity_id,
        hypervisor_hostname AS hostname, epoch_us(created_at) AS s, epoch_us(deleted_at) AS e,
        CASE WHEN deleted_at IS NULL AND coalesce(deleted, 0) <> 0 THEN 'missing_end' END AS reject,
        1 AS nodes
      FROM stg_nova_compute_nodes`);
    return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, "rows_nova_hosts") };
  },
};
