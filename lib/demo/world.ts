/**
 * The demo site's world: a seeded simulation of a bare-metal OpenStack site, rendered into
 * OpenStack-shaped rows, with the true state of every host at every second kept aside.
 *
 * What it models (DESIGN §4, §6, §7):
 *
 * | entity | how | rows |
 * |---|---|---|
 * | host lives | per node type; churn: retirement, failure, hostname reuse (maybe as another type) | - |
 * | Nova registrations | each life split into contiguous registrations (conductor rebalancing, a conductor-generation switch); a few with minute-long gaps | `nova.compute_nodes`, `nova.services` |
 * | Blazar pool | enrolment some time after birth, removal before death, a few out-of-pool gaps; some hosts never enrolled (on-demand, node type `unknown`) | `blazar.computehosts` + capabilities in the profile's schema era |
 * | maintenance | whole days, placed where the host is free; a few deliberately over a committed allocation | `chameleon_usage.node_maintenance` |
 * | leases | hours to weeks, "now" or in advance, some extended, some deleted early, some future at the snapshot, a few deleted before they start | `blazar.leases`, `reservations`, `computehost_allocations`, `instance_reservations` |
 * | instances | launched inside allocations (hint or `reservation:<id>` flavor), stop/start cycles, failed actions, reboots, shelve/offload/unshelve, ended by the user or by Blazar at lease end (a little after it) | `nova.instances`, `instance_actions`, `instance_actions_events`, `nova_api.request_specs` |
 *
 * Purges: compute-node and service rows deleted before the Nova cutoff and Blazar host rows
 * deleted before the Blazar cutoff are not written (their history is missing), while the truth
 * still counts them.
 *
 * Injected defects, each recorded with the audit reason the pipeline must give: see
 * {@linkcode Defect}.
 *
 * @module
 */
import { intersect, type Interval, normalize, subtract } from "../math/intervals.ts";
import { Rng } from "./rng.ts";
import { type NodeTypeSpec, type Profile, UNSCALED_TARGETS } from "./profiles.ts";
import { type Amounts, TruthAccumulator } from "./truth.ts";
import { LegacyMethod } from "./legacy_method.ts";
import { requestSpecJson } from "./spec_json.ts";

/** Receives generated rows, table by table, in registry column names. */
export interface Sink {
  row(table: string, values: Record<string, unknown>): void;
}

/** One injected (or naturally occurring but notable) defect and what the pipeline must do. */
export interface Defect {
  /** What was injected, e.g. `null_start`, `orphan_allocation`, `null_node`. */
  kind: string;
  /** Qualified source table of the row. */
  table: string;
  /** The row's key. */
  row_id: string;
  /** The audit reason the pipeline must give the row (or a piece of it); null when recovered. */
  reason: string | null;
  /** What the pipeline must recover instead (a host, an end time), or other detail. */
  detail?: Record<string, unknown>;
}

/** A cell that MySQL holds as `0000-00-00 00:00:00` (NULL everywhere else). */
export interface ZeroDate {
  table: string;
  row_id: string;
  column: string;
}

/** Everything the world produced besides its rows. */
export interface WorldResult {
  truth: TruthAccumulator;
  defects: Defect[];
  zeroDates: ZeroDate[];
  counts: Record<string, number>;
  /** Updates of already-written rows (injected defects), applied after the stream ends. */
  patches: { table: string; id: number; set: Record<string, unknown> }[];
}

/** Options of one generation. */
export interface WorldOptions {
  scale: number;
  seed: number;
  /** Schema era of Blazar's capability tables. */
  blazarEra: "name" | "fork" | "property";
}

const MIN = 60, HOUR = 3600, DAY = 86400;

/** Epoch seconds of an ISO date or date-time taken as UTC. */
export function epoch(iso: string): number {
  return Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : `${iso}Z`) / 1000;
}

interface Registration {
  start: number;
  end: number | null;
  conductor: Conductor;
}

interface BlazarRow {
  id: string;
  start: number;
  end: number | null;
}

interface Life {
  hostname: string;
  spec: NodeTypeSpec;
  /** Node type as Blazar knows it, or `unknown` for on-demand hosts. */
  nodeType: string;
  onDemand: boolean;
  birth: number;
  death: number | null;
  regs: Registration[];
  blazar: BlazarRow[];
  total: Interval[];
  reservable: Interval[];
  maintenance: Interval[];
  committed: Interval[];
  /** Where instances ran (evidence that the host existed). */
  occupied: Interval[];
  busyUntil: number;
  amounts: Amounts;
}

interface Conductor {
  host: string;
  serviceId: number;
  start: number;
  end: number | null;
}

interface Lease {
  id: string;
  created: number;
  start: number;
  end: number;
  deleted: number | null;
  projectId: string;
  userId: string;
}

interface Allocation {
  id: string;
  life: Life;
  reservationId: string;
  /** Effective committed window before clamping to the pool. */
  cs: number;
  ce: number;
}

interface EventSpec {
  event: string;
  start: number;
  finish: number;
  result: "Success" | "Error";
  host: string | null;
}

interface ActionSpec {
  action: string;
  start: number;
  events: EventSpec[];
}

/** Generates the world into a sink. */
export function generateWorld(profile: Profile, sink: Sink, options: WorldOptions): WorldResult {
  return new World(profile, sink, options).run();
}

class World {
  readonly p: Profile;
  readonly sink: Sink;
  readonly opt: WorldOptions;
  readonly t0: number;
  readonly asOf: number;
  readonly novaCutoff: number;
  readonly blazarCutoff: number;
  readonly truth: TruthAccumulator;
  readonly legacy: LegacyMethod;
  readonly defects: Defect[] = [];
  readonly zeroDates: ZeroDate[] = [];
  readonly counts: Record<string, number> = {};
  readonly lives: Life[] = [];
  readonly conductors: Conductor[] = [];
  readonly projects: string[] = [];
  readonly seq: Record<string, number> = {};
  readonly lifeRng: Rng;
  readonly leaseRng: Rng;
  readonly instRng: Rng;
  readonly idRng: Rng;
  readonly defectRng: Rng;
  /** Capability name -> id of its row in the era's name table. */
  readonly capabilityIds = new Map<string, string>();
  /** Host leases deleted before they start, for the filler's extra allocations. */
  readonly deletedBeforeStart: { reservationId: string; created: number; life: Life }[] = [];
  /** Some instances of real reservations, for neutral filler actions. */
  readonly someInstances: { uuid: string; projectId: string; at: number }[] = [];

  constructor(profile: Profile, sink: Sink, opt: WorldOptions) {
    this.p = profile;
    this.sink = sink;
    this.opt = opt;
    this.t0 = epoch(profile.start);
    this.asOf = epoch(profile.asOf);
    this.novaCutoff = epoch(profile.novaCutoff);
    this.blazarCutoff = epoch(profile.blazarCutoff);
    this.truth = new TruthAccumulator(this.t0, this.asOf);
    this.legacy = new LegacyMethod(
      this.t0,
      this.asOf,
      profile.nodeTypes.map((t) => ({
        name: t.name,
        introDay: Math.floor((this.t0 + t.introDays * DAY) / DAY),
      })),
    );
    this.lifeRng = new Rng(opt.seed, "lives");
    this.leaseRng = new Rng(opt.seed, "leases");
    this.instRng = new Rng(opt.seed, "instances");
    this.idRng = new Rng(opt.seed, "ids");
    this.defectRng = new Rng(opt.seed, "defects");
    const pr = new Rng(opt.seed, "projects");
    const nProjects = Math.max(8, Math.round(40 * Math.sqrt(opt.scale * profile.leases / 1000)));
    for (let i = 0; i < nProjects; i++) this.projects.push(pr.hex(32));
  }

  emit(table: string, values: Record<string, unknown>) {
    this.counts[table] = (this.counts[table] ?? 0) + 1;
    this.sink.row(table, values);
  }

  next(table: string): number {
    this.seq[table] = (this.seq[table] ?? 0) + 1;
    return this.seq[table];
  }

  defect(d: Defect) {
    this.defects.push(d);
  }

  run(): WorldResult {
    this.makeLives();
    this.writeNova();
    this.writeBlazarHosts();
    this.placeMaintenance();
    this.writeLeases();
    this.writeOnDemandInstances();
    this.finishTruth();
    this.writeMaintenanceRows();
    this.injectInstanceDefects();
    this.legacy.write((t, v) => this.emit(t, v), (t) => this.next(t));
    if (this.p.targets) this.fillTargets(this.p.targets);
    return {
      truth: this.truth,
      defects: this.defects,
      zeroDates: this.zeroDates,
      counts: this.counts,
      patches: this.patches,
    };
  }

  // ---------------------------------------------------------------- hosts

  makeLives() {
    const r = this.lifeRng;
    const end = this.asOf;
    const span = end - this.t0;
    const aliveTypes = (t: number) =>
      this.p.nodeTypes.filter((nt) =>
        this.t0 + nt.introDays * DAY <= t &&
        (nt.retireDays === undefined || this.t0 + nt.retireDays * DAY > t + 90 * DAY)
      );
    for (const spec of this.p.nodeTypes) {
      const n = Math.max(1, Math.round(spec.count * this.opt.scale));
      const onDemand = Math.round(n * (spec.onDemandShare ?? 0));
      for (let i = 0; i < n; i++) {
        const hostname = r.uuid();
        const intro = this.t0 + spec.introDays * DAY;
        let birth = spec.introDays === 0
          ? this.t0 - r.int(0, 30 * DAY) + r.int(0, 20 * DAY)
          : intro + r.int(0, 30 * DAY);
        let type = spec;
        let isOnDemand = i < onDemand;
        for (let life = 0; life < 4 && birth < end; life++) {
          let death: number | null = null;
          if (type.retireDays !== undefined) {
            death = this.t0 + type.retireDays * DAY + r.int(-20 * DAY, 20 * DAY);
          }
          if (r.chance(0.12)) {
            const d = birth + r.int(60 * DAY, Math.max(61 * DAY, span));
            if (death === null || d < death) death = d;
          }
          if (death !== null && death >= end) death = null;
          this.lives.push(this.newLife(hostname, type, isOnDemand, birth, death));
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

  newLife(
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

  // ---------------------------------------------------------------- nova

  writeNova() {
    const r = this.lifeRng;
    const switchAt = this.t0 + Math.floor((this.asOf - this.t0) * 0.45);
    const mkConductor = (host: string, start: number, end: number | null): Conductor => {
      const id = this.next("nova.services");
      const c = { host, serviceId: id, start, end };
      this.conductors.push(c);
      return c;
    };
    const genA = [1, 2, 3].map((i) =>
      mkConductor(`ironic-conductor-a${i}`, this.t0 - 400 * DAY, switchAt)
    );
    const genB = [1, 2, 3].map((i) => mkConductor(`ironic-conductor-b${i}`, switchAt - HOUR, null));
    for (const c of this.conductors) {
      this.emitService(c.serviceId, c.host, "nova-compute", "compute", c.start, c.end);
    }
    for (const host of ["ctl-1", "ctl-2", "ctl-3"]) {
      for (
        const [binary, topic] of [["nova-conductor", "conductor"], ["nova-scheduler", "scheduler"]]
      ) {
        this.emitService(
          this.next("nova.services"),
          host,
          binary,
          topic,
          this.t0 - 400 * DAY,
          null,
        );
      }
    }
    for (const life of this.lives) {
      const lifeEnd = life.death ?? this.asOf + 1;
      const cuts: number[] = [];
      const k = poisson(r, this.p.reregistrations);
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
        .map(([s, e]) => [s, e === Infinity ? this.asOf : e] as Interval);
      for (const reg of life.regs) {
        if (reg.end !== null && reg.end < this.novaCutoff) continue; // purged: history missing
        this.emitComputeNode(life, reg.start, reg.end, reg.conductor);
      }
    }
    this.defect({
      kind: "missing_nova_history",
      table: "nova.compute_nodes",
      row_id: "*",
      reason: null,
      detail: { deleted_before: this.p.novaCutoff },
    });
    // Injected defects on compute_nodes.
    const d = this.defectRng;
    // Registrations live for at least 10 days after the Blazar cutoff: defects there touch no
    // month the ground-truth tests compare.
    const after = this.blazarCutoff;
    const longAfter = (g: Registration) =>
      (g.end ?? this.asOf) - Math.max(g.start, after) > 12 * DAY;
    const later = this.lives.filter((l) => l.regs.some(longAfter));
    for (let i = 0; i < Math.max(2, Math.round(3 * this.opt.scale)); i++) {
      const life = d.pick(this.lives);
      const id = this.emitComputeNodeRaw(
        life,
        null,
        this.t0 + d.int(DAY, 100 * DAY),
        d.pick(this.conductors),
      );
      this.defect({
        kind: "null_start",
        table: "nova.compute_nodes",
        row_id: String(id),
        reason: "missing_start",
      });
    }
    for (let i = 0; i < Math.max(2, Math.round(2 * this.opt.scale)); i++) {
      const life = d.pick(later);
      const reg = life.regs.find(longAfter)!;
      const t = Math.max(reg.start, after) + d.int(DAY, 5 * DAY);
      const id = this.emitComputeNodeRaw(life, t, t - d.int(MIN, DAY), d.pick(this.conductors));
      this.defect({
        kind: "phantom",
        table: "nova.compute_nodes",
        row_id: String(id),
        reason: "phantom_span",
      });
    }
    for (let i = 0; i < Math.max(2, Math.round(2 * this.opt.scale)); i++) {
      const life = d.pick(later);
      const reg = life.regs.find(longAfter)!;
      const s = Math.max(reg.start, after) + d.int(DAY, 3 * DAY);
      const id = this.emitComputeNodeRaw(life, s, s + d.int(DAY, 4 * DAY), d.pick(this.conductors));
      this.defect({
        kind: "overlapping_registration",
        table: "nova.compute_nodes",
        row_id: String(id),
        reason: "duplicate_conflict",
        detail: { hostname: life.hostname },
      });
    }
  }

  emitService(
    id: number,
    host: string,
    binary: string,
    topic: string,
    start: number,
    end: number | null,
  ) {
    if (end !== null && end < this.novaCutoff) return;
    this.emit("nova.services", {
      id,
      created_at: start,
      updated_at: end ?? this.asOf - 7,
      deleted_at: end,
      deleted: end === null ? 0 : id,
      host,
      binary,
      topic,
      report_count: Math.floor(((end ?? this.asOf) - start) / 10),
      disabled: false,
      disabled_reason: null,
      last_seen_up: end ?? this.asOf - 7,
      forced_down: false,
      uuid: this.idRng.uuid(),
    });
  }

  emitComputeNode(life: Life, start: number, end: number | null, conductor: Conductor) {
    const id = this.emitComputeNodeRaw(life, start, end, conductor);
    if (end === null && this.zeroDates.length < 3) {
      this.zeroDates.push({
        table: "nova.compute_nodes",
        row_id: String(id),
        column: "deleted_at",
      });
    }
  }

  emitComputeNodeRaw(
    life: Life,
    start: number | null,
    end: number | null,
    conductor: Conductor,
  ): number {
    const id = this.next("nova.compute_nodes");
    this.emit("nova.compute_nodes", {
      id,
      created_at: start,
      updated_at: end ?? this.asOf - 30,
      deleted_at: end,
      deleted: end === null ? 0 : id,
      service_id: conductor.serviceId,
      host: conductor.host,
      hypervisor_hostname: life.hostname,
      hypervisor_type: "ironic",
      vcpus: life.spec.vcpus,
      memory_mb: life.spec.memoryMb,
      local_gb: life.spec.localGb,
      cpu_allocation_ratio: 1,
      ram_allocation_ratio: 1,
      uuid: this.idRng.uuid(),
    });
    return id;
  }

  // ---------------------------------------------------------------- blazar hosts

  writeBlazarHosts() {
    const r = this.lifeRng;
    const era = this.opt.blazarEra;
    if (era !== "name") {
      const table = era === "fork" ? "blazar.extra_capabilities" : "blazar.resource_properties";
      for (const name of capabilityNames(64)) {
        const id = this.idRng.uuid();
        this.capabilityIds.set(name, id);
        this.emit(table, {
          id,
          created_at: this.t0 - 300 * DAY,
          updated_at: null,
          resource_type: "physical:host",
          ...(era === "fork" ? { capability_name: name } : { property_name: name }),
        });
      }
    }
    for (const life of this.lives) {
      if (life.onDemand) continue;
      const pick = r.next();
      const delay = pick < 0.1 ? 0 : pick < 0.6 ? r.int(1, 10 * MIN) : r.int(HOUR, 2 * DAY);
      const start = life.birth + delay;
      let end = life.death === null ? null : life.death - r.int(0, DAY);
      if (end !== null && end <= start) end = start + HOUR;
      const windows: [number, number | null][] = [];
      if (r.chance(0.08) && (end ?? this.asOf) - start > 60 * DAY) {
        const out = r.int(start + 10 * DAY, (end ?? this.asOf) - 40 * DAY);
        windows.push([start, out], [out + r.int(DAY, 20 * DAY), end]);
      } else {
        windows.push([start, end]);
      }
      for (const [s, e] of windows) {
        const id = this.idRng.uuid();
        life.blazar.push({ id, start: s, end: e });
        if (e !== null && e < this.blazarCutoff) continue; // hard-deleted: history missing
        this.emitComputeHost(id, life, s, e);
      }
      life.reservable = intersect(
        life.blazar.map((b) => [b.start, b.end ?? this.asOf] as Interval),
        life.total,
      );
    }
    this.defect({
      kind: "missing_blazar_history",
      table: "blazar.computehosts",
      row_id: "*",
      reason: null,
      detail: { deleted_before: this.p.blazarCutoff },
    });
    const d = this.defectRng;
    const longAfter = (b: BlazarRow) =>
      (b.end ?? this.asOf) - Math.max(b.start, this.blazarCutoff) > 40 * DAY;
    const candidates = this.lives.filter((l) => l.blazar.some(longAfter));
    for (let i = 0; i < Math.max(2, Math.round(2 * this.opt.scale)) && candidates.length > 0; i++) {
      const life = d.pick(candidates);
      const b = life.blazar.find(longAfter)!;
      const s = Math.max(b.start, this.blazarCutoff) + d.int(2 * DAY, 10 * DAY);
      const id = this.idRng.uuid();
      this.emitComputeHost(id, life, s, s + d.int(5 * DAY, 25 * DAY));
      this.defect({
        kind: "duplicate_blazar_host",
        table: "blazar.computehosts",
        row_id: id,
        reason: "duplicate_conflict",
        detail: { hostname: life.hostname, original: b.id },
      });
    }
    {
      const life = d.pick(this.lives.filter((l) => !l.onDemand));
      const id = this.idRng.uuid();
      this.emitComputeHost(id, life, null, this.blazarCutoff + d.int(DAY, 30 * DAY));
      this.defect({
        kind: "null_start",
        table: "blazar.computehosts",
        row_id: id,
        reason: "missing_start",
      });
    }
  }

  readonly emittedHosts: { id: string; life: Life; start: number; end: number | null }[] = [];

  emitComputeHost(id: string, life: Life, start: number | null, end: number | null) {
    this.emittedHosts.push({ id, life, start: start ?? this.t0, end });
    this.emit("blazar.computehosts", {
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
    this.emitCapabilities(id, life, start ?? this.t0, end);
  }

  emitCapabilities(hostId: string, life: Life, start: number, end: number | null, extra = 0) {
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
    for (const [name, value] of caps) this.emitCapability(hostId, name, value, start, end);
  }

  emitCapability(hostId: string, name: string, value: string, start: number, end: number | null) {
    const era = this.opt.blazarEra;
    const id = this.idRng.uuid();
    this.emit("blazar.computehost_extra_capabilities", {
      id,
      created_at: start,
      updated_at: null,
      computehost_id: hostId,
      capability_value: value,
      ...(era === "name"
        ? { capability_name: name }
        : era === "fork"
        ? { capability_id: this.capabilityIds.get(name) }
        : { property_id: this.capabilityIds.get(name) }),
      deleted: end === null ? null : id,
      deleted_at: end,
    });
  }

  // ---------------------------------------------------------------- maintenance

  placeMaintenance() {
    const r = this.lifeRng;
    for (const life of this.lives) {
      for (const [ws, we] of life.reservable) {
        const firstDay = Math.ceil(ws / DAY), lastDay = Math.floor(we / DAY);
        const days = lastDay - firstDay;
        if (days < 10) continue;
        const n = poisson(r, this.p.maintenancePerYear * days / 365);
        for (let i = 0; i < n; i++) {
          const len = r.int(1, 4);
          const d0 = r.int(firstDay, lastDay - len);
          const w: Interval = [d0 * DAY, (d0 + len) * DAY];
          if (life.maintenance.some(([s, e]) => s < w[1] + DAY && w[0] < e + DAY)) continue;
          life.maintenance.push(w);
        }
      }
      life.maintenance.sort((a, b) => a[0] - b[0]);
    }
  }

  hostFree(life: Life, s: number, e: number): boolean {
    if (life.busyUntil > s) return false;
    if (!life.reservable.some(([rs, re]) => rs <= s && e <= re)) return false;
    for (const [ms, me] of life.maintenance) {
      if (ms >= e) break;
      if (me > s) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- leases

  writeLeases() {
    const r = this.leaseRng;
    const n = Math.round(this.p.leases * this.opt.scale);
    const horizon = this.asOf + 10 * DAY;
    const starts: number[] = [];
    for (let i = 0; i < n; i++) starts.push(r.int(this.t0 + DAY, horizon));
    starts.sort((a, b) => a - b);
    const byType = new Map<string, Life[]>();
    for (const life of this.lives) {
      if (life.onDemand) continue;
      const list = byType.get(life.nodeType) ?? [];
      list.push(life);
      byType.set(life.nodeType, list);
    }
    const overlapEvery = Math.max(40, Math.round(this.p.leases / 20));
    const defectEvery = Math.max(20, Math.floor(n / Math.max(3, Math.round(4 * this.opt.scale))));
    for (let i = 0; i < n; i++) {
      const start0 = Math.floor(starts[i] / MIN) * MIN;
      const kind = r.next();
      if (kind < this.p.otherLeaseShare) {
        this.writeOtherLease(start0);
        continue;
      }
      const types = this.p.nodeTypes.filter((t) =>
        (byType.get(t.name)?.length ?? 0) > 0 &&
        this.t0 + t.introDays * DAY <= start0 &&
        (t.retireDays === undefined || this.t0 + t.retireDays * DAY > start0)
      );
      if (types.length === 0) continue;
      const spec = weightedPick(r, types, (t) => t.demand * t.count);
      const lives = byType.get(spec.name)!;
      const flavor = kind < this.p.otherLeaseShare + 0.08;
      const want = flavor
        ? 1
        : !r.chance(this.p.multiHostShare)
        ? 1
        : r.chance(0.75)
        ? r.int(2, 4)
        : r.int(5, 16);
      const u = r.next();
      const duration = u < 0.3
        ? r.int(HOUR, 8 * HOUR)
        : u < 0.7
        ? r.int(8 * HOUR, 3 * DAY)
        : u < 0.93
        ? r.int(3 * DAY, 7 * DAY)
        : r.int(7 * DAY, 21 * DAY);
      const plannedDefect = i % defectEvery === defectEvery - 1 && start0 < this.asOf - 2 * DAY;
      const now = !plannedDefect && r.chance(0.55);
      let created = now
        ? start0 + r.int(1, 59)
        : start0 - Math.min(30 * DAY, Math.max(10 * MIN, Math.round(r.logNormal(DAY, 1.3))));
      if (created >= this.asOf) created = this.asOf - r.int(HOUR, 5 * DAY);
      const start = start0;
      const end = start + duration;
      const effStart = Math.max(start, created);
      const beforeStartDefect = plannedDefect && start > created + HOUR;
      const hosts: Life[] = [];
      const offset = r.int(0, lives.length - 1);
      for (let k = 0; k < lives.length && hosts.length < want; k++) {
        const life = lives[(offset + k) % lives.length];
        if (
          beforeStartDefect
            ? life.reservable.some(([rs, re]) => rs <= start && end <= re)
            : this.hostFree(life, effStart, end)
        ) {
          hosts.push(life);
        }
      }
      if (hosts.length === 0 || (hosts.length < want && r.chance(0.5))) continue;
      let deleted: number | null = null;
      if (beforeStartDefect) {
        deleted = created + r.int(MIN, start - created - 1);
      } else if (r.chance(0.08) && effStart < this.asOf) {
        deleted = r.int(effStart + 1, end - 1);
      } else if (end < this.asOf && r.chance(0.3)) {
        deleted = end + r.int(HOUR, 30 * DAY);
      }
      if (deleted !== null && deleted >= this.asOf) deleted = null;
      const lease: Lease = {
        id: this.idRng.uuid(),
        created,
        start,
        end,
        deleted,
        projectId: r.pick(this.projects),
        userId: this.idRng.hex(32),
      };
      this.emitLease(
        lease,
        r.chance(0.05) && duration > 3 * DAY ? start + r.int(HOUR, duration - HOUR) : created,
      );
      const resId = this.idRng.uuid();
      const resourceId = this.idRng.uuid();
      this.emitReservation(resId, lease, flavor ? "flavor:instance" : "physical:host", resourceId);
      if (flavor) {
        this.emit("blazar.instance_reservations", {
          id: resourceId,
          created_at: created,
          updated_at: null,
          reservation_id: resId,
          vcpus: spec.vcpus,
          memory_mb: spec.memoryMb,
          disk_gb: spec.localGb,
          amount: hosts.length,
          affinity: null,
          flavor_id: resId,
          deleted: lease.deleted === null ? null : resourceId,
          deleted_at: lease.deleted,
        });
      }
      if (r.chance(this.p.floatingIpShare)) {
        this.emitReservation(this.idRng.uuid(), lease, "virtual:floatingip", this.idRng.uuid());
      }
      if (beforeStartDefect) {
        for (const life of hosts) {
          const id = this.emitAllocation(lease, resId, life, lease.deleted, lease.start);
          this.deletedBeforeStart.push({ reservationId: resId, created: lease.created, life });
          this.defect({
            kind: "lease_deleted_before_start",
            table: "blazar.computehost_allocations",
            row_id: id,
            reason: "deleted_before_start",
            detail: { lease_id: lease.id },
          });
        }
        continue;
      }
      const allocations: Allocation[] = [];
      for (const life of hosts) {
        let allocDeleted: number | null = null;
        if (hosts.length > 1 && r.chance(0.03) && effStart < this.asOf) {
          allocDeleted = r.int(effStart + 1, Math.min(end, this.asOf) - 1);
        } else if (lease.deleted !== null) {
          allocDeleted = lease.deleted + r.int(0, 2);
        } else if (end < this.asOf && r.chance(0.7)) {
          allocDeleted = end + r.int(0, 60);
        }
        if (allocDeleted !== null && allocDeleted >= this.asOf) allocDeleted = null;
        const ce = Math.min(
          end,
          ...[lease.deleted, allocDeleted].filter((x): x is number => x !== null),
        );
        const id = this.emitAllocation(lease, resId, life, allocDeleted, effStart);
        life.busyUntil = Math.max(life.busyUntil, ce);
        const a: Allocation = { id, life, reservationId: resId, cs: effStart, ce };
        allocations.push(a);
        const committed = intersect([[effStart, ce]], life.reservable);
        life.committed.push(...committed);
        this.truth.add("committed", life.nodeType, life.amounts, committed);
        // Legacy sees the lease's own dates, deletions ignored.
        this.legacy.allocation(
          life.hostname,
          life.spec.name,
          lease.start,
          lease.end,
          lease.projectId,
          id,
        );
        if (++this.allocCounter % overlapEvery === 0) {
          this.maintenanceOverCommitted(life, committed);
        }
      }
      if (effStart < this.asOf && r.chance(0.8)) {
        for (const a of allocations) {
          if (r.chance(0.9)) this.writeReservationInstance(a, lease, flavor);
        }
      }
      if (i % defectEvery === Math.floor(defectEvery / 2) && allocations.length > 0) {
        const id = this.idRng.uuid();
        this.emit("blazar.computehost_allocations", {
          id,
          created_at: lease.created,
          updated_at: null,
          compute_host_id: this.idRng.uuid(),
          reservation_id: resId,
          deleted: null,
          deleted_at: null,
        });
        this.defect({
          kind: "orphan_allocation",
          table: "blazar.computehost_allocations",
          row_id: id,
          reason: "orphan",
        });
      }
    }
  }

  /** A maintenance day that overlaps a committed allocation (reported, not subtracted twice). */
  maintenanceOverCommitted(life: Life, committed: Interval[]) {
    const c = committed.find(([s, e]) => e - s > DAY);
    if (!c) return;
    const d0 = Math.floor(c[0] / DAY) + 1;
    const w: Interval = [d0 * DAY, (d0 + 1) * DAY];
    if (!life.reservable.some(([rs, re]) => rs <= w[0] && w[1] <= re)) return;
    if (life.maintenance.some(([s, e]) => s < w[1] && w[0] < e)) return;
    life.maintenance.push(w);
    life.maintenance.sort((a, b) => a[0] - b[0]);
  }

  writeOtherLease(start: number): Lease {
    const r = this.leaseRng;
    const created = Math.min(start - r.int(0, DAY), this.asOf - r.int(HOUR, DAY));
    const end = start + r.int(HOUR, 7 * DAY);
    let deleted: number | null = end < this.asOf && r.chance(0.3)
      ? end + r.int(HOUR, 10 * DAY)
      : null;
    if (deleted !== null && deleted >= this.asOf) deleted = null;
    const lease: Lease = {
      id: this.idRng.uuid(),
      created,
      start,
      end,
      deleted,
      projectId: r.pick(this.projects),
      userId: this.idRng.hex(32),
    };
    this.emitLease(lease, created);
    this.emitReservation(
      this.idRng.uuid(),
      lease,
      r.pick(["network", "virtual:floatingip", "device"]),
      this.idRng.uuid(),
    );
    if (this.otherLeases.length < 5000) this.otherLeases.push(lease);
    return lease;
  }

  readonly otherLeases: Lease[] = [];

  emitLease(l: Lease, updated: number) {
    const status = l.end <= this.asOf ? "TERMINATED" : l.start > this.asOf ? "PENDING" : "ACTIVE";
    this.emit("blazar.leases", {
      id: l.id,
      created_at: l.created,
      updated_at: updated,
      name: `lease-${this.idRng.hex(8)}`,
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

  emitReservation(id: string, l: Lease, type: string, resourceId: string) {
    this.emit("blazar.reservations", {
      id,
      created_at: l.created,
      updated_at: null,
      lease_id: l.id,
      resource_id: resourceId,
      resource_type: type,
      status: l.deleted !== null
        ? "deleted"
        : l.end <= this.asOf
        ? "deleted"
        : l.start > this.asOf
        ? "pending"
        : "active",
      missing_resources: false,
      resources_changed: false,
      deleted: l.deleted === null ? null : id,
      deleted_at: l.deleted,
    });
  }

  emitAllocation(
    l: Lease,
    reservationId: string,
    life: Life,
    deleted: number | null,
    at: number,
  ): string {
    const id = this.idRng.uuid();
    const host = life.blazar.find((b) => b.start <= at && (b.end === null || at < b.end)) ??
      life.blazar[0];
    this.emit("blazar.computehost_allocations", {
      id,
      created_at: l.created + this.leaseRng.int(0, 3),
      updated_at: null,
      compute_host_id: host.id,
      reservation_id: reservationId,
      deleted: deleted === null ? null : id,
      deleted_at: deleted,
    });
    if (host.end !== null && host.end < this.blazarCutoff) {
      this.defect({
        kind: "allocation_of_purged_host",
        table: "blazar.computehost_allocations",
        row_id: id,
        reason: "orphan",
        detail: { hostname: life.hostname },
      });
    }
    return id;
  }

  // ---------------------------------------------------------------- instances

  writeReservationInstance(a: Allocation, lease: Lease, flavor: boolean) {
    const r = this.instRng;
    const ce = Math.min(a.ce, this.asOf);
    const created = a.cs + Math.min(6 * HOUR, Math.round(r.logNormal(15 * MIN, 1)));
    if (created >= ce - 30 * MIN) return;
    const hint = flavor ? { flavor: `reservation:${a.reservationId}` } : { hint: a.reservationId };
    const plan = this.planInstance(a.life, created, ce, a.ce, lease.projectId, hint);
    if (!plan) return;
    const committed = intersect([[a.cs, a.ce]], a.life.reservable);
    const occupied = intersect(plan.segments, committed);
    this.truth.add("occupied_reservation", a.life.nodeType, a.life.amounts, occupied);
    this.truth.add(
      "active_reservation",
      a.life.nodeType,
      a.life.amounts,
      intersect(plan.running, occupied),
    );
    this.legacy.used(a.id, occupied);
  }

  writeOnDemandInstances() {
    const r = this.instRng;
    for (const life of this.lives) {
      if (!life.onDemand) continue;
      for (const [ws, we] of life.total) {
        let t = ws + r.int(HOUR, 3 * DAY);
        while (t < Math.min(we, this.asOf) - 2 * HOUR) {
          const len = Math.round(r.logNormal(DAY, 1.2));
          const stop = Math.min(t + Math.max(HOUR, len), we);
          const plan = this.planInstance(
            life,
            t,
            Math.min(stop, this.asOf),
            stop,
            r.pick(this.projects),
            {},
          );
          if (plan) {
            // Evidence: where an instance ran, its host existed, so nothing is clipped here.
            const occupied = plan.segments;
            this.truth.add("occupied_ondemand", life.nodeType, life.amounts, occupied);
            this.truth.add(
              "active_ondemand",
              life.nodeType,
              life.amounts,
              intersect(plan.running, occupied),
            );
            t = Math.max(plan.end ?? this.asOf, t + HOUR) + Math.round(r.exp(2 * DAY));
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
  planInstance(
    life: Life,
    created: number,
    limit: number,
    terminateAt: number,
    projectId: string,
    link: { hint?: string; flavor?: string },
  ): { segments: Interval[]; running: Interval[]; end: number | null } | null {
    const r = this.instRng;
    const id = this.next("nova.instances");
    const uuid = this.idRng.uuid();
    const conductor = this.conductorAt(life, created);
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
      user_id: this.idRng.hex(32),
      project_id: projectId,
      vcpus: life.spec.vcpus,
      memory_mb: life.spec.memoryMb,
      root_gb: life.spec.localGb,
      ephemeral_gb: 0,
      reservation_id: `r-${this.idRng.hex(8)}`,
      display_name: displayName(r, id),
      availability_zone: "nova",
      locked_by: null,
      compute_id: null,
    };
    if (r.chance(0.03)) {
      this.emitSpec(uuid, created, projectId, life, link);
      // The build fails: never launched.
      const fail = created + r.int(2 * MIN, 20 * MIN);
      actions.push({
        action: "create",
        start: created,
        events: [ev("compute__do_build_and_run_instance", created + 5, fail, "Error")],
      });
      const del = fail + r.int(MIN, HOUR);
      const deleted = del < this.asOf ? del : null;
      if (deleted !== null) actions.push({ action: "delete", start: deleted - 2, events: [] });
      this.emit("nova.instances", {
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
      this.emitActions(uuid, projectId, actions);
      this.defect({
        kind: "never_launched",
        table: "nova.instances",
        row_id: String(id),
        reason: "never_launched",
      });
      if (this.zeroDates.filter((z) => z.column === "launched_at").length < 2) {
        this.zeroDates.push({ table: "nova.instances", row_id: String(id), column: "launched_at" });
      }
      return null;
    }
    const launched = created + r.int(8 * MIN, 25 * MIN);
    if (launched >= limit - 10 * MIN) {
      this.seq["nova.instances"]--;
      return null;
    }
    this.emitSpec(uuid, created, projectId, life, link);
    actions.push({
      action: "create",
      start: created,
      events: [ev("compute__do_build_and_run_instance", created + 4, launched)],
    });
    // When the user or Blazar ends it.
    let end: number | null = r.chance(0.45)
      ? r.int(launched + 5 * MIN, limit)
      : terminateAt + r.int(5, 180);
    if (end >= this.asOf) end = null;
    const stopAt = end ?? this.asOf;
    const segments: Interval[] = [];
    const running: Interval[] = [];
    let segStart = launched, runStart: number | null = launched;
    let state: "running" | "stopped" | "offloaded" = "running";
    let t = launched;
    const step = (min: number) => t + Math.round(r.exp(Math.max(min, (stopAt - launched) / 6)));
    const cycles = r.chance(this.p.lifecycleShare) ? r.int(1, 4) : 0;
    for (let k = 0; k < cycles; k++) {
      t = step(10 * MIN);
      if (t >= stopAt - 10 * MIN) break;
      const u = r.next();
      const fin = t + r.int(5, 90);
      if (state === "running" && u < 0.45) {
        const ok = !r.chance(0.1);
        actions.push({
          action: "stop",
          start: t,
          events: [ev("compute_stop_instance", t + 1, fin, ok ? "Success" : "Error")],
        });
        if (ok) {
          running.push([runStart!, fin]);
          runStart = null;
          state = "stopped";
        }
        t = fin;
      } else if (state === "stopped" && u < 0.8) {
        const ok = !r.chance(0.05);
        actions.push({
          action: "start",
          start: t,
          events: [ev("compute_start_instance", t + 1, fin, ok ? "Success" : "Error")],
        });
        if (ok) {
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
    this.emit("nova.instances", row);
    this.emitActions(uuid, projectId, actions);
    if (state === "offloaded" && end !== null) {
      this.defect({
        kind: "offloaded_null_node",
        table: "nova.instances",
        row_id: String(id),
        reason: null,
        detail: { hostname: life.hostname },
      });
    }
    if (this.someInstances.length < 2000) {
      this.someInstances.push({ uuid, projectId, at: launched });
    }
    if (
      this.completed.length < 2000 && end !== null && state === "running" &&
      launched > this.blazarCutoff
    ) {
      this.completed.push({ id, uuid, end, life, row });
    }
    life.occupied.push(...segments.map(([a, b]) => [a, Math.min(b, this.asOf)] as Interval));
    return { segments: normalize(segments), running: normalize(running), end };
  }

  allocCounter = 0;
  readonly completed: {
    id: number;
    uuid: string;
    end: number;
    life: Life;
    row: Record<string, unknown>;
  }[] = [];

  conductorAt(life: Life, t: number): string {
    return (life.regs.find((g) => g.start <= t && (g.end === null || t < g.end)) ?? life.regs[0])
      .conductor.host;
  }

  emitSpec(
    uuid: string,
    created: number,
    projectId: string,
    life: Life,
    link: { hint?: string; flavor?: string },
  ) {
    this.emit("nova_api.request_specs", {
      id: this.next("nova_api.request_specs"),
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

  emitActions(uuid: string, projectId: string, actions: ActionSpec[]) {
    for (const a of actions) {
      const id = this.next("nova.instance_actions");
      const failed = a.events.some((e) => e.result === "Error");
      const last = a.events.reduce((m, e) => Math.max(m, e.finish), a.start);
      this.emit("nova.instance_actions", {
        id,
        created_at: a.start,
        updated_at: last,
        deleted_at: null,
        deleted: 0,
        action: a.action,
        instance_uuid: uuid,
        request_id: `req-${this.idRng.uuid()}`,
        project_id: projectId,
        start_time: a.start,
        finish_time: null,
        message: failed ? "Error" : null,
      });
      for (const e of a.events) this.emitEvent(id, e);
    }
  }

  emitEvent(actionId: number, e: EventSpec) {
    this.emit("nova.instance_actions_events", {
      id: this.next("nova.instance_actions_events"),
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

  injectInstanceDefects() {
    const d = this.defectRng;
    const pool = this.completed.filter((c) => c.end > this.blazarCutoff);
    const n = Math.max(2, Math.round(3 * this.opt.scale));
    const used = new Set<number>();
    const take = () => {
      for (let k = 0; k < 50; k++) {
        const c = d.pick(pool);
        if (!used.has(c.id)) {
          used.add(c.id);
          return c;
        }
      }
      return undefined;
    };
    // These rows were already written: the defect is recorded here and applied by the sink's
    // owner through `patches` (see generate.ts), so the stream stays append-only.
    for (let i = 0; i < n && pool.length > 0; i++) {
      const c = take();
      if (!c) break;
      this.patches.push({ table: "nova.instances", id: c.id, set: { node: null, host: null } });
      this.defect({
        kind: "null_node",
        table: "nova.instances",
        row_id: String(c.id),
        reason: null,
        detail: { hostname: c.life.hostname },
      });
    }
    for (let i = 0; i < n && pool.length > 0; i++) {
      const c = take();
      if (!c) break;
      this.patches.push({
        table: "nova.instances",
        id: c.id,
        set: { terminated_at: null, deleted_at: null, deleted: 0, vm_state: "active" },
      });
      this.defect({
        kind: "termination_only_in_events",
        table: "nova.instances",
        row_id: String(c.id),
        reason: null,
        detail: { end: new Date(c.end * 1000).toISOString().slice(0, 19) },
      });
    }
    for (let i = 0; i < Math.max(2, Math.round(2 * this.opt.scale)) && pool.length > 0; i++) {
      const c = d.pick(pool);
      const id = this.next("nova.instances");
      const t = c.end - d.int(HOUR, DAY);
      this.emit("nova.instances", {
        ...c.row,
        id,
        uuid: this.idRng.uuid(),
        launched_at: t,
        terminated_at: t - d.int(MIN, HOUR),
        deleted_at: t - 30,
        deleted: id,
        created_at: t - 20 * MIN,
        vm_state: "deleted",
        display_name: `phantom-${id}`,
      });
      this.defect({
        kind: "phantom",
        table: "nova.instances",
        row_id: String(id),
        reason: "phantom_span",
      });
    }
  }

  /** Updates of already-written rows, applied by the writer after the stream ends. */
  readonly patches: { table: string; id: number; set: Record<string, unknown> }[] = [];

  // ---------------------------------------------------------------- truth and legacy

  finishTruth() {
    for (const life of this.lives) {
      // An instance proves its host existed (DESIGN §7): a Blazar termination a few seconds
      // after the host's last registration still counts.
      this.truth.add(
        "total",
        life.nodeType,
        life.amounts,
        normalize([...life.total, ...life.occupied]),
      );
      this.truth.add("reservable", life.nodeType, life.amounts, life.reservable);
      const maint = subtract(intersect(life.maintenance, life.reservable), life.committed);
      this.truth.add("maintenance", life.nodeType, life.amounts, maint);
      if (!life.onDemand) {
        this.legacy.blazarHost(
          life.spec.name,
          life.blazar.map((b) => [b.start, b.end ?? this.asOf] as Interval),
        );
      }
    }
  }

  writeMaintenanceRows() {
    const reasons = [
      "firmware upgrade",
      "hardware failure",
      "disk replacement",
      "bios settings",
      "network maintenance",
    ];
    const r = this.lifeRng;
    for (const life of this.lives) {
      for (const [s, e] of life.maintenance) {
        const reason = r.pick(reasons);
        for (let day = s; day < e; day += DAY) {
          const id = this.next("chameleon_usage.node_maintenance");
          this.emit("chameleon_usage.node_maintenance", {
            id,
            node_name: life.hostname,
            date: day / DAY,
            hours: 24,
            reason,
          });
          this.legacy.maintenance(life.spec.name, day, 24);
          const overlap = intersect([[day, day + DAY]], life.committed);
          // Knowable only where the host's Blazar record survived the purge.
          const known = life.blazar.some((b) =>
            b.start <= day && (b.end === null || b.end > day) &&
            (b.end === null || b.end >= this.blazarCutoff)
          );
          if (overlap.length > 0 && known) {
            this.defect({
              kind: "maintenance_over_committed",
              table: "chameleon_usage.node_maintenance",
              row_id: String(id),
              reason: "committed_overlap",
              detail: {
                hostname: life.hostname,
                seconds: overlap.reduce((a, [x, y]) => a + y - x, 0),
              },
            });
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- exact row counts

  /**
   * Pads every table with a target up to its exact row count, with rows that change no truth:
   * retired service rows, zero-length registrations, builds that failed before scheduling, API
   * actions and events that change no state, leases of networks and floating IPs, allocations of
   * leases deleted before they started, extra host capabilities, zero-hour legacy rows.
   * Fails when the natural generation already exceeds a target.
   */
  fillTargets(targets: Readonly<Record<string, number>>) {
    const r = new Rng(this.opt.seed, "fill");
    const scaled = (t: string) =>
      UNSCALED_TARGETS.has(t) ? targets[t] : Math.round(targets[t] * this.opt.scale);
    // At scale 1 the targets are CHI@TACC's exact counts. Scaled, they are floors: the natural
    // generation of 10x the hosts and leases may overshoot ten times a count by a few percent
    // (10x tacc: 4% more allocations), and such a table keeps its rows.
    const exact = this.opt.scale === 1;
    const deficit = (t: string) => {
      if (!(t in targets)) return 0;
      const have = this.counts[t] ?? 0;
      const want = scaled(t);
      if (have > want && !exact) return 0;
      if (have > want) {
        throw new Error(
          `Cannot reach the "${this.p.name}" target for "${t}": generated ${have} rows, target ${want}`,
        );
      }
      return want - have;
    };
    const note = (table: string, n: number, reason: string | null) => {
      if (n > 0) this.defect({ kind: "filler", table, row_id: "*", reason, detail: { rows: n } });
    };
    const after = this.novaCutoff + DAY;
    // services
    let n = deficit("nova.services");
    for (let i = 0; i < n; i++) {
      const start = r.int(after, this.asOf - 30 * DAY);
      this.emitService(
        this.next("nova.services"),
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
      const life = r.pick(this.lives);
      const t = r.int(Math.max(after, life.birth), Math.max(after, life.death ?? this.asOf - DAY));
      this.emitComputeNodeRaw(life, t, t, r.pick(this.conductors));
    }
    note("nova.compute_nodes", n, "phantom_span");
    // instances that failed before scheduling, without request specs
    n = deficit("nova.instances");
    const specsWanted = deficit("nova_api.request_specs");
    for (let i = 0; i < n; i++) {
      const id = this.next("nova.instances");
      const uuid = this.idRng.uuid();
      const created = r.int(after, this.asOf - DAY);
      const projectId = r.pick(this.projects);
      this.emit("nova.instances", {
        id,
        uuid,
        created_at: created,
        updated_at: created + 60,
        deleted_at: created + 120,
        deleted: id,
        launched_at: null,
        terminated_at: null,
        user_id: this.idRng.hex(32),
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
        reservation_id: `r-${this.idRng.hex(8)}`,
        display_name: `failed-${id}`,
        availability_zone: "nova",
        locked_by: null,
        compute_id: null,
      });
      if (i < specsWanted) {
        const life = r.pick(this.lives);
        this.emitSpec(uuid, created, projectId, life, {});
      }
    }
    note("nova.instances", n, "never_launched");
    n = deficit("nova_api.request_specs");
    if (n > 0) {
      throw new Error(
        `Cannot reach the "${this.p.name}" target for "nova_api.request_specs": ${n} rows short`,
      );
    }
    // neutral actions, then neutral events spread over them
    const actions = deficit("nova.instance_actions");
    const events = deficit("nova.instance_actions_events");
    if (events > 0 && actions === 0) {
      throw new Error(
        `Cannot reach the "${this.p.name}" target for "nova.instance_actions_events": no filler actions to attach ${events} events to`,
      );
    }
    const actionIds: number[] = [];
    for (let i = 0; i < actions; i++) {
      const inst = this.someInstances[i % this.someInstances.length];
      const id = this.next("nova.instance_actions");
      const t = inst.at + r.int(MIN, HOUR);
      const action = r.pick(["lock", "unlock", "createImage"]);
      actionIds.push(id);
      this.emit("nova.instance_actions", {
        id,
        created_at: t,
        updated_at: t,
        deleted_at: null,
        deleted: 0,
        action,
        instance_uuid: inst.uuid,
        request_id: `req-${this.idRng.uuid()}`,
        project_id: inst.projectId,
        start_time: t,
        finish_time: null,
        message: null,
      });
    }
    for (let i = 0; i < events; i++) {
      const t = this.t0 + r.int(0, this.asOf - this.t0 - 1);
      this.emitEvent(actionIds[i % actionIds.length], {
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
      filled.push(this.writeOtherLease(r.int(after, this.asOf + 10 * DAY)));
    }
    n = deficit("blazar.reservations");
    const hosts = filled.length > 0 ? filled : this.otherLeases;
    for (let i = 0; i < n; i++) {
      this.emitReservation(
        this.idRng.uuid(),
        hosts[i % hosts.length],
        "virtual:floatingip",
        this.idRng.uuid(),
      );
    }
    // allocations of leases deleted before they started
    n = deficit("blazar.computehost_allocations");
    if (n > 0 && this.deletedBeforeStart.length === 0) {
      throw new Error(
        `Cannot reach the "${this.p.name}" target for "blazar.computehost_allocations": no lease deleted before its start to attach ${n} rows to`,
      );
    }
    for (let i = 0; i < n; i++) {
      const d = this.deletedBeforeStart[i % this.deletedBeforeStart.length];
      const host = r.pick(d.life.blazar);
      this.emit("blazar.computehost_allocations", {
        id: this.idRng.uuid(),
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
      const life = r.pick(this.lives.filter((l) => !l.onDemand));
      const t = r.int(this.blazarCutoff, this.asOf - DAY);
      this.emitComputeHost(this.idRng.uuid(), life, t, t);
    }
    note("blazar.computehosts", n, "phantom_span");
    n = deficit("blazar.computehost_extra_capabilities");
    const names = capabilityNames(64).slice(6);
    for (let i = 0; i < n; i++) {
      const h = this.emittedHosts[i % this.emittedHosts.length];
      const round = Math.floor(i / this.emittedHosts.length);
      this.emitCapability(h.id, names[round % names.length], `value-${round}`, h.start, h.end);
    }
    // zero-hour legacy rows
    for (const table of ["chameleon_usage.node_maintenance", "chameleon_usage.node_usage"]) {
      n = deficit(table);
      for (let i = 0; i < n; i++) {
        const life = r.pick(this.lives);
        const day = Math.floor(r.int(this.t0, this.asOf - 1) / DAY);
        const id = this.next(table);
        this.emit(
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
      const have = this.counts[t] ?? 0;
      if (exact ? have !== scaled(t) : have < scaled(t)) {
        throw new Error(
          `Cannot reach the "${this.p.name}" target for "${t}": ${have} rows, target ${scaled(t)}`,
        );
      }
    }
  }
}

function poisson(r: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    return Math.max(
      0,
      Math.round(mean + Math.sqrt(mean) * (r.next() + r.next() + r.next() - 1.5) * 2),
    );
  }
  const l = Math.exp(-mean);
  let k = 0, p = 1;
  do {
    k++;
    p *= r.next();
  } while (p > l);
  return k - 1;
}

function weightedPick<T>(r: Rng, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((a, t) => a + weight(t), 0);
  let x = r.next() * total;
  for (const t of items) {
    x -= weight(t);
    if (x < 0) return t;
  }
  return items[items.length - 1];
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
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
