/**
 * What every target writer of the export receives and returns.
 *
 * @module
 */
import type { DailyColumns, DayWindow } from "../input.ts";
import { WIDE_METRICS, type WideColumns } from "../wide.ts";

/** The rows of one site to publish, replacing that site's rows of `window`. */
export interface SiteRows {
  site: string;
  window: DayWindow;
  daily: DailyColumns;
  wide: WideColumns;
}

/** Test hooks of a writer: `afterDelete` runs inside the transaction, after both deletes. */
export interface WriteHooks {
  afterDelete?: () => void | Promise<void>;
}

/** What a writer did. */
export interface WriteResult {
  /** Rows deleted from `usage_daily` and `usage_wide` (the previous export of the window). */
  deleted: { daily: number; wide: number };
  /** Rows inserted. */
  inserted: { daily: number; wide: number };
}

/** Row `i` of the daily columns as the values of `usage_daily`'s columns, in table order. */
export function dailyRow(
  rows: SiteRows,
  i: number,
): [string, string, string, string, string, string, number] {
  const d = rows.daily;
  return [
    rows.site,
    d.collector_type[i],
    d.metric[i],
    d.resource[i],
    d.node_type[i],
    d.day[i],
    d.value[i],
  ];
}

/** Row `i` of the wide columns as the values of `usage_wide`'s columns, in table order. */
export function wideRow(rows: SiteRows, i: number): (string | number | null)[] {
  const w = rows.wide;
  return [
    `${w.day[i]} 00:00:00`,
    rows.site,
    w.resource,
    ...WIDE_METRICS.map((m) => w.values[m][i]),
  ];
}
