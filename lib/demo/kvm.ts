/**
 * The KVM world of the demo generator (profile `kvm`, docs/design.md §11): QEMU hypervisors
 * shared by many instances, `flavor:instance` reservations whose slots fill hosts several at a
 * time, a few whole-host `physical:host` reservations, on-demand instances on hosts outside the
 * pool, and overcommit ratios set, NULL and 0. The truth holds fractions of nodes exactly: a node
 * is `lcm(host vCPUs)` units (docs/decisions/0014-kvm-fractions.md).
 *
 * | entity | how | rows |
 * |---|---|---|
 * | hypervisors | per node type; one added mid-history per reservable type, one on-demand host retired | `nova.compute_nodes` (`QEMU`, the type's ratios cycled), `nova.services` |
 * | pool | every host of a reservable type, from two hours after its birth; node type capability | `blazar.computehosts`, `computehost_extra_capabilities` |
 * | flavor leases | a flavor of 2-16 vCPUs, 1-6 slots packed onto hosts with room (several per host); some deleted early; one with two rows fewer than `amount` | `blazar.leases`, `reservations`, `instance_reservations`, `computehost_allocations` (one per slot) |
 * | host leases | one whole host that holds nothing else | the same, `physical:host` |
 * | instances | one per slot (most), linked by the flavor name, the flavor's extra spec or its `flavorid` (in turn), ended by the user or by Blazar a little after the lease; some stopped and started | `nova.instances`, `instance_actions`, `instance_actions_events`, `nova_api.request_specs` |
 * | on-demand | arrivals on hosts outside the pool, within the host's physical vCPUs | the same, plain flavors |
 *
 * Truth per host: `total` its life; `reservable` its pool row; `committed` each slot (its vCPUs,
 * RAM and disk, `nodes` = vCPUs / host vCPUs) or the whole host; `occupied_*` each instance
 * within its slot (or the host's life), `active_*` its running part. `vcpus_overcommit`: the host's
 * vCPUs x its ratio (16 where NULL or 0), a share's own vCPUs.
 *
 * @module
 */
import { intersect, type Interval, subtract } from "../math/intervals.ts";
import type { NodeTypeSpec } from "./profiles.ts";
import type { Amounts } from "./truth.ts";
import {
  type ActionSpec,
  DAY,
  type EventSpec,
  HOUR,
  lcm,
  type Lease,
  MIN,
  type World,
} from "./world_state.ts";
import { emitCapability } from "./hosts.ts";
import { emitReservation } from "./leases.ts";
import { emitEvent } from "./instances.ts";
import { requestSpecJson } from "./spec_json.ts";

/** Nova's CPU overcommit of a KVM host whose ratio is unset (the demo site sets no site key). */
export const KVM_DEFAULT_RATIO = 16;

/** Flavors of the demo's reservations and on-demand instances. */
const FLAVORS = [
  { name: "small", vcpus: 2, memoryMb: 4096, diskGb: 20 },
  { name: "medium", vcpus: 4, memoryMb: 8192, diskGb: 40 },
  { name: "large", vcpus: 8, memoryMb: 16384, diskGb: 80 },
  { name: "xlarge", vcpus: 16, memoryMb: 32768, diskGb: 160 },
] as const;
type Flavor = typeof FLAVORS[number];

/** One hypervisor of the KVM world. */
interface KvmHost {
  hostname: string;
  spec: NodeTypeSpec;
  nodeType: string;
  onDemand: boolean;
  total: Interval;
  reservable: Interval | null;
  blazarId: string | null;
  ratio: number | null;
  /** vCPUs held over time (slots, or instances on demand). */
  load: { s: number; e: number; vcpus: number }[];
  /** Whole-host holds. */
  whole: Interval[];
}

/** What the truth adds for a host or a share of it. */
function amounts(w: World, h: KvmHost, share?: Flavor): Amounts {
  const units = lcm(w.p.nodeTypes.map((t) => t.vcpus));
  if (share) {
    return [
      share.vcpus * units / h.spec.vcpus,
      share.vcpus,
      share.memoryMb,
      share.diskGb,
      share.vcpus,
    ];
  }
  const ratio = h.ratio !== null && h.ratio > 0 ? h.ratio : KVM_DEFAULT_RATIO;
  return [units, h.spec.vcpus, h.spec.memoryMb, h.spec.localGb, h.spec.vcpus * ratio];
}

/** The most vCPUs `h` holds at any instant of `[s, e)`. */
function peakLoad(h: KvmHost, s: number, e: number): number {
  const edges: [number, number][] = [];
  for (const l of h.load) {
    if (l.s < e && s < l.e) edges.push([Math.max(l.s, s), l.vcpus], [Math.min(l.e, e), -l.vcpus]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0, peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, cur += d);
  return peak;
}

/** Whether `h` has room for `vcpus` over `[s, e)` (in the pool when `pool`). */
function fits(h: KvmHost, s: number, e: number, vcpus: number, pool: boolean): boolean {
  if (pool && (h.reservable === null || h.reservable[0] > s)) return false;
  if (h.whole.some(([a, b]) => a < e && s < b)) return false;
  return peakLoad(h, s, e) + vcpus <= h.spec.vcpus;
}

/** Writes the name row of the `node_type` capability in the profile's Blazar era. */
function writeCapabilityName(w: World) {
  const era = w.opt.blazarEra;
  if (era === "name") return;
  const id = w.idRng.uuid();
  w.capabilityIds.set("node_type", id);
  w.emit(era === "fork" ? "blazar.extra_capabilities" : "blazar.resource_properties", {
    id,
    created_at: w.t0 - 300 * DAY,
    updated_at: null,
    resource_type: "physical:host",
    ...(era === "fork" ? { capability_name: "node_type" } : { property_name: "node_type" }),
  });
}

/** Writes every hypervisor (Nova, services, the pool) and adds total and reservable to the truth. */
function writeHosts(w: World): KvmHost[] {
  const hosts: KvmHost[] = [];
  w.p.nodeTypes.forEach((spec, ti) => {
    const n = Math.max(1, Math.round(spec.count * w.opt.scale));
    const onDemand = (spec.onDemandShare ?? 0) >= 1;
    for (let i = 0; i < n; i++) {
      const hostname = `c${ti + 1}${String(i + 1).padStart(2, "0")}.kvm.demo`;
      const late = !onDemand && n > 1 && i === n - 1;
      const birth = late ? w.t0 + 120 * DAY : w.t0 - 60 * DAY;
      const death = onDemand && n > 1 && i === n - 1 ? w.t0 + 200 * DAY : null;
      const ratios = spec.cpuAllocationRatios ?? [KVM_DEFAULT_RATIO];
      const ratio = ratios[i % ratios.length];
      const serviceId = w.next("nova.services");
      const life = {
        created_at: birth,
        updated_at: death ?? w.asOf - 30,
        deleted_at: death,
      };
      w.emit("nova.services", {
        id: serviceId,
        ...life,
        deleted: death === null ? 0 : serviceId,
        host: hostname,
        binary: "nova-compute",
        topic: "compute",
        report_count: Math.floor(((death ?? w.asOf) - birth) / 10),
        disabled: false,
        disabled_reason: null,
        last_seen_up: death ?? w.asOf - 7,
        forced_down: false,
        uuid: w.idRng.uuid(),
      });
      const nodeId = w.next("nova.compute_nodes");
      w.emit("nova.compute_nodes", {
        id: nodeId,
        ...life,
        deleted: death === null ? 0 : nodeId,
        service_id: serviceId,
        host: hostname,
        hypervisor_hostname: hostname,
        hypervisor_type: "QEMU",
        vcpus: spec.vcpus,
        memory_mb: spec.memoryMb,
        local_gb: spec.localGb,
        cpu_allocation_ratio: ratio,
        ram_allocation_ratio: 1.5,
        disk_allocation_ratio: 1.0,
        uuid: w.idRng.uuid(),
      });
      const h: KvmHost = {
        hostname,
        spec,
        nodeType: onDemand ? "unknown" : spec.name,
        onDemand,
        total: [birth, death ?? w.asOf],
        reservable: null,
        blazarId: null,
        ratio,
        load: [],
        whole: [],
      };
      if (!onDemand) {
        const id = w.idRng.uuid();
        const start = birth + 2 * HOUR;
        w.emit("blazar.computehosts", {
          id,
          created_at: start,
          updated_at: null,
          hypervisor_hostname: hostname,
          hypervisor_type: "QEMU",
          vcpus: spec.vcpus,
          memory_mb: spec.memoryMb,
          local_gb: spec.localGb,
          service_name: hostname,
          status: null,
          reservable: true,
          availability_zone: "nova",
          deleted: null,
          deleted_at: null,
          disabled: false,
        });
        emitCapability(w, id, "node_type", spec.name, start, null);
        h.blazarId = id;
        h.reservable = [start, w.asOf];
      }
      w.truth.add("total", h.nodeType, amounts(w, h), [h.total]);
      if (h.reservable) w.truth.add("reservable", h.nodeType, amounts(w, h), [h.reservable]);
      hosts.push(h);
    }
  });
  return hosts;
}

/** Writes one `blazar.leases` row. */
function emitKvmLease(w: World, l: Lease) {
  const status = l.end <= w.asOf ? "TERMINATED" : l.start > w.asOf ? "PENDING" : "ACTIVE";
  w.emit("blazar.leases", {
    id: l.id,
    created_at: l.created,
    updated_at: l.created,
    name: `lease-${w.idRng.hex(8)}`,
    user_id: l.userId,
    project_id: l.projectId,
    start_date: l.start,
    end_date: l.end,
    status,
    degraded: false,
    deleted: l.deleted === null ? null : l.id,
    deleted_at: l.deleted,
  });
}

/** How an instance names its reservation in its request spec. */
type Link =
  | { kind: "flavor_name" | "extra_spec" | "flavorid"; reservation: string }
  | { kind: "hint"; reservation: string }
  | { kind: "none" };

/** The request spec's flavor for an instance of `f` linked by `link`. */
function specFlavor(
  w: World,
  f: Flavor,
  link: Link,
): { flavorName: string; flavorId: string; extraSpecs?: Record<string, string> } {
  switch (link.kind) {
    case "flavor_name":
      return { flavorName: `reservation:${link.reservation}`, flavorId: link.reservation };
    case "extra_spec":
      return {
        flavorName: `kvm.reserved.${f.name}`,
        flavorId: `f-${w.idRng.hex(8)}`,
        extraSpecs: { "aggregate_instance_extra_specs:reservation": link.reservation },
      };
    case "flavorid":
      return { flavorName: `kvm.reserved.${f.name}`, flavorId: link.reservation, extraSpecs: {} };
    default:
      return {
        flavorName: `m1.${f.name}`,
        flavorId: String(FLAVORS.indexOf(f) + 1),
        extraSpecs: { "hw:cpu_policy": "shared" },
      };
  }
}

/**
 * Writes one instance of flavor `f` on `h` from `launch` to `end` (null: running at the
 * snapshot), maybe stopped and started once, with its actions, events and request spec; returns
 * its running time.
 */
function writeInstance(
  w: World,
  h: KvmHost,
  f: Flavor,
  launch: number,
  end: number | null,
  link: Link,
  projectId: string,
): Interval[] {
  const r = w.instRng;
  const id = w.next("nova.instances");
  const uuid = w.idRng.uuid();
  const stopAt = end ?? w.asOf;
  const ev = (event: string, finish: number): EventSpec => ({
    event,
    start: finish - 1,
    finish,
    result: "Success",
    host: h.hostname,
  });
  const actions: ActionSpec[] = [{
    action: "create",
    start: launch - 50,
    events: [ev("compute__do_build_and_run_instance", launch)],
  }];
  let running: Interval[] = [[launch, stopAt]];
  if (r.chance(w.p.lifecycleShare) && stopAt - launch > 4 * HOUR) {
    const t1 = r.int(launch + HOUR, stopAt - 2 * HOUR);
    const t2 = r.int(t1 + 10 * MIN, stopAt - MIN);
    actions.push({ action: "stop", start: t1 - 2, events: [ev("compute_stop_instance", t1)] });
    actions.push({ action: "start", start: t2 - 2, events: [ev("compute_start_instance", t2)] });
    running = subtract(running, [[t1, t2]]);
  }
  if (end !== null) {
    actions.push({
      action: "delete",
      start: end - 5,
      events: [ev("compute_terminate_instance", end)],
    });
  }
  // Some flavors split their disk into root and ephemeral: occupied disk is their sum.
  const ephemeral = f.diskGb >= 80 && id % 2 === 0 ? f.diskGb / 2 : 0;
  w.emit("nova.instances", {
    id,
    uuid,
    created_at: launch - 60,
    updated_at: end ?? stopAt - 1,
    deleted_at: end === null ? null : end + r.int(0, 2),
    deleted: end === null ? 0 : id,
    launched_at: launch,
    terminated_at: end,
    user_id: w.idRng.hex(32),
    project_id: projectId,
    host: h.hostname,
    node: h.hostname,
    vcpus: f.vcpus,
    memory_mb: f.memoryMb,
    root_gb: f.diskGb - ephemeral,
    ephemeral_gb: ephemeral,
    vm_state: end === null ? "active" : "deleted",
    power_state: end === null ? 1 : 4,
    task_state: null,
    reservation_id: `r-${w.idRng.hex(8)}`,
    display_name: `vm-${id}`,
    availability_zone: "nova",
    locked_by: null,
    compute_id: null,
  });
  for (const a of actions) {
    const actionId = w.next("nova.instance_actions");
    w.emit("nova.instance_actions", {
      id: actionId,
      created_at: a.start,
      updated_at: a.events.at(-1)?.finish ?? a.start,
      deleted_at: null,
      deleted: 0,
      action: a.action,
      instance_uuid: uuid,
      request_id: `req-${w.idRng.uuid()}`,
      project_id: projectId,
      start_time: a.start,
      finish_time: null,
      message: null,
    });
    for (const e of a.events) emitEvent(w, actionId, e);
  }
  w.emit("nova_api.request_specs", {
    id: w.next("nova_api.request_specs"),
    created_at: launch - 60,
    updated_at: launch,
    instance_uuid: uuid,
    spec: requestSpecJson({
      instanceUuid: uuid,
      projectId,
      reservation: link.kind === "hint" ? link.reservation : undefined,
      vcpus: f.vcpus,
      memoryMb: f.memoryMb,
      rootGb: f.diskGb - ephemeral,
      ...specFlavor(w, f, link),
    }),
  });
  return running;
}

/** Adds an instance's occupied and active time (within `within`) to the truth. */
function addInstanceTruth(
  w: World,
  h: KvmHost,
  f: Flavor,
  metric: "reservation" | "ondemand",
  lifeOf: Interval,
  running: Interval[],
  within: Interval[],
) {
  const a = amounts(w, h, f);
  w.truth.add(`occupied_${metric}`, h.nodeType, a, intersect([lifeOf], within));
  w.truth.add(`active_${metric}`, h.nodeType, a, intersect(running, within));
}

/** Writes the leases with their slots and instances (see the module's table). */
function writeLeases(w: World, hosts: KvmHost[]) {
  const r = w.leaseRng;
  const pool = hosts.filter((h) => !h.onDemand);
  const n = Math.round(w.p.leases * w.opt.scale);
  let short = false;
  let linkTurn = 0;
  for (let k = 0; k < n; k++) {
    const created = r.int(w.t0 - 20 * DAY, w.asOf - 2 * HOUR);
    const start = created + (r.chance(0.5) ? r.int(10, 10 * MIN) : r.int(HOUR, 5 * DAY));
    const end = start + Math.min(20 * DAY, Math.max(2 * HOUR, Math.round(r.logNormal(2 * DAY, 1))));
    let deleted = r.chance(0.1) && start + MIN < w.asOf ? r.int(start + MIN, end - 1) : null;
    if (deleted !== null && deleted >= w.asOf) deleted = null;
    const ce = deleted ?? end;
    const physical = r.chance(0.06);
    const f = physical ? FLAVORS[3] : r.pick(FLAVORS);
    const want = physical ? 1 : r.chance(w.p.multiHostShare) ? r.int(2, 6) : 1;
    const slots: KvmHost[] = [];
    const offset = r.int(0, pool.length - 1);
    for (let j = 0; j < pool.length && slots.length < want; j++) {
      const h = pool[(offset + j) % pool.length];
      if (physical) {
        if (fits(h, start, ce, h.spec.vcpus, true)) slots.push(h);
        continue;
      }
      // Several slots of one reservation on one host while it has room (Blazar packs them).
      while (slots.length < want && fits(h, start, ce, f.vcpus, true)) {
        h.load.push({ s: start, e: ce, vcpus: f.vcpus });
        slots.push(h);
      }
    }
    if (slots.length === 0) continue;
    const projectId = r.pick(w.projects);
    const lease: Lease = {
      id: w.idRng.uuid(),
      created,
      start,
      end,
      deleted,
      projectId,
      userId: w.idRng.hex(32),
    };
    emitKvmLease(w, lease);
    const resId = w.idRng.uuid();
    const resourceId = w.idRng.uuid();
    emitReservation(w, resId, lease, physical ? "physical:host" : "flavor:instance", resourceId);
    if (!physical) {
      // One reservation asks for two slots more than Blazar wrote rows for.
      const amount = short ? slots.length : slots.length + 2;
      if (!short) {
        short = true;
        w.flag("flavor_rows_below_amount", "blazar.instance_reservations", resourceId, null, {
          reservation_id: resId,
          amount,
          rows: slots.length,
        });
      }
      w.emit("blazar.instance_reservations", {
        id: resourceId,
        created_at: created,
        updated_at: null,
        reservation_id: resId,
        vcpus: f.vcpus,
        memory_mb: f.memoryMb,
        disk_gb: f.diskGb,
        amount,
        affinity: false,
        flavor_id: resId,
        resource_inventory: null,
        deleted: deleted === null ? null : resourceId,
        deleted_at: deleted,
      });
    }
    for (const h of slots) {
      const id = w.idRng.uuid();
      const gone = deleted ?? (end < w.asOf && r.chance(0.7) ? end + r.int(0, 60) : null);
      w.emit("blazar.computehost_allocations", {
        id,
        created_at: created + 1,
        updated_at: null,
        compute_host_id: h.blazarId,
        reservation_id: resId,
        deleted: gone === null || gone >= w.asOf ? null : id,
        deleted_at: gone === null || gone >= w.asOf ? null : gone,
      });
      const cw = intersect([[start, ce]], [h.reservable!]);
      if (physical) h.whole.push([start, ce]);
      w.truth.add("committed", h.nodeType, physical ? amounts(w, h) : amounts(w, h, f), cw);
      if (cw.length === 0 || cw[0][0] >= w.asOf || !w.instRng.chance(0.85)) continue;
      const [cs, cend] = cw[0];
      const launch = cs +
        w.instRng.int(MIN, Math.max(MIN + 1, Math.min(6 * HOUR, Math.floor((cend - cs) / 4))));
      if (launch >= Math.min(cend, w.asOf) - MIN) continue;
      // Ended by the user inside the lease, or by Blazar a little after it (the rest is clipped).
      let stop = w.instRng.chance(0.4)
        ? launch + Math.floor((cend - launch) * (0.2 + 0.7 * w.instRng.next()))
        : cend + w.instRng.int(5, 120);
      if (stop <= launch) stop = launch + 1;
      const iend = stop >= w.asOf ? null : stop;
      const kinds = ["flavor_name", "extra_spec", "flavorid"] as const;
      const link: Link = physical
        ? { kind: "hint", reservation: resId }
        : { kind: kinds[linkTurn++ % 3], reservation: resId };
      const running = writeInstance(w, h, f, launch, iend, link, projectId);
      addInstanceTruth(w, h, f, "reservation", [launch, iend ?? w.asOf], running, cw);
    }
  }
}

/** Writes on-demand instances on the hosts outside the pool, within their physical vCPUs. */
function writeOnDemand(w: World, hosts: KvmHost[]) {
  const r = w.instRng;
  for (const h of hosts.filter((x) => x.onDemand)) {
    const [birth, hostEnd] = h.total;
    const dies = hostEnd < w.asOf;
    let t = Math.max(birth, w.t0 - 30 * DAY);
    for (;;) {
      t += Math.max(MIN, Math.round(r.exp(1.5 * DAY)));
      if (t >= hostEnd - HOUR) break;
      const f = r.pick(FLAVORS);
      let end: number | null = t + Math.max(10 * MIN, Math.round(r.logNormal(3 * DAY, 1.2)));
      if (dies && end >= hostEnd - MIN) end = hostEnd - r.int(MIN, 30 * MIN);
      if (end <= t) continue;
      if (end >= w.asOf) end = null;
      if (!fits(h, t, end ?? w.asOf, f.vcpus, false)) continue;
      h.load.push({ s: t, e: end ?? w.asOf, vcpus: f.vcpus });
      const running = writeInstance(w, h, f, t, end, { kind: "none" }, r.pick(w.projects));
      addInstanceTruth(w, h, f, "ondemand", [t, end ?? w.asOf], running, [h.total]);
    }
  }
}

/**
 * Generates the KVM world into `w` (the module's table): hosts, the pool, leases with slots and
 * their instances, on-demand instances; the truth beside them.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { generateWorld } from "./world.ts";
 * import { profileByName } from "./profiles.ts";
 * const seen: Record<string, number> = {};
 * const sink = { row: (table: string) => void (seen[table] = (seen[table] ?? 0) + 1) };
 * generateWorld(profileByName("kvm"), sink, { scale: 0.2, seed: 1, blazarEra: "property" });
 * ok(seen["blazar.instance_reservations"] > 0 && seen["nova.instances"] > 0);
 * ```
 */
export function writeKvmWorld(w: World): void {
  writeCapabilityName(w);
  const hosts = writeHosts(w);
  writeLeases(w, hosts);
  writeOnDemand(w, hosts);
}
