/**
 * The utilization stack (docs/design.md §6) as data: every metric, whether it is measured from spans or
 * derived by algebra after the sweepline, its formula, and the exclusive leaf states that sum to
 * `total` at every instant. The ledger computes from this table; charts and reports label from
 * it; nothing else lists metrics.
 *
 * ```
 * total (host exists in Nova)
 * |- reservable (host is in the Blazar pool)
 * |  |- committed (a Blazar allocation of a users' project holds it)
 * |  |  |- occupied_reservation -> active_reservation / stopped_reservation
 * |  |  '- idle
 * |  |- operator_hold (an allocation of one of the site's ops_projects holds it)
 * |  |- maintenance (only where neither committed nor held)
 * |  '- available
 * |- ondemand_capacity (host known NOT to be in the pool)
 * |  |- occupied_ondemand -> active_ondemand / stopped_ondemand
 * |  '- available_ondemand
 * '- pool_unknown (no trustworthy Blazar data for that time)
 * ```
 *
 * @module
 */

/** Metrics measured directly from spans. */
export const MEASURED_METRICS = [
  "total",
  "reservable",
  "committed",
  "occupied_reservation",
  "active_reservation",
  "occupied_ondemand",
  "active_ondemand",
  "maintenance",
  "pool_unknown",
  "operator_hold",
] as const;

/**
 * Measured metrics counted per project (`project_hours.parquet`, docs/design.md §2): what a
 * lease's project committed or held, and what instances occupied.
 */
export const PROJECT_METRICS = [
  "committed",
  "operator_hold",
  "occupied_reservation",
  "occupied_ondemand",
] as const;

/** A linear formula over measured or earlier derived metrics: `+a - b - c`. */
export interface Formula {
  readonly plus: readonly string[];
  readonly minus: readonly string[];
}

/** Derived metrics, in evaluation order (each uses only earlier ones). */
export const DERIVED_METRICS: readonly { readonly name: string; readonly formula: Formula }[] = [
  {
    name: "ondemand_capacity",
    formula: { plus: ["total"], minus: ["reservable", "pool_unknown"] },
  },
  {
    name: "admittable",
    formula: { plus: ["reservable"], minus: ["maintenance", "operator_hold"] },
  },
  { name: "available", formula: { plus: ["admittable"], minus: ["committed"] } },
  { name: "idle", formula: { plus: ["committed"], minus: ["occupied_reservation"] } },
  {
    name: "stopped_reservation",
    formula: { plus: ["occupied_reservation"], minus: ["active_reservation"] },
  },
  {
    name: "available_ondemand",
    formula: { plus: ["ondemand_capacity"], minus: ["occupied_ondemand"] },
  },
  {
    name: "stopped_ondemand",
    formula: { plus: ["occupied_ondemand"], minus: ["active_ondemand"] },
  },
];

/**
 * The exclusive leaf states, top of the stack first: at every instant they sum to `total`.
 */
export const LEAF_METRICS = [
  "active_reservation",
  "stopped_reservation",
  "idle",
  "operator_hold",
  "maintenance",
  "available",
  "active_ondemand",
  "stopped_ondemand",
  "available_ondemand",
  "pool_unknown",
] as const;

/** Every metric the ledger writes. */
export const ALL_METRICS: readonly string[] = [
  ...MEASURED_METRICS,
  ...DERIVED_METRICS.map((d) => d.name),
];

/**
 * The resources spans carry, and the ledger's `resource` values. `vcpus_overcommit` (vCPUs x the
 * host's `cpu_allocation_ratio`) exists only at a site with KVM hosts; `devices` counts Edge
 * devices (docs/design.md §11).
 */
export const RESOURCES = [
  "nodes",
  "vcpus",
  "memory_mb",
  "disk_gb",
  "vcpus_overcommit",
  "devices",
] as const;
/** One resource. */
export type Resource = typeof RESOURCES[number];

/** Value of `collector_type` for this project's numbers and for the legacy caches. */
export const COLLECTOR_CURRENT = "current";
/** See {@linkcode COLLECTOR_CURRENT}. */
export const COLLECTOR_LEGACY = "legacy";

/**
 * Evaluates the derived metrics from measured values (missing measured values count as 0).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { deriveMetrics, LEAF_METRICS } from "./metrics.ts";
 * const v = deriveMetrics({ total: 10, reservable: 8, committed: 5, occupied_reservation: 3,
 *   active_reservation: 2, maintenance: 1, occupied_ondemand: 1, active_ondemand: 1 });
 * equal(v.available, 2);
 * equal(LEAF_METRICS.reduce((a, m) => a + v[m], 0), 10);
 * ```
 */
export function deriveMetrics(measured: Readonly<Record<string, number>>): Record<string, number> {
  const v: Record<string, number> = {};
  for (const m of MEASURED_METRICS) v[m] = measured[m] ?? 0;
  for (const d of DERIVED_METRICS) {
    v[d.name] = d.formula.plus.reduce((a, x) => a + v[x], 0) -
      d.formula.minus.reduce((a, x) => a + v[x], 0);
  }
  return v;
}
