/**
 * The life of each instance as Nova's action events tell it: one row per event with its action,
 * time and result, and whether any event of its action failed.
 *
 * Times come from the events (`finish_time`, else `start_time`): `instance_actions.finish_time`
 * is almost always NULL. An action with a failed event changes nothing. Only successful
 * `compute_*` events are kept (what every reader asks for: the last host, the termination, the
 * shelving and the replay of actions); whether their action failed is judged on all its events.
 *
 * @module
 */
import type { SpanContext } from "./context.ts";
import { type TableHandle, tableHandle } from "./plan.ts";

/** `inst_events`: one row per timed action event (see {@linkcode instanceEvents}). */
export const INSTANCE_EVENTS: TableHandle<"events"> = tableHandle("events", "inst_events");

/**
 * Builds `inst_events(uuid, action_id, action, event, host, result, t, action_failed)`.
 *
 * @example
 * ```ts ignore
 * await instanceEvents(ctx);
 * ```
 */
export async function instanceEvents(ctx: SpanContext): Promise<void> {
  // An action failed when one of its timed events did: the few failed action ids are looked up
  // (a semi-join) instead of a window partitioning every event by action.
  await ctx.db.run(`
    CREATE OR REPLACE TABLE ${INSTANCE_EVENTS.name} AS
    WITH failed AS (
      SELECT DISTINCT action_id FROM stg_nova_instance_actions_events
      WHERE result = 'Error' AND coalesce(finish_time, start_time) IS NOT NULL AND action_id IS NOT NULL
    )
    SELECT a.instance_uuid AS uuid, a.id AS action_id, a.action, e.id AS event_id, e.event,
      e.host, e.result,
      epoch_us(coalesce(e.finish_time, e.start_time)) AS t,
      a.id IN (SELECT action_id FROM failed) AS action_failed
    FROM stg_nova_instance_actions a
    JOIN stg_nova_instance_actions_events e ON e.action_id = a.id
    WHERE a.instance_uuid IS NOT NULL AND coalesce(e.finish_time, e.start_time) IS NOT NULL
      AND e.result = 'Success' AND starts_with(e.event, 'compute_')`);
}
