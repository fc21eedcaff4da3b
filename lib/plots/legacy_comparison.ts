/// <reference lib="dom" />
/**
 * Charts of the legacy comparison (docs/design.md §10): the two collectors' daily series per metric as
 * step lines (one panel per metric), a year x metric heatmap of the discrepancy in node-hours,
 * and the largest discrepancies as bars.
 *
 * A side with no value on a day (`flag` `legacy_only` or `current_only` leaves the other side
 * NULL) is a gap in its line, never a zero.
 *
 * @module
 */
import { parseUtc } from "../time.ts";
import * as Plot from "@observablehq/plot";
import type { RankingRow } from "../legacy/build.ts";
import { plotDocument } from "./dom.ts";
import { COLLECTOR_STYLE, sortSeries } from "./series.ts";
import {
  byText,
  DAY_MS,
  emptyNote,
  figureHtml,
  formatShort,
  panelLabels,
  resolveOptions,
  standaloneSvg,
} from "./_shared.ts";
import type { LegacyComparisonRow } from "../outputs/rows.ts";

export type { LegacyComparisonRow } from "../outputs/rows.ts";

/** One row of `legacy_ranking.parquet`. */
export type LegacyRankingRow = RankingRow;

/** The two collectors. */
export type Collector = "legacy" | "current";
const COLLECTORS: readonly Collector[] = ["current", "legacy"];

/** A day's value of one collector and metric, summed over node types. */
export interface LegacyLinePoint {
  date: Date;
  metric: string;
  collector: Collector;
  /** `null` when no node type has a value of this collector on this day: a gap. */
  value: number | null;
}

/** What {@linkcode prepareLegacyLines} returns. */
export interface LegacyLines {
  /** The metrics, in the stack's display order (unregistered ones such as `node_count` last). */
  metrics: string[];
  /** Panel label per metric: `reservable vs admittable` where the current metric differs. */
  labels: Record<string, string>;
  /** Every day from the first to the last, per metric and collector, by date. */
  points: LegacyLinePoint[];
}

/**
 * Sums both collectors over node types per day and metric. A side's sum counts the node types
 * that have a value on that side (a NULL adds nothing); a day where no node type has a value is
 * `null`, and so is a day absent from the rows: lines show gaps, not zeros.
 *
 * @param rows Rows of `legacy_comparison.parquet`.
 * @returns Per-day points of both collectors.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareLegacyLines } from "./legacy_comparison.ts";
 * const l = prepareLegacyLines([
 *   { date: "2024-01-01", metric: "total", node_type: "a", legacy: 2, current: 2.5 },
 *   { date: "2024-01-01", metric: "total", node_type: "b", legacy: 1, current: null },
 *   { date: "2024-01-03", metric: "total", node_type: "a", legacy: null, current: 3 },
 * ]);
 * deepEqual(l.points.filter((p) => p.collector === "legacy").map((p) => p.value), [3, null, null]);
 * deepEqual(l.points.filter((p) => p.collector === "current").map((p) => p.value), [2.5, null, 3]);
 * ```
 */
export function prepareLegacyLines(rows: readonly LegacyComparisonRow[]): LegacyLines {
  const sums = new Map<string, Map<number, Record<Collector, number | null>>>();
  const labels: Record<string, string> = {};
  let first = Number.POSITIVE_INFINITY, last = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    const t = parseUtc(r.date).getTime();
    if (t % DAY_MS !== 0) {
      throw new RangeError(
        `Cannot compare collectors: the row of "${r.metric}" at "${r.date}" is not a UTC day`,
      );
    }
    let byDay = sums.get(r.metric);
    if (!byDay) sums.set(r.metric, byDay = new Map());
    let v = byDay.get(t);
    if (!v) byDay.set(t, v = { legacy: null, current: null });
    for (const c of COLLECTORS) {
      const x = r[c];
      if (x !== null && x !== undefined) v[c] = (v[c] ?? 0) + x;
    }
    if (r.current_metric && r.current_metric !== r.metric) {
      labels[r.metric] = `${r.metric} vs ${r.current_metric}`;
    }
    labels[r.metric] ??= r.metric;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const metrics = sortSeries(sums.keys());
  const points: LegacyLinePoint[] = [];
  for (const metric of metrics) {
    const byDay = sums.get(metric)!;
    for (const collector of COLLECTORS) {
      for (let t = first; t <= last; t += DAY_MS) {
        points.push({
          date: new Date(t),
          metric,
          collector,
          value: byDay.get(t)?.[collector] ?? null,
        });
      }
    }
  }
  return { metrics, labels, points };
}

/**
 * Step-after lines of daily values with gaps: each run of defined days closes at the end of its
 * last day, then the line breaks.
 */
function closeRuns(points: readonly LegacyLinePoint[]): LegacyLinePoint[] {
  const out: LegacyLinePoint[] = [];
  points.forEach((p, i) => {
    out.push(p);
    const next = points[i + 1];
    const sameSeries = next && next.metric === p.metric && next.collector === p.collector;
    if (p.value !== null && (!sameSeries || next.value === null)) {
      out.push({ ...p, date: new Date(p.date.getTime() + DAY_MS) });
    }
  });
  return out;
}

/** Options of {@linkcode renderLegacyLines}. */
export interface LegacyLinesOptions {
  /** @default {plotDocument()} */
  document?: Document;
  /** @default {900} */
  width?: number;
  /** Height of one metric's panel. @default {90} */
  panelHeight?: number;
}

const LINES_DEFAULTS: LegacyLinesOptions = { document: undefined, width: 900, panelHeight: 90 };

/**
 * Renders one panel per metric (fy) with both collectors as daily step lines, summed over node
 * types; gaps where a collector has no data. Returns a `<figure>` with a legend and the SVG.
 *
 * @param rows Rows of `legacy_comparison.parquet`.
 * @param options Size and document.
 * @returns Self-contained HTML markup.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { renderLegacyLines } from "./legacy_comparison.ts";
 * const rows = [{ date: "2024-01-01", metric: "idle", node_type: "a", legacy: 1, current: 2 }];
 * const html = renderLegacyLines(rows);
 * match(html, /legacy \(chameleon_usage\)/);
 * equal(html, renderLegacyLines(rows));
 * ```
 */
export function renderLegacyLines(
  rows: readonly LegacyComparisonRow[],
  options?: LegacyLinesOptions,
): string {
  const o = resolveOptions("renderLegacyLines", LINES_DEFAULTS, options);
  const doc = o.document ?? plotDocument();
  const l = prepareLegacyLines(rows);
  const points = closeRuns(l.points);
  const collector = (d: { collector: Collector }) => COLLECTOR_STYLE[d.collector].label;
  const chart = Plot.plot({
    document: doc,
    width: o.width,
    height: Math.max(1, l.metrics.length) * o.panelHeight! + 50,
    marginLeft: 50,
    marginRight: 20,
    marginTop: 32,
    x: { type: "utc", label: "date (UTC)" },
    y: { label: "nodes (daily mean, summed over node types)", grid: true, ticks: 4 },
    fy: { domain: l.metrics, axis: null, label: null, padding: 0.22 },
    color: {
      domain: COLLECTORS.map((c) => COLLECTOR_STYLE[c].label),
      range: COLLECTORS.map((c) => COLLECTOR_STYLE[c].color),
    },
    marks: [
      Plot.ruleY([0], { stroke: "#999", strokeWidth: 0.6 }),
      // Current underneath and wider, legacy on top and thinner: both stay visible where equal.
      ...COLLECTORS.map((c) =>
        Plot.lineY(points.filter((p) => p.collector === c), {
          x: "date",
          y: "value",
          fy: "metric",
          stroke: collector,
          strokeWidth: c === "current" ? 2 : 1,
          curve: "step-after",
        })
      ),
      panelLabels(l.metrics, (m) => l.labels[m]),
      emptyNote(l.metrics.length === 0, "no comparison rows"),
    ],
  }) as unknown as Element;
  return figureHtml(doc, chart, {
    legend: COLLECTORS.map((c) => ({ ...COLLECTOR_STYLE[c], kind: "line" as const })),
    note: "Gaps: days where that collector has no row (never drawn as zero).",
  });
}

/** One cell of the heatmap. */
export interface LegacyHeatCell {
  year: number;
  metric: string;
  /** `abs_node_hours` summed over node types. */
  node_hours: number;
  /** `net_node_hours` summed over node types: positive when the ledger finds more. */
  net_node_hours: number;
}

/**
 * Sums the ranking of one site over node types per year and metric; cells sorted by metric
 * (display order) then year. Year x metric pairs without ranking rows have no cell.
 *
 * @param ranking Rows of `legacy_ranking.parquet` of one site.
 * @returns The cells.
 * @throws {RangeError} Rows of several sites.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareLegacyHeatmap } from "./legacy_comparison.ts";
 * const r = (year: number, node_type: string, abs: number, net: number) => ({ site: "s", year,
 *   metric: "idle", node_type, abs_node_hours: abs, net_node_hours: net, days_both: 1,
 *   days_legacy_only: 0, days_current_only: 0 });
 * deepEqual(prepareLegacyHeatmap([r(2024, "a", 24, -24), r(2024, "b", 12, 12)]),
 *   [{ year: 2024, metric: "idle", node_hours: 36, net_node_hours: -12 }]);
 * ```
 */
export function prepareLegacyHeatmap(ranking: readonly LegacyRankingRow[]): LegacyHeatCell[] {
  const sites = [...new Set(ranking.map((r) => r.site))].sort(byText);
  if (sites.length > 1) {
    throw new RangeError(
      `Cannot build the legacy heatmap: expected the ranking of one site, found ${sites.length} sites (${
        sites.map((s) => `"${s}"`).join(", ")
      })`,
    );
  }
  const cells = new Map<string, LegacyHeatCell>();
  for (const r of ranking) {
    const key = `${r.metric}\u0000${r.year}`;
    let c = cells.get(key);
    if (!c) {
      cells.set(
        key,
        c = { year: Number(r.year), metric: r.metric, node_hours: 0, net_node_hours: 0 },
      );
    }
    c.node_hours += r.abs_node_hours;
    c.net_node_hours += r.net_node_hours;
  }
  const order = sortSeries(new Set(ranking.map((r) => r.metric)));
  return [...cells.values()].sort((a, b) =>
    order.indexOf(a.metric) - order.indexOf(b.metric) || a.year - b.year
  );
}

/** Options of {@linkcode renderLegacyHeatmap}. */
export interface LegacyHeatmapOptions {
  /** @default {plotDocument()} */
  document?: Document;
  /** @default {640} */
  width?: number;
  /** Height of one metric's row. @default {26} */
  rowHeight?: number;
}

const HEAT_DEFAULTS: LegacyHeatmapOptions = { document: undefined, width: 640, rowHeight: 26 };

/**
 * Renders the year x metric heatmap of discrepancy node-hours (`abs_node_hours` summed over node
 * types), each cell labelled with its value; returns the SVG.
 *
 * @param ranking Rows of `legacy_ranking.parquet` of one site.
 * @param options Size and document.
 * @returns SVG markup.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderLegacyHeatmap } from "./legacy_comparison.ts";
 * const svg = renderLegacyHeatmap([{ site: "s", year: 2024, metric: "idle", node_type: "a",
 *   abs_node_hours: 12300, net_node_hours: 0, days_both: 1, days_legacy_only: 0, days_current_only: 0 }]);
 * match(svg, /^<svg/);
 * match(svg, />12\.3k</);
 * ```
 */
export function renderLegacyHeatmap(
  ranking: readonly LegacyRankingRow[],
  options?: LegacyHeatmapOptions,
): string {
  const o = resolveOptions("renderLegacyHeatmap", HEAT_DEFAULTS, options);
  const cells = prepareLegacyHeatmap(ranking);
  const metrics = [...new Set(cells.map((c) => c.metric))];
  const years = [...new Set(cells.map((c) => c.year))].sort((a, b) => a - b);
  const max = Math.max(0, ...cells.map((c) => c.node_hours));
  const svg = Plot.plot({
    document: o.document ?? plotDocument(),
    width: o.width,
    height: Math.max(1, metrics.length) * o.rowHeight! + 60,
    marginLeft: 20 + 6 * Math.max(4, ...metrics.map((m) => m.length)),
    x: {
      type: "band",
      domain: years,
      label: "year (cells: node-hours of |current - legacy|, summed over node types)",
      tickFormat: (y: number) => String(y),
    },
    y: { type: "band", domain: metrics, label: null },
    color: { type: "sqrt", scheme: "oranges", domain: [0, max || 1] },
    marks: [
      Plot.cell(cells, {
        x: "year",
        y: "metric",
        fill: "node_hours",
        inset: 0.5,
        title: (c: LegacyHeatCell) =>
          `${c.metric} ${c.year}: ${formatShort(c.node_hours)} node-hours apart (net ${
            formatShort(c.net_node_hours)
          })`,
      }),
      Plot.text(cells, {
        x: "year",
        y: "metric",
        text: (c: LegacyHeatCell) => formatShort(c.node_hours),
        fill: (c: LegacyHeatCell) => (max > 0 && c.node_hours / max > 0.45 ? "white" : "black"),
      }),
    ],
  }) as unknown as Element;
  return standaloneSvg(svg).outerHTML;
}

/**
 * The `n` largest discrepancies of the ranking (by `abs_node_hours`; ties by site, year, metric,
 * node type).
 *
 * @param ranking Rows of `legacy_ranking.parquet`.
 * @param n How many. @default {10}
 * @returns At most `n` rows, largest first.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareLegacyTop } from "./legacy_comparison.ts";
 * const r = (node_type: string, abs: number) => ({ site: "s", year: 2024, metric: "idle", node_type,
 *   abs_node_hours: abs, net_node_hours: abs, days_both: 1, days_legacy_only: 0, days_current_only: 0 });
 * deepEqual(prepareLegacyTop([r("a", 5), r("c", 9), r("b", 9)], 2).map((x) => x.node_type), ["b", "c"]);
 * ```
 */
export function prepareLegacyTop(
  ranking: readonly LegacyRankingRow[],
  n = 10,
): LegacyRankingRow[] {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`Cannot take the top discrepancies: expected n >= 0, found ${n}`);
  }
  return [...ranking].sort((a, b) =>
    b.abs_node_hours - a.abs_node_hours || byText(a.site, b.site) || a.year - b.year ||
    byText(a.metric, b.metric) || byText(a.node_type, b.node_type)
  ).slice(0, n);
}

/** Options of {@linkcode renderLegacyTop}. */
export interface LegacyTopOptions {
  /** How many bars. @default {10} */
  n?: number;
  /** @default {plotDocument()} */
  document?: Document;
  /** @default {760} */
  width?: number;
}

const TOP_DEFAULTS: LegacyTopOptions = { n: 10, document: undefined, width: 760 };

/**
 * Renders the largest discrepancies as horizontal bars labelled `year  metric  node type`,
 * colored by which collector counts more; returns a `<figure>` with a legend and the SVG.
 *
 * @param ranking Rows of `legacy_ranking.parquet`.
 * @param options Count, size and document.
 * @returns Self-contained HTML markup.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderLegacyTop } from "./legacy_comparison.ts";
 * const html = renderLegacyTop([{ site: "s", year: 2024, metric: "idle", node_type: "gpu",
 *   abs_node_hours: 48, net_node_hours: -48, days_both: 2, days_legacy_only: 0, days_current_only: 0 }]);
 * match(html, /2024 · idle · gpu/);
 * ```
 */
export function renderLegacyTop(
  ranking: readonly LegacyRankingRow[],
  options?: LegacyTopOptions,
): string {
  const o = resolveOptions("renderLegacyTop", TOP_DEFAULTS, options);
  const doc = o.document ?? plotDocument();
  const top = prepareLegacyTop(ranking, o.n);
  const sites = new Set(top.map((r) => r.site));
  const label = (r: LegacyRankingRow) =>
    `${sites.size > 1 ? `${r.site} · ` : ""}${r.year} · ${r.metric} · ${r.node_type}`;
  const labels = top.map(label);
  const more = (r: LegacyRankingRow) =>
    r.net_node_hours > 0 ? COLLECTOR_STYLE.current.label : COLLECTOR_STYLE.legacy.label;
  const chart = Plot.plot({
    document: doc,
    width: o.width,
    height: Math.max(1, top.length) * 22 + 50,
    marginLeft: 14 + 5.6 * Math.max(6, ...labels.map((l) => l.length)),
    marginRight: 50,
    x: { label: "node-hours of |current - legacy|", grid: true, tickFormat: formatShort },
    y: { type: "band", domain: labels, label: null },
    color: {
      domain: [COLLECTOR_STYLE.current.label, COLLECTOR_STYLE.legacy.label],
      range: [COLLECTOR_STYLE.current.color, COLLECTOR_STYLE.legacy.color],
    },
    marks: [
      Plot.barX(top, { x: "abs_node_hours", y: label, fill: more, inset: 2 }),
      Plot.text(top, {
        x: "abs_node_hours",
        y: label,
        text: (r: LegacyRankingRow) => formatShort(r.abs_node_hours),
        dx: 4,
        textAnchor: "start",
      }),
      Plot.ruleX([0]),
    ],
  }) as unknown as Element;
  return figureHtml(doc, chart, {
    legend: [
      {
        label: `${COLLECTOR_STYLE.current.label} counts more`,
        color: COLLECTOR_STYLE.current.color,
      },
      { label: `${COLLECTOR_STYLE.legacy.label} counts more`, color: COLLECTOR_STYLE.legacy.color },
    ],
  });
}
