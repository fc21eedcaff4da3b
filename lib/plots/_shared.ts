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

/** A grey note in the middle of a chart that has no data, or nothing when it has. */
export function emptyNote(empty: boolean, text: string): Plot.Markish {
  return empty ? Plot.text([text], { frameAnchor: "middle", fill: "#777" }) : null;
}

/** Milliseconds in a day (UTC days have no DST). */
export const DAY_MS = 86_400_000;

/** Buckets of daily series: days, ISO weeks (from Monday) or months, UTC. */
export type Bucket = "day" | "week" | "month";
/** Every {@linkcode Bucket}. */
export const BUCKETS: readonly Bucket[] = ["day", "week", "month"];

/** Start (ms) of the bucket holding the UTC day starting at `dayMs`. */
export function bucketStart(dayMs: number, bucket: Bucket): number {
  if (bucket === "day") return dayMs;
  const d = new Date(dayMs);
  if (bucket === "week") return dayMs - ((d.getUTCDay() + 6) % 7) * DAY_MS; // ISO: Monday
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** End (ms, exclusive) of the bucket starting at `startMs`. */
export function bucketEnd(startMs: number, bucket: Bucket): number {
  if (bucket === "day") return startMs + DAY_MS;
  if (bucket === "week") return startMs + 7 * DAY_MS;
  const d = new Date(startMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The buckets covering the UTC days `first..last` (ms), each with the days (ms) it holds. */
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

/** Checks that a keyword option has one of the allowed values. */
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

/** `YYYY-MM-DD` of a UTC instant. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Compares strings by code units (deterministic, locale-free). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Step-after series end at their last point; to draw the last interval `[last, end)`, each
 * series gets a closing point at `end` with its last value.
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

/** Gives a chart's root `<svg>` its namespace, so its markup also opens as an `.svg` file. */
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
