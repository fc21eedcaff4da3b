/// <reference lib="dom" />
/**
 * The stacked usage chart of one resource (docs/design.md §6): the exclusive leaf states of the stack
 * (`LEAF_METRICS`) as stacked step areas, `total` as a black line and `reservable` as a dashed
 * line; summed over node types, or one panel per node type.
 *
 * The data are the daily means of `usage_daily.parquet`, not the raw steps of `usage.parquet`:
 * a day's value is the exact time-weighted mean of the step function over that UTC day (its
 * integral divided by 24 h, docs/design.md §9), so the area of a day is exactly its resource-hours / 24,
 * and ten years stay ~3,650 points per series. Weekly and monthly buckets (`bucket` option) are
 * means of those daily means, which are again exact time-weighted means because UTC days all
 * last 24 h.
 *
 * Leaves are never clamped: a negative derived value (a data conflict, counted by the ledger)
 * stacks below zero, where it stays visible.
 *
 * @module
 */
import { parseUtc } from "../time.ts";
import * as Plot from "@observablehq/plot";
import { LEAF_METRICS, type Resource } from "../metrics.ts";
import { plotDocument } from "./dom.ts";
import { resourceLabel, seriesStyle } from "./series.ts";
import {
  type Bucket,
  bucketEnd,
  BUCKETS,
  bucketStart,
  byText,
  closeSteps,
  DAY_MS,
  dayBuckets,
  emptyNote,
  figureHtml,
  formatShort,
  isoDay,
  type LegendItem,
  oneOf,
  panelLabels,
  resolveOptions,
} from "./_shared.ts";
import type { UsageRow } from "../outputs/rows.ts";

export type { UsageRow } from "../outputs/rows.ts";

/** Bucket of the stacked chart: days, ISO weeks (from Monday) or months, UTC. */
export type StackBucket = Bucket;

/** One point of the stack: a bucket's mean of one metric (in one node type, or summed). */
export interface UsagePoint {
  /** Start of the bucket (UTC midnight). */
  date: Date;
  /** The node type of the panel; `null` when summed over node types. */
  node_type: string | null;
  metric: string;
  /** Time-weighted mean over the bucket, in units of the resource. */
  value: number;
}

/** What {@linkcode prepareUsageStack} returns. */
export interface UsageStack {
  resource: Resource;
  /** Panels: the node types in sorted order, or `[null]` when summed. Empty without data. */
  facets: (string | null)[];
  /**
   * Every bucket from the first day to the last, per panel and leaf (a missing row counts as 0,
   * as before a series' first step); per panel in stacking order, bottom first (the reverse of
   * `LEAF_METRICS`), each series by date.
   */
  leaves: UsagePoint[];
  /** `total` and `reservable`, same grid. */
  lines: UsagePoint[];
  /** End of the last bucket (exclusive): where the last step closes; `null` without data. */
  end: Date | null;
}

/** Options of {@linkcode prepareUsageStack}. */
export interface PrepareUsageStackOptions {
  /** @default {"nodes"} */
  resource?: Resource;
  /** One panel per node type instead of their sum. @default {false} */
  byNodeType?: boolean;
  /** @default {"day"} */
  bucket?: StackBucket;
  /** Rows of other collectors are ignored. @default {"current"} */
  collector?: string;
  /**
   * The rows are already the buckets' means, each at its bucket's start (`readUsageBuckets` of
   * `lib/outputs/read_buckets.ts`, which computes them in DuckDB): each is drawn as it is, a
   * missing bucket is 0. @default {false}
   */
  bucketed?: boolean;
}

const PREPARE_DEFAULTS: Required<PrepareUsageStackOptions> = {
  resource: "nodes",
  byNodeType: false,
  bucket: "day",
  collector: "current",
  bucketed: false,
};

/** The stack's order, bottom first. */
const STACK_ORDER: readonly string[] = [...LEAF_METRICS].reverse();
const LINES = ["total", "reservable"] as const;

/**
 * Shapes daily rows for the stacked chart: keeps one resource and one collector, sums node types
 * (unless `byNodeType`), fills every day from the first to the last (a missing row is 0), and
 * averages days into weeks or months when asked (mean over the days present). Leaves keep their
 * sign: negative values are data conflicts and are returned as they are.
 *
 * @param rows Daily rows (`usage_daily.parquet`), timestamps at UTC midnight, of one site.
 * @param options Resource, panels and bucket.
 * @returns The points of the leaves and of the two lines.
 * @throws {RangeError} A timestamp not at midnight (raw steps), two rows for one day, metric and
 *   node type, or rows of several sites.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareUsageStack } from "./usage_stack.ts";
 * const row = (metric: string, node_type: string, timestamp: string, value: number) =>
 *   ({ metric, resource: "nodes", node_type, timestamp, value });
 * const s = prepareUsageStack([
 *   row("total", "a", "2024-01-01", 3), row("total", "b", "2024-01-01", 1.5),
 *   row("idle", "a", "2024-01-01", 2), row("idle", "b", "2024-01-02", 0.5),
 * ]);
 * deepEqual(s.lines.filter((p) => p.metric === "total").map((p) => p.value), [4.5, 0]);
 * deepEqual(s.leaves.filter((p) => p.metric === "idle").map((p) => p.value), [2, 0.5]);
 * ```
 */
export function prepareUsageStack(
  rows: readonly UsageRow[],
  options?: PrepareUsageStackOptions,
): UsageStack {
  const o = resolveOptions("prepareUsageStack", PREPARE_DEFAULTS, options);
  const resource = o.resource;
  resourceLabel(resource);
  oneOf("prepareUsageStack", "bucket", o.bucket, BUCKETS);
  const wanted = new Set<string>([...LEAF_METRICS, ...LINES]);
  const sites = new Set<string>();
  const seen = new Set<string>();
  // panel -> metric -> day ms -> sum over node types
  const acc = new Map<string | null, Map<string, Map<number, number>>>();
  let first = Number.POSITIVE_INFINITY, last = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    if (r.resource !== resource || !wanted.has(r.metric)) continue;
    if ((r.collector_type ?? "current") !== o.collector) continue;
    if (r.site !== undefined) sites.add(r.site);
    const t = parseUtc(r.timestamp).getTime();
    if (t % DAY_MS !== 0) {
      throw new RangeError(
        `Cannot stack usage: the row of "${r.metric}" at "${r.timestamp}" is not at midnight UTC: expected daily means (usage_daily)`,
      );
    }
    if (o.bucketed && bucketStart(t, o.bucket) !== t) {
      throw new RangeError(
        `Cannot stack usage: the row of "${r.metric}" at "${r.timestamp}" is not at the start of a ${o.bucket}: expected the means of readUsageBuckets()`,
      );
    }
    const key = `${r.site}\u0000${r.metric}\u0000${r.node_type}\u0000${t}`;
    if (seen.has(key)) {
      throw new RangeError(
        `Cannot stack usage: two rows of "${r.metric}" for node type "${r.node_type}" on ${
          isoDay(new Date(t))
        }`,
      );
    }
    seen.add(key);
    const panel = o.byNodeType ? r.node_type : null;
    let byMetric = acc.get(panel);
    if (!byMetric) acc.set(panel, byMetric = new Map());
    let byDay = byMetric.get(r.metric);
    if (!byDay) byMetric.set(r.metric, byDay = new Map());
    byDay.set(t, (byDay.get(t) ?? 0) + r.value);
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (sites.size > 1) {
    throw new RangeError(
      `Cannot stack usage: expected rows of one site, found ${sites.size} sites (${
        [...sites].sort(byText).map((s) => `"${s}"`).join(", ")
      }): use the cross-site chart`,
    );
  }
  if (acc.size === 0) return { resource, facets: [], leaves: [], lines: [], end: null };
  const facets = [...acc.keys()].sort((a, b) => byText(a ?? "", b ?? ""));
  // Buckets: [start, end) with the data's days in them (bucketed rows: each bucket's start).
  const buckets = o.bucketed
    ? startBuckets(first, last, o.bucket)
    : dayBuckets(first, last, o.bucket);
  const series = (panel: string | null, metric: string): UsagePoint[] => {
    const byDay = acc.get(panel)?.get(metric);
    return buckets.map((b) => {
      let sum = 0;
      for (const d of b.days) sum += byDay?.get(d) ?? 0;
      return { date: new Date(b.start), node_type: panel, metric, value: sum / b.days.length };
    });
  };
  return {
    resource,
    facets,
    leaves: facets.flatMap((f) => STACK_ORDER.flatMap((m) => series(f, m))),
    lines: facets.flatMap((f) => LINES.flatMap((m) => series(f, m))),
    end: new Date(bucketEnd(buckets.at(-1)!.start, o.bucket)),
  };
}

/** Every bucket from the one starting at `first` to the one starting at `last`, as one day each. */
function startBuckets(first: number, last: number, bucket: StackBucket) {
  const out: { start: number; days: number[] }[] = [];
  for (let s = first; s <= last; s = bucketEnd(s, bucket)) out.push({ start: s, days: [s] });
  return out;
}

/** Options of {@linkcode renderUsageStack}. */
export interface UsageStackOptions {
  /** @default {"nodes"} */
  resource?: Resource;
  /** `"node_type"`: one panel per node type (fy facets); `null`: summed. @default {null} */
  facet?: "node_type" | null;
  /** @default {"day"} */
  bucket?: StackBucket;
  /** @default {"current"} */
  collector?: string;
  /** The rows are the buckets' means (see {@linkcode PrepareUsageStackOptions}). @default {false} */
  bucketed?: boolean;
  /** The document Plot renders into. @default {plotDocument()} */
  document?: Document;
  /** @default {900} */
  width?: number;
  /** Height of the chart when summed. @default {360} */
  height?: number;
  /** Height of one panel when faceted. @default {110} */
  panelHeight?: number;
}

const RENDER_DEFAULTS: UsageStackOptions = {
  resource: "nodes",
  facet: null,
  bucket: "day",
  collector: "current",
  bucketed: false,
  document: undefined,
  width: 900,
  height: 360,
  panelHeight: 110,
};

const BUCKET_LABEL: Record<StackBucket, string> = {
  day: "daily mean",
  week: "weekly mean",
  month: "monthly mean",
};

/**
 * Renders the stacked usage chart of one resource; returns a `<figure>` with a small legend
 * and the SVG. Negative leaves stack below zero (not clamped) and the caption counts them.
 *
 * @param rows Daily rows of one site (see {@linkcode prepareUsageStack}).
 * @param options Resource, facets, bucket and size.
 * @returns Self-contained HTML markup (no script).
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { renderUsageStack } from "./usage_stack.ts";
 * const rows = [
 *   { metric: "total", resource: "vcpus", node_type: "a", timestamp: "2024-01-01", value: 48 },
 *   { metric: "available", resource: "vcpus", node_type: "a", timestamp: "2024-01-01", value: 48 },
 * ];
 * const html = renderUsageStack(rows, { resource: "vcpus" });
 * match(html, /vCPUs \(daily mean\)/);
 * equal(html, renderUsageStack(rows, { resource: "vcpus" }));
 * ```
 */
export function renderUsageStack(rows: readonly UsageRow[], options?: UsageStackOptions): string {
  const o = resolveOptions("renderUsageStack", RENDER_DEFAULTS, options);
  const facet = oneOf("renderUsageStack", "facet", o.facet ?? null, [null, "node_type"]);
  const bucket = o.bucket!;
  const s = prepareUsageStack(rows, {
    resource: o.resource,
    byNodeType: facet === "node_type",
    bucket,
    collector: o.collector,
    bucketed: o.bucketed,
  });
  const doc = o.document ?? plotDocument();
  const label = (d: { metric: string }) => seriesStyle(d.metric).label;
  const end = s.end ?? new Date(0);
  const key = (p: UsagePoint) => `${p.node_type}\u0000${p.metric}`;
  const leaves = closeSteps(s.leaves, key, end);
  const total = closeSteps(s.lines.filter((p) => p.metric === "total"), key, end);
  const reservable = closeSteps(s.lines.filter((p) => p.metric === "reservable"), key, end);
  const faceted = facet === "node_type";
  const fy = faceted ? "node_type" : undefined;
  const negatives = s.leaves.filter((p) => p.value < -1e-9).length;
  const chart = Plot.plot({
    document: doc,
    width: o.width,
    height: faceted ? Math.max(1, s.facets.length) * o.panelHeight! + 50 : o.height,
    marginLeft: 60,
    marginRight: 20,
    marginTop: faceted ? 32 : undefined,
    x: { type: "utc", label: "date (UTC)" },
    y: {
      label: `${resourceLabel(s.resource)} (${BUCKET_LABEL[bucket]})`,
      grid: true,
      tickFormat: formatShort,
      ticks: faceted ? 3 : undefined,
    },
    fy: faceted ? { axis: null, label: null, padding: 0.18 } : undefined,
    color: {
      domain: LEAF_METRICS.map((m) => seriesStyle(m).label),
      range: LEAF_METRICS.map((m) => seriesStyle(m).color),
    },
    marks: [
      Plot.areaY(leaves, {
        x: "date",
        y: "value",
        z: "metric",
        fy,
        fill: label,
        title: label,
        order: STACK_ORDER as string[],
        curve: "step-after",
      }),
      Plot.ruleY([0], { stroke: "#555", strokeWidth: 0.8 }),
      Plot.lineY(reservable, {
        x: "date",
        y: "value",
        z: "node_type",
        fy,
        stroke: seriesStyle("reservable").color,
        strokeWidth: 1.3,
        strokeDasharray: "5,3",
        curve: "step-after",
      }),
      Plot.lineY(total, {
        x: "date",
        y: "value",
        z: "node_type",
        fy,
        stroke: seriesStyle("total").color,
        strokeWidth: 1.5,
        curve: "step-after",
      }),
      faceted ? panelLabels(s.facets, (d) => d) : null,
      emptyNote(s.facets.length === 0, `no ${s.resource} data`),
    ],
  }) as unknown as Element;
  const items: LegendItem[] = [
    { label: seriesStyle("total").label, color: seriesStyle("total").color, kind: "line" },
    {
      label: seriesStyle("reservable").label,
      color: seriesStyle("reservable").color,
      kind: "dashed",
    },
    ...LEAF_METRICS.map((m) => ({ label: seriesStyle(m).label, color: seriesStyle(m).color })),
  ];
  const note = negatives > 0
    ? `${negatives} leaf values below zero (data conflicts): drawn below the axis, not clamped`
    : undefined;
  return figureHtml(doc, chart, { legend: items, note });
}
