/**
 * The rows the readers of `read.ts` return: one artifact's columns each, as the charts, tables
 * and notebooks take them (times as UTC text or `Date`).
 *
 * @module
 */

/** One row of `usage_daily.parquet` (or `usage.parquet`), as the readers of `read.ts` give it. */
export interface UsageRow {
  site?: string;
  /** `current` or `legacy`; rows without one count as `current`. */
  collector_type?: string;
  metric: string;
  resource: string;
  node_type: string;
  /** UTC: a `Date` or `YYYY-MM-DD[ HH:MM:SS]`. */
  timestamp: Date | string;
  value: number;
}

/** One row of `legacy_comparison.parquet`. */
export interface LegacyComparisonRow {
  /** UTC day: a `Date` or `YYYY-MM-DD`. */
  date: Date | string;
  /** The legacy metric (`total`, `reservable`, ..., `node_count`). */
  metric: string;
  node_type: string;
  /** Legacy daily mean count; `null` when the legacy caches have no row. */
  legacy: number | null;
  /** Current daily mean count; `null` when the ledger has no row. */
  current: number | null;
  diff?: number | null;
  rel_diff?: number | null;
  flag?: "both" | "legacy_only" | "current_only";
  /** The current metric compared with (e.g. `admittable` for legacy `reservable`). */
  current_metric?: string;
}

/** One row of `spans.parquet`. */
export interface SpanRow {
  site?: string;
  source: string;
  metric: string;
  entity_id?: string | null;
  source_row_id?: string | null;
  hypervisor_hostname: string | null;
  node_type: string;
  /** UTC: a `Date` or `YYYY-MM-DD[ HH:MM:SS]`. */
  start: Date | string;
  /** `null`: open at the snapshot, measured to as_of. */
  end: Date | string | null;
  nodes?: number | null;
  vcpus?: number | null;
  memory_mb?: number | null;
  disk_gb?: number | null;
  /** Edge devices (1 on a device's spans, 0 on a host's). */
  devices?: number | null;
}
