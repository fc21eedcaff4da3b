/**
 * Span sources: Blazar device records (CHI@Edge) -> `total` and `reservable` of resource `devices`.
 *
 * One `blazar.devices` row is one enrolment of a device (a Raspberry Pi, a Jetson, ...). Interval
 * `[created_at, deleted_at)` (Chameleon's fork soft-deletes). Device spans carry `devices` = 1 and
 * `nodes` = 0 (no size columns), so host series are not touched; a device's name is its
 * `hypervisor_hostname` in the outputs (device names and host names are assumed disjoint).
 *
 * `total` (source `blazar.devices`):
 *
 * | case | outcome |
 * |---|---|
 * | `deleted` set but `deleted_at` NULL | `missing_end` |
 * | `created_at` NULL | `missing_start` |
 * | `deleted_at` <= `created_at` | `phantom_span` |
 * | `created_at` >= as_of | `after_as_of` |
 * | overlaps an earlier record of the same name | the overlap: `duplicate_conflict` |
 * | else | `total` span (open while not deleted) |
 *
 * `reservable` (source `blazar.devices:reservable`): the rows whose `reservable` flag is set, with
 * the same table, clamped to the device's `total` windows. Blazar keeps only the current flag, so
 * a device is taken as reservable for its whole life when the flag is set now, and never when it
 * is not (the report says so); rows with the flag unset are not input rows of this source.
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import type { RecordsPlan } from "./plan.ts";
import type { SpanContext } from "./context.ts";

/** Source name of the device `total` spans. */
export const DEVICES = "blazar.devices";
/** Source name of the device `reservable` spans. */
export const DEVICES_RESERVABLE = "blazar.devices:reservable";

/** Candidates of one metric from the device rows (all, or only those flagged reservable). */
async function deviceCandidates(
  ctx: SpanContext,
  metric: "total" | "reservable",
  source: string,
  name: string,
) {
  const c = await createCandidates(ctx.db, `cand_${name}`);
  await ctx.db.run(`
    INSERT INTO ${c.name} BY NAME
    SELECT row_number() OVER (ORDER BY created_at NULLS LAST, id) AS pid,
      ${sqlLiteral(source)} AS source, ${sqlLiteral(metric)} AS metric, id AS row_id,
      name AS entity_id, name AS hostname, name AS parent_key,
      epoch_us(created_at) AS s, epoch_us(deleted_at) AS e,
      CASE WHEN deleted_at IS NULL AND deleted IS NOT NULL THEN 'missing_end' END AS reject,
      0 AS nodes, 1 AS devices
    FROM stg_blazar_devices
    ${metric === "reservable" ? "WHERE coalesce(reservable, false)" : ""}`);
  return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, `rows_${name}`) };
}

/**
 * The plan of device records (decision table above): `total`, no parent, overlapping records of
 * a name excluded (earliest first).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { DEVICES_PLAN } from "./devices.ts";
 * deepEqual(DEVICES_PLAN.writes, ["total"]);
 * ```
 */
export const DEVICES_PLAN: RecordsPlan = {
  kind: "records",
  source: DEVICES,
  writes: ["total"],
  tables: [DEVICES],
  chain: "hosts",
  reasons: ["missing_end"],
  resources: ["devices"],
  dedupe: { order: ["s", "pid"] },
  stage: (ctx) => deviceCandidates(ctx, "total", DEVICES, "devices"),
};

/**
 * The plan of the devices' reservable flag (decision table above): `reservable` within the
 * device's `total` windows.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { DEVICES_RESERVABLE_PLAN } from "./devices.ts";
 * equal(DEVICES_RESERVABLE_PLAN.parent?.layer, "total");
 * ```
 */
export const DEVICES_RESERVABLE_PLAN: RecordsPlan = {
  kind: "records",
  source: DEVICES_RESERVABLE,
  writes: ["reservable"],
  tables: [DEVICES],
  chain: "hosts",
  reasons: ["missing_end"],
  resources: ["devices"],
  dedupe: { order: ["s", "pid"] },
  parent: { layer: "total", orphanDetail: "the device's windows" },
  stage: (ctx) => deviceCandidates(ctx, "reservable", DEVICES_RESERVABLE, "devices_reservable"),
};
