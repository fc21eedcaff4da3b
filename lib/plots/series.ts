/**
 * The one registry of chart series: every metric of the utilization stack (`ALL_METRICS` of
 * `lib/metrics.ts`) with its color, label and display order, and the few other series the
 * charts draw (collectors, site color families, audit reasons, resource units). Charts take
 * colors and labels from here and nowhere else.
 *
 * Color families follow the stack (docs/design.md §6): reservation states in blues (darker = more
 * used), on-demand states in oranges, `maintenance` red, `pool_unknown` grey, `total` black.
 *
 * @module
 */
import { ALL_METRICS, type Resource, RESOURCES } from "../metrics.ts";
import { REASONS } from "../spans/reasons.ts";

/** How one series is drawn. */
export interface SeriesStyle {
  /** A CSS color. */
  readonly color: string;
  /** The label shown in legends, axes and tooltips. */
  readonly label: string;
  /** Display order: the stack's tree order, `total` first. */
  readonly order: number;
}

/** Color, label and order of every metric in `ALL_METRICS`. */
export const SERIES_STYLE: Readonly<Record<string, SeriesStyle>> = {
  total: { color: "#000000", label: "total", order: 0 },
  reservable: { color: "#08306b", label: "reservable", order: 1 },
  admittable: { color: "#2c5c8f", label: "admittable", order: 2 },
  committed: { color: "#2171b5", label: "committed", order: 3 },
  occupied_reservation: { color: "#253494", label: "occupied (reservation)", order: 4 },
  active_reservation: { color: "#08519c", label: "active (reservation)", order: 5 },
  stopped_reservation: { color: "#4a90c8", label: "stopped (reservation)", order: 6 },
  idle: { color: "#93c1e3", label: "idle (committed, no instance)", order: 7 },
  operator_hold: { color: "#9e9ac8", label: "operator hold", order: 7.5 },
  maintenance: { color: "#d7301f", label: "maintenance", order: 8 },
  available: { color: "#d3e5f5", label: "available", order: 9 },
  ondemand_capacity: { color: "#7f2704", label: "on-demand capacity", order: 10 },
  occupied_ondemand: { color: "#8c2d04", label: "occupied (on-demand)", order: 11 },
  active_ondemand: { color: "#c45106", label: "active (on-demand)", order: 12 },
  stopped_ondemand: { color: "#f59a4c", label: "stopped (on-demand)", order: 13 },
  available_ondemand: { color: "#fdd9b0", label: "available (on-demand)", order: 14 },
  pool_unknown: { color: "#a3a3a3", label: "pool unknown", order: 15 },
};

/**
 * The style of one metric.
 *
 * @param metric A metric of `ALL_METRICS`.
 * @returns Its color, label and order.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { seriesStyle } from "./series.ts";
 * equal(seriesStyle("total").color, "#000000");
 * throws(() => seriesStyle("x"), /Unknown series "x": expected one of "total", /);
 * ```
 */
export function seriesStyle(metric: string): SeriesStyle {
  const style = Object.hasOwn(SERIES_STYLE, metric) ? SERIES_STYLE[metric] : undefined;
  if (!style) {
    throw new Error(
      `Unknown series "${metric}": expected one of ${ALL_METRICS.map((m) => `"${m}"`).join(", ")}`,
    );
  }
  return style;
}

/**
 * Sorts metric names by their display order; names outside the registry go last, by name.
 *
 * @param metrics Metric names.
 * @returns A new sorted array.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { sortSeries } from "./series.ts";
 * deepEqual(sortSeries(["node_count", "idle", "total"]), ["total", "idle", "node_count"]);
 * ```
 */
export function sortSeries(metrics: Iterable<string>): string[] {
  const rank = (m: string) =>
    Object.hasOwn(SERIES_STYLE, m) ? SERIES_STYLE[m].order : Number.POSITIVE_INFINITY;
  return [...metrics].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Colors of the two collectors (`collector_type`) in comparisons. */
export const COLLECTOR_STYLE: Readonly<Record<"legacy" | "current", SeriesStyle>> = {
  current: { color: "#1f5fa8", label: "current (this ledger)", order: 0 },
  legacy: { color: "#e8730c", label: "legacy (chameleon_usage)", order: 1 },
};

/** One site's color family: dark for used capacity, light for available capacity. */
export interface SiteFamily {
  readonly dark: string;
  readonly light: string;
}

/** Color families of sites, assigned in the sites' sorted order and reused cyclically. */
export const SITE_FAMILIES: readonly SiteFamily[] = [
  { dark: "#1f5fa8", light: "#a9c9ec" },
  { dark: "#c2540a", light: "#fbc89a" },
  { dark: "#2d7d32", light: "#afdcab" },
  { dark: "#6a3d9a", light: "#cfbde3" },
  { dark: "#a11d2b", light: "#f2aeb4" },
  { dark: "#00707a", light: "#9fd9dc" },
  { dark: "#7a5a10", light: "#e3cf96" },
  { dark: "#444444", light: "#cccccc" },
];

/**
 * The color family of the `index`-th site (sorted order).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { SITE_FAMILIES, siteFamily } from "./series.ts";
 * equal(siteFamily(SITE_FAMILIES.length), SITE_FAMILIES[0]);
 * ```
 */
export function siteFamily(index: number): SiteFamily {
  return SITE_FAMILIES[index % SITE_FAMILIES.length];
}

/** One color per audit reason code of `lib/spans/reasons.ts`. */
export const REASON_COLORS: Readonly<Record<keyof typeof REASONS, string>> = {
  missing_start: "#4e79a7",
  missing_end: "#a0cbe8",
  missing_host: "#f28e2b",
  phantom_span: "#ffbe7d",
  never_launched: "#59a14f",
  deleted_before_start: "#8cd17d",
  after_as_of: "#b6992d",
  duplicate_conflict: "#e15759",
  orphan: "#79706e",
  clipped: "#76b7b2",
  shelved_offloaded: "#b07aa1",
  committed_overlap: "#9d7660",
  duplicate_key: "#ff9da7",
  unreadable_value: "#bab0ac",
  operator_hold: "#9e9ac8",
};

const EXTRA_REASON_COLORS = ["#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39"];

/**
 * Colors of audit reasons: the registered ones from {@linkcode REASON_COLORS}, reasons not (yet)
 * registered from a spare palette in their sorted order, so a chart stays deterministic when the
 * set of reasons grows.
 *
 * @param reasons Reason codes, in any order.
 * @returns Reason code -> color.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { reasonColors } from "./series.ts";
 * const colors = reasonColors(["orphan", "zzz", "new_code"]);
 * equal(colors.get("orphan"), "#79706e");
 * equal(colors.get("new_code"), "#17becf");
 * equal(colors.get("zzz"), "#bcbd22");
 * ```
 */
export function reasonColors(reasons: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  const extra: string[] = [];
  for (const r of new Set(reasons)) {
    if (Object.hasOwn(REASON_COLORS, r)) out.set(r, REASON_COLORS[r as keyof typeof REASONS]);
    else extra.push(r);
  }
  extra.sort().forEach((r, i) => out.set(r, EXTRA_REASON_COLORS[i % EXTRA_REASON_COLORS.length]));
  return out;
}

/** Axis label of each resource: what one unit is. */
export const RESOURCE_LABEL: Readonly<Record<Resource, string>> = {
  nodes: "nodes",
  vcpus: "vCPUs",
  memory_mb: "MB of memory",
  disk_gb: "GB of disk",
  vcpus_overcommit: "vCPUs (overcommitted)",
  devices: "devices",
};

/**
 * The axis label of a resource, naming its unit.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { resourceLabel } from "./series.ts";
 * equal(resourceLabel("memory_mb"), "MB of memory");
 * throws(() => resourceLabel("gpus"), /Unknown resource "gpus": expected one of "nodes"/);
 * ```
 */
export function resourceLabel(resource: string): string {
  if (!(RESOURCES as readonly string[]).includes(resource)) {
    throw new Error(
      `Unknown resource "${resource}": expected one of ${
        RESOURCES.map((r) => `"${r}"`).join(", ")
      }`,
    );
  }
  return RESOURCE_LABEL[resource as Resource];
}
