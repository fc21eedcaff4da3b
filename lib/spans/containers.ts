/**
 * Span sources: Zun containers (CHI@Edge) -> `occupied_reservation` and `active_reservation` of
 * resource `devices`.
 *
 * Zun hard-deletes containers: a deleted container leaves no row, so only the containers that
 * still exist at the snapshot are known, and the container series is a lower bound (every
 * container deleted before the snapshot is missing from it; the run's notes say so). A container
 * occupies a device only where the data names the device: its `host` equals a device `name`;
 * anything else is counted, audited and said in the notes, never guessed.
 *
 * Interval: from `started_at` until `updated_at` (the time the row reached its current status)
 * when the status is not one that holds the device (`Running`, `Paused`, `Restarting`), else open
 * at the snapshot. The whole interval counts as running (`active_reservation`): Zun keeps no
 * history of stops the way Nova's actions do.
 *
 * | case | outcome |
 * |---|---|
 * | `started_at` NULL (never started) | `missing_start` (0 seconds) |
 * | `host` NULL or blank | `missing_host` |
 * | `host` names no device | `orphan` (whole row; counted in the notes) |
 * | end <= start | `phantom_span` |
 * | start >= as_of | `after_as_of` |
 * | overlaps an earlier container on the same device | the overlap: `duplicate_conflict` (a device counts once) |
 * | no committed window (device lease) of the device overlaps | `orphan` |
 * | partly outside the device's committed windows | the outside: `clipped` |
 * | else | `occupied_reservation` span, `devices` = 1 (entity: the container uuid), and the same as `active_reservation` (source `zun.container:running`) |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates, rowsOfCandidates } from "./pieces.ts";
import type { DerivedPlan, RecordsPlan } from "./plan.ts";
import type { SpanContext } from "./context.ts";

/** Source name of the container occupancy spans. */
export const CONTAINERS = "zun.container";
/** Source name of the running copies of the container spans. */
export const CONTAINERS_RUNNING = "zun.container:running";
/** Zun statuses in which a container holds its device at the snapshot. */
export const HOLDING_STATUSES = ["Running", "Paused", "Restarting"] as const;

/** Notes on what the container rows allow: hard deletes, and how many name no device. */
async function containerNotes(ctx: SpanContext): Promise<string[]> {
  const [n] = await ctx.db.json<
    { all: number; linked: number; unlinked: number; no_host: number; never: number }
  >(`
    SELECT count(*)::INTEGER AS all,
      count(*) FILTER (WHERE d.name IS NOT NULL)::INTEGER AS linked,
      count(*) FILTER (WHERE c.host IS NOT NULL AND d.name IS NULL)::INTEGER AS unlinked,
      count(*) FILTER (WHERE c.host IS NULL)::INTEGER AS no_host,
      count(*) FILTER (WHERE c.started_at IS NULL)::INTEGER AS never
    FROM stg_zun_container c
    LEFT JOIN (SELECT DISTINCT name FROM stg_blazar_devices) d ON d.name = c.host`);
  return [
    `${CONTAINERS}: Zun hard-deletes containers, so only the ${n.all} that exist at the snapshot are counted: container series are a lower bound`,
    `${CONTAINERS}: ${n.linked} containers name a device (host = device name); ${n.unlinked} name a host that is no device (audited orphan), ${n.no_host} name no host (missing_host); ${n.never} never started`,
  ];
}

/**
 * The plan of Zun containers (decision table above): occupancy of a device within its committed
 * windows, overlapping containers of one device counted once (earliest first).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { CONTAINERS_PLAN } from "./containers.ts";
 * equal(CONTAINERS_PLAN.parent?.layer, "committed");
 * ```
 */
export const CONTAINERS_PLAN: RecordsPlan = {
  kind: "records",
  source: CONTAINERS,
  writes: ["occupied_reservation"],
  tables: [CONTAINERS],
  chain: "hosts",
  reasons: ["orphan"],
  resources: ["devices"],
  dedupe: { order: ["s", "pid"] },
  parent: { layer: "committed", orphanDetail: "the device's committed windows (device leases)" },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_containers");
    const holding = HOLDING_STATUSES.map((s) => sqlLiteral(s)).join(", ");
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      SELECT row_number() OVER (ORDER BY c.started_at NULLS LAST, c.id) AS pid,
        ${sqlLiteral(CONTAINERS)} AS source, 'occupied_reservation' AS metric,
        c.id::VARCHAR AS row_id, c.uuid AS entity_id, c.host AS hostname, c.host AS parent_key,
        epoch_us(c.started_at) AS s,
        CASE WHEN c.status IN (${holding}) THEN NULL ELSE epoch_us(c.updated_at) END AS e,
        CASE WHEN c.host IS NOT NULL AND d.name IS NULL THEN 'orphan' END AS reject,
        CASE
          WHEN c.started_at IS NULL THEN 'never started (status ' || coalesce(c.status, 'NULL') || ')'
          WHEN c.host IS NOT NULL AND d.name IS NULL THEN 'host ' || c.host || ' names no device'
        END AS detail,
        0 AS nodes, 1 AS devices
      FROM stg_zun_container c
      LEFT JOIN (SELECT DISTINCT name FROM stg_blazar_devices) d ON d.name = c.host`);
    return {
      candidates: c,
      rows: await rowsOfCandidates(ctx.db, c, "rows_containers"),
      notes: await containerNotes(ctx),
    };
  },
};

/**
 * The running copies of the container spans (decision table above): every container span is also
 * `active_reservation`, so no stopped time is invented.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { CONTAINERS_RUNNING_PLAN } from "./containers.ts";
 * deepEqual(CONTAINERS_RUNNING_PLAN.steps[0].writes, ["active_reservation"]);
 * ```
 */
export const CONTAINERS_RUNNING_PLAN: DerivedPlan = {
  kind: "derived",
  sources: [CONTAINERS_RUNNING],
  tables: [CONTAINERS],
  enabled: (_rules, present) => present.has(CONTAINERS),
  chain: "hosts",
  resources: ["devices"],
  steps: [{
    reads: ["occupied_reservation"],
    writes: ["active_reservation"],
    run: async (ctx) => {
      await ctx.db.run(`
        INSERT INTO span_pieces BY NAME
        SELECT ${sqlLiteral(CONTAINERS_RUNNING)} AS source, 'active_reservation' AS metric,
          row_id, entity_id, hostname, s, e, nodes, vcpus, memory_mb, disk_gb, devices
        FROM span_pieces WHERE source = ${sqlLiteral(CONTAINERS)}`);
    },
  }],
};
