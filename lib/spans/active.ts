/**
 * Span source: replay of instance actions -> `active_reservation` / `active_ondemand` (running).
 *
 * Within each occupied span an instance runs from launch (and from each unshelve) and stops and
 * starts with its actions. Only successful `compute_*` events of actions none of whose events
 * failed change the state, at the event's finish time.
 *
 * | action (event) | running after it |
 * |---|---|
 * | create (launch), start, resume, unpause, unshelve | yes |
 * | stop, suspend, pause, shelve, shelveOffload | no |
 * | `compute_power_update` of a `start` / `stop` action (Ironic power sync) | yes / no |
 * | reboot, rebuild, resize, migrate, live-migration, rescue, lock, snapshots, ... | unchanged |
 * | any action with a failed event | unchanged |
 *
 * Active spans are the running parts of the occupied spans; the rest of each occupied span is
 * stopped. The partition is checked per instance (active + stopped = occupied, active within
 * occupied).
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { sqlBigint } from "../db/duckdb.ts";
import { splitByWindows } from "../math/windows.ts";
import type { SpanContext } from "./context.ts";
import type { DerivedPlan } from "./plan.ts";
import { INSTANCE_BASE, INSTANCES } from "./instances.ts";
import { INSTANCE_EVENTS } from "./instance_events.ts";

/** Source name of these spans. */
export const ACTIVE = "nova.instance_actions";

/** The table of instance action events. */
const EVENTS = "nova.instance_actions_events";

/**
 * Builds `running(entity, s, e)` from the instance events and instances, then writes the active
 * spans and keeps `stopped_pieces` for the checks.
 */
async function activeSpans(ctx: SpanContext): Promise<void> {
  const asOf = sqlBigint(ctx.asOfUs);
  const base = INSTANCE_BASE.name;
  await ctx.db.run(`
    CREATE OR REPLACE TABLE running AS
    WITH ok AS (
      SELECT row_id, uuid, s, least(coalesce(e, ${asOf}), ${asOf}) AS e FROM ${base}
      WHERE s IS NOT NULL AND (e IS NULL OR e > s) AND s < ${asOf}
    ), tr AS (
      SELECT row_id, s AS t, 1 AS state, 0 AS seq FROM ok
      UNION ALL
      SELECT ok.row_id, ev.t, CASE
          WHEN ev.event IN ('compute_stop_instance', 'compute_suspend_instance', 'compute_pause_instance',
            'compute_shelve_instance', 'compute_shelve_offload_instance') THEN 0
          WHEN ev.event IN ('compute_start_instance', 'compute_resume_instance', 'compute_unpause_instance',
            'compute_unshelve_instance') THEN 1
          WHEN ev.event = 'compute_power_update' AND ev.action = 'stop' THEN 0
          WHEN ev.event = 'compute_power_update' AND ev.action = 'start' THEN 1
        END, 1
      FROM ok JOIN ${INSTANCE_EVENTS.name} ev ON ev.uuid = ok.uuid
      WHERE ev.result = 'Success' AND NOT ev.action_failed AND ev.t > ok.s AND ev.t < ok.e
    ), changes AS (
      SELECT row_id, t, state FROM (
        SELECT *, lag(state) OVER (PARTITION BY row_id ORDER BY t, seq) AS prev FROM tr WHERE state IS NOT NULL
      ) WHERE prev IS NULL OR prev <> state
    ), runs AS (
      SELECT c.row_id, c.t AS s, coalesce(lead(c.t) OVER (PARTITION BY c.row_id ORDER BY c.t), ok.e) AS e, c.state
      FROM changes c JOIN ok USING (row_id)
    )
    SELECT row_id AS entity, s, e FROM runs WHERE state = 1 AND e > s`);
  await ctx.db.run(`
    CREATE OR REPLACE TABLE occupied_pieces AS
    SELECT row_number() OVER () AS pid, row_id AS entity, * EXCLUDE (row_id), row_id
    FROM span_pieces WHERE metric IN ('occupied_reservation', 'occupied_ondemand')`);
  await splitByWindows(ctx.db, {
    children: "occupied_pieces",
    windows: "running",
    key: "entity",
    inside: "active_pieces",
    outside: "stopped_raw",
  });
  await ctx.db.run(`
    CREATE OR REPLACE TABLE stopped_pieces AS
    SELECT o.pid, p.row_id, o.s, o.e FROM stopped_raw o JOIN occupied_pieces p USING (pid);
    DROP TABLE stopped_raw;`);
  await ctx.db.run(`
    INSERT INTO span_pieces BY NAME
    SELECT ${sqlLiteral(ACTIVE)} AS source, replace(metric, 'occupied_', 'active_') AS metric,
      row_id, entity_id, hostname, s, e, nodes, vcpus, memory_mb, disk_gb, devices, project_id
    FROM active_pieces`);
  // Only stopped_pieces is read later (by the partition check).
  await ctx.db.run(`
    DROP TABLE running; DROP TABLE occupied_pieces; DROP TABLE active_pieces;
    DROP TABLE ${base}; DROP TABLE ${INSTANCE_EVENTS.name};`);
}

/** Whether the replay runs: the rule is on and instances and their events are there. */
function replays(rules: { active: boolean }, present: Set<string>): boolean {
  return rules.active && present.has(INSTANCES) && present.has(EVENTS);
}

/**
 * The plan of the replay (decision table above): active spans within the occupied ones, on the
 * instances' chain; the partition check runs when it did.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { ACTIVE_PLAN } from "./active.ts";
 * deepEqual(ACTIVE_PLAN.steps[0].writes, ["active_reservation", "active_ondemand"]);
 * ```
 */
export const ACTIVE_PLAN: DerivedPlan = {
  kind: "derived",
  sources: [ACTIVE],
  tables: [EVENTS, "nova.instance_actions"],
  enabled: replays,
  skippedNote: (rules, present) =>
    present.has(INSTANCES) && !replays(rules, present)
      ? "active spans skipped: no active_reservation or active_ondemand series"
      : null,
  chain: "instances",
  resources: ["vcpus", "memory_mb", "disk_gb"],
  steps: [{
    reads: ["occupied_reservation", "occupied_ondemand"],
    writes: ["active_reservation", "active_ondemand"],
    run: async (ctx) => {
      await activeSpans(ctx);
      return { partition: true };
    },
  }],
};
