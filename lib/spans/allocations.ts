/**
 * Span source: Blazar allocations -> `committed` (a reservation holds the host).
 *
 * Each `blazar.computehost_allocations` row joins its reservation, the reservation's lease and the
 * Blazar host record naming the hypervisor. Effective interval: from
 * `max(lease.start_date, lease.created_at)` (a lease cannot hold a host before it exists) to the
 * earliest of `lease.end_date` and the deletions of lease, reservation and allocation; clamped to
 * the `reservable` windows of the same hostname.
 *
 * | case | outcome |
 * |---|---|
 * | reservation not found | `orphan` (whole row) |
 * | lease not found | `orphan` |
 * | `compute_host_id` NULL | `missing_host` |
 * | Blazar host record not found (hard-deleted) | `orphan` |
 * | deleted (lease, reservation or allocation) at or before the effective start | `deleted_before_start` |
 * | effective end <= effective start | `phantom_span` |
 * | effective start >= as_of (future lease) | `after_as_of` |
 * | ends after as_of | the part after: `after_as_of` |
 * | no `reservable` window of the hostname overlaps | `orphan` |
 * | partly outside the `reservable` windows | the outside: `clipped` |
 * | else | `committed` span (entity: the reservation) |
 *
 * @module
 */
import { CANDIDATE_COLUMNS } from "./pieces.ts";
import type { SpanContext } from "./context.ts";

/** Source name of these spans. */
export const ALLOCATIONS = "blazar.computehost_allocations";

/**
 * Builds `cand_allocations` and `rows_allocations`.
 *
 * @example
 * ```ts ignore
 * await allocationCandidates(ctx);
 * ```
 */
export async function allocationCandidates(ctx: SpanContext): Promise<void> {
  await ctx.db.run(`
    CREATE OR REPLACE TABLE cand_allocations (${CANDIDATE_COLUMNS});
    INSERT INTO cand_allocations
    WITH j AS (
      SELECT a.id, a.compute_host_id, a.reservation_id,
        r.id AS res_id, l.id AS lease_id, h.id AS host_id,
        nullif(trim(h.hypervisor_hostname), '') AS hostname,
        greatest(l.start_date, l.created_at) AS start_at,
        least(l.end_date, l.deleted_at, r.deleted_at, a.deleted_at) AS end_at,
        least(l.deleted_at, r.deleted_at, a.deleted_at) AS deleted_at
      FROM stg_blazar_computehost_allocations a
      LEFT JOIN stg_blazar_reservations r ON r.id = a.reservation_id
      LEFT JOIN stg_blazar_leases l ON l.id = r.lease_id
      LEFT JOIN stg_blazar_computehosts h ON h.id = a.compute_host_id
    )
    -- pid only has to be unique (no ranking uses it here): numbered in scan order, no sort.
    SELECT row_number() OVER (), '${ALLOCATIONS}', 'committed', id, reservation_id,
      hostname, hostname, epoch_us(start_at), epoch_us(end_at),
      CASE
        WHEN res_id IS NULL THEN 'orphan'
        WHEN lease_id IS NULL THEN 'orphan'
        WHEN compute_host_id IS NULL THEN 'missing_host'
        WHEN host_id IS NULL THEN 'orphan'
        WHEN deleted_at <= start_at THEN 'deleted_before_start'
      END,
      CASE
        WHEN res_id IS NULL THEN 'reservation ' || coalesce(reservation_id, 'NULL') || ' not found'
        WHEN lease_id IS NULL THEN 'lease of reservation ' || reservation_id || ' not found'
        WHEN compute_host_id IS NOT NULL AND host_id IS NULL THEN 'Blazar host ' || compute_host_id || ' not found'
      END,
      1, NULL, NULL, NULL
    FROM j;
    CREATE OR REPLACE TABLE rows_allocations AS SELECT row_id, s, e FROM cand_allocations;`);
}
