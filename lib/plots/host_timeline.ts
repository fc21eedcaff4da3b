/// <reference lib="dom" />
/**
 * The timeline of one host across all layers of the stack: one row per measured metric
 * (`total`, `reservable`, `committed`, `occupied_*`, `active_*`, `maintenance`, `pool_unknown`),
 * one bar per span from its start to its end; an open span (NULL end) is drawn to the
 * snapshot's as_of and marked there. Colors come from the series registry.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { MEASURED_METRICS } from "../metrics.ts";
import { plotDocument } from "./dom.ts";
import { seriesStyle } from "./series.ts";
import { byText, figureHtml, resolveOptions } from "./_shared.ts";
import { parseUtc } from "../time.ts";
import type { SpanRow } from "../outputs/rows.ts";

export type { SpanRow } from "../outputs/rows.ts";

/** One bar of the timeline. */
export interface TimelineBar {
  metric: string;
  start: Date;
  end: Date;
  /** The span has no end: drawn to as_of. */
  open: boolean;
  source: string;
  entity_id: string | null;
  source_row_id: string | null;
  node_type: string;
}

/** What {@linkcode prepareHostTimeline} returns. */
export interface HostTimeline {
  host: string;
  /** Node types of the bars in the window (hostname reuse can give several), sorted. */
  nodeTypes: string[];
  /** The rows, top first: every measured metric, whether or not the host has spans of it. */
  metrics: string[];
  /** Bars clipped to the window, by row then start. */
  bars: TimelineBar[];
  /** The window drawn: `[start, end)`. */
  window: { start: Date; end: Date };
  asOf: Date;
}

/** Options of {@linkcode prepareHostTimeline}. */
export interface HostTimelineSelection {
  /** The `hypervisor_hostname`. */
  host: string;
  /** The snapshot's as_of: where open spans end. */
  asOf: Date | string;
  /** Window start. @default {the host's earliest span start} */
  start?: Date | string;
  /** Window end (exclusive). @default {asOf} */
  end?: Date | string;
}

/**
 * Picks the spans of one host, closes open ones at as_of, clips them to the window and drops
 * what falls outside it.
 *
 * @param spans Rows of `spans.parquet` (any hosts).
 * @param selection Host, as_of and window.
 * @returns The bars and rows of the timeline.
 * @throws {RangeError} No span has that hostname, or the window is empty.
 *
 * @example
 * ```ts
 * import { deepEqual, equal } from "node:assert/strict";
 * import { prepareHostTimeline } from "./host_timeline.ts";
 * const span = (metric: string, start: string, end: string | null) =>
 *   ({ source: "s", metric, hypervisor_hostname: "h1", node_type: "gpu", start, end });
 * const t = prepareHostTimeline([span("total", "2024-01-01", null), span("committed", "2024-01-02", "2024-01-03")],
 *   { host: "h1", asOf: "2024-02-01" });
 * deepEqual(t.bars.map((b) => [b.metric, b.end.toISOString().slice(0, 10), b.open]),
 *   [["total", "2024-02-01", true], ["committed", "2024-01-03", false]]);
 * equal(t.window.start.toISOString(), "2024-01-01T00:00:00.000Z");
 * ```
 */
export function prepareHostTimeline(
  spans: readonly SpanRow[],
  selection: HostTimelineSelection,
): HostTimeline {
  const asOf = parseUtc(selection.asOf);
  const mine = spans.filter((s) => s.hypervisor_hostname === selection.host);
  if (mine.length === 0) {
    throw new RangeError(
      `Cannot draw the timeline of host "${selection.host}": no span has that hypervisor_hostname`,
    );
  }
  const all = mine.map((s) => {
    seriesStyle(s.metric);
    const start = parseUtc(s.start);
    return {
      metric: s.metric,
      start,
      end: s.end === null ? asOf : parseUtc(s.end),
      open: s.end === null,
      source: s.source,
      entity_id: s.entity_id ?? null,
      source_row_id: s.source_row_id ?? null,
      node_type: s.node_type,
    };
  });
  const from = selection.start === undefined
    ? new Date(Math.min(...all.map((b) => b.start.getTime())))
    : parseUtc(selection.start);
  const to = selection.end === undefined ? asOf : parseUtc(selection.end);
  if (to.getTime() <= from.getTime()) {
    throw new RangeError(
      `Cannot draw the timeline of host "${selection.host}": the window [${from.toISOString()}, ${to.toISOString()}) is empty`,
    );
  }
  const metrics = [...MEASURED_METRICS, ...new Set(all.map((b) => b.metric))]
    .filter((m, i, a) => a.indexOf(m) === i);
  const row = (m: string) => metrics.indexOf(m);
  const bars = all
    .map((b) => ({
      ...b,
      start: new Date(Math.max(b.start.getTime(), from.getTime())),
      end: new Date(Math.min(b.end.getTime(), to.getTime())),
    }))
    .filter((b) => b.end.getTime() > b.start.getTime())
    .sort((a, b) =>
      row(a.metric) - row(b.metric) || a.start.getTime() - b.start.getTime() ||
      a.end.getTime() - b.end.getTime() || byText(a.source, b.source) ||
      byText(a.source_row_id ?? "", b.source_row_id ?? "")
    );
  return {
    host: selection.host,
    nodeTypes: [...new Set((bars.length > 0 ? bars : all).map((b) => b.node_type))].sort(byText),
    metrics,
    bars,
    window: { start: from, end: to },
    asOf,
  };
}

/** Options of {@linkcode renderHostTimeline}: the selection, and how to draw it. */
export interface HostTimelineOptions extends HostTimelineSelection {
  /**
   * The host's name for the title (a Blazar `node_name` capability, an inventory name).
   * @default {the hostname; for an Ironic node, whose hypervisor_hostname is its UUID, its node
   * type and the UUID's first 8 digits}
   */
  name?: string;
  /** @default {plotDocument()} */
  document?: Document;
  /** @default {900} */
  width?: number;
  /** Height of one row. @default {22} */
  rowHeight?: number;
}

const DEFAULTS: HostTimelineOptions = {
  host: "",
  name: undefined,
  asOf: "",
  start: undefined,
  end: undefined,
  document: undefined,
  width: 900,
  rowHeight: 22,
};

const stamp = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The title of a host's timeline: its name when given, else its hostname; an Ironic node (whose
 * `hypervisor_hostname` is a UUID) is named by its node type and the UUID's first 8 digits.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { hostTitle } from "./host_timeline.ts";
 * equal(hostTitle("c01.kvm", ["compute"]), "host c01.kvm");
 * equal(hostTitle("302127c8-0100-4612-994d-4451ad4cc572", ["gpu_p100"]), "gpu_p100 node 302127c8");
 * equal(hostTitle("302127c8-0100-4612-994d-4451ad4cc572", ["gpu_p100"], "P100-07"), "host P100-07");
 * ```
 */
export function hostTitle(host: string, nodeTypes: readonly string[], name?: string): string {
  if (name) return `host ${name}`;
  if (!UUID.test(host)) return `host ${host}`;
  const types = nodeTypes.filter((n) => n !== "unknown");
  return `${types.length ? types.join(", ") : "Ironic"} node ${host.slice(0, 8)}`;
}

/**
 * Renders the timeline of one host; returns a `<figure>` (title, subtitle, SVG). Every span is a
 * bar (with a hairline outline, so even short spans stay visible); open spans end at as_of,
 * marked by a dashed rule; each bar's tooltip names its source and row.
 *
 * @param spans Rows of `spans.parquet`.
 * @param options The host, as_of and window (as for {@linkcode prepareHostTimeline}), size and
 *   document.
 * @returns Self-contained HTML markup.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { renderHostTimeline } from "./host_timeline.ts";
 * const spans = [{ source: "nova.compute_nodes", metric: "total", hypervisor_hostname: "c01",
 *   node_type: "gpu", start: "2024-01-01", end: null }];
 * const html = renderHostTimeline(spans, { host: "c01", asOf: "2024-03-01" });
 * match(html, /host c01/);
 * equal(html, renderHostTimeline(spans, { host: "c01", asOf: "2024-03-01" }));
 * ```
 */
export function renderHostTimeline(
  spans: readonly SpanRow[],
  options: HostTimelineOptions,
): string {
  const o = resolveOptions("renderHostTimeline", DEFAULTS, options);
  const t = prepareHostTimeline(spans, { host: o.host, asOf: o.asOf, start: o.start, end: o.end });
  const label = (m: string) => seriesStyle(m).label;
  const bar = (b: TimelineBar) => label(b.metric);
  const labels = t.metrics.map(label);
  const open = t.bars.filter((b) => b.open && b.end.getTime() === t.asOf.getTime());
  const asOfInside = t.asOf.getTime() <= t.window.end.getTime();
  const doc = o.document ?? plotDocument();
  const chart = Plot.plot({
    document: doc,
    width: o.width,
    height: labels.length * o.rowHeight! + 50,
    marginLeft: 14 + 5.6 * Math.max(...labels.map((l) => l.length)),
    marginRight: 20,
    x: { type: "utc", domain: [t.window.start, t.window.end], label: "date (UTC)", grid: true },
    y: { type: "band", domain: labels, label: null, padding: 0.2 },
    color: { domain: labels, range: t.metrics.map((m) => seriesStyle(m).color) },
    marks: [
      Plot.barX(t.bars, {
        x1: "start",
        x2: "end",
        y: (b: TimelineBar) => bar(b),
        fill: bar,
        stroke: bar,
        strokeWidth: 0.5,
        title: (b: TimelineBar) =>
          `${bar(b)}: ${stamp(b.start)} - ${b.open ? "open (as_of)" : stamp(b.end)}\n${b.source}${
            b.source_row_id ? ` row ${b.source_row_id}` : ""
          }${b.entity_id ? `\n${b.entity_id}` : ""}`,
      }),
      asOfInside
        ? Plot.ruleX([t.asOf], { stroke: "#333", strokeDasharray: "3,3", strokeWidth: 1 })
        : null,
      Plot.tickX(open, { x: "end", y: (b: TimelineBar) => bar(b), stroke: "#000", strokeWidth: 2 }),
    ],
  }) as unknown as Element;
  return figureHtml(doc, chart, {
    title: hostTitle(t.host, t.nodeTypes, o.name),
    subtitle: `${UUID.test(t.host) || o.name ? `hypervisor_hostname ${t.host}; ` : ""}node type ${
      t.nodeTypes.join(", ")
    }; ${t.bars.length} spans from ${stamp(t.window.start)} to ${
      stamp(t.window.end)
    }; open spans end at as_of ${stamp(t.asOf)} (dashed rule)`,
  });
}
