/**
 * Profiles of the demo site generator: how big, how long, which node types, and (where set) the
 * exact row count each table must reach.
 *
 * - `small`: two node types over six months, for unit tests (generates well under a second).
 * - `demo`: the default, about five years of a bare-metal site with six node types.
 * - `tacc`: the row counts of CHI@TACC (docs/design.md §4) over ten years, for benchmarks.
 * - `kvm`: a KVM@TACC-like site over one year (`kind: "kvm"`, `lib/demo/kvm.ts`): a few dozen
 *   QEMU hypervisors, `flavor:instance` reservations with several slots per host, on-demand
 *   instances on hosts outside the pool, overcommit ratios set, NULL and 0; no legacy tables.
 * - `edge`: a CHI@Edge site over two years: about 300 devices of four machine types, device
 *   leases and Zun containers (`edge.ts`), no hosts.
 *
 * `--scale N` multiplies hosts, leases and instances (and the targets of entity tables); the
 * per-day legacy caches keep one row per node type per day. Scaled targets are floors, not exact
 * counts: a table the natural generation fills beyond its scaled target keeps its rows.
 *
 * @module
 */

import type { EdgeSpec } from "./edge.ts";

/** A node type of the modelled site. */
export interface NodeTypeSpec {
  readonly name: string;
  /** Hosts at scale 1. */
  readonly count: number;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly localGb: number;
  /** Days after the profile start when the type arrives. */
  readonly introDays: number;
  /** Days after the profile start when the type is retired, if it is. */
  readonly retireDays?: number;
  /** Share of hosts never enrolled in Blazar (on-demand capacity, node type unknown). */
  readonly onDemandShare?: number;
  /** Relative demand for leases of this type. */
  readonly demand: number;
  /** KVM profiles: `cpu_allocation_ratio` of the type's hosts, cycled (NULL and 0: unset). */
  readonly cpuAllocationRatios?: readonly (number | null)[];
}

/** One generator profile. */
export interface Profile {
  readonly name: "small" | "demo" | "tacc" | "kvm" | "edge";
  /** A KVM site (`lib/demo/kvm.ts`) instead of a bare-metal one. */
  readonly kind?: "kvm";
  readonly seed: number;
  /** Start of the modelled history (UTC, ISO date). */
  readonly start: string;
  /** The snapshot time every open record is measured to. */
  readonly asOf: string;
  /** Compute-node and service rows deleted before this date were purged from Nova. */
  readonly novaCutoff: string;
  /** Blazar host rows deleted before this date were hard-deleted (no soft delete yet). */
  readonly blazarCutoff: string;
  readonly nodeTypes: readonly NodeTypeSpec[];
  /** Leases at scale 1 (host leases, flavor leases and other leases together). */
  readonly leases: number;
  /** Share of leases that reserve networks, floating IPs or devices, not hosts. */
  readonly otherLeaseShare: number;
  /** Share of host leases that ask for more than one host. */
  readonly multiHostShare: number;
  /** Share of host leases that also reserve a floating IP. */
  readonly floatingIpShare: number;
  /** Share of instances that see stop/start, reboot or shelve actions. */
  readonly lifecycleShare: number;
  /** Mean number of Nova re-registrations per host life. */
  readonly reregistrations: number;
  /** Mean maintenance windows per host per year. */
  readonly maintenancePerYear: number;
  /** Exact row count per table at scale 1, reached by padding with neutral rows. */
  readonly targets?: Readonly<Record<string, number>>;
  /** An Edge site: devices, device leases and containers instead of hosts (`edge.ts`). */
  readonly edge?: EdgeSpec;
}

/** Tables whose targets do not scale: one row per node type per day. */
export const UNSCALED_TARGETS = new Set([
  "chameleon_usage.node_usage_report_cache",
  "chameleon_usage.node_count_cache",
]);

const DEMO_TYPES: NodeTypeSpec[] = [
  {
    name: "compute_haswell",
    count: 24,
    vcpus: 48,
    memoryMb: 131072,
    localGb: 250,
    introDays: 0,
    retireDays: 1100,
    demand: 3,
  },
  {
    name: "compute_skylake",
    count: 32,
    vcpus: 48,
    memoryMb: 196608,
    localGb: 240,
    introDays: 0,
    onDemandShare: 0.1,
    demand: 5,
  },
  {
    name: "compute_cascadelake_r",
    count: 28,
    vcpus: 96,
    memoryMb: 196608,
    localGb: 480,
    introDays: 420,
    demand: 5,
  },
  {
    name: "gpu_rtx_6000",
    count: 8,
    vcpus: 48,
    memoryMb: 196608,
    localGb: 480,
    introDays: 60,
    demand: 3,
  },
  {
    name: "storage_nvme",
    count: 6,
    vcpus: 64,
    memoryMb: 262144,
    localGb: 7680,
    introDays: 200,
    demand: 1,
  },
  {
    name: "compute_icelake_r650",
    count: 20,
    vcpus: 128,
    memoryMb: 262144,
    localGb: 480,
    introDays: 1200,
    demand: 4,
  },
];

const TACC_TYPE_NAMES = [
  "compute_haswell",
  "compute_haswell_ib",
  "compute_skylake",
  "compute_cascadelake",
  "compute_cascadelake_r",
  "compute_cascadelake_r_ib",
  "compute_icelake_r650",
  "compute_zen3",
  "gpu_p100",
  "gpu_v100",
  "gpu_rtx_6000",
  "gpu_a100_pcie",
  "storage",
  "storage_nvme",
];

/** 13 types from the first day and one from day 182: 13 x 3652 + 3470 = 50,946 type-days. */
const TACC_TYPES: NodeTypeSpec[] = TACC_TYPE_NAMES.map((name, i) => ({
  name,
  count: [44, 22, 44, 36, 34, 22, 32, 22, 12, 12, 14, 8, 14, 8][i],
  vcpus: name.startsWith("gpu") ? 48 : name === "compute_icelake_r650" ? 128 : 48,
  memoryMb: name.includes("icelake") || name.includes("zen3") ? 262144 : 196608,
  localGb: name.startsWith("storage") ? 7680 : 480,
  introDays: name === "gpu_a100_pcie" ? 182 : 0,
  ...(i < 2 ? { retireDays: 2200 } : {}),
  ...(name === "compute_skylake" ? { onDemandShare: 0.05 } : {}),
  demand: name.startsWith("gpu") ? 3 : 2,
}));

/** The `kvm` profile's hypervisors: two reservable types and on-demand hosts outside the pool. */
const KVM_TYPES: NodeTypeSpec[] = [
  {
    name: "kvm_cascadelake",
    count: 12,
    vcpus: 48,
    memoryMb: 196608,
    localGb: 480,
    introDays: 0,
    demand: 3,
    cpuAllocationRatios: [4.0, null, 4.0, 8.0],
  },
  {
    name: "kvm_zen3",
    count: 8,
    vcpus: 128,
    memoryMb: 524288,
    localGb: 1920,
    introDays: 0,
    demand: 2,
    cpuAllocationRatios: [2.0, 0, 2.0],
  },
  {
    name: "kvm_skylake_ondemand",
    count: 16,
    vcpus: 40,
    memoryMb: 196608,
    localGb: 400,
    introDays: 0,
    onDemandShare: 1,
    demand: 0,
    cpuAllocationRatios: [16.0, null, 16.0, 0],
  },
];

/** The KVM profile. */
const KVM_PROFILE: Profile = {
  name: "kvm",
  kind: "kvm",
  seed: 17,
  start: "2025-06-01",
  asOf: "2026-06-01T00:00:00",
  novaCutoff: "2025-06-01",
  blazarCutoff: "2025-06-01",
  nodeTypes: KVM_TYPES,
  leases: 900,
  otherLeaseShare: 0,
  multiHostShare: 0.5,
  floatingIpShare: 0,
  lifecycleShare: 0.2,
  reregistrations: 0,
  maintenancePerYear: 0,
};

/** The generator's profiles by name. */
export const PROFILES: Readonly<Record<Profile["name"], Profile>> = {
  small: {
    name: "small",
    seed: 42,
    start: "2025-12-01",
    asOf: "2026-06-01T00:00:00",
    novaCutoff: "2026-01-01",
    blazarCutoff: "2026-02-01",
    nodeTypes: [
      {
        name: "compute_skylake",
        count: 6,
        vcpus: 48,
        memoryMb: 196608,
        localGb: 240,
        introDays: 0,
        onDemandShare: 0.2,
        demand: 3,
      },
      {
        name: "gpu_rtx_6000",
        count: 3,
        vcpus: 48,
        memoryMb: 196608,
        localGb: 480,
        introDays: 20,
        demand: 2,
      },
    ],
    leases: 160,
    otherLeaseShare: 0.2,
    multiHostShare: 0.4,
    floatingIpShare: 0.1,
    lifecycleShare: 0.35,
    reregistrations: 1,
    maintenancePerYear: 3,
  },
  demo: {
    name: "demo",
    seed: 42,
    start: "2021-06-01",
    asOf: "2026-06-01T00:00:00",
    novaCutoff: "2022-01-01",
    blazarCutoff: "2023-01-01",
    nodeTypes: DEMO_TYPES,
    leases: 16000,
    otherLeaseShare: 0.2,
    multiHostShare: 0.4,
    floatingIpShare: 0.1,
    lifecycleShare: 0.35,
    reregistrations: 1.5,
    maintenancePerYear: 2,
  },
  tacc: {
    name: "tacc",
    seed: 42,
    start: "2016-06-01",
    asOf: "2026-06-01T00:00:00",
    novaCutoff: "2019-01-01",
    blazarCutoff: "2022-05-04",
    nodeTypes: TACC_TYPES,
    leases: 215000,
    otherLeaseShare: 0.4,
    multiHostShare: 0.1,
    floatingIpShare: 0.07,
    lifecycleShare: 0.75,
    reregistrations: 11,
    maintenancePerYear: 2,
    targets: {
      "nova.compute_nodes": 3449,
      "nova.services": 544,
      "nova.instances": 146890,
      "nova.instance_actions": 498688,
      "nova.instance_actions_events": 603885,
      "nova_api.request_specs": 140475,
      "blazar.leases": 223503,
      "blazar.reservations": 234508,
      "blazar.computehosts": 356,
      "blazar.computehost_extra_capabilities": 19513,
      "blazar.computehost_allocations": 164491,
      "chameleon_usage.node_maintenance": 648819,
      "chameleon_usage.node_usage": 625625,
      "chameleon_usage.node_usage_report_cache": 50946,
      "chameleon_usage.node_count_cache": 50946,
    },
  },
  kvm: KVM_PROFILE,
  edge: {
    name: "edge",
    seed: 42,
    start: "2024-06-01",
    asOf: "2026-06-01T00:00:00",
    novaCutoff: "2024-06-01",
    blazarCutoff: "2024-06-01",
    nodeTypes: [],
    leases: 0,
    otherLeaseShare: 0,
    multiHostShare: 0,
    floatingIpShare: 0,
    lifecycleShare: 0,
    reregistrations: 0,
    maintenancePerYear: 0,
    edge: {
      machines: [
        { name: "raspberrypi4-64", prefix: "rpi4", count: 140, introDays: 0, gapHours: 30 },
        { name: "jetson-nano", prefix: "nano", count: 80, introDays: 30, gapHours: 20 },
        { name: "jetson-xavier-nx", prefix: "xavier", count: 40, introDays: 150, gapHours: 12 },
        { name: "raspberrypi5", prefix: "rpi5", count: 40, introDays: 420, gapHours: 40 },
      ],
      deletedShare: 0.12,
      nonReservableShare: 0.06,
      noCapabilityShare: 0.03,
      survivingShare: 0.15,
    },
  },
};

/**
 * Looks a profile up by name; throws listing the known ones.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { profileByName } from "./profiles.ts";
 * equal(profileByName("demo").start, "2021-06-01");
 * ```
 */
export function profileByName(name: string): Profile {
  const p = (PROFILES as Record<string, Profile>)[name];
  if (!p) {
    throw new Error(
      `Cannot find generator profile "${name}": expected one of ${
        Object.keys(PROFILES).join(", ")
      }`,
    );
  }
  return p;
}
