/**
 * The demo site's world: a seeded simulation of a bare-metal OpenStack site, rendered into
 * OpenStack-shaped rows, with the true state of every host at every second kept aside.
 *
 * What it models (docs/design.md §4, §6, §7):
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
 * This file assembles the world: it runs the modules below in a fixed order (the order is part
 * of the output: every module draws from shared seeded streams and appends to shared id
 * sequences, so reordering two steps changes every row after them).
 *
 * | module | concern |
 * |---|---|
 * | `world_state.ts` | the state every step reads and appends to; the entity types |
 * | `hosts.ts` | host lives, Nova registrations and services, the Blazar pool and capabilities |
 * | `maintenance.ts` | maintenance days and their rows |
 * | `leases.ts` | leases, reservations, allocations |
 * | `instances.ts` | instances, their actions, events and request specs |
 * | `defects.ts` | injected defects |
 * | `filler.ts` | rows up to a profile's exact table counts |
 *
 * Further site kinds go in their own modules beside these, each a function of a
 * {@linkcode World} with one step in {@linkcode generateWorld}, so that the bare-metal output
 * stays what it is. A KVM profile (`kind: "kvm"`, `kvm.ts`) runs its own step instead of the
 * bare-metal ones: its world has no Ironic hosts and no legacy tables. An Edge profile (`edge`
 * set, `edge.ts`) has no hosts: its world is the `edge.ts` step alone.
 *
 * @module
 */
import { intersect, type Interval, normalize, subtract } from "../math/intervals.ts";
import type { Profile } from "./profiles.ts";
import { type Sink, World, type WorldOptions, type WorldResult } from "./world_state.ts";
import { makeLives, writeBlazarHosts, writeNova } from "./hosts.ts";
import { placeMaintenance, writeMaintenanceRows } from "./maintenance.ts";
import { writeLeases } from "./leases.ts";
import { writeOnDemandInstances } from "./instances.ts";
import {
  injectBlazarHostDefects,
  injectComputeNodeDefects,
  injectInstanceDefects,
  injectInstancesAfterHostEnd,
} from "./defects.ts";
import { fillTargets } from "./filler.ts";
import { writeEdge } from "./edge.ts";
import { writeKvmWorld } from "./kvm.ts";

export {
  type Defect,
  type Sink,
  type WorldOptions,
  type WorldResult,
  type ZeroDate,
} from "./world_state.ts";
export { capabilityNames } from "./hosts.ts";

/**
 * Generates the world of `profile` into `sink`: every row, in a fixed order, and the truth,
 * defects, zero dates, counts and patches beside them.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { generateWorld } from "./world.ts";
 * import { profileByName } from "./profiles.ts";
 * const seen: Record<string, number> = {};
 * const sink = { row: (table: string) => void (seen[table] = (seen[table] ?? 0) + 1) };
 * const world = generateWorld(profileByName("small"), sink, { scale: 0.2, seed: 1, blazarEra: "name" });
 * deepEqual(world.counts, seen);
 * ```
 */
export function generateWorld(profile: Profile, sink: Sink, options: WorldOptions): WorldResult {
  const w = new World(profile, sink, options);
  const only = profile.edge
    // An Edge site has devices, not hosts: its own step alone (edge.ts).
    ? () => writeEdge(w, profile.edge!)
    : profile.kind === "kvm"
    ? () => writeKvmWorld(w)
    : null;
  if (only) {
    only();
    return {
      truth: w.truth,
      projectTruth: w.projectTruth,
      defects: w.defects,
      zeroDates: w.zeroDates,
      counts: w.counts,
      patches: w.patches,
    };
  }
  makeLives(w);
  writeNova(w);
  injectComputeNodeDefects(w);
  writeBlazarHosts(w);
  injectBlazarHostDefects(w);
  placeMaintenance(w);
  writeLeases(w);
  writeOnDemandInstances(w);
  finishTruth(w);
  writeMaintenanceRows(w);
  injectInstanceDefects(w);
  injectInstancesAfterHostEnd(w);
  w.legacy.write((t, v) => w.emit(t, v), (t) => w.next(t));
  if (w.p.targets) fillTargets(w, w.p.targets);
  return {
    truth: w.truth,
    projectTruth: w.projectTruth,
    defects: w.defects,
    zeroDates: w.zeroDates,
    counts: w.counts,
    patches: w.patches,
  };
}

/** Adds every life's total, reservable and maintenance time to the truth and the legacy method. */
function finishTruth(w: World) {
  for (const life of w.lives) {
    // An instance proves its host existed (docs/design.md §7): a Blazar termination a few seconds
    // after the host's last registration still counts.
    w.truth.add(
      "total",
      life.nodeType,
      life.amounts,
      normalize([...life.total, ...life.occupied]),
    );
    w.truth.add("reservable", life.nodeType, life.amounts, life.reservable);
    const maint = subtract(intersect(life.maintenance, life.reservable), life.committed);
    w.truth.add("maintenance", life.nodeType, life.amounts, maint);
    if (!life.onDemand) {
      w.legacy.blazarHost(
        life.spec.name,
        life.blazar.map((b) => [b.start, b.end ?? w.asOf] as Interval),
      );
    }
  }
}
