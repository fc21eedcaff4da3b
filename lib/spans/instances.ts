/**
 * Span source: Nova instances -> `occupied_reservation` or `occupied_ondemand`.
 *
 * An instance occupies its host from `launched_at` until the earliest of `terminated_at`,
 * `deleted_at` and a successful `compute_terminate_instance` event. A successful shelve-offload
 * releases the host until a successful unshelve takes one again, so occupancy may come in
 * segments. The host is `instances.node`, else the host of the last successful `compute_*`
 * event: a hypervisor hostname as is, a service host that served exactly one hypervisor as that
 * hypervisor, a service host of several as unknown (`missing_host`). The Blazar
 * reservation comes from the request spec: the scheduler hint `reservation[0]`, else a flavor
 * named `reservation:<id>`, else the flavor's extra spec
 * `aggregate_instance_extra_specs:reservation`, else the flavor's `flavorid` where it is the id of
 * a Blazar reservation (the flavor Blazar makes for a `flavor:instance` reservation); never from
 * `instances.reservation_id` (Nova's own boot-request id). On a KVM host an instance holds its own
 * vCPUs, RAM and `root_gb + ephemeral_gb` (`nodes` = its vCPUs / the host's, in the final tables).
 * Reservation instances are clamped to the committed windows of their reservation on their
 * host; on-demand ones to the host's `total` windows.
 *
 * | case | outcome |
 * |---|---|
 * | `launched_at` NULL | `never_launched` |
 * | marked deleted, but no end time anywhere | `missing_end` |
 * | end <= `launched_at` | `phantom_span` |
 * | no node and no compute event naming a resolvable host | `missing_host` |
 * | `launched_at` >= as_of | `after_as_of` |
 * | between a shelve-offload and the next unshelve (or the end) | `shelved_offloaded` |
 * | after as_of | the part after: `after_as_of` |
 * | reservation of a lease of one of the site's `ops_projects` | `operator_hold` (whole row: the hold counts, `0016`) |
 * | reservation, no committed window of it on the host overlaps | `orphan` |
 * | reservation, partly outside its committed windows (e.g. ended after the lease) | `clipped` |
 * | no reservation, outside the host's `total` windows | `clipped` / `orphan` |
 * | else | occupied span (entity: the instance uuid; project: its lease's, else the instance's) |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { createCandidates } from "./pieces.ts";
import { type RecordsPlan, type StagedSource, type TableHandle, tableHandle } from "./plan.ts";
import type { SpanContext } from "./context.ts";
import { INSTANCE_EVENTS, instanceEvents } from "./instance_events.ts";

/** Source name of these spans. */
export const INSTANCES = "nova.instances";

/**
 * One row per instance (`row_id, uuid, s, e, hostname, ...`), kept for the replay of actions
 * (active.ts) until it has run.
 */
export const INSTANCE_BASE: TableHandle<"instances"> = tableHandle("instances", "inst_base");

/** The request-spec paths of the Blazar reservation (SCHEMAS.md). */
export const RESERVATION_HINT_PATH = '$."nova_object.data".scheduler_hints.reservation[0]';
/** See {@linkcode RESERVATION_HINT_PATH}. */
export const FLAVOR_NAME_PATH = '$."nova_object.data".flavor."nova_object.data".name';
/** See {@linkcode RESERVATION_HINT_PATH}. */
export const FLAVOR_ID_PATH = '$."nova_object.data".flavor."nova_object.data".flavorid';
/** See {@linkcode RESERVATION_HINT_PATH}. */
export const FLAVOR_SPEC_PATH =
  '$."nova_object.data".flavor."nova_object.data".extra_specs."aggregate_instance_extra_specs:reservation"';

/**
 * Builds `instance_reservations_of(uuid, reservation)` from the request specs; specs that are not
 * valid JSON give no reservation and are counted in `spec_problems`.
 */
export async function instanceReservations(ctx: SpanContext): Promise<void> {
  // Each spec is parsed once: TRY gives NULL exactly where json_valid is false (or the spec is
  // NULL), so one pass yields both the reservations and the problems (it was three parses).
  const paths = `[${
    [RESERVATION_HINT_PATH, FLAVOR_NAME_PATH, FLAVOR_SPEC_PATH, FLAVOR_ID_PATH].map((p) =>
      sqlLiteral(p)
    ).join(", ")
  }]`;
  await ctx.db.run(`
    CREATE OR REPLACE TABLE spec_paths AS
    SELECT id, instance_uuid, spec IS NULL AS no_spec,
      TRY(json_extract_string(spec, ${paths})) AS p
    FROM stg_nova_api_request_specs;
    CREATE OR REPLACE TABLE spec_reservation AS
    SELECT instance_uuid AS uuid, coalesce(nullif(p[1], ''), nullif(regexp_extract(p[2], '^reservation:(.+)$', 1), ''),
      nullif(p[3], ''), r.id) AS reservation
    FROM spec_paths LEFT JOIN stg_blazar_reservations r ON r.id = p[4]
    WHERE p IS NOT NULL;
    -- Only instances with a reservation, each with its lease's project: the reservations and
    -- leases are joined here, on their own, not inside the instances' join (10x tacc: that join
    -- held both tables' hash tables beside the instances' and passed 1 GiB).
    CREATE OR REPLACE TABLE instance_reservation_of AS
    SELECT s.uuid, s.reservation, l.project_id
    FROM spec_reservation s
    LEFT JOIN stg_blazar_reservations r ON r.id = s.reservation
    LEFT JOIN stg_blazar_leases l ON l.id = r.lease_id
    WHERE s.reservation IS NOT NULL;
    DROP TABLE spec_reservation;
    CREATE OR REPLACE TABLE spec_problems AS
    SELECT id::VARCHAR AS row_id, instance_uuid FROM spec_paths WHERE p IS NULL AND NOT no_spec;
    DROP TABLE spec_paths;`);
}

/**
 * Builds `cand_instances` (one piece per occupancy segment or shelved gap) and `rows_instances`.
 * Needs `inst_events` ({@linkcode instanceEvents}) and `instance_reservation_of` and
 * `spec_problems` ({@linkcode instanceReservations}).
 */
async function instanceCandidates(ctx: SpanContext): Promise<StagedSource> {
  const base = INSTANCE_BASE.name;
  const events = INSTANCE_EVENTS.name;
  const ops = ctx.opsProjects ?? [];
  const held = ops.length === 0
    ? "false"
    : `coalesce(r.project_id IN (${ops.map((p) => sqlLiteral(p)).join(", ")}), false)`;
  await ctx.db.run(`
    CREATE OR REPLACE TABLE known_hypervisors AS
    SELECT DISTINCT hypervisor_hostname AS hostname FROM stg_nova_compute_nodes WHERE hypervisor_hostname IS NOT NULL
    UNION SELECT DISTINCT hypervisor_hostname FROM stg_blazar_computehosts WHERE hypervisor_hostname IS NOT NULL;
    CREATE OR REPLACE TABLE service_hypervisors AS
    SELECT host, min(hypervisor_hostname) AS hostname, count(DISTINCT hypervisor_hostname) AS n
    FROM stg_nova_compute_nodes WHERE host IS NOT NULL AND hypervisor_hostname IS NOT NULL
    GROUP BY ALL;`);
  await ctx.db.run(`
    CREATE OR REPLACE TABLE ${base} AS
    WITH term AS (
      SELECT uuid, min(t) AS t FROM ${events}
      WHERE event = 'compute_terminate_instance' AND result = 'Success' AND NOT action_failed
      GROUP BY uuid
    ), last_host AS (
      -- The latest event (ties: the highest event id, which is unique); an aggregation, not a
      -- window sorting every event of every instance.
      SELECT uuid, arg_max(host, {'t': t, 'id': event_id}) AS host FROM ${events}
      WHERE starts_with(event, 'compute_') AND result = 'Success' AND host IS NOT NULL
      GROUP BY uuid
    )
    SELECT i.id::VARCHAR AS row_id, i.uuid, epoch_us(i.launched_at) AS s,
      least(epoch_us(i.terminated_at), epoch_us(i.deleted_at), term.t) AS e,
      coalesce(i.deleted, 0) <> 0 AS marked_deleted,
      i.node AS node, lh.host AS event_host,
      coalesce(i.node, kh.hostname,
        CASE WHEN sh.n = 1 THEN sh.hostname WHEN sh.n IS NULL THEN lh.host END) AS hostname,
      CASE
        WHEN i.node IS NOT NULL THEN NULL
        WHEN lh.host IS NULL THEN 'no node and no compute event with a host'
        WHEN kh.hostname IS NULL AND sh.n > 1 THEN 'event host ' || lh.host || ' serves ' || sh.n || ' hypervisors'
        WHEN kh.hostname IS NULL AND sh.n = 1 THEN 'host from the service of the compute event'
        WHEN kh.hostname IS NULL THEN 'host from compute event (no record of it elsewhere)'
        ELSE 'host from compute event'
      END AS host_detail,
      r.reservation, coalesce(r.project_id, i.project_id) AS project_id, ${held} AS held,
      i.vcpus::DOUBLE AS vcpus, i.memory_mb::DOUBLE AS memory_mb,
      (coalesce(i.root_gb, 0) + coalesce(i.ephemeral_gb, 0))::DOUBLE AS disk_gb
    FROM stg_nova_instances i
    LEFT JOIN term ON term.uuid = i.uuid
    LEFT JOIN last_host lh ON lh.uuid = i.uuid
    LEFT JOIN known_hypervisors kh ON kh.hostname = lh.host
    LEFT JOIN service_hypervisors sh ON sh.host = lh.host
    LEFT JOIN instance_reservation_of r ON r.uuid = i.uuid`);
  // Occupancy segments: on at launch, off at a shelve-offload, on again at an unshelve.
  await ctx.db.run(`
    CREATE OR REPLACE TABLE inst_segments AS
    WITH ok AS (
      SELECT * FROM ${base} WHERE s IS NOT NULL AND (e IS NULL OR e > s)
    ), tr AS (
      SELECT ok.row_id, ok.s AS t, 1 AS state, 0 AS seq FROM ok
      UNION ALL
      SELECT ok.row_id, ev.t,
        CASE WHEN ev.event = 'compute_shelve_offload_instance' THEN 0 ELSE 1 END, 1
      FROM ok JOIN ${events} ev ON ev.uuid = ok.uuid
      WHERE ev.event IN ('compute_shelve_offload_instance', 'compute_unshelve_instance')
        AND ev.result = 'Success' AND NOT ev.action_failed
        AND ev.t > ok.s AND (ok.e IS NULL OR ev.t < ok.e)
    ), changes AS (
      SELECT row_id, t, state FROM (
        SELECT *, lag(state) OVER (PARTITION BY row_id ORDER BY t, seq) AS prev FROM tr
      ) WHERE prev IS NULL OR prev <> state
    )
    SELECT c.row_id, c.t AS s, coalesce(lead(c.t) OVER (PARTITION BY c.row_id ORDER BY c.t), ok.e) AS e,
      c.state
    FROM changes c JOIN ok USING (row_id)`);
  const c = await createCandidates(ctx.db, "cand_instances");
  await ctx.db.run(`
    INSERT INTO ${c.name} BY NAME
    WITH pieces AS (
      SELECT b.*, g.s AS ps, g.e AS pe, g.state FROM ${base} b JOIN inst_segments g USING (row_id)
      UNION ALL
      SELECT b.*, b.s, b.e, NULL FROM ${base} b
      WHERE NOT EXISTS (SELECT 1 FROM inst_segments g WHERE g.row_id = b.row_id)
    )
    -- pid only has to be unique (no ranking uses it here): numbered in scan order, no sort.
    SELECT row_number() OVER () AS pid, ${sqlLiteral(INSTANCES)} AS source,
      CASE WHEN reservation IS NULL THEN 'occupied_ondemand' ELSE 'occupied_reservation' END AS metric,
      row_id, uuid AS entity_id, hostname,
      CASE WHEN reservation IS NULL THEN 'host|' || hostname ELSE 'res|' || reservation || '|' || hostname END AS parent_key,
      ps AS s, pe AS e,
      CASE
        WHEN s IS NULL THEN 'never_launched'
        WHEN e IS NULL AND marked_deleted THEN 'missing_end'
        WHEN state = 0 THEN 'shelved_offloaded'
        WHEN held THEN 'operator_hold'
      END AS reject,
      host_detail AS detail, vcpus, memory_mb, disk_gb, project_id
    FROM pieces`);
  const rows = tableHandle("rows", "rows_instances");
  await ctx.db.run(`CREATE OR REPLACE TABLE ${rows.name} AS SELECT row_id, s, e FROM ${base}`);
  // Read by nothing else (inst_base is, by the active spans): free their memory.
  await ctx.db.run(`
    DROP TABLE inst_segments; DROP TABLE known_hypervisors; DROP TABLE service_hypervisors;
    DROP TABLE instance_reservation_of;`);
  return { candidates: c, rows };
}

/**
 * Says which request specs are not JSON (their instances count as on demand), so the
 * occupied_ondemand series can be read with that in mind; drops `spec_problems`.
 */
async function specNotes(ctx: SpanContext): Promise<string[]> {
  const bad = await ctx.db.json<{ n: number; ids: string }>(
    "SELECT count(*)::INTEGER AS n, string_agg(row_id, ', ' ORDER BY row_id) FILTER (WHERE rn <= 5) AS ids FROM (SELECT row_id, row_number() OVER (ORDER BY row_id) AS rn FROM spec_problems)",
  );
  await ctx.db.run("DROP TABLE spec_problems");
  if (bad[0].n === 0) return [];
  return [
    `nova_api.request_specs: ${bad[0].n} specs are not valid JSON (ids ${bad[0].ids}${
      bad[0].n > 5 ? ", ..." : ""
    }): their instances have no Blazar reservation and count as on demand`,
  ];
}

/**
 * The plan of Nova instances (decision table above): occupied spans, reservation instances within
 * the committed windows of their reservation on their host, on-demand ones within the host's
 * `total` windows (layer `occupancy`). Leaves {@linkcode INSTANCE_BASE} and the instance events
 * for the replay.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { INSTANCES_PLAN } from "./instances.ts";
 * equal(INSTANCES_PLAN.parent?.layer, "occupancy");
 * ```
 */
export const INSTANCES_PLAN: RecordsPlan = {
  kind: "records",
  source: INSTANCES,
  writes: ["occupied_reservation", "occupied_ondemand"],
  tables: [INSTANCES],
  absentNote: `${INSTANCES} is absent: no occupied or active series`,
  chain: "instances",
  reasons: ["never_launched", "missing_end", "shelved_offloaded", "missing_host", "operator_hold"],
  resources: ["vcpus", "memory_mb", "disk_gb"],
  parent: {
    layer: "occupancy",
    orphanDetail:
      "the reservation's committed windows on the host (or, on demand, the host's windows)",
  },
  async stage(ctx) {
    const notes: string[] = [];
    if (!ctx.present.has("nova_api.request_specs")) {
      notes.push(
        "nova_api.request_specs is absent: no instance can be tied to a reservation; all are on-demand",
      );
    }
    if (!ctx.present.has("nova.instance_actions_events")) {
      notes.push(
        "nova.instance_actions_events is absent: ends and hosts come from instances alone; no active series",
      );
    }
    await instanceEvents(ctx);
    await instanceReservations(ctx);
    const staged = await instanceCandidates(ctx);
    notes.push(...await specNotes(ctx));
    return { ...staged, notes };
  },
};
