/**
 * The legacy usage caches over time: node-hours per day from
 * `chameleon_usage.node_usage_report_cache`, summed over node types, as the series the 01
 * notebook charts (total, maintenance, reserved, used).
 *
 * @module
 */
import { Duck } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import type { Snapshot } from "./manifest.ts";

/** One row of the legacy cache (hours per day per node type). */
export interface LegacyCacheRow {
  date: string;
  node_type: string | null;
  total_hours: number | null;
  maint_hours: number | null;
  reserved_hours: number | null;
  used_hours: number | null;
}

/** The series of the chart, in drawing order. */
export const LEGACY_SERIES = ["total", "maintenance", "reserved", "used"] as const;
/** One series. */
export type LegacySeries = typeof LEGACY_SERIES[number];

/** One point of the chart: a day's node-hours of one series. */
export interface LegacyPoint {
  date: string;
  series: LegacySeries;
  node_hours: number;
}

const COLUMN: Record<LegacySeries, keyof LegacyCacheRow> = {
  total: "total_hours",
  maintenance: "maint_hours",
  reserved: "reserved_hours",
  used: "used_hours",
};

/**
 * Sums the cache over node types per day and series; NULL hours add nothing. Sorted by date,
 * then series order.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { prepareLegacyCaches } from "./legacy_caches.ts";
 * const rows = [
 *   { date: "2020-01-01", node_type: "a", total_hours: 48, maint_hours: 0, reserved_hours: 10, used_hours: 5 },
 *   { date: "2020-01-01", node_type: "b", total_hours: 24, maint_hours: 24, reserved_hours: null, used_hours: 0 },
 * ];
 * deepEqual(prepareLegacyCaches(rows).map((p) => p.node_hours), [72, 24, 10, 5]);
 * ```
 */
export function prepareLegacyCaches(rows: Iterable<LegacyCacheRow>): LegacyPoint[] {
  const byDay = new Map<string, Record<LegacySeries, number>>();
  for (const r of rows) {
    const day = String(r.date).slice(0, 10);
    let acc = byDay.get(day);
    if (!acc) byDay.set(day, acc = { total: 0, maintenance: 0, reserved: 0, used: 0 });
    for (const s of LEGACY_SERIES) {
      const v = r[COLUMN[s]];
      if (typeof v === "number" && Number.isFinite(v)) acc[s] += v;
    }
  }
  const out: LegacyPoint[] = [];
  for (const day of [...byDay.keys()].sort()) {
    const acc = byDay.get(day)!;
    for (const s of LEGACY_SERIES) out.push({ date: day, series: s, node_hours: acc[s] });
  }
  return out;
}

/**
 * Reads the legacy cache of a snapshot (empty when the site has none).
 *
 * @example
 * ```ts ignore
 * const rows = await readLegacyCaches(await loadSnapshot("input/demo"));
 * ```
 */
export async function readLegacyCaches(snapshot: Snapshot): Promise<LegacyCacheRow[]> {
  const path = snapshot.tables["chameleon_usage.node_usage_report_cache"]?.path;
  if (!path) return [];
  using db = await Duck.open();
  return await db.json<LegacyCacheRow>(
    `SELECT strftime(date::DATE, '%Y-%m-%d') AS date, node_type,
            total_hours::DOUBLE AS total_hours, maint_hours::DOUBLE AS maint_hours,
            reserved_hours::DOUBLE AS reserved_hours, used_hours::DOUBLE AS used_hours
       FROM read_parquet(${sqlLiteral(path)}) ORDER BY date, node_type`,
  );
}
