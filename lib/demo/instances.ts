/**
 * Instances: launched inside allocations (a scheduler hint or a `reservation:<id>` flavor) or on
 * on-demand hosts, with stop/start cycles, failed actions, reboots, shelve/offload/unshelve,
 * ended by the user or by Blazar a little after the lease ends; written as `nova.instances`,
 * `instance_actions`, `instance_actions_events` and `nova_api.request_specs`, and added to the
 * truth where they occupy a host.
 *
 * @module
 */
import { intersect, type Interval, normalize } from "../math/intervals.ts";
import type { Rng } from "./rng.ts";
import { requestSpecJson } from "./spec_json.ts";
import type { ActionSpec, Allocation, EventSpec, Lease, Life, World } from "./world_state.ts";
import { DAY, HOUR, MIN } from "./world_state.ts";

/**
 * Writes an instance in allocation `a` and adds what it occupied (clamped to the commitment) to the
 * truth and the legacy method.
 */
export function writeReservationInstance(w: World, a: Allocation, lease: Lease, flavor: boolean) {
  const r = w.instRng;
  const ce = Math.min(a.ce, w.asOf);
  const created = a.cs + Math.min(6 * HOUR, Math.round(r.logNormal(15 * MIN, 1)));
  if (created >= ce - 30 * MIN) return;
  const hint = flavor ? { flavor: `reservation:${a.reservationId}` } : { hint: a.reservationId };
  const plan = planInstance(w, a.life, created, ce, a.ce, lease.projectId, hint);
  if (!plan) return;
  const committed = intersect([[a.cs, a.ce]], a.life.reservable);
  const occupied = intersect(plan.segments, committed);
  w.truth.add("occupied_reservation", a.life.nodeType, a.life.amounts, occupied);
  const amounts = a.life.amounts;
  w.projectTruth.add(lease.projectId, "occupied_reservation", a.life.nodeType, amounts, occupied);
  w.truth.add(
    "active_reservation",
    a.life.nodeType,
    a.life.amounts,
    intersect(plan.running, occupied),
  );
  w.legacy.used(a.id, occupied);
}

/** Writes instances, one after another, on the on-demand hosts, and adds them to the truth. */
export function writeOnDemandInstances(w: World) {
  const r = w.instRng;
  for (const life of w.lives) {
    if (!life.onDemand) continue;
    for (const [ws, we] of life.total) {
      let t = ws + r.int(HOUR, 3 * DAY);
      while (t < Math.min(we, w.asOf) - 2 * HOUR) {
        const len = Math.round(r.logNormal(DAY, 1.2));
        const stop = Math.min(t + Math.max(HOUR, len), we);
        const project = r.pick(w.projects);
        const plan = planInstance(w, life, t, Math.min(stop, w.asOf), stop, project, {});
        if (plan) {
          // Evidence: where an instance ran, its host existed, so nothing is clipped here.
          const occupied = plan.segments;
          w.truth.add("occupied_ondemand", life.nodeType, life.amounts, occupied);
          w.projectTruth.add(project, "occupied_ondemand", life.nodeType, life.amounts, occupied);
          w.truth.add(
            "active_ondemand",
            life.nodeType,
            life.amounts,
            intersect(plan.running, occupied),
          );
          t = Math.max(plan.end ?? w.asOf, t + HOUR) + Math.round(r.exp(2 * DAY));
        } else {
          t += Math.round(r.exp(DAY));
        }
      }
    }
  }
}

/**
 * Plans and writes one instance created at `created` on `life`, to end by `limit` (the
 * committed end capped at the snapshot) or at `terminateAt` + a little (Blazar's lease-end
 * termination). Returns its occupied segments and running intervals (unclamped), or null when
 * it never launched.
 */
function planInstance(
  w: World,
  life: Life,
  created: number,
  limit: number,
  terminateAt: number,
  projectId: string,
  link: { hint?: string; flavor?: string },
): { segments: Interval[]; running: Interval[]; end: number | null } | null {
  const r = w.instRng;
  const id = w.next("nova.instances");
  const uuid = w.idRng.uuid();
  const conductor = conductorAt(life, created);
  const actions: ActionSpec[] = [];
  const ev = (
    event: string,
    start: number,
    finish: number,
    result: "Success" | "Error" = "Success",
    host: string | null = life.hostname,
  ): EventSpec => ({ event, start, finish, result, host });
  const base = {
    id,
    uuid,
    created_at: created,
    user_id: w.idRng.hex(32),
    project_id: projectId,
    vcpus: life.spec.vcpus,
    memory_mb: life.spec.memoryMb,
    root_gb: life.spec.localGb,
    ephemeral_gb: 0,
    reservation_id: `r-${w.idRng.hex(8)}`,
    display_name: displayName(r, id),
    availability_zone: "nova",
    locked_by: null,
    compute_id: null,
  };
  if (r.chance(0.03)) {
    emitSpec(w, uuid, created, projectId, life, link);
    // The build fails: never launched.
    const fail = created + r.int(2 * MIN, 20 * MIN);
    actions.push({
      action: "create",
      start: created,
      events: [ev("compute__do_build_and_run_instance", created + 5, fail, "Error")],
    });
    const del = fail + r.int(MIN, HOUR);
    const deleted = del < w.asOf ? del : null;
    if (deleted !== null) actions.push({ action: "delete", start: deleted - 2, events: [] });
    w.emit("nova.instances", {
      ...base,
      updated_at: deleted ?? fail,
      deleted_at: deleted,
      deleted: deleted === null ? 0 : id,
      launched_at: null,
      terminated_at: null,
      host: null,
      node: null,
      vm_state: "error",
      power_state: 0,
      task_state: null,
    });
    emitActions(w, uuid, projectId, actions);
    w.flag("never_launched", "nova.instances", id, "never_launched");
    if (w.zeroDates.filter((z) => z.column === "launched_at").length < 2) {
      w.zeroDates.push({ table: "nova.instances", row_id: String(id), column: "launched_at" });
    }
    return null;
  }
  const launched = created + r.int(8 * MIN, 25 * MIN);
  if (launched >= limit - 10 * MIN) {
    w.seq["nova.instances"]--;
    return null;
  }
  emitSpec(w, uuid, created, projectId, life, link);
  actions.push({
    action: "create",
    start: created,
    events: [ev("compute__do_build_and_run_instance", created + 4, launched)],
  });
  // When the user or Blazar ends it.
  let end: number | null = r.chance(0.45)
    ? r.int(launched + 5 * MIN, limit)
    : terminateAt + r.int(5, 180);
  if (end >= w.asOf) end = null;
  const stopAt = end ?? w.asOf;
  const segments: Interval[] = [];
  const running: Interval[] = [];
  let segStart = launched, runStart: number | null = launched;
  let state: "running" | "stopped" | "offloaded" = "running";
  let t = launched;
  const step = (min: number) => t + Math.round(r.exp(Math.max(min, (stopAt - launched) / 6)));
  const cycles = r.chance(w.p.lifecycleShare) ? r.int(1, 4) : 0;
  for (let k = 0; k < cycles; k++) {
    t = step(10 * MIN);
    if (t >= stopAt - 10 * MIN) break;
    const u = r.next();
    const fin = t + r.int(5, 90);
    // A stop or start that fails with probability `failShare`; true when it worked.
    const attempt = (action: "stop" | "start", failShare: number) => {
      const ok = !r.chance(failShare);
      const event = `compute_${action}_instance`;
      actions.push({ action, start: t, events: [ev(event, t + 1, fin, ok ? "Success" : "Error")] });
      return ok;
    };
    if (state === "running" && u < 0.45) {
      if (attempt("stop", 0.1)) {
        running.push([runStart!, fin]);
        runStart = null;
        state = "stopped";
      }
      t = fin;
    } else if (state === "stopped" && u < 0.8) {
      if (attempt("start", 0.05)) {
        runStart = fin;
        state = "running";
      }
      t = fin;
    } else if (state === "running" && u < 0.7) {
      actions.push({
        action: "reboot",
        start: t,
        events: [ev("compute_reboot_instance", t + 1, fin)],
      });
      t = fin;
    } else if (state !== "offloaded" && u < 0.9) {
      // shelve, then offload: the node is released.
      const off = fin + r.int(30, 300);
      if (off >= stopAt - MIN) break;
      actions.push({
        action: "shelve",
        start: t,
        events: [ev("compute_shelve_instance", t + 1, fin)],
      });
      actions.push({
        action: "shelveOffload",
        start: fin + 5,
        events: [ev("compute_shelve_offload_instance", fin + 6, off)],
      });
      if (runStart !== null) running.push([runStart, fin]);
      runStart = null;
      segments.push([segStart, off]);
      state = "offloaded";
      t = off;
    } else if (state === "offloaded") {
      const fin2 = t + r.int(5 * MIN, 15 * MIN);
      if (fin2 >= stopAt - 10 * MIN) break;
      actions.push({
        action: "unshelve",
        start: t,
        events: [
          ev("schedule_instances", t + 1, t + 3, "Success", null),
          ev("compute_unshelve_instance", t + 4, fin2),
        ],
      });
      segStart = fin2;
      runStart = fin2;
      state = "running";
      t = fin2;
    }
  }
  if (state !== "offloaded") {
    segments.push([segStart, stopAt]);
    if (runStart !== null) running.push([runStart, stopAt]);
  }
  if (end !== null) {
    actions.push({
      action: "delete",
      start: end - r.int(2, 20),
      events: state === "offloaded" ? [] : [ev("compute_terminate_instance", end - 1, end)],
    });
  }
  const vm = end !== null
    ? "deleted"
    : state === "offloaded"
    ? "shelved_offloaded"
    : state === "stopped"
    ? "stopped"
    : "active";
  const row = {
    ...base,
    updated_at: end ?? stopAt - 1,
    deleted_at: end === null ? null : end + r.int(0, 2),
    deleted: end === null ? 0 : id,
    launched_at: launched,
    terminated_at: end,
    host: state === "offloaded" ? null : conductor,
    node: state === "offloaded" ? null : life.hostname,
    vm_state: vm,
    power_state: vm === "active" ? 1 : 4,
    task_state: null,
  };
  w.emit("nova.instances", row);
  emitActions(w, uuid, projectId, actions);
  if (state === "offloaded" && end !== null) {
    w.flag("offloaded_null_node", "nova.instances", id, null, { hostname: life.hostname });
  }
  if (w.someInstances.length < 2000) {
    w.someInstances.push({ uuid, projectId, at: launched });
  }
  if (
    w.completed.length < 2000 && end !== null && state === "running" &&
    launched > w.blazarCutoff
  ) {
    w.completed.push({ id, uuid, end, life, row });
  }
  life.occupied.push(...segments.map(([a, b]) => [a, Math.min(b, w.asOf)] as Interval));
  return { segments: normalize(segments), running: normalize(running), end };
}

/** The conductor `life` was registered on at time `t`. */
function conductorAt(life: Life, t: number): string {
  return (life.regs.find((g) => g.start <= t && (g.end === null || t < g.end)) ?? life.regs[0])
    .conductor.host;
}

/**
 * Writes the `nova_api.request_specs` row of an instance, linking it to Blazar by hint or flavor.
 */
export function emitSpec(
  w: World,
  uuid: string,
  created: number,
  projectId: string,
  life: Life,
  link: { hint?: string; flavor?: string },
) {
  w.emit("nova_api.request_specs", {
    id: w.next("nova_api.request_specs"),
    created_at: created,
    updated_at: created + 60,
    instance_uuid: uuid,
    spec: requestSpecJson({
      instanceUuid: uuid,
      projectId,
      reservation: link.hint,
      flavorName: link.flavor ??
        (life.spec.name.startsWith("gpu") ? "baremetal.gpu" : "baremetal"),
      vcpus: life.spec.vcpus,
      memoryMb: life.spec.memoryMb,
      rootGb: life.spec.localGb,
      flavorId: link.flavor ? link.flavor.slice("reservation:".length) : "baremetal",
    }),
  });
}

/** Writes the instance actions of `uuid` and their events. */
function emitActions(w: World, uuid: string, projectId: string, actions: ActionSpec[]) {
  for (const a of actions) {
    const id = w.next("nova.instance_actions");
    const failed = a.events.some((e) => e.result === "Error");
    const last = a.events.reduce((m, e) => Math.max(m, e.finish), a.start);
    w.emit("nova.instance_actions", {
      id,
      created_at: a.start,
      updated_at: last,
      deleted_at: null,
      deleted: 0,
      action: a.action,
      instance_uuid: uuid,
      request_id: `req-${w.idRng.uuid()}`,
      project_id: projectId,
      start_time: a.start,
      finish_time: null,
      message: failed ? "Error" : null,
    });
    for (const e of a.events) emitEvent(w, id, e);
  }
}

/** Writes one `nova.instance_actions_events` row. */
export function emitEvent(w: World, actionId: number, e: EventSpec) {
  w.emit("nova.instance_actions_events", {
    id: w.next("nova.instance_actions_events"),
    created_at: e.start,
    updated_at: e.finish,
    deleted_at: null,
    deleted: 0,
    event: e.event,
    action_id: actionId,
    start_time: e.start,
    finish_time: e.finish,
    result: e.result,
    host: e.host,
  });
}

const NAME_WORDS = [
  "exp",
  "bench",
  "ml-train",
  "cc-node",
  "sim",
  "test",
  "k8s-worker",
  "hpc",
  "実験",
  "🚀-launch",
];

function displayName(r: Rng, id: number): string {
  if (id === 7) return "<img src=x onerror=alert(1)>";
  return `${r.pick(NAME_WORDS)}-${id}`;
}
