/**
 * The shape of a span source (docs/decisions/0010-span-plans.md): each source exports one plan
 * object, and {@linkcode buildSpans} (build.ts) walks the plans in dependency order.
 *
 * Two kinds of plan:
 *
 * - `records`: rows of a source table become candidate pieces (its `stage` query), which the
 *   common path of pieces.ts screens (decision steps 1-7) and then clamps to the `parent` layer's
 *   windows (steps 8-9). Every source row is an input row of the invariants.
 * - `derived`: spans made from other spans (evidence filling gaps, pool membership, the active
 *   replay). They have no input rows of their own; their steps say which metrics they read and
 *   which they write.
 *
 * A step runs once every plan writing a metric it reads has run; plans that write the metric they
 * read (gap filling) wait only for the writers declared before them. Temporary tables pass between
 * modules as typed handles ({@linkcode TableHandle}), never as bare names.
 *
 * @module
 */
import type { MEASURED_METRICS } from "../metrics.ts";
import type { Reason } from "./reasons.ts";
import type { SpanContext, SpanRules } from "./context.ts";

/** One measured metric. */
export type Metric = typeof MEASURED_METRICS[number];

/** What a temporary table holds: its handle type says which columns a reader may expect. */
export type TableKind =
  /** Candidate pieces: the columns of `CANDIDATE_COLUMNS` (pieces.ts). */
  | "candidates"
  /** Input rows `(row_id, s, e)`: the interval each source row stands for. */
  | "rows"
  /** Screened candidate pieces, closed at `as_of` (same columns as candidates). */
  | "live"
  /** Windows `(parent_key, s, e)` a child is clamped to. */
  | "windows"
  /** Intervals `(hostname, s, e)`. */
  | "intervals"
  /** One row per instance (instances.ts `INSTANCE_BASE`). */
  | "instances"
  /** One row per timed instance action event (instance_events.ts). */
  | "events"
  /** Maximal `total` windows with node type and size (node_types.ts). */
  | "host_windows";

declare const kindOf: unique symbol;

/**
 * A temporary table passed between modules: its name and what it holds. Made only by
 * {@linkcode tableHandle}, so a function taking windows cannot be given candidates by mistake.
 */
export interface TableHandle<K extends TableKind> {
  /** The table's SQL name (an identifier chosen by this code, never from data). */
  readonly name: string;
  readonly [kindOf]: K;
}

/**
 * A handle for a table this code names.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { tableHandle } from "./plan.ts";
 * equal(tableHandle("windows", "win_total").name, "win_total");
 * ```
 */
export function tableHandle<K extends TableKind>(_kind: K, name: string): TableHandle<K> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a temporary table name: "${name}"`);
  return { name } as TableHandle<K>;
}

/** Window layers a plan can be clamped to or subtract (built by layers.ts). */
export type LayerName = "total" | "reservable" | "committed" | "occupancy";

/** Resource columns a plan fills on its pieces (the rest stay NULL: host attributes apply). */
export type Resource = "nodes" | "vcpus" | "memory_mb" | "disk_gb" | "devices";

/** The connection a plan's statements run on: the two chains run side by side. */
export type Chain = "hosts" | "instances";

/** What a records plan's `stage` leaves: candidates and input rows, and notes for the run. */
export interface StagedSource {
  candidates: TableHandle<"candidates">;
  rows: TableHandle<"rows">;
  /** Said in the run's notes (e.g. specs that are not JSON). */
  notes?: string[];
}

/** A source whose rows become spans (nova hosts, Blazar hosts, allocations, ...). */
export interface RecordsPlan {
  readonly kind: "records";
  /** Source name written to spans and audit (usually the qualified source table). */
  readonly source: string;
  /** Metrics its spans carry. */
  readonly writes: readonly Metric[];
  /**
   * Registry tables: the first is the source table (absent: the plan is skipped with
   * `absentNote`); the others are required whenever the first is present.
   */
  readonly tables: readonly string[];
  /** Said when the source table is absent (what series are missing). */
  readonly absentNote?: string;
  /** Switched off by a rule (then skipped, silently). */
  readonly enabled?: (rules: SpanRules) => boolean;
  readonly chain: Chain;
  /** Reasons of the source's own verdicts (`reject` column); the common ones are implied. */
  readonly reasons: readonly Reason[];
  readonly resources: readonly Resource[];
  /** Builds the candidates and input rows from the staged tables. */
  readonly stage: (ctx: SpanContext) => Promise<StagedSource>;
  /** Reject pieces without a hostname as `missing_host`. @default {true} */
  readonly requireHost?: boolean;
  /** Exclude overlaps per hostname (when the `conflicts` rule is on), earlier-ranked rows winning. */
  readonly dedupe?: { readonly order: readonly string[] };
  /** Windows (same `parent_key`) the spans are clamped to; none: every screened piece is a span. */
  readonly parent?: { readonly layer: LayerName; readonly orphanDetail: string };
  /** The part inside these windows goes to the audit with `reason` instead of the spans. */
  readonly subtract?: {
    readonly layer: LayerName;
    readonly reason: Reason;
    readonly detail: string;
  };
}

/** What a derived step may use besides the context: the screened pieces of records plans. */
export interface DerivedInputs {
  /** Screened pieces of a records plan, or an empty table when that source did not run. */
  live(source: string): TableHandle<"live">;
  /** The layer's windows (built before the step runs if it is in `layers`). */
  layer(name: LayerName): TableHandle<"windows">;
}

/** What a derived step tells the run. */
export interface StepResult {
  /** The coverage start of pool membership (microseconds). */
  coverageStart?: bigint;
  /** The instance partition (occupied = active + stopped) is to be checked. */
  partition?: boolean;
}

/** One step of a derived plan. */
export interface DerivedStep {
  /** Metrics whose spans the step reads (it waits for every writer of them). */
  readonly reads: readonly Metric[];
  /** Metrics it writes. */
  readonly writes: readonly Metric[];
  /** Layers it reads (built first). */
  readonly layers?: readonly LayerName[];
  /** Records plans whose screened pieces it reads (kept until it has run). */
  readonly uses?: readonly string[];
  readonly run: (ctx: SpanContext, inputs: DerivedInputs) => Promise<void | StepResult>;
}

/** Spans made from other spans: evidence, pool membership, the active replay. */
export interface DerivedPlan {
  readonly kind: "derived";
  /** Source names it writes (each one of the run's `span_source` values). */
  readonly sources: readonly string[];
  /**
   * Registry tables: when the first is present, the others must be too (else the run fails
   * naming both).
   */
  readonly tables?: readonly string[];
  /** Switched off by a rule or by absent tables. */
  readonly enabled?: (rules: SpanRules, present: Set<string>) => boolean;
  readonly chain: Chain;
  readonly resources: readonly Resource[];
  readonly steps: readonly DerivedStep[];
  /** Notes when the plan does not run (given the rules and the present tables). */
  readonly skippedNote?: (rules: SpanRules, present: Set<string>) => string | null;
}

/** A span source. */
export type SpanPlan = RecordsPlan | DerivedPlan;

/**
 * The audit reasons a records plan may write: its own verdicts and those of the common path it
 * takes (pieces.ts), plus `duplicate_key` from staging.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { declaredReasons } from "./plan.ts";
 * deepEqual(
 *   declaredReasons({ reasons: ["missing_end"], requireHost: false }),
 *   ["after_as_of", "duplicate_key", "missing_end", "missing_start", "phantom_span"],
 * );
 * ```
 */
export function declaredReasons(
  plan: Pick<RecordsPlan, "reasons" | "requireHost" | "dedupe" | "parent" | "subtract">,
): Reason[] {
  const all = new Set<Reason>([
    ...plan.reasons,
    "missing_start",
    "phantom_span",
    "after_as_of",
    "duplicate_key",
  ]);
  if (plan.requireHost ?? true) all.add("missing_host");
  if (plan.dedupe) all.add("duplicate_conflict");
  if (plan.parent) all.add("clipped").add("orphan");
  if (plan.subtract) all.add(plan.subtract.reason);
  return [...all].sort();
}
