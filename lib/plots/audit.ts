/// <reference lib="dom" />
/**
 * The audit chart: hours set apart by stage 02 (`audit.parquet`, summarized by
 * `auditSummary()` of `lib/spans/summary.ts`) per year of the piece's start, stacked by reason,
 * one color per reason. Rows without a start are in a last column, `no start`. Reasons with rows
 * but no hours (e.g. `never_launched`) have no bar; the legend lists their row counts.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { AuditSummaryRow } from "../spans/summary.ts";
import { plotDocument } from "./dom.ts";
import { reasonColors } from "./series.ts";
import { byText, emptyNote, figureHtml, formatShort, resolveOptions } from "./_shared.ts";

/** The column of rows that have no start. */
export const NO_START = "no start";

/** One bar segment: a reason's hours in a year. */
export interface AuditBar {
  /** The year of start, as text, or {@linkcode NO_START}. */
  year: string;
  reason: string;
  hours: number;
  rows: number;
}

/** A reason's totals and color. */
export interface AuditReason {
  reason: string;
  hours: number;
  rows: number;
  color: string;
}

/** What {@linkcode prepareAudit} returns. */
export interface AuditChart {
  /** The x domain: years ascending, then {@linkcode NO_START} when present. */
  years: string[];
  /** Reasons by total hours (largest first: the bottom of each stack), then by rows and name. */
  reasons: AuditReason[];
  /** Segments, by year then reason order. */
  bars: AuditBar[];
}

/**
 * Sums the audit summary over sites and sources per year of start and reason.
 *
 * @param rows Rows of `auditSummary()`.
 * @returns Years, reasons and bar segments.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareAudit } from "./audit.ts";
 * const a = prepareAudit([
 *   { site: "s", source: "x", reason: "orphan", year: 2024, rows: 2, hours: 1.5 },
 *   { site: "s", source: "y", reason: "orphan", year: 2024, rows: 1, hours: 2 },
 *   { site: "s", source: "x", reason: "clipped", year: null, rows: 4, hours: 10 },
 * ]);
 * deepEqual(a.years, ["2024", "no start"]);
 * deepEqual(a.reasons.map((r) => [r.reason, r.hours, r.rows]), [["clipped", 10, 4], ["orphan", 3.5, 3]]);
 * deepEqual(a.bars.map((b) => [b.year, b.reason, b.hours]), [["2024", "orphan", 3.5], ["no start", "clipped", 10]]);
 * ```
 */
export function prepareAudit(rows: readonly AuditSummaryRow[]): AuditChart {
  const bars = new Map<string, AuditBar>();
  const totals = new Map<string, { hours: number; rows: number }>();
  const years = new Set<number>();
  let noStart = false;
  for (const r of rows) {
    const year = r.year === null || r.year === undefined ? NO_START : String(Number(r.year));
    if (year === NO_START) noStart = true;
    else years.add(Number(r.year));
    const key = `${year}\u0000${r.reason}`;
    let b = bars.get(key);
    if (!b) bars.set(key, b = { year, reason: r.reason, hours: 0, rows: 0 });
    b.hours += Number(r.hours);
    b.rows += Number(r.rows);
    let t = totals.get(r.reason);
    if (!t) totals.set(r.reason, t = { hours: 0, rows: 0 });
    t.hours += Number(r.hours);
    t.rows += Number(r.rows);
  }
  const colors = reasonColors(totals.keys());
  const reasons = [...totals.entries()]
    .map(([reason, t]) => ({ reason, ...t, color: colors.get(reason)! }))
    .sort((a, b) => b.hours - a.hours || b.rows - a.rows || byText(a.reason, b.reason));
  const domain = [...[...years].sort((a, b) => a - b).map(String), ...(noStart ? [NO_START] : [])];
  const rank = (reason: string) => reasons.findIndex((r) => r.reason === reason);
  return {
    years: domain,
    reasons,
    bars: [...bars.values()].sort((a, b) =>
      domain.indexOf(a.year) - domain.indexOf(b.year) || rank(a.reason) - rank(b.reason)
    ),
  };
}

/** Options of {@linkcode renderAudit}. */
export interface AuditOptions {
  /** @default {plotDocument()} */
  document?: Document;
  /** @default {760} */
  width?: number;
  /** @default {320} */
  height?: number;
}

const DEFAULTS: AuditOptions = { document: undefined, width: 760, height: 320 };

/**
 * Renders the rejected hours by reason and year of start as stacked bars, with each year's
 * total above its bar; returns a `<figure>` with a legend (reason, hours, rows) and the SVG.
 *
 * @param rows Rows of `auditSummary()`.
 * @param options Size and document.
 * @returns Self-contained HTML markup.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { renderAudit } from "./audit.ts";
 * const rows = [{ site: "s", source: "x", reason: "orphan", year: 2024, rows: 2, hours: 1.5 }];
 * const html = renderAudit(rows);
 * match(html, /orphan · 1\.5 h · 2 rows/);
 * equal(html, renderAudit(rows));
 * ```
 */
export function renderAudit(rows: readonly AuditSummaryRow[], options?: AuditOptions): string {
  const o = resolveOptions("renderAudit", DEFAULTS, options);
  const doc = o.document ?? plotDocument();
  const a = prepareAudit(rows);
  const totals = a.years.map((year) => ({
    year,
    hours: a.bars.filter((b) => b.year === year).reduce((s, b) => s + b.hours, 0),
  }));
  const chart = Plot.plot({
    document: doc,
    width: o.width,
    height: o.height,
    marginLeft: 60,
    marginTop: 28,
    x: { type: "band", domain: a.years, label: "year of start", padding: 0.25 },
    y: {
      label: "hours set apart (sum of piece durations)",
      grid: true,
      tickFormat: formatShort,
      domain: [0, Math.max(1, ...totals.map((t) => t.hours)) * 1.1],
      nice: true,
    },
    color: { domain: a.reasons.map((r) => r.reason), range: a.reasons.map((r) => r.color) },
    marks: [
      Plot.barY(a.bars, {
        x: "year",
        y: "hours",
        fill: "reason",
        order: a.reasons.map((r) => r.reason),
        title: (b: AuditBar) => `${b.reason} ${b.year}: ${formatShort(b.hours)} h, ${b.rows} rows`,
      }),
      Plot.text(totals, {
        x: "year",
        y: "hours",
        text: (t: { hours: number }) => `${formatShort(t.hours)} h`,
        dy: -6,
        lineAnchor: "bottom",
      }),
      Plot.ruleY([0]),
      emptyNote(a.bars.length === 0, "nothing set apart"),
    ],
  }) as unknown as Element;
  return figureHtml(doc, chart, {
    legend: a.reasons.map((r) => ({
      label: `${r.reason} · ${formatShort(r.hours)} h · ${r.rows} rows`,
      color: r.color,
    })),
  });
}
