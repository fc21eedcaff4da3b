/// <reference lib="dom" />
/**
 * Chart of the legacy usage caches over time: node-hours per day for total, maintenance,
 * reserved and used (data from `prepareLegacyCaches()`), as an SVG string.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { LegacyPoint, LegacySeries } from "../fetch/legacy_caches.ts";

/** One color and label per series. */
export const LEGACY_STYLE: Record<LegacySeries, { color: string; label: string }> = {
  total: { color: "#4e79a7", label: "total" },
  maintenance: { color: "#e15759", label: "maintenance" },
  reserved: { color: "#f28e2b", label: "reserved" },
  used: { color: "#59a14f", label: "used" },
};

/** Options of {@linkcode renderLegacyCaches}. */
export interface LegacyChartOptions {
  /** The document Plot renders into (linkedom's `parseHTML(...).document` outside a browser). */
  document: Document;
  /** @default {900} */
  width?: number;
  /** @default {320} */
  height?: number;
  /** @default {"Legacy usage caches: node-hours per day"} */
  title?: string;
}

/**
 * Renders the chart; returns the SVG markup.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { parseHTML } from "linkedom";
 * import { renderLegacyCaches } from "./legacy_caches.ts";
 * const { document } = parseHTML("<html><body></body></html>");
 * const svg = renderLegacyCaches([
 *   { date: "2020-01-01", series: "total", node_hours: 72 },
 *   { date: "2020-01-02", series: "total", node_hours: 48 },
 * ], { document: document as unknown as Document });
 * match(svg, /^<svg/);
 * match(svg, /node-hours per day/);
 * ```
 */
export function renderLegacyCaches(
  data: readonly LegacyPoint[],
  options: LegacyChartOptions,
): string {
  const series = Object.keys(LEGACY_STYLE) as LegacySeries[];
  const points = data.map((d) => ({ ...d, day: new Date(`${d.date}T00:00:00Z`) }));
  const label = (d: { series: LegacySeries }) => LEGACY_STYLE[d.series].label;
  const svg = Plot.plot({
    document: options.document,
    width: options.width ?? 900,
    height: options.height ?? 320,
    marginLeft: 60,
    marginRight: 90,
    x: { type: "utc", label: "date (UTC)" },
    y: { label: options.title ?? "Legacy usage caches: node-hours per day", grid: true },
    color: {
      domain: series.map((s) => LEGACY_STYLE[s].label),
      range: series.map((s) => LEGACY_STYLE[s].color),
    },
    marks: [
      Plot.ruleY([0]),
      Plot.line(points, {
        x: "day",
        y: "node_hours",
        z: "series",
        stroke: label,
        curve: "step-after",
        strokeWidth: 1.2,
      }),
      // Direct labels at each series' last point: one self-contained SVG, no HTML legend.
      Plot.text(
        points,
        Plot.selectLast({
          x: "day",
          y: "node_hours",
          z: "series",
          text: label,
          fill: label,
          dx: 4,
          textAnchor: "start",
        }),
      ),
    ],
  }) as unknown as Element;
  return svg.outerHTML;
}
