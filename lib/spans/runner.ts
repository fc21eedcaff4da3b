/**
 * The two phases of stage 02 after staging, for {@linkcode buildSpans} (build.ts): every records
 * plan's candidates are screened (two chains side by side, each on its own connection), then the
 * plans' steps run level by level in dependency order (plans.ts `orderSteps`), each layer's
 * windows built when a step first needs them and every temporary table dropped once no later step
 * reads it.
 *
 * @module
 */
import type { SpanContext } from "./context.ts";
import { CANDIDATE_COLUMNS, screenSource, settleSource } from "./pieces.ts";
import {
  type Chain,
  type LayerName,
  type RecordsPlan,
  type SpanPlan,
  type StepResult,
  type TableHandle,
  tableHandle,
} from "./plan.ts";
import { orderSteps } from "./plans.ts";
import { LAYERS } from "./layers.ts";

/** The context of each chain (the same database, one connection each). */
export type Chains = Readonly<Record<Chain, SpanContext>>;

/**
 * Whether the two chains run side by side: when the snapshot's parquet files take at most a
 * quarter of DuckDB's memory limit. Two statements at once hold two working sets, each several
 * times the compressed columns it reads; above that share they run one after the other (10x
 * `tacc`, 1.2 GB of parquet under 1 GiB: side by side ran out of memory, one after the other
 * completes; docs/decisions/0008-stage-performance.md).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { chainsSideBySide } from "./runner.ts";
 * const GiB = 2 ** 30;
 * equal(chainsSideBySide(121e6, GiB), true); // tacc
 * equal(chainsSideBySide(1.2e9, GiB), false); // 10x tacc
 * ```
 */
export function chainsSideBySide(inputBytes: number, memoryLimitBytes: number): boolean {
  return inputBytes * 4 <= memoryLimitBytes;
}

/**
 * Runs the two chains of statements, at once when each has its own connection (and waits for
 * both, so that neither is still running when the caller goes on or closes a connection; the
 * first failure is thrown), else one after the other.
 */
async function sideBySide(on: Chains, run: (chain: Chain) => Promise<void>): Promise<void> {
  const chains: Chain[] = ["hosts", "instances"];
  if (on.hosts.db === on.instances.db) {
    for (const chain of chains) await run(chain);
    return;
  }
  const results = await Promise.allSettled(chains.map(run));
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

/**
 * Stages and screens every records plan (steps 1-7 of pieces.ts), adding the plans' notes to
 * `notes`; returns the screened pieces per source.
 *
 * @example
 * ```ts ignore
 * const live = await screenAll(plans, { hosts: ctx, instances: sideCtx }, notes);
 * ```
 */
export async function screenAll(
  plans: readonly SpanPlan[],
  on: Chains,
  notes: Map<SpanPlan, string[]>,
): Promise<Map<string, TableHandle<"live">>> {
  const live = new Map<string, TableHandle<"live">>();
  const records = plans.filter((p): p is RecordsPlan => p.kind === "records");
  await sideBySide(on, async (chain) => {
    const c = on[chain];
    for (const p of records.filter((p) => p.chain === chain)) {
      const staged = await p.stage(c);
      notes.get(p)?.push(...staged.notes ?? []);
      const dedupe = c.rules.conflicts && p.dedupe ? { dedupe: p.dedupe } : {};
      const plan = { ...staged, source: p.source, requireHost: p.requireHost, ...dedupe };
      live.set(p.source, await screenSource(c.db, plan, c.asOfUs));
      await c.db.run(`DROP TABLE ${staged.candidates.name}; DROP TABLE ${staged.rows.name}`);
    }
  });
  return live;
}

/** Settles a records plan's screened pieces in its layers (steps 8-9 of pieces.ts). */
async function settle(
  c: SpanContext,
  p: RecordsPlan,
  live: TableHandle<"live">,
  layers: Map<LayerName, TableHandle<"windows">>,
): Promise<void> {
  const parents = p.parent && { parents: layers.get(p.parent.layer)!, ...p.parent };
  const subtract = p.subtract && { ...p.subtract, windows: layers.get(p.subtract.layer)! };
  await settleSource(c.db, live, { ...parents, ...(subtract ? { subtract } : {}) });
}

/**
 * Runs the plans' steps in dependency order, level by level (the steps of a level side by side,
 * one chain per connection), and returns what the derived steps told. Drops the screened pieces
 * and the layers' windows once no later step reads them; the host windows stay (the final
 * tables read them) and are built even when no step needed them.
 *
 * @example
 * ```ts ignore
 * const results = await runSteps(plans, { hosts: ctx, instances: sideCtx }, live);
 * ```
 */
export async function runSteps(
  plans: readonly SpanPlan[],
  on: Chains,
  live: Map<string, TableHandle<"live">>,
): Promise<StepResult[]> {
  const db = on.hosts.db;
  const steps = orderSteps(plans);
  const layers = new Map<LayerName, TableHandle<"windows">>();
  const built = new Set<LayerName>();
  const results: StepResult[] = [];
  const empty = tableHandle("live", "empty_live");
  await db.run(`CREATE OR REPLACE TABLE ${empty.name} (${CANDIDATE_COLUMNS})`);
  const inputs = {
    live: (source: string) => live.get(source) ?? empty,
    layer: (name: LayerName) => layers.get(name)!,
  };
  for (let level = 0; steps.some((s) => s.level >= level); level++) {
    const now = steps.filter((s) => s.level === level);
    for (const l of now.flatMap((s) => s.layers).filter((l) => !built.has(l))) {
      layers.set(l, await LAYERS[l].build(on.hosts));
      built.add(l);
    }
    await sideBySide(on, async (chain) => {
      for (const s of now.filter((s) => plans[s.plan].chain === chain)) {
        const p = plans[s.plan];
        if (p.kind === "records") await settle(on[chain], p, live.get(p.source)!, layers);
        else results.push(await p.steps[s.step].run(on[chain], inputs) ?? {});
      }
    });
    // Tables no later step reads are dropped: DuckDB reuses their memory (peak RSS), and fresh
    // memory is slow to fault in (docs/decisions/0008-stage-performance.md).
    const later = steps.filter((s) => s.level > level);
    for (const [source, t] of live) {
      if (later.some((s) => s.uses.includes(source))) continue;
      await db.run(`DROP TABLE ${t.name}`);
      live.delete(source);
    }
    for (const [name, t] of layers) {
      if (later.some((s) => s.layers.includes(name))) continue;
      await db.run(`DROP TABLE ${t.name}`);
      layers.delete(name);
    }
  }
  await db.run(`DROP TABLE ${empty.name}`);
  if (!built.has("total")) await db.run(`DROP TABLE ${(await LAYERS.total.build(on.hosts)).name}`);
  return results;
}
