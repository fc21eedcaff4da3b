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
import { CANDIDATE_COLUMNS } from "./pieces.ts";
import type { SpanContext } from "./context.ts";

/** Source name of these spans. */
export const NOVA_HOSTS = "nova.compute_nodes";

/**
 * Builds `cand_nova_hosts` and `rows_nova_hosts` from the staged compute nodes.
 *
 * @example
 * ```ts ignore
 * await novaHostCandidates(ctx);
 * ```
 */
export async function novaHostCandidates(ctx: SpanContext): Promise<void> {
  await ctx.db.run(`
    CREATE OR REPLACE TABLE cand_nova_hosts (${CANDIDATE_COLUMNS});
    INSERT INTO cand_nova_hosts
    SELECT row_number() OVER (ORDER BY id), '${NOVA_HOSTS}', 'total', id::VARCHAR,
      nullif(trim(hypervisor_hostname), ''), nullif(trim(hypervisor_hostname), ''), NULL,
      epoch_us(created_at), epoch_us(deleted_at),
      CASE WHEN deleted_at IS NULL AND coalesce(deleted, 0) <> 0 THEN 'missing_end' END,
      NULL, 1, NULL, NULL, NULL
    FROM stg_nova_compute_nodes;
    CREATE OR REPLACE TABLE rows_nova_hosts AS SELECT row_id, s, e FROM cand_nova_hosts;`);
}
