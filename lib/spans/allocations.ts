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
 * Size of a span (docs/design.md §11): a `physical:host` allocation holds the whole host (`nodes`
 * 1, the host's vCPUs, RAM and disk). A `flavor:instance` (or older `virtual:instance`)
 * allocation row is one instance slot: Blazar writes one row per slot, repeating a host that takes
 * several. It carries the slot's `vcpus`, `memory_mb` and `disk_gb` from the reservation's
 * `instance_reservations` row (the columns, else its `resource_inventory` JSON `VCPU`,
 * `MEMORY_MB`, `DISK_GB`); the final tables make it a share of a KVM host (`nodes` = slot vCPUs /
 * host vCPUs) and keep whole-host semantics on an Ironic host (a bare-metal node takes one
 * instance). A slot reservation with no `instance_reservations` row holds the whole host, and a
 * note counts such reservations, and those whose number of allocation rows differs from `amount`.
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import { ALLOCATION_WINDOW, allocationJoins, allocationVerdict } from "./allocation_window.ts";
import type { RecordsPlan } from "./plan.ts";
import type { SpanContext } from "./context.ts";

/** Source name of these spans. */
export const ALLOCATIONS = "blazar.computehost_allocations";

/** Reservation types whose allocation rows are instance slots sized by `instance_reservations`. */
export const SLOT_TYPES = ["flavor:instance", "virtual:instance"] as const;

/**
 * Builds `slot_sizes(reservation_id, vcpus, memory_mb, disk_gb, amount, rows, sized)`: one row per
 * reservation of a {@linkcode SLOT_TYPES} type, with the size of one slot (the newest
 * `instance_reservations` row of the reservation; NULL when it has none), the slots asked for
 * (`amount`) and the allocation rows Blazar wrote.
 */
async function slotSizes(ctx: SpanContext): Promise<void> {
  const types = SLOT_TYPES.map((t) => sqlLiteral(t)).join(", ");
  const inv = (key: string) =>
    `TRY_CAST(json_extract_string(i.resource_inventory, ${sqlLiteral(`$.${key}`)}) AS DOUBLE)`;
  await ctx.db.run(`
    CREATE OR REPLACE TABLE slot_sizes AS
    WITH ir AS (
      SELECT i.reservation_id,
        coalesce(i.vcpus::DOUBLE, ${inv("VCPU")}) AS vcpus,
        coalesce(i.memory_mb::DOUBLE, ${inv("MEMORY_MB")}) AS memory_mb,
        coalesce(i.disk_gb::DOUBLE, ${inv("DISK_GB")}) AS disk_gb, i.amount
      FROM stg_blazar_instance_reservations i WHERE i.reservation_id IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY i.reservation_id ORDER BY i.created_at DESC NULLS LAST, i.id DESC) = 1
    ), n AS (
      SELECT reservation_id, count(*) AS rows FROM stg_blazar_computehost_allocations GROUP BY ALL
    )
    SELECT r.id AS reservation_id, ir.vcpus, ir.memory_mb, ir.disk_gb, ir.amount,
      coalesce(n.rows, 0) AS rows, ir.reservation_id IS NOT NULL AS sized
    FROM stg_blazar_reservations r
    LEFT JOIN ir ON ir.reservation_id = r.id LEFT JOIN n ON n.reservation_id = r.id
    WHERE r.resource_type IN (${types})`);
}

/**
 * The notes on slot reservations (docs/design.md §11): those whose allocation rows differ in
 * number from `amount`, and those with no size (held as whole hosts); drops `slot_sizes`.
 */
async function slotNotes(ctx: SpanContext): Promise<string[]> {
  const [r] = await ctx.db.json<
    {
      slots: number;
      off: number;
      off_ids: string | null;
      unsized: number;
      unsized_ids: string | null;
    }
  >(`
    SELECT count(*)::INTEGER AS slots,
      count(*) FILTER (WHERE sized AND rows <> amount)::INTEGER AS off,
      string_agg(reservation_id || ' (' || rows || ' of ' || amount || ')', ', ' ORDER BY reservation_id)
        FILTER (WHERE sized AND rows <> amount) AS off_ids,
      count(*) FILTER (WHERE NOT sized AND rows > 0)::INTEGER AS unsized,
      string_agg(reservation_id, ', ' ORDER BY reservation_id) FILTER (WHERE NOT sized AND rows > 0) AS unsized_ids
    FROM slot_sizes`);
  await ctx.db.run("DROP TABLE slot_sizes");
  const notes: string[] = [];
  const few = (ids: string | null) => {
    const list = (ids ?? "").split(", ");
    return list.slice(0, 5).join(", ") + (list.length > 5 ? ", ..." : "");
  };
  if (r.off > 0) {
    notes.push(
      `blazar.instance_reservations: ${r.off} of ${r.slots} flavor:instance reservations have a number of allocation rows other than amount (rows of amount: ${
        few(r.off_ids)
      }); each row is counted as one slot`,
    );
  }
  if (r.unsized > 0) {
    notes.push(
      `blazar.instance_reservations: ${r.unsized} flavor:instance reservations with allocations have no instance_reservations row (${
        few(r.unsized_ids)
      }): their allocations hold whole hosts`,
    );
  }
  return notes;
}

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
  resources: ["nodes", "vcpus", "memory_mb", "disk_gb"],
  parent: { layer: "reservable", orphanDetail: "the host's reservable windows" },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_allocations");
    const ops = ctx.opsProjects ?? [];
    const metric = ops.length === 0
      ? "'committed'"
      : `CASE WHEN project_id IN (${
        ops.map((p) => sqlLiteral(p)).join(", ")
      }) THEN 'operator_hold' ELSE 'committed' END`;
    await slotSizes(ctx);
    const verdict = allocationVerdict({
      idColumn: "compute_host_id",
      foundColumn: "host_id",
      label: "Blazar host",
    });
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      WITH j AS (
        SELECT a.id, a.compute_host_id, a.reservation_id, z.vcpus, z.memory_mb, z.disk_gb,
          r.id AS res_id, l.id AS lease_id, l.project_id, h.id AS host_id, h.hypervisor_hostname AS hostname,
          ${ALLOCATION_WINDOW}
        ${allocationJoins("stg_blazar_computehost_allocations")}
        LEFT JOIN stg_blazar_computehosts h ON h.id = a.compute_host_id
        LEFT JOIN slot_sizes z ON z.reservation_id = a.reservation_id
      )
      -- pid only has to be unique (no ranking uses it here): numbered in scan order, no sort.
      SELECT row_number() OVER () AS pid, ${sqlLiteral(ALLOCATIONS)} AS source,
        ${metric} AS metric, id AS row_id, reservation_id AS entity_id, hostname,
        hostname AS parent_key, epoch_us(start_at) AS s, epoch_us(end_at) AS e,
        ${verdict},
        1 AS nodes, vcpus, memory_mb, disk_gb, project_id
      FROM j`);
    const notes = await slotNotes(ctx);
    return {
      candidates: c,
      rows: await rowsOfCandidates(ctx.db, c, "rows_allocations"),
      notes,
    };
  },
};
