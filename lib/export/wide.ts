/**
 * The wide table of the export: one row per day and site, the stack's headline metrics side by
 * side in the site's headline resource, summed over node types (docs/design.md §12). Pure functions over
 * the daily columns; no I/O.
 *
 * @module
 */
import type { DailyColumns } from "./input.ts";

/** The metric columns of `usage_wide`, in table order. */
export const WIDE_METRICS = [
  "total",
  "reservable",
  "committed",
  "occupied_reservation",
  "occupied_ondemand",
  "available",
  "idle",
  "maintenance",
] as const;

/** One metric column of `usage_wide`. */
export type WideMetric = typeof WIDE_METRICS[number];

/** Resources that may head a site's wide row. */
export const HEADLINE_RESOURCES = ["nodes", "vcpus", "devices"] as const;

/** The wide rows of one site: row `i` is `day[i]` with `values[metric][i]` (null: no row). */
export interface WideColumns {
  resource: string;
  day: string[];
  values: Record<WideMetric, (number | null)[]>;
}

/**
 * The headline resource of a site, from the resources of its `current` `total` series (the
 * rule of docs/decisions/0013-export.md):
 *
 * 1. `devices` when the site has devices and no nodes (an Edge site);
 * 2. `vcpus` when it has `vcpus_overcommit` (only KVM hypervisors carry that resource);
 * 3. `nodes` when it has nodes (a bare-metal site: a node is the unit reserved);
 * 4. otherwise the export fails naming what it found.
 *
 * `override` (the task's `--resource`) wins when the site has that resource.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { headlineResource } from "./wide.ts";
 * equal(headlineResource(new Set(["nodes", "vcpus", "memory_mb"])), "nodes");
 * equal(headlineResource(new Set(["nodes", "vcpus", "vcpus_overcommit"])), "vcpus");
 * equal(headlineResource(new Set(["devices"])), "devices");
 * ```
 */
export function headlineResource(resources: ReadonlySet<string>, override?: string): string {
  if (override !== undefined) {
    if (!resources.has(override)) {
      throw new Error(
        `Cannot pick the wide table's resource: --resource "${override}" has no current total series (found ${
          [...resources].sort().join(", ") || "none"
        })`,
      );
    }
    return override;
  }
  if (resources.has("devices") && !resources.has("nodes")) return "devices";
  if (resources.has("vcpus_overcommit") && resources.has("vcpus")) return "vcpus";
  if (resources.has("nodes")) return "nodes";
  throw new Error(
    `Cannot pick the wide table's resource: expected a current total series in nodes, vcpus or devices, found ${
      [...resources].sort().join(", ") || "none"
    }`,
  );
}

/**
 * Pivots the `current` series of the headline resource into one row per day: each metric is
 * the sum over node types of that day's rows, `null` where the output set has no row of that
 * metric on that day (a missing row never stands for zero). Days are those with at least one
 * row of the resource, ascending.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { wideRows } from "./wide.ts";
 * const w = wideRows({
 *   collector_type: ["current", "current", "current", "legacy"],
 *   metric: ["total", "total", "committed", "total"],
 *   resource: ["nodes", "nodes", "nodes", "nodes"],
 *   node_type: ["a", "b", "a", "a"],
 *   day: ["2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"],
 *   value: [2, 3, 1.5, 99],
 * });
 * deepEqual([w.resource, w.day, w.values.total, w.values.committed, w.values.idle],
 *   ["nodes", ["2025-01-01"], [5], [1.5], [null]]);
 * ```
 */
export function wideRows(daily: DailyColumns, options: { resource?: string } = {}): WideColumns {
  const n = daily.day.length;
  const resources = new Set<string>();
  for (let i = 0; i < n; i++) {
    // A resource counts where its total is ever non-zero: every site's ledger has rows of every
    // resource, zeros where it has none (a bare-metal site's devices, an Edge site's nodes).
    if (
      daily.collector_type[i] === "current" && daily.metric[i] === "total" && daily.value[i] !== 0
    ) {
      resources.add(daily.resource[i]);
    }
  }
  const resource = headlineResource(resources, options.resource);
  const index = new Map<WideMetric, number>(WIDE_METRICS.map((m, j) => [m, j]));
  const byDay = new Map<string, (number | null)[]>();
  for (let i = 0; i < n; i++) {
    if (daily.collector_type[i] !== "current" || daily.resource[i] !== resource) continue;
    let row = byDay.get(daily.day[i]);
    if (!row) byDay.set(daily.day[i], row = WIDE_METRICS.map(() => null));
    const j = index.get(daily.metric[i] as WideMetric);
    if (j !== undefined) row[j] = (row[j] ?? 0) + daily.value[i];
  }
  const days = [...byDay.keys()].sort();
  const values = Object.fromEntries(
    WIDE_METRICS.map((m, j) => [m, days.map((d) => byDay.get(d)![j])]),
  ) as Record<WideMetric, (number | null)[]>;
  return { resource, day: days, values };
}
