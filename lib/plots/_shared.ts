/// <reference lib="dom" />
/**
 * Private helpers of the chart modules: keyword options, UTC time, step closing, panel labels,
 * the empty-chart note and the small hand-made HTML legend.
 *
 * @module
 */

import * as Plot from "@observablehq/plot";

/**
 * The label of each `fy` panel, bold, just above the panel at its right (Plot draws facet axis
 * labels without a fill otherwise).
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { panelLabels } from "./_shared.ts";
 * ok(panelLabels(["a", "b"], (p) => p.toUpperCase()));
 * ```
 */
export function panelLabels<T extends string | null>(
  panels: readonly T[],
  text: (panel: T) => string | null,
): Plot.Markish {
  return Plot.text(panels, {
    fy: (p: T) => p,
    text,
    frameAnchor: "top-right",
    dy: -3,
    lineAnchor: "bottom",
    fontWeight: "bold",
    fill: "#222",
  });
}

/**
 * A grey note in the middle of a chart that has no data, or nothing when it has.
 * @example
 * ```ts
 * import { equal, ok } from "node:assert/strict";
 * import { emptyNote } from "./_shared.ts";
 * equal(emptyNote(false, "no data"), null);
 * ok(emptyNote(true, "no data"));
 * ```
 */
export function emptyNote(empty: boolean, text: string): Plot.Markish {
  return empty ? Plot.text([text], { frameAnchor: "middle", fill: "#777" }) : null;
}

/** Milliseconds in a day (UTC days have no DST). */
export const DAY_MS = 86_400_000;

/** Buckets of daily series: days, ISO weeks (from Monday) or months, UTC. */
export type Bucket = "day" | "week" | "month";
/** Every {@linkcode Bucket}. */
export const BUCKETS: readonly Bucket[] = ["day", "week", "month"];

/**
 * Start (ms) of the bucket holding the UTC day starting at `dayMs`.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { bucketStart } from "./_shared.ts";
 * const thu = Date.UTC(2025, 0, 16); // a Thursday
 * equal(bucketStart(thu, "day"), thu);
 * equal(bucketStart(thu, "week"), Date.UTC(2025, 0, 13)); // its Monday
 * equal(bucketStart(thu, "month"), Date.UTC(2025, 0, 1));
 * ```
 */
export function bucketStart(dayMs: number, bucket: Bucket): number {
  if (bucket === "day") return dayMs;
  const d = new Date(dayMs);
  if (bucket === "week") return dayMs - ((d.getUTCDay() + 6) % 7) * DAY_MS; // ISO: Monday
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * End (ms, exclusive) of the bucket starting at `startMs`.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { bucketEnd } from "./_shared.ts";
 * equal(bucketEnd(Date.UTC(2024, 1, 1), "month"), Date.UTC(2024, 2, 1)); // 29 days later
 * equal(bucketEnd(Date.UTC(2025, 0, 13), "week"), Date.UTC(2025, 0, 20));
 * ```
 */
export function bucketEnd(startMs: number, bucket: Bucket): number {
  if (bucket === "day") return startMs + DAY_MS;
  if (bucket === "week") return startMs + 7 * DAY_MS;
  const d = new Date(startMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * The buckets covering the UTC days `first..last` (ms), each with the days (ms) it holds.
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { DAY_MS, dayBuckets } from "./_shared.ts";
 * const sun = Date.UTC(2025, 0, 12), mon = sun + DAY_MS;
 * deepEqual(dayBuckets(sun, mon, "week"), [
 *   { start: sun - 6 * DAY_MS, days: [sun] },
 *   { start: mon, days: [mon] },
 * ]);
 * ```
 */
export function dayBuckets(
  first: number,
  last: number,
  bucket: Bucket,
): { start: number; days: number[] }[] {
  const out: { start: number; days: number[] }[] = [];
  for (let d = first; d <= last; d += DAY_MS) {
    const s = bucketStart(d, bucket);
    if (out.at(-1)?.start !== s) out.push({ start: s, days: [] });
    out.at(-1)!.days.push(d);
  }
  return out;
}

/**
 * Resolves an options object against its defaults: throws on a keyword the function does not
 * know; a given `undefined` keeps the default.
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { resolveOptions } from "./_shared.ts";
 * deepEqual(resolveOptions("chart", { width: 640, title: "" }, { width: undefined, title: "t" }),
 *   { width: 640, title: "t" });
 * throws(() => resolveOptions("chart", { width: 640 }, { heigth: 1 }),
 *   /Unknown option "heigth" of chart\(\): expected one of "width"/);
 * ```
 */
export function resolveOptions<D extends object>(
  fn: string,
  defaults: D,
  given: object | undefined,
): D {
  const out = { ...defaults } as Record<string, unknown>;
  const known = Object.keys(defaults);
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Unknown option "${key}" of ${fn}(): expected one of ${
          known.map((k) => `"${k}"`).join(", ")
        }`,
      );
    }
    if (value !== undefined) out[key] = value;
  }
  return out as D;
}

/**
 * Checks that a keyword option has one of the allowed values.
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { oneOf } from "./_shared.ts";
 * equal(oneOf("chart", "bucket", "week", ["day", "week"]), "week");
 * throws(() => oneOf("chart", "bucket", "year", ["day", "week"]),
 *   /Unknown value "year" of option "bucket" of chart\(\): expected one of "day", "week"/);
 * ```
 */
export function oneOf<T>(fn: string, option: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new TypeError(
      `Unknown value ${JSON.stringify(value)} of option "${option}" of ${fn}(): expected one of ${
        allowed.map((a) => JSON.stringify(a)).join(", ")
      }`,
    );
  }
  return value;
}

/**
 * `YYYY-MM-DD` of a UTC instant.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isoDay } from "./_shared.ts";
 * equal(isoDay(new Date(Date.UTC(2025, 11, 31, 23, 59))), "2025-12-31");
 * ```
 */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Compares strings by code units (deterministic, locale-free).
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { byText } from "./_shared.ts";
 * deepEqual(["b", "a", "B", "á"].sort(byText), ["B", "a", "b", "á"]);
 * ```
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Step-after series end at their last point; to draw the last interval `[last, end)`, each
 * series gets a closing point at `end` with its last value.
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { closeSteps } from "./_shared.ts";
 * const d = (day: number) => new Date(Date.UTC(2025, 0, day));
 * const points = [{ k: "a", date: d(1), value: 1 }, { k: "a", date: d(2), value: 3 }];
 * deepEqual(closeSteps(points, (p) => p.k, d(5)).at(-1), { k: "a", date: d(5), value: 3 });
 * ```
 */
export function closeSteps<P extends { date: Date; value: number | null }>(
  points: readonly P[],
  key: (p: P) => string,
  end: Date,
): P[] {
  const last = new Map<string, P>();
  for (const p of points) last.set(key(p), p);
  return [...points, ...[...last.values()].map((p) => ({ ...p, date: end }))];
}

/**
 * A number in a few characters, `950`, `12.3k`, `1.2M`, negatives with a minus sign (U+2212) as
 * Plot's own ticks.
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { formatShort } from "./_shared.ts";
 * deepEqual([950, 12_345, 1_200_000, 0.25, -2_500].map(formatShort),
 *   ["950", "12.3k", "1.2M", "0.3", "\u22122.5k"]);
 * ```
 */
export function formatShort(v: number): string {
  if (v < 0) return `\u2212${formatShort(-v)}`;
  const a = v;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  if (a >= 10 || a === 0) return String(Math.round(v));
  return trim(v);
}

function trim(v: number): string {
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
  return s.endsWith(".0") ? s.slice(0, -2) : s;
}

/** One legend entry: a filled swatch, a solid line or a dashed line. */
export interface LegendItem {
  label: string;
  color: string;
  kind?: "swatch" | "line" | "dashed";
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Gives a chart's root `<svg>` its namespace, so its markup also opens as an `.svg` file.
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { plotDocument } from "./dom.ts";
 * import { standaloneSvg } from "./_shared.ts";
 * const doc = plotDocument();
 * const svg = standaloneSvg(doc.createElementNS("http://www.w3.org/2000/svg", "svg"));
 * equal(svg.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
 * ```
 */
export function standaloneSvg(chart: Element): Element {
  if (chart.tagName.toLowerCase() === "svg") chart.setAttribute("xmlns", SVG_NS);
  return chart;
}

/** What {@linkcode figureHtml} puts around a chart. */
export interface FigureParts {
  /** A bold line above everything. */
  title?: string;
  /** A line under the title. */
  subtitle?: string;
  /** Legend entries, above the chart. */
  legend?: readonly LegendItem[];
  /** A caption under the chart. */
  note?: string;
}

/**
 * Wraps a chart in a `<figure>` with an optional title, subtitle, hand-made legend and caption
 * (inline styles, no script, no class names): self-contained markup. All text is set as text
 * nodes, so it is escaped.
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { plotDocument } from "./dom.ts";
 * import { figureHtml } from "./_shared.ts";
 * const doc = plotDocument();
 * const html = figureHtml(doc, doc.createElementNS("http://www.w3.org/2000/svg", "svg"), {
 *   title: "<img src=x>", legend: [{ label: "total", color: "#333", kind: "line" }],
 * });
 * match(html, /^<figure style=.*&lt;img src=x&gt;.*<line [^>]*stroke="#333".*total/);
 * ```
 */
export function figureHtml(doc: Document, chart: Element, parts: FigureParts): string {
  const figure = doc.createElement("figure");
  figure.setAttribute("style", "margin:0;font:10px system-ui,sans-serif;color:#222");
  const line = (text: string, style: string) => {
    const div = doc.createElement("div");
    div.setAttribute("style", style);
    div.textContent = text;
    figure.append(div);
  };
  if (parts.title) line(parts.title, "font-size:13px;font-weight:bold;margin:0 0 2px 0");
  if (parts.subtitle) line(parts.subtitle, "font-size:11px;color:#555;margin:0 0 4px 0");
  if (parts.legend && parts.legend.length > 0) figure.append(legendElement(doc, parts.legend));
  figure.append(standaloneSvg(chart));
  if (parts.note) line(parts.note, "margin-top:2px;color:#555");
  return figure.outerHTML;
}

function legendElement(doc: Document, items: readonly LegendItem[]): Element {
  const legend = doc.createElement("div");
  legend.setAttribute(
    "style",
    "display:flex;flex-wrap:wrap;gap:3px 14px;margin:0 0 4px 0;align-items:center",
  );
  for (const item of items) {
    const entry = doc.createElement("span");
    entry.setAttribute("style", "display:inline-flex;align-items:center;gap:4px");
    const svg = doc.createElementNS(SVG_NS, "svg");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "10");
    svg.setAttribute("viewBox", "0 0 16 10");
    if ((item.kind ?? "swatch") === "swatch") {
      const rect = doc.createElementNS(SVG_NS, "rect");
      rect.setAttribute("width", "16");
      rect.setAttribute("height", "10");
      rect.setAttribute("fill", item.color);
      svg.append(rect);
    } else {
      const line = doc.createElementNS(SVG_NS, "line");
      line.setAttribute("x1", "0");
      line.setAttribute("x2", "16");
      line.setAttribute("y1", "5");
      line.setAttribute("y2", "5");
      line.setAttribute("stroke", item.color);
      line.setAttribute("stroke-width", "2");
      if (item.kind === "dashed") line.setAttribute("stroke-dasharray", "4,2");
      svg.append(line);
    }
    entry.append(svg);
    entry.append(doc.createTextNode(item.label));
    legend.append(entry);
  }
  return legend;
}
