/// <reference lib="dom" />
/**
 * The cross-site chart: for one resource, each site's used and available capacity stacked over
 * time, one color family per site (dark = used, light = available).
 *
 * - available: the metric `available`, reservable capacity neither committed nor in maintenance
 *   (docs/design.md §6).
 * - used, by default (`used: "occupied"`): `occupied_reservation + occupied_ondemand`, capacity
 *   where an instance really runs. This counts reservation and on-demand sites alike (an
 *   on-demand-only site such as KVM@TACC has no `committed` at all). Committed but idle capacity
 *   (`idle`) and maintenance are in neither band, so a site's band is not its capacity: the gap
 *   up to `reservable` is what was held but unused.
 * - `used: "committed"`: `committed + occupied_ondemand`, capacity taken by leases (used or not)
 *   plus on-demand instances; then used + available is the site's admittable pool (reservable
 *   less maintenance) plus its on-demand occupancy.
 *
 * Values are daily means (`usage_daily.parquet`: exact time-weighted means), summed over node
 * types; weekly or monthly buckets average the days.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import type { Resource } from "../metrics.ts";
import { plotDocument } from "./dom.ts";
import { resourceLabel, seriesStyle, siteFamily } from "./series.ts";
import {
  type Bucket,
  bucketEnd,
  BUCKETS,
  byText,
  closeSteps,
  DAY_MS,
  dayBuckets,
  emptyNote,
  figureHtml,
  formatShort,
  type LegendItem,
  oneOf,
  resolveOptions,
} from "./_shared.ts";
import { parseUtc } from "../time.ts";
import type { UsageRow } from "./usage_stack.ts";

/** Which metrics count as used; see the module doc. */
export type UsedDefinition = "occupied" | "committed";
const USED: readonly UsedDefinition[] = ["occupied", "committed"];

/** The metrics summed into each part, per definition of used. */
export const CROSS_SITE_PARTS: Readonly<
  Record<UsedDefinition, { used: readonly string[]; available: readonly string[] }>
> = {
  occupied: { used: ["occupied_reservation", "occupied_ondemand"], available: ["available"] },
  committed: { used: ["committed", "occupied_ondemand"], available: ["available"] },
};

/** One point: a bucket's mean of one part of one site. */
export interface CrossSitePoint {
  site: string;
  date: Date;
  part: "used" | "available";
  value: number;
}

/** What {@linkcode prepareCrossSite} returns. */
export interface CrossSite {
  resource: Resource;
  /** Sites in sorted order: the stacking order, bottom first. */
  sites: string[];
  /** Every bucket from the first day to the last, per site then part (used, available). */
  points: CrossSitePoint[];
  /** End of the last bucket (exclusive); `null` without data. */
  end: Date | null;
}

/** Options of {@linkcode prepareCrossSite}. */
export interface PrepareCrossSiteOptions {
  /** @default {"nodes"} */
  resource?: Resource;
  /** @default {"occupied"} */
  used?: UsedDefinition;
  /** @default {"day"} */
  bucket?: Bucket;
  /** @default {"current"} */
  collector?: string;
}

const PREPARE_DEFAULTS: Required<PrepareCrossSiteOptions> = {
  resource: "nodes",
  used: "occupied",
  bucket: "day",
  collector: "current",
};

/**
 * Sums daily rows of several sites into used and available per site and day (over node types
 * and the part's metrics); fills every day from the first to the last of all sites (missing
 * rows are 0) and averages buckets when asked.
 *
 * @param rows Daily rows (`usage_daily.parquet`) of one or more sites, each with `site`.
 * @param options Resource, definition of used, bucket.
 * @returns The points, sites in sorted order.
 * @throws {RangeError} A row without `site`, not at midnight UTC, or twice the same key.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareCrossSite } from "./cross_site.ts";
 * const row = (site: string, metric: string, node_type: string, value: number) =>
 *   ({ site, metric, resource: "nodes", node_type, timestamp: "2024-01-01", value });
 * const c = prepareCrossSite([
 *   row("uc", "available", "a", 2), row("uc", "available", "b", 1),
 *   row("tacc", "occupied_reservation", "a", 4), row("tacc", "occupied_ondemand", "a", 0.5),
 *   row("tacc", "committed", "a", 9),
 * ]);
 * deepEqual(c.sites, ["tacc", "uc"]);
 * deepEqual(c.points.map((p) => [p.site, p.part, p.value]),
 *   [["tacc", "used", 4.5], ["tacc", "available", 0], ["uc", "used", 0], ["uc", "available", 3]]);
 * ```
 */
export function prepareCrossSite(
  rows: readonly UsageRow[],
  options?: PrepareCrossSiteOptions,
): CrossSite {
  const o = resolveOptions("prepareCrossSite", PREPARE_DEFAULTS, options);
  resourceLabel(o.resource);
  oneOf("prepareCrossSite", "used", o.used, USED);
  oneOf("prepareCrossSite", "bucket", o.bucket, BUCKETS);
  const partOf = new Map<string, "used" | "available">();
  for (const m of CROSS_SITE_PARTS[o.used].used) partOf.set(m, "used");
  for (const m of CROSS_SITE_PARTS[o.used].available) partOf.set(m, "available");
  const seen = new Set<string>();
  const acc = new Map<string, Map<number, { used: number; available: number }>>();
  let first = Number.POSITIVE_INFINITY, last = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    const part = partOf.get(r.metric);
    if (r.resource !== o.resource || part === undefined) continue;
    if ((r.collector_type ?? "current") !== o.collector) continue;
    if (r.site === undefined || r.site === null) {
      throw new RangeError(`Cannot compare sites: a row of "${r.metric}" has no site`);
    }
    const t = parseUtc(r.timestamp).getTime();
    if (t % DAY_MS !== 0) {
      throw new RangeError(
        `Cannot compare sites: the row of "${r.metric}" at "${r.timestamp}" is not at midnight UTC: expected daily means (usage_daily)`,
      );
    }
    const key = `${r.site}\u0000${r.metric}\u0000${r.node_type}\u0000${t}`;
    if (seen.has(key)) {
      throw new RangeError(
        `Cannot compare sites: two rows of "${r.metric}" for site "${r.site}" and node type "${r.node_type}" at "${r.timestamp}"`,
      );
    }
    seen.add(key);
    let byDay = acc.get(r.site);
    if (!byDay) acc.set(r.site, byDay = new Map());
    let v = byDay.get(t);
    if (!v) byDay.set(t, v = { used: 0, available: 0 });
    v[part] += r.value;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (acc.size === 0) return { resource: o.resource, sites: [], points: [], end: null };
  const sites = [...acc.keys()].sort(byText);
  const buckets = dayBuckets(first, last, o.bucket);
  const points: CrossSitePoint[] = [];
  for (const site of sites) {
    const byDay = acc.get(site)!;
    for (const part of ["used", "available"] as const) {
      for (const b of buckets) {
        let sum = 0;
        for (const d of b.days) sum += byDay.get(d)?.[part] ?? 0;
        points.push({ site, date: new Date(b.start), part, value: sum / b.days.length });
      }
    }
  }
  return {
    resource: o.resource,
    sites,
    points,
    end: new Date(bucketEnd(buckets.at(-1)!.start, o.bucket)),
  };
}

/** Options of {@linkcode renderCrossSite}. */
export interface CrossSiteOptions extends PrepareCrossSiteOptions {
  /** Display names per site key (e.g. `site_name` of the config). @default {{}} */
  siteNames?: Readonly<Record<string, string>>;
  /** @default {plotDocument()} */
  document?: Document;
  /** @default {900} */
  width?: number;
  /** @default {360} */
  height?: number;
}

const RENDER_DEFAULTS: CrossSiteOptions = {
  ...PREPARE_DEFAULTS,
  siteNames: {},
  document: undefined,
  width: 900,
  height: 360,
};

/**
 * Renders the cross-site chart of one resource; returns a `<figure>` with a legend (per site:
 * used, available) and the SVG.
 *
 * @param rows Daily rows of several sites.
 * @param options Resource, definition of used, names, size.
 * @returns Self-contained HTML markup.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { renderCrossSite } from "./cross_site.ts";
 * const rows = [{ site: "uc", metric: "available", resource: "nodes", node_type: "a",
 *   timestamp: "2024-01-01", value: 3 }];
 * const html = renderCrossSite(rows, { siteNames: { uc: "CHI@UC" } });
 * match(html, /CHI@UC available/);
 * equal(html, renderCrossSite(rows, { siteNames: { uc: "CHI@UC" } }));
 * ```
 */
export function renderCrossSite(rows: readonly UsageRow[], options?: CrossSiteOptions): string {
  const o = resolveOptions("renderCrossSite", RENDER_DEFAULTS, options);
  const c = prepareCrossSite(rows, {
    resource: o.resource,
    used: o.used,
    bucket: o.bucket,
    collector: o.collector,
  });
  const doc = o.document ?? plotDocument();
  const name = (site: string) => o.siteNames?.[site] ?? site;
  const key = (p: { site: string; part: "used" | "available" }) => `${name(p.site)} ${p.part}`;
  const keys = c.sites.flatMap((
    s,
  ) => [key({ site: s, part: "used" }), key({ site: s, part: "available" })]);
  const colors = c.sites.flatMap((_, i) => [siteFamily(i).dark, siteFamily(i).light]);
  const points = closeSteps(c.points, key, c.end ?? new Date(0));
  const usedLabel = o.used === "occupied"
    ? `used = ${seriesStyle("occupied_reservation").label} + ${
      seriesStyle("occupied_ondemand").label
    }`
    : `used = ${seriesStyle("committed").label} + ${seriesStyle("occupied_ondemand").label}`;
  const chart = Plot.plot({
    document: doc,
    width: o.width,
    height: o.height,
    marginLeft: 60,
    marginRight: 20,
    x: { type: "utc", label: "date (UTC)" },
    y: {
      label: `${resourceLabel(c.resource)} (${
        o.bucket === "day" ? "daily" : `${o.bucket}ly`
      } mean)`,
      grid: true,
      tickFormat: formatShort,
    },
    color: { domain: keys, range: colors },
    marks: [
      Plot.areaY(points, {
        x: "date",
        y: "value",
        z: key,
        fill: key,
        title: key,
        order: keys,
        curve: "step-after",
      }),
      Plot.ruleY([0]),
      emptyNote(c.sites.length === 0, `no ${c.resource} data`),
    ],
  }) as unknown as Element;
  const items: LegendItem[] = keys.map((k, i) => ({ label: k, color: colors[i] }));
  return figureHtml(doc, chart, {
    legend: items,
    note: `${usedLabel}; available = ${
      seriesStyle("available").label
    } (reservable, not committed, not in maintenance). Stacked per site, summed over node types.`,
  });
}
