/**
 * The rules every Blazar allocation shares, host or device (docs/design.md §7): its effective
 * window through its reservation and lease, and the verdict on a row whose reservation, lease or
 * reserved resource is missing. `allocations.ts` and `device_allocations.ts` differ only in the
 * table they read, the resource record they join and what a span holds.
 *
 * @module
 */

/**
 * SQL select items of an allocation's effective window over the aliases `a` (the allocation),
 * `r` (its reservation) and `l` (the reservation's lease), as {@linkcode allocationJoins} joins
 * them: `start_at` = `max(lease.start_date, lease.created_at)` (a lease cannot hold anything
 * before it exists), `end_at` = the earliest of `lease.end_date` and the deletions of lease,
 * reservation and allocation, and `deleted_at` = the earliest of those deletions.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { ALLOCATION_WINDOW } from "./allocation_window.ts";
 * match(ALLOCATION_WINDOW, /greatest\(l\.start_date, l\.created_at\) AS start_at/);
 * ```
 */
export const ALLOCATION_WINDOW = `greatest(l.start_date, l.created_at) AS start_at,
          least(l.end_date, l.deleted_at, r.deleted_at, a.deleted_at) AS end_at,
          least(l.deleted_at, r.deleted_at, a.deleted_at) AS deleted_at`;

/**
 * SQL `FROM` of the staged allocation table `table` (alias `a`) with its reservation (`r`) and
 * the reservation's lease (`l`), both kept when missing (the verdict names them).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { allocationJoins } from "./allocation_window.ts";
 * match(allocationJoins("stg_blazar_device_allocations"), /LEFT JOIN stg_blazar_leases l ON l\.id = r\.lease_id/);
 * ```
 */
export function allocationJoins(table: string): string {
  return `FROM ${table} a
        LEFT JOIN stg_blazar_reservations r ON r.id = a.reservation_id
        LEFT JOIN stg_blazar_leases l ON l.id = r.lease_id`;
}

/** The reserved resource of an allocation, as the verdict names it. */
export interface AllocationTarget {
  /** Column of the allocation naming the resource (`compute_host_id`, `device_id`). */
  idColumn: string;
  /** Column that is NULL when the resource's record was not found (`host_id`, `dev_id`). */
  foundColumn: string;
  /** How the detail names a missing record (`Blazar host`, `device`). */
  label: string;
}

/**
 * SQL select items `reject` and `detail` over the columns `res_id`, `lease_id`, `reservation_id`,
 * `start_at` and `deleted_at` and those of `target`:
 *
 * | case | reject | detail |
 * |---|---|---|
 * | reservation not found | `orphan` | `reservation <id> not found` |
 * | lease not found | `orphan` | `lease of reservation <id> not found` |
 * | no resource named | `missing_host` | |
 * | the resource's record not found | `orphan` | `<label> <id> not found` |
 * | deleted at or before the effective start | `deleted_before_start` | |
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { allocationVerdict } from "./allocation_window.ts";
 * const sql = allocationVerdict({ idColumn: "device_id", foundColumn: "dev_id", label: "device" });
 * match(sql, /WHEN device_id IS NULL THEN 'missing_host'/);
 * match(sql, /'device ' \|\| device_id \|\| ' not found'/);
 * ```
 */
export function allocationVerdict(target: AllocationTarget): string {
  const { idColumn: id, foundColumn: found, label } = target;
  return `CASE
          WHEN res_id IS NULL THEN 'orphan'
          WHEN lease_id IS NULL THEN 'orphan'
          WHEN ${id} IS NULL THEN 'missing_host'
          WHEN ${found} IS NULL THEN 'orphan'
          WHEN deleted_at <= start_at THEN 'deleted_before_start'
        END AS reject,
        CASE
          WHEN res_id IS NULL THEN 'reservation ' || coalesce(reservation_id, 'NULL') || ' not found'
          WHEN lease_id IS NULL THEN 'lease of reservation ' || reservation_id || ' not found'
          WHEN ${id} IS NOT NULL AND ${found} IS NULL THEN '${label} ' || ${id} || ' not found'
        END AS detail`;
}
