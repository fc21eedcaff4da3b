/**
 * Span source: Blazar allocations -> `committed` (a reservation holds the host), or
 * `operator_hold` where the lease's project is one of the site's `ops_projects` (`0016`).
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
 * | lease of one of the site's `ops_projects` | `operator_hold` span (as below) |
 * | else | `committed` span (entity: the reservation; project: the lease's) |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import type { RecordsPlan } from "./plan.ts";

/** Source name of these spans. */
export const ALLOCATIONS = "blazar.computehost_allocations";

/**
 * The plan of Blazar allocations (decision table above): `committed` within the hostname's
 * `reservable` windows.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { ALLOCATIONS_PLAN } from "./allocations.ts";
 * equal(ALLOCATIONS_PLAN.parent?.layer, "reservable");
 * ```
 */
export const ALLOCATIONS_PLAN: RecordsPlan = {
  kind: "records",
  source: ALLOCATIONS,
  writes: ["committed", "operator_hold"],
  tables: [ALLOCATIONS, "blazar.reservations", "blazar.leases", "blazar.computehosts"],
  absentNote: `${ALLOCATIONS} is absent: no committed, idle or occupied_reservation series`,
  chain: "hosts",
  reasons: ["orphan", "deleted_before_start"],
  resources: ["nodes"],
  parent: { layer: "reservable", orphanDetail: "the host's reservable windows" },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_allocations");
    const ops = ctx.opsProjects ?? [];
    const metric = ops.length === 0
      ? "'committed'"
      : `CASE WHEN project_id IN (${
        ops.map((p) => sqlLiteral(p)).join(", ")
      }) THEN 'operator_hold' ELSE 'committed' END`;
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      WITH j AS (
        SELECT a.id, a.compute_host_id, a.reservation_id,
          r.id AS res_id, l.id AS lease_id, l.project_id, h.id AS host_id, h.hypervisor_hostname AS hostname,
          greatest(l.start_date, l.created_at) AS start_at,
          least(l.end_date, l.deleted_at, r.deleted_at, a.deleted_at) AS end_at,
          least(l.deleted_at, r.deleted_at, a.deleted_at) AS deleted_at
        FROM stg_blazar_computehost_allocations a
        LEFT JOIN stg_blazar_reservations r ON r.id = a.reservation_id
        LEFT JOIN stg_blazar_leases l ON l.id = r.lease_id
        LEFT JOIN stg_blazar_computehosts h ON h.id = a.compute_host_id
      )
      -- pid only has to be unique (no ranking uses it here): numbered in scan order, no sort.
      SELECT row_number() OVER () AS pid, ${sqlLiteral(ALLOCATIONS)} AS source,
        ${metric} AS metric, id AS row_id, reservation_id AS entity_id, hostname,
        hostname AS parent_key, epoch_us(start_at) AS s, epoch_us(end_at) AS e,
        CASE
          WHEN res_id IS NULL THEN 'orphan'
          WHEN lease_id IS NULL THEN 'orphan'
          WHEN compute_host_id IS NULL THEN 'missing_host'
          WHEN host_id IS NULL THEN 'orphan'
          WHEN deleted_at <= start_at THEN 'deleted_before_start'
        END AS reject,
        CASE
          WHEN res_id IS NULL THEN 'reservation ' || coalesce(reservation_id, 'NULL') || ' not found'
          WHEN lease_id IS NULL THEN 'lease of reservation ' || reservation_id || ' not found'
          WHEN compute_host_id IS NOT NULL AND host_id IS NULL THEN 'Blazar host ' || compute_host_id || ' not found'
        END AS detail,
        1 AS nodes, project_id
      FROM j`);
    return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, "rows_allocations") };
  },
};
