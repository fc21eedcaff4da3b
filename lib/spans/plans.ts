/**
 * Every span source of stage 02 and the order their steps run in (docs/decisions/0010-span-plans.md).
 *
 * The declaration order matters in two ways only: notes are said in it, and a plan that fills
 * gaps of a metric (it reads and writes the metric) runs after the writers of that metric declared
 * before it and before those declared after it.
 *
 * @module
 */
import type { DerivedStep, LayerName, Metric, SpanPlan } from "./plan.ts";
import { LAYERS } from "./layers.ts";
import { NOVA_HOSTS_PLAN } from "./nova_hosts.ts";
import { ALLOCATIONS_PLAN } from "./allocations.ts";
import { INSTANCES_PLAN } from "./instances.ts";
import { BLAZAR_HOSTS_PLAN } from "./blazar_hosts.ts";
import { ACTIVE_PLAN } from "./active.ts";
import { MAINTENANCE_PLAN } from "./maintenance.ts";
import { EVIDENCE_PLAN } from "./evidence.ts";
import { POOL_PLAN } from "./pool.ts";
import { DEVICES_PLAN, DEVICES_RESERVABLE_PLAN } from "./devices.ts";
import { DEVICE_ALLOCATIONS_PLAN } from "./device_allocations.ts";
import { CONTAINERS_PLAN, CONTAINERS_RUNNING_PLAN } from "./containers.ts";

/**
 * The span sources of stage 02, in declaration order.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { SPAN_PLANS } from "./plans.ts";
 * equal(SPAN_PLANS.length, 13);
 * ```
 */
export const SPAN_PLANS: readonly SpanPlan[] = [
  NOVA_HOSTS_PLAN,
  ALLOCATIONS_PLAN,
  INSTANCES_PLAN,
  BLAZAR_HOSTS_PLAN,
  DEVICES_PLAN,
  DEVICES_RESERVABLE_PLAN,
  DEVICE_ALLOCATIONS_PLAN,
  CONTAINERS_PLAN,
  CONTAINERS_RUNNING_PLAN,
  ACTIVE_PLAN,
  MAINTENANCE_PLAN,
  EVIDENCE_PLAN,
  POOL_PLAN,
];

/** One step of the run after staging: a records plan's settling or a derived plan's step. */
export interface PlanStep {
  /** Index of the plan in the run's list. */
  plan: number;
  /** Derived plans: the step's index; records plans: -1 (the settling). */
  step: number;
  /** Metrics it waits for (its own reads and those of the layers it uses). */
  reads: Set<Metric>;
  writes: Set<Metric>;
  /** Layers it uses, with the layers those are built from. */
  layers: LayerName[];
  /** Records plans whose screened pieces it reads (its own, for a settling). */
  uses: string[];
  /** 0 for steps that wait for nothing; else one more than the latest step it waits for. */
  level: number;
}

/** The layers a list needs, each after the layers it is built from. */
function withBuildOrder(layers: readonly LayerName[]): LayerName[] {
  const out: LayerName[] = [];
  const visit = (l: LayerName) => {
    for (const d of LAYERS[l].layers) visit(d);
    if (!out.includes(l)) out.push(l);
  };
  for (const l of layers) visit(l);
  return out;
}

/**
 * The steps of the plans that run, each with its level: a step waits for every step that writes a
 * metric it reads (gap fillers, which write what they read, only for those declared before them).
 * Steps of one level run side by side, one chain per connection. Fails naming a plan on a cycle.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { orderSteps, SPAN_PLANS } from "./plans.ts";
 * const steps = orderSteps(SPAN_PLANS);
 * // Nova hosts and Edge devices first: they read nothing.
 * deepEqual(steps.filter((s) => s.level === 0).map((s) => s.plan), [0, 4]);
 * ```
 */
export function orderSteps(plans: readonly SpanPlan[]): PlanStep[] {
  const steps: PlanStep[] = [];
  plans.forEach((p, i) => {
    const add = (
      step: number,
      reads: Metric[],
      writes: readonly Metric[],
      layers: LayerName[],
      uses: string[],
    ) => {
      const all = withBuildOrder(layers);
      const r = new Set<Metric>(reads);
      for (const l of all) for (const m of LAYERS[l].from) r.add(m);
      steps.push({ plan: i, step, reads: r, writes: new Set(writes), layers: all, uses, level: 0 });
    };
    if (p.kind === "records") {
      const layers = [p.parent?.layer, p.subtract?.layer].filter((l) => l !== undefined);
      add(-1, [], p.writes, layers, [p.source]);
    } else {
      p.steps.forEach((s: DerivedStep, j) =>
        add(j, [...s.reads], s.writes, [...(s.layers ?? [])], [...(s.uses ?? [])])
      );
    }
  });
  const order = (s: PlanStep) => s.plan * 1000 + s.step;
  const waitsFor = (b: PlanStep, a: PlanStep) =>
    a !== b &&
    [...a.writes].some((m) => b.reads.has(m) && (!b.writes.has(m) || order(a) < order(b)));
  const state = new Map<PlanStep, "visiting" | "done">();
  const visit = (b: PlanStep): number => {
    if (state.get(b) === "done") return b.level;
    if (state.get(b) === "visiting") {
      throw new Error(`Span plans wait for each other in a cycle (plan ${b.plan}, step ${b.step})`);
    }
    state.set(b, "visiting");
    b.level = Math.max(0, ...steps.filter((a) => waitsFor(b, a)).map((a) => visit(a) + 1));
    state.set(b, "done");
    return b.level;
  };
  for (const s of steps) visit(s);
  return steps;
}
