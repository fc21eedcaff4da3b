/**
 * The state of one demo world while it is generated: the profile and options, the clock
 * (start, snapshot, purge cutoffs), the random streams, the host lives and what the modules
 * beside this one have written so far. The modules (`hosts.ts`, `maintenance.ts`, `leases.ts`,
 * `instances.ts`, `defects.ts`, `filler.ts`) are functions of a {@linkcode World}; `world.ts`
 * runs them in order.
 *
 * @module
 */
import type { Interval } from "../math/intervals.ts";
import { utcSeconds } from "../time.ts";
import { Rng } from "./rng.ts";
import type { NodeTypeSpec, Profile } from "./profiles.ts";
import { type Amounts, ProjectTruth, TruthAccumulator } from "./truth.ts";
import { LegacyMethod } from "./legacy_method.ts";

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
  projectTruth: ProjectTruth;
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

/** One Nova registration of a host (a compute-node row), on one conductor. */
export interface Registration {
  start: number;
  end: number | null;
  conductor: Conductor;
}

/** One Blazar host row of a life. */
export interface BlazarRow {
  id: string;
  start: number;
  end: number | null;
}

/** One life of a hostname: from its birth to its death (null while it lives), as one node type. */
export interface Life {
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

/** A `nova-compute` service (an Ironic conductor) that registers hosts. */
export interface Conductor {
  host: string;
  serviceId: number;
  start: number;
  end: number | null;
}

/** A Blazar lease as written. */
export interface Lease {
  id: string;
  created: number;
  start: number;
  end: number;
  deleted: number | null;
  projectId: string;
  userId: string;
}

/** One host of a host lease. */
export interface Allocation {
  id: string;
  life: Life;
  reservationId: string;
  /** Effective committed window before clamping to the pool. */
  cs: number;
  ce: number;
}

/** One event of an instance action. */
export interface EventSpec {
  event: string;
  start: number;
  finish: number;
  result: "Success" | "Error";
  host: string | null;
}

/** One instance action and its events. */
export interface ActionSpec {
  action: string;
  start: number;
  events: EventSpec[];
}

/** Seconds in a minute, an hour and a day. */
export const MIN = 60, HOUR = 3600, DAY = 86400;

/** The generation state every module of the demo world reads and appends to. */
export class World {
  readonly p: Profile;
  readonly sink: Sink;
  readonly opt: WorldOptions;
  readonly t0: number;
  readonly asOf: number;
  readonly novaCutoff: number;
  readonly blazarCutoff: number;
  readonly truth: TruthAccumulator;
  /** Ground truth per project (committed, occupied). */
  readonly projectTruth: ProjectTruth;
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
  /** Blazar host rows written, for the filler's extra capabilities. */
  readonly emittedHosts: { id: string; life: Life; start: number; end: number | null }[] = [];
  /** Non-host leases written (up to 5,000), for the filler's extra reservations. */
  readonly otherLeases: Lease[] = [];
  /** Host allocations written so far (every so many gets maintenance over its commitment). */
  allocCounter = 0;
  /** Some instances that ran to their end, for the injected instance defects. */
  readonly completed: {
    id: number;
    uuid: string;
    end: number;
    life: Life;
    row: Record<string, unknown>;
  }[] = [];
  /** Updates of already-written rows, applied by the writer after the stream ends. */
  readonly patches: { table: string; id: number; set: Record<string, unknown> }[] = [];

  constructor(profile: Profile, sink: Sink, opt: WorldOptions) {
    this.p = profile;
    this.sink = sink;
    this.opt = opt;
    this.t0 = utcSeconds(profile.start);
    this.asOf = utcSeconds(profile.asOf);
    this.novaCutoff = utcSeconds(profile.novaCutoff);
    this.blazarCutoff = utcSeconds(profile.blazarCutoff);
    this.truth = new TruthAccumulator(
      this.t0,
      this.asOf,
      profile.edge
        ? { resources: ["devices"] }
        : profile.kind === "kvm"
        ? { nodeUnits: lcm(profile.nodeTypes.map((t) => t.vcpus)) }
        : undefined,
    );
    this.projectTruth = new ProjectTruth(this.t0, this.asOf);
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

  /** Writes one row of `table` to the sink and counts it. */
  emit(table: string, values: Record<string, unknown>) {
    this.counts[table] = (this.counts[table] ?? 0) + 1;
    this.sink.row(table, values);
  }

  /** The next integer id of `table` (1, 2, ...). */
  next(table: string): number {
    this.seq[table] = (this.seq[table] ?? 0) + 1;
    return this.seq[table];
  }

  /** Records a defect for the ground truth. */
  defect(d: Defect) {
    this.defects.push(d);
  }

  /** Records a defect of the row `rowId` of `table`: {@linkcode Defect}'s fields, in order. */
  flag(
    kind: string,
    table: string,
    rowId: string | number,
    reason: string | null,
    detail?: Record<string, unknown>,
  ) {
    const row_id = String(rowId);
    this.defect(
      detail === undefined
        ? { kind, table, row_id, reason }
        : { kind, table, row_id, reason, detail },
    );
  }
}

/**
 * The least common multiple of whole numbers: the node unit of a KVM world, in which a share of
 * any of its hosts is a whole number (docs/decisions/0014-kvm-fractions.md).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { lcm } from "./world_state.ts";
 * equal(lcm([48, 128, 40]), 1920);
 * ```
 */
export function lcm(values: readonly number[]): number {
  const gcd = (a: number, b: number): number => b === 0 ? a : gcd(b, a % b);
  return values.reduce((u, v) => u / gcd(u, v) * v, 1);
}
