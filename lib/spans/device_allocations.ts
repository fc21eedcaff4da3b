/**
 * Span source: Blazar device allocations (CHI@Edge) -> `committed` of resource `devices`.
 *
 * Each `blazar.device_allocations` row joins its reservation (a `reservations` row whose
 * `resource_type` is `device`), the reservation's lease and the device record naming the device.
 * The effective interval is that of host allocations (allocation_window.ts): from
 * `max(lease.start_date, lease.created_at)` to the earliest of `lease.end_date` and the deletions
 * of lease, reservation and allocation; clamped to the device's life (its `total` windows), so a
 * lease that outlives its device is `clipped` there. Not clamped to `reservable`: only the
 * current reservable flag is known, and a lease proves the device was reservable while it held it.
 *
 * | case | outcome |
 * |---|---|
 * | reservation not found | `orphan` (whole row) |
 * | lease not found | `orphan` |
 * | `device_id` NULL | `missing_host` |
 * | device record not found (hard-deleted) | `orphan` |
 * | deleted (lease, reservation or allocation) at or before the effective start | `deleted_before_start` |
 * | effective end <= effective start | `phantom_span` |
 * | effective start >= as_of (future lease) | `after_as_of` |
 * | ends after as_of | the part after: `after_as_of` |
 * | no `total` window of the device overlaps | `orphan` |
 * | partly outside the device's `total` windows | the outside: `clipped` |
 * | else | `committed` span, `devices` = 1 (entity: the reservation) |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import { ALLOCATION_WINDOW, allocationJoins, allocationVerdict } from "./allocation_window.ts";
import type { RecordsPlan } from "./plan.ts";
import { DEVICES } from "./devices.ts";

/** Source name of these spans. */
export const DEVICE_ALLOCATIONS = "blazar.device_allocations";

/**
 * The plan of device allocations (decision table above): `committed` within the device's life.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { DEVICE_ALLOCATIONS_PLAN } from "./device_allocations.ts";
 * equal(DEVICE_ALLOCATIONS_PLAN.parent?.layer, "total");
 * ```
 */
export const DEVICE_ALLOCATIONS_PLAN: RecordsPlan = {
  kind: "records",
  source: DEVICE_ALLOCATIONS,
  writes: ["committed"],
  tables: [DEVICE_ALLOCATIONS, "blazar.reservations", "blazar.leases", DEVICES],
  chain: "hosts",
  reasons: ["orphan", "deleted_before_start"],
  resources: ["devices"],
  parent: { layer: "total", orphanDetail: "the device's windows" },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_device_allocations");
    const verdict = allocationVerdict({
      idColumn: "device_id",
      foundColumn: "dev_id",
      label: "device",
    });
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      WITH j AS (
        SELECT a.id, a.device_id, a.reservation_id,
          r.id AS res_id, l.id AS lease_id, d.id AS dev_id, d.name AS hostname,
          ${ALLOCATION_WINDOW}
        ${allocationJoins("stg_blazar_device_allocations")}
        LEFT JOIN stg_blazar_devices d ON d.id = a.device_id
      )
      SELECT row_number() OVER () AS pid, ${sqlLiteral(DEVICE_ALLOCATIONS)} AS source,
        'committed' AS metric, id AS row_id, reservation_id AS entity_id, hostname,
        hostname AS parent_key, epoch_us(start_at) AS s, epoch_us(end_at) AS e,
        ${verdict},
        0 AS nodes, 1 AS devices
      FROM j`);
    return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, "rows_device_allocations") };
  },
};
