/**
 * Filler: pads every table with a target up to its exact row count with rows that change no
 * truth (see {@linkcode fillTargets}).
 *
 * @module
 */
import { Rng } from "./rng.ts";
import { UNSCALED_TARGETS } from "./profiles.ts";
import { DAY, HOUR, type Lease, MIN, type World } from "./world_state.ts";
import {
  capabilityNames,
  emitCapability,
  emitComputeHost,
  emitComputeNodeRaw,
  emitService,
} from "./hosts.ts";
import { emitEvent, emitSpec } from "./instances.ts";
import { emitReservation, writeOtherLease } from "./leases.ts";

/**
 * Pads every table with a target up to its exact row count, with rows that change no truth:
 * retired service rows, zero-length registrations, builds that failed before scheduling, API
 * actions and events that change no state, leases of networks and floating IPs, allocations of
 * leases deleted before they started, extra host capabilities, zero-hour legacy rows.
 * Fails when the natural generation already exceeds a target.
 */
export function fillTargets(w: World, targets: Readonly<Record<string, number>>) {
  const r = new Rng(w.opt.seed, "fill");
  const scaled = (t: string) =>
    UNSCALED_TARGETS.has(t) ? targets[t] : Math.round(targets[t] * w.opt.scale);
  // At scale 1 the targets are CHI@TACC's exact counts. Scaled, they are floors: the natural
  // generation of 10x the hosts and leases may overshoot ten times a count by a few percent
  // (10x tacc: 4% more allocations), and such a table keeps its rows.
  const exact = w.opt.scale === 1;
  const deficit = (t: string) => {
    if (!(t in targets)) return 0;
    const have = w.counts[t] ?? 0;
    const want = scaled(t);
    if (have > want && !exact) return 0;
    if (have > want) {
      throw new Error(
        `Cannot reach the "${w.p.name}" target for "${t}": generated ${have} rows, target ${want}`,
      );
    }
    return want - have;
  };
  const note = (table: string, n: number, reason: string | null) => {
    if (n > 0) w.defect({ kind: "filler", table, row_id: "*", reason, detail: { rows: n } });
  };
  const after = w.novaCutoff + DAY;
  // services
  let n = deficit("nova.services");
  for (let i = 0; i < n; i++) {
    const start = r.int(after, w.asOf - 30 * DAY);
    emitService(
      w,
      w.next("nova.services"),
      `ctl-old-${i % 7}`,
      r.pick(["nova-scheduler", "nova-conductor", "nova-consoleauth"]),
      "scheduler",
      start,
      start + r.int(DAY, 20 * DAY),
    );
  }
  note("nova.services", n, null);
  // compute_nodes: zero-length registrations
  n = deficit("nova.compute_nodes");
  for (let i = 0; i < n; i++) {
    const life = r.pick(w.lives);
    const t = r.int(Math.max(after, life.birth), Math.max(after, life.death ?? w.asOf - DAY));
    emitComputeNodeRaw(w, life, t, t, r.pick(w.conductors));
  }
  note("nova.compute_nodes", n, "phantom_span");
  // instances that failed before scheduling, without request specs
  n = deficit("nova.instances");
  const specsWanted = deficit("nova_api.request_specs");
  for (let i = 0; i < n; i++) {
    const id = w.next("nova.instances");
    const uuid = w.idRng.uuid();
    const created = r.int(after, w.asOf - DAY);
    const projectId = r.pick(w.projects);
    w.emit("nova.instances", {
      id,
      uuid,
      created_at: created,
      updated_at: created + 60,
      deleted_at: created + 120,
      deleted: id,
      launched_at: null,
      terminated_at: null,
      user_id: w.idRng.hex(32),
      project_id: projectId,
      host: null,
      node: null,
      vcpus: 48,
      memory_mb: 196608,
      root_gb: 240,
      ephemeral_gb: 0,
      vm_state: "error",
      power_state: 0,
      task_state: null,
      reservation_id: `r-${w.idRng.hex(8)}`,
      display_name: `failed-${id}`,
      availability_zone: "nova",
      locked_by: null,
      compute_id: null,
    });
    if (i < specsWanted) {
      const life = r.pick(w.lives);
      emitSpec(w, uuid, created, projectId, life, {});
    }
  }
  note("nova.instances", n, "never_launched");
  n = deficit("nova_api.request_specs");
  if (n > 0) {
    throw new Error(
      `Cannot reach the "${w.p.name}" target for "nova_api.request_specs": ${n} rows short`,
    );
  }
  // neutral actions, then neutral events spread over them
  const actions = deficit("nova.instance_actions");
  const events = deficit("nova.instance_actions_events");
  if (events > 0 && actions === 0) {
    throw new Error(
      `Cannot reach the "${w.p.name}" target for "nova.instance_actions_events": no filler actions to attach ${events} events to`,
    );
  }
  const actionIds: number[] = [];
  for (let i = 0; i < actions; i++) {
    const inst = w.someInstances[i % w.someInstances.length];
    const id = w.next("nova.instance_actions");
    const t = inst.at + r.int(MIN, HOUR);
    const action = r.pick(["lock", "unlock", "createImage"]);
    actionIds.push(id);
    w.emit("nova.instance_actions", {
      id,
      created_at: t,
      updated_at: t,
      deleted_at: null,
      deleted: 0,
      action,
      instance_uuid: inst.uuid,
      request_id: `req-${w.idRng.uuid()}`,
      project_id: inst.projectId,
      start_time: t,
      finish_time: null,
      message: null,
    });
  }
  for (let i = 0; i < events; i++) {
    const t = w.t0 + r.int(0, w.asOf - w.t0 - 1);
    emitEvent(w, actionIds[i % actionIds.length], {
      event: r.pick(["api_lock", "api_unlock", "api_snapshot_instance"]),
      start: t,
      finish: t + 1,
      result: "Success",
      host: null,
    });
  }
  note("nova.instance_actions", actions, null);
  // leases of networks, and more reservations on them
  n = deficit("blazar.leases");
  const filled: Lease[] = [];
  for (let i = 0; i < n; i++) {
    filled.push(writeOtherLease(w, r.int(after, w.asOf + 10 * DAY)));
  }
  n = deficit("blazar.reservations");
  const hosts = filled.length > 0 ? filled : w.otherLeases;
  for (let i = 0; i < n; i++) {
    emitReservation(
      w,
      w.idRng.uuid(),
      hosts[i % hosts.length],
      "virtual:floatingip",
      w.idRng.uuid(),
    );
  }
  // allocations of leases deleted before they started
  n = deficit("blazar.computehost_allocations");
  if (n > 0 && w.deletedBeforeStart.length === 0) {
    throw new Error(
      `Cannot reach the "${w.p.name}" target for "blazar.computehost_allocations": no lease deleted before its start to attach ${n} rows to`,
    );
  }
  for (let i = 0; i < n; i++) {
    const d = w.deletedBeforeStart[i % w.deletedBeforeStart.length];
    const host = r.pick(d.life.blazar);
    w.emit("blazar.computehost_allocations", {
      id: w.idRng.uuid(),
      created_at: d.created,
      updated_at: null,
      compute_host_id: host.id,
      reservation_id: d.reservationId,
      deleted: null,
      deleted_at: d.created + 1,
    });
  }
  note("blazar.computehost_allocations", n, "deleted_before_start");
  // zero-length Blazar host rows, then capabilities on the hosts there are
  n = deficit("blazar.computehosts");
  for (let i = 0; i < n; i++) {
    const life = r.pick(w.lives.filter((l) => !l.onDemand));
    const t = r.int(w.blazarCutoff, w.asOf - DAY);
    emitComputeHost(w, w.idRng.uuid(), life, t, t);
  }
  note("blazar.computehosts", n, "phantom_span");
  n = deficit("blazar.computehost_extra_capabilities");
  const names = capabilityNames(64).slice(6);
  for (let i = 0; i < n; i++) {
    const h = w.emittedHosts[i % w.emittedHosts.length];
    const round = Math.floor(i / w.emittedHosts.length);
    emitCapability(w, h.id, names[round % names.length], `value-${round}`, h.start, h.end);
  }
  // zero-hour legacy rows
  for (const table of ["chameleon_usage.node_maintenance", "chameleon_usage.node_usage"]) {
    n = deficit(table);
    for (let i = 0; i < n; i++) {
      const life = r.pick(w.lives);
      const day = Math.floor(r.int(w.t0, w.asOf - 1) / DAY);
      const id = w.next(table);
      w.emit(
        table,
        table.endsWith("maintenance")
          ? { id, node_name: life.hostname, date: day, hours: 0, reason: null }
          : {
            id,
            node_name: life.hostname,
            date: day,
            reserved_hours: 0,
            used_hours: 0,
            project_id: null,
          },
      );
    }
    note(table, n, table.endsWith("maintenance") ? "phantom_span" : null);
  }
  for (const t of Object.keys(targets)) {
    const have = w.counts[t] ?? 0;
    if (exact ? have !== scaled(t) : have < scaled(t)) {
      throw new Error(
        `Cannot reach the "${w.p.name}" target for "${t}": ${have} rows, target ${scaled(t)}`,
      );
    }
  }
}
