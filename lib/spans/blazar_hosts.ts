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
import { CANDIDATE_COLUMNS } from "./pieces.ts";
import type { SpanContext } from "./context.ts";

/** Source name of these spans. */
export const BLAZAR_HOSTS = "blazar.computehosts";

/**
 * Builds `cand_blazar_hosts` and `rows_blazar_hosts`.
 *
 * @example
 * ```ts ignore
 * await blazarHostCandidates(ctx);
 * ```
 */
export async function blazarHostCandidates(ctx: SpanContext): Promise<void> {
  await ctx.db.run(`
    CREATE OR REPLACE TABLE cand_blazar_hosts (${CANDIDATE_COLUMNS});
    INSERT INTO cand_blazar_hosts
    SELECT row_number() OVER (ORDER BY created_at NULLS LAST, id), '${BLAZAR_HOSTS}', 'reservable',
      id, nullif(trim(hypervisor_hostname), ''), nullif(trim(hypervisor_hostname), ''),
      nullif(trim(hypervisor_hostname), ''),
      epoch_us(created_at), epoch_us(deleted_at),
      CASE WHEN deleted_at IS NULL AND deleted IS NOT NULL THEN 'missing_end' END,
      NULL, 1, NULL, NULL, NULL
    FROM stg_blazar_computehosts;
    CREATE OR REPLACE TABLE rows_blazar_hosts AS SELECT row_id, s, e FROM cand_blazar_hosts;`);
}
