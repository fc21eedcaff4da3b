/**
 * Host lives and their rows: each hostname's lives (churn: retirement, failure, hostname reuse,
 * maybe as another node type), the Nova registrations of each life (conductor rebalancing, a
 * conductor-generation switch, a few minute-long gaps) as `nova.compute_nodes` and
 * `nova.services`, and the Blazar pool (enrolment after birth, removal before death, a few
 * out-of-pool gaps) as `blazar.computehosts` with capabilities in the profile's schema era.
 *
 * Rows deleted before the Nova or Blazar cutoff are not written (purged), while the lives keep
 * them for the truth.
 *
 * @module
 */
import { intersect, type Interval, normalize } from "../math/intervals.ts";
import { poisson } from "./rng.ts";
import type { NodeTypeSpec } from "./profiles.ts";
import { type Conductor, DAY, HOUR, type Life, MIN, type World } from "./world_state.ts";

/**
 * Makes every hostname's lives per node type: churn by retirement and failure, and hostnames that
 * come back after a gap, maybe as another node type.
 */
export function makeLives(w: World) {
  const r = w.lifeRng;
  const end = w.asOf;
  const span = end - w.t0;
  const aliveTypes = (t: number) =>
    w.p.nodeTypes.filter((nt) =>
      w.t0 + nt.introDays * DAY <= t &&
      (nt.retireDays === undefined || w.t0 + nt.retireDays * DAY > t + 90 * DAY)
    );
  for (const spec of w.p.nodeTypes) {
    const n = Math.max(1, Math.round(spec.count * w.opt.scale));
    const onDemand = Math.round(n * (spec.onDemandShare ?? 0));
    for (let i = 0; i < n; i++) {
      const hostname = r.uuid();
      const intro = w.t0 + spec.introDays * DAY;
      let birth = spec.introDays === 0
        ? w.t0 - r.int(0, 30 * DAY) + r.int(0, 20 * DAY)
        : intro + r.int(0, 30 * DAY);
      let type = spec;
      let isOnDemand = i < onDemand;
      for (let life = 0; life < 4 && birth < end; life++) {
        let death: number | null = null;
        if (type.retireDays !== undefined) {
          death = w.t0 + type.retireDays * DAY + r.int(-20 * DAY, 20 * DAY);
        }
        if (r.chance(0.12)) {
          const d = birth + r.int(60 * DAY, Math.max(61 * DAY, span));
          if (death === null || d < death) death = d;
        }
        if (death !== null && death >= end) death = null;
        w.lives.push(newLife(hostname, type, isOnDemand, birth, death));
        if (death === null || type.retireDays !== undefined || !r.chance(0.6)) break;
        // The hostname comes back after a gap, maybe as another node type.
        birth = death + r.int(1 * DAY, 60 * DAY);
        const alive = aliveTypes(birth);
        if (alive.length > 0 && r.chance(0.4)) type = r.pick(alive);
        isOnDemand = false;
      }
    }
  }
}

/** A life with no registrations, pool rows or intervals yet. */
function newLife(
  hostname: string,
  spec: NodeTypeSpec,
  onDemand: boolean,
  birth: number,
  death: number | null,
): Life {
  return {
    hostname,
    spec,
    nodeType: onDemand ? "unknown" : spec.name,
    onDemand,
    birth,
    death,
    regs: [],
    blazar: [],
    total: [],
    reservable: [],
    maintenance: [],
    committed: [],
    occupied: [],
    busyUntil: 0,
    amounts: [1, spec.vcpus, spec.memoryMb, spec.localGb],
  };
}

/**
 * Writes the conductors and control-plane services, and each life's registrations (split at
 * re-registrations and the conductor-generation switch) as `nova.compute_nodes` rows; purged rows
 * are not written.
 */
export function writeNova(w: World) {
  const r = w.lifeRng;
  const switchAt = w.t0 + Math.floor((w.asOf - w.t0) * 0.45);
  const mkConductor = (host: string, start: number, end: number | null): Conductor => {
    const id = w.next("nova.services");
    const c = { host, serviceId: id, start, end };
    w.conductors.push(c);
    return c;
  };
  const genA = [1, 2, 3].map((i) =>
    mkConductor(`ironic-conductor-a${i}`, w.t0 - 400 * DAY, switchAt)
  );
  const genB = [1, 2, 3].map((i) => mkConductor(`ironic-conductor-b${i}`, switchAt - HOUR, null));
  for (const c of w.conductors) {
    emitService(w, c.serviceId, c.host, "nova-compute", "compute", c.start, c.end);
  }
  for (const host of ["ctl-1", "ctl-2", "ctl-3"]) {
    for (
      const [binary, topic] of [["nova-conductor", "conductor"], ["nova-scheduler", "scheduler"]]
    ) {
      emitService(
        w,
        w.next("nova.services"),
        host,
        binary,
        topic,
        w.t0 - 400 * DAY,
        null,
      );
    }
  }
  for (const life of w.lives) {
    const lifeEnd = life.death ?? w.asOf + 1;
    const cuts: number[] = [];
    const k = poisson(r, w.p.reregistrations);
    for (let i = 0; i < k; i++) {
      cuts.push(r.int(life.birth + HOUR, Math.max(life.birth + HOUR, lifeEnd - HOUR)));
    }
    if (life.birth < switchAt && lifeEnd > switchAt) cuts.push(switchAt);
    cuts.sort((a, b) => a - b);
    let start = life.birth;
    for (const cut of [...cuts, lifeEnd]) {
      if (cut <= start) continue;
      const isLast = cut === lifeEnd;
      const gen = start < switchAt ? genA : genB;
      const conductor = r.pick(gen);
      const end = isLast ? life.death : cut;
      life.regs.push({ start, end, conductor });
      if (isLast) break;
      // A re-registration: usually at once, sometimes after a gap of minutes.
      start = cut === switchAt || !r.chance(0.2) ? cut : cut + r.int(5 * MIN, 90 * MIN);
    }
    life.total = normalize(life.regs.map((g) => [g.start, g.end ?? Infinity] as Interval))
      .map(([s, e]) => [s, e === Infinity ? w.asOf : e] as Interval);
    for (const reg of life.regs) {
      if (reg.end !== null && reg.end < w.novaCutoff) continue; // purged: history missing
      emitComputeNode(w, life, reg.start, reg.end, reg.conductor);
    }
  }
  w.flag("missing_nova_history", "nova.compute_nodes", "*", null, {
    deleted_before: w.p.novaCutoff,
  });
}

/**
 * The first columns of a Nova row that lives `[start, end)` (end null: alive): its id and
 * timestamps, `deleted` the id once deleted (Nova's soft delete); a live row was last updated
 * `staleSeconds` before the snapshot.
 */
function novaRowLife(
  w: World,
  id: number,
  start: number | null,
  end: number | null,
  staleSeconds: number,
) {
  return {
    id,
    created_at: start,
    updated_at: end ?? w.asOf - staleSeconds,
    deleted_at: end,
    deleted: end === null ? 0 : id,
  };
}

/** Writes one `nova.services` row, unless it was purged before the Nova cutoff. */
export function emitService(
  w: World,
  id: number,
  host: string,
  binary: string,
  topic: string,
  start: number,
  end: number | null,
) {
  if (end !== null && end < w.novaCutoff) return;
  w.emit("nova.services", {
    ...novaRowLife(w, id, start, end, 7),
    host,
    binary,
    topic,
    report_count: Math.floor(((end ?? w.asOf) - start) / 10),
    disabled: false,
    disabled_reason: null,
    last_seen_up: end ?? w.asOf - 7,
    forced_down: false,
    uuid: w.idRng.uuid(),
  });
}

/** Writes a registration; the first few live ones get a MySQL zero date as `deleted_at`. */
function emitComputeNode(
  w: World,
  life: Life,
  start: number,
  end: number | null,
  conductor: Conductor,
) {
  const id = emitComputeNodeRaw(w, life, start, end, conductor);
  if (end === null && w.zeroDates.length < 3) {
    w.zeroDates.push({
      table: "nova.compute_nodes",
      row_id: String(id),
      column: "deleted_at",
    });
  }
}

/** Writes one `nova.compute_nodes` row of `life` on `conductor` and returns its id. */
export function emitComputeNodeRaw(
  w: World,
  life: Life,
  start: number | null,
  end: number | null,
  conductor: Conductor,
): number {
  const id = w.next("nova.compute_nodes");
  w.emit("nova.compute_nodes", {
    ...novaRowLife(w, id, start, end, 30),
    service_id: conductor.serviceId,
    host: conductor.host,
    hypervisor_hostname: life.hostname,
    hypervisor_type: "ironic",
    vcpus: life.spec.vcpus,
    memory_mb: life.spec.memoryMb,
    local_gb: life.spec.localGb,
    cpu_allocation_ratio: 1,
    ram_allocation_ratio: 1,
    uuid: w.idRng.uuid(),
  });
  return id;
}

/**
 * Writes the capability-name table of the Blazar era, and each reservable life's pool rows (a few
 * with an out-of-pool gap) as `blazar.computehosts`; sets each life's reservable time.
 */
export function writeBlazarHosts(w: World) {
  const r = w.lifeRng;
  const era = w.opt.blazarEra;
  if (era !== "name") {
    const table = era === "fork" ? "blazar.extra_capabilities" : "blazar.resource_properties";
    for (const name of capabilityNames(64)) {
      const id = w.idRng.uuid();
      w.capabilityIds.set(name, id);
      w.emit(table, {
        id,
        created_at: w.t0 - 300 * DAY,
        updated_at: null,
        resource_type: "physical:host",
        ...(era === "fork" ? { capability_name: name } : { property_name: name }),
      });
    }
  }
  for (const life of w.lives) {
    if (life.onDemand) continue;
    const pick = r.next();
    const delay = pick < 0.1 ? 0 : pick < 0.6 ? r.int(1, 10 * MIN) : r.int(HOUR, 2 * DAY);
    const start = life.birth + delay;
    let end = life.death === null ? null : life.death - r.int(0, DAY);
    if (end !== null && end <= start) end = start + HOUR;
    const windows: [number, number | null][] = [];
    if (r.chance(0.08) && (end ?? w.asOf) - start > 60 * DAY) {
      const out = r.int(start + 10 * DAY, (end ?? w.asOf) - 40 * DAY);
      windows.push([start, out], [out + r.int(DAY, 20 * DAY), end]);
    } else {
      windows.push([start, end]);
    }
    for (const [s, e] of windows) {
      const id = w.idRng.uuid();
      life.blazar.push({ id, start: s, end: e });
      if (e !== null && e < w.blazarCutoff) continue; // hard-deleted: history missing
      emitComputeHost(w, id, life, s, e);
    }
    life.reservable = intersect(
      life.blazar.map((b) => [b.start, b.end ?? w.asOf] as Interval),
      life.total,
    );
  }
  w.flag("missing_blazar_history", "blazar.computehosts", "*", null, {
    deleted_before: w.p.blazarCutoff,
  });
}

/** Writes one `blazar.computehosts` row and its capabilities. */
export function emitComputeHost(
  w: World,
  id: string,
  life: Life,
  start: number | null,
  end: number | null,
) {
  w.emittedHosts.push({ id, life, start: start ?? w.t0, end });
  w.emit("blazar.computehosts", {
    id,
    created_at: start,
    updated_at: end,
    hypervisor_hostname: life.hostname,
    hypervisor_type: "ironic",
    vcpus: life.spec.vcpus,
    memory_mb: life.spec.memoryMb,
    local_gb: life.spec.localGb,
    service_name: life.regs[0]?.conductor.host ?? null,
    status: null,
    reservable: true,
    availability_zone: "nova",
    deleted: end === null ? null : id,
    deleted_at: end,
    disabled: false,
  });
  emitCapabilities(w, id, life, start ?? w.t0, end);
}

/** Writes the six capabilities every host has, then `extra` inventory ones. */
function emitCapabilities(
  w: World,
  hostId: string,
  life: Life,
  start: number,
  end: number | null,
  extra = 0,
) {
  const caps: [string, string][] = [
    ["node_type", life.nodeType],
    ["cpu_arch", "x86_64"],
    ["su_factor", life.spec.name.startsWith("gpu") ? "2.0" : "1.0"],
    ["placement.rack", `R${1 + (hashString(life.hostname) % 40)}`],
    ["gpu.gpu", life.spec.name.startsWith("gpu") ? "True" : "False"],
    ["main_memory.ram_size", String(life.spec.memoryMb * 1048576)],
  ];
  const names = capabilityNames(64);
  for (let i = 0; i < extra; i++) caps.push([names[6 + (i % (names.length - 6))], `value-${i}`]);
  for (const [name, value] of caps) emitCapability(w, hostId, name, value, start, end);
}

/** Writes one capability row of a host in the profile's Blazar era. */
export function emitCapability(
  w: World,
  hostId: string,
  name: string,
  value: string,
  start: number,
  end: number | null,
) {
  const era = w.opt.blazarEra;
  const id = w.idRng.uuid();
  w.emit("blazar.computehost_extra_capabilities", {
    id,
    created_at: start,
    updated_at: null,
    computehost_id: hostId,
    capability_value: value,
    ...(era === "name"
      ? { capability_name: name }
      : era === "fork"
      ? { capability_id: w.capabilityIds.get(name) }
      : { property_id: w.capabilityIds.get(name) }),
    deleted: end === null ? null : id,
    deleted_at: end,
  });
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

let CAP_NAMES: string[] | undefined;
/** Capability names: the six every host has, then plausible hardware-inventory keys. */
export function capabilityNames(n: number): string[] {
  if (!CAP_NAMES) {
    const names = [
      "node_type",
      "cpu_arch",
      "su_factor",
      "placement.rack",
      "gpu.gpu",
      "main_memory.ram_size",
    ];
    const fields = ["device", "driver", "model", "vendor", "rate", "mac", "interface", "enabled"];
    for (let i = 0; names.length < 200; i++) {
      for (const f of fields) {
        names.push(
          i % 2 === 0 ? `network_adapters.${i >> 1}.${f}` : `storage_devices.${i >> 1}.${f}`,
        );
      }
    }
    CAP_NAMES = names;
  }
  return CAP_NAMES.slice(0, n);
}
