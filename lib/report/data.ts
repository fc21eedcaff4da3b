/**
 * What the report reads from one verified output set (`lib/outputs/set.ts`: every file of one
 * run): how the run was made (`run.json`), the invariants, utilization by year from
 * `hours.parquet`, and the legacy ranking. Each reader says which file is missing instead of
 * returning an empty section.
 *
 * @module
 */
import { utcMs } from "../time.ts";
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { exists } from "../fs.ts";
import { headlineResource } from "../export/wide.ts";
import type { RankingRow } from "../legacy/build.ts";
import { OUTPUT_FILES } from "../outputs/files.ts";
import { type InvariantsDoc, readJsonArtifact, type RunRecord } from "../outputs/run.ts";
import { openOutputSet, type OutputSet } from "../outputs/set.ts";

export type { InvariantsDoc } from "../outputs/run.ts";

/**
 * Reads a JSON output file, failing with its path when it is missing or not JSON.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { readOutputJson } from "./data.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/run.json`, '{"site":"x"}');
 * equal((await readOutputJson<{ site: string }>(dir, "run.json")).site, "x");
 * ```
 */
export async function readOutputJson<T>(outputDir: string, file: string): Promise<T> {
  const path = join(outputDir, file);
  if (!(await exists(path))) {
    throw new Error(`Cannot build the report: "${path}" is missing (run the pipeline first)`);
  }
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    throw new Error(`Cannot read "${path}": expected JSON, found ${(e as Error).message}`);
  }
}

/**
 * Opens the current set of an output directory (verified: one run's files, or one line saying
 * what is mixed or missing) with how the run was made and what it checked.
 *
 * @example
 * ```ts ignore
 * const { set, run, invariants } = await readRun("output/demo");
 * ```
 */
export async function readRun(
  outputDir: string,
): Promise<{ set: OutputSet; run: RunRecord; invariants: InvariantsDoc }> {
  const set = await openOutputSet(outputDir);
  return {
    set,
    run: set.run,
    invariants: await readJsonArtifact<InvariantsDoc>(set.dir, OUTPUT_FILES.invariants),
  };
}

/**
 * One year of resource-hours per state (node-hours unless `resource` says otherwise), summed over
 * node types, with the headline ratios.
 */
export interface YearUtilization {
  year: number;
  /** The resource of the hours (`nodes` when absent). */
  resource?: string;
  /** Days of the year inside the report window. */
  days: number;
  total: number;
  reservable: number;
  maintenance: number;
  committed: number;
  occupied_reservation: number;
  active_reservation: number;
  occupied_ondemand: number;
  pool_unknown: number;
  /** Operator holds (`ops_projects`): not admittable to users. */
  operator_hold?: number;
  /** committed / (reservable - maintenance - operator_hold): the share of admittable capacity reserved. */
  committed_share: number | null;
  /** occupied_reservation / (reservable - maintenance): the share really used by reservations. */
  occupied_share: number | null;
  /** occupied_reservation / committed: how much of what was reserved ran an instance. */
  use_of_committed: number | null;
}

const YEAR_METRICS = [
  "total",
  "reservable",
  "maintenance",
  "committed",
  "occupied_reservation",
  "active_reservation",
  "occupied_ondemand",
  "pool_unknown",
  "operator_hold",
] as const;

/**
 * Resource-hours per state and year from `hours.parquet` (current collector, `resource`, by
 * default `nodes`: an Edge site's headline is `devices`, a KVM site's `vcpus`; summed over node
 * types), with the headline ratios; a ratio whose denominator is zero is null.
 *
 * @example
 * ```ts ignore
 * const years = await utilizationByYear(db, "output/demo", { start: "2021-05-04T00:00:00", end: "2026-06-01T00:00:00" });
 * ```
 */
export async function utilizationByYear(
  db: Duck,
  outputDir: string,
  window: { start: string; end: string },
  resource = "nodes",
): Promise<YearUtilization[]> {
  const path = join(outputDir, OUTPUT_FILES.hours);
  if (!(await exists(path))) {
    throw new Error(`Cannot build the report: "${path}" is missing (run the pipeline first)`);
  }
  const rows = await db.json<Record<string, number>>(`
    SELECT year(period_start)::INTEGER AS year,
      ${
    YEAR_METRICS.map((m) =>
      `coalesce(sum(hours) FILTER (WHERE metric = '${m}'), 0)::DOUBLE AS ${m}`
    )
      .join(", ")
  }
    FROM read_parquet(${sqlLiteral(path)})
    WHERE period = 'year' AND resource = ${sqlLiteral(resource)} AND collector_type = 'current'
    GROUP BY ALL ORDER BY year`);
  const ws = utcMs(window.start.slice(0, 10));
  const we = utcMs(window.end.slice(0, 19));
  const ratio = (a: number, b: number) => (b > 1e-9 ? a / b : null);
  return rows.map((r) => {
    const ys = Date.UTC(r.year, 0, 1), ye = Date.UTC(r.year + 1, 0, 1);
    const days = Math.max(0, Math.min(ye, we) - Math.max(ys, ws)) / 86_400_000;
    const admittable = r.reservable - r.maintenance - r.operator_hold;
    return {
      year: r.year,
      ...(resource === "nodes" ? {} : { resource }),
      days: Math.round(days * 100) / 100,
      ...Object.fromEntries(YEAR_METRICS.map((m) => [m, r[m]])),
      committed_share: ratio(r.committed, admittable),
      occupied_share: ratio(r.occupied_reservation, admittable),
      use_of_committed: ratio(r.occupied_reservation, r.committed),
    } as YearUtilization;
  });
}

/**
 * The year a headline shows: the latest year (nearly) wholly inside the window, else the latest.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { headlineYear, type YearUtilization } from "./data.ts";
 * const y = (year: number, days: number) => ({ year, days }) as YearUtilization;
 * equal(headlineYear([y(2024, 366), y(2025, 365), y(2026, 151)])?.year, 2025);
 * equal(headlineYear([y(2026, 151)])?.year, 2026);
 * equal(headlineYear([]), null);
 * ```
 */
export function headlineYear(years: readonly YearUtilization[]): YearUtilization | null {
  return years.filter((y) => y.days >= 360).at(-1) ?? years.at(-1) ?? null;
}

/**
 * The legacy ranking (largest discrepancy first), or null when stage 04 did not run.
 *
 * @example
 * ```ts ignore
 * const top = await legacyRanking(db, "output/demo", 10);
 * ```
 */
export async function legacyRanking(
  db: Duck,
  outputDir: string,
  limit?: number,
): Promise<RankingRow[] | null> {
  const path = join(outputDir, OUTPUT_FILES.legacyRanking);
  if (!(await exists(path))) return null;
  return await db.json<RankingRow>(
    `SELECT * FROM read_parquet(${sqlLiteral(path)})
     ORDER BY abs_node_hours DESC, year, metric, node_type ${
      limit === undefined ? "" : `LIMIT ${Math.max(0, Math.floor(limit))}`
    }`,
  );
}

/** Rows and status per table of the snapshot a run used. */
export interface SnapshotTableRow {
  table: string;
  status: string;
  rows: number;
  message: string | null;
}

/**
 * The manifest of the snapshot a run used: status and rows per table, and where `as_of` came
 * from. Null when the manifest is gone (the report still renders, saying so).
 *
 * @example
 * ```ts ignore
 * const snap = await snapshotTables("input/demo", "2026-06-01");
 * ```
 */
export async function snapshotTables(
  inputDir: string,
  date: string,
): Promise<{ asOfSource: string; tables: SnapshotTableRow[] } | null> {
  const path = join(inputDir, `manifest.${date}.json`);
  if (!(await exists(path))) return null;
  const m = JSON.parse(await Deno.readTextFile(path)) as {
    as_of_source?: string;
    tables: Record<string, { status: string; rows: number; message?: string | null }>;
  };
  return {
    asOfSource: m.as_of_source ?? "",
    tables: Object.entries(m.tables).map(([table, t]) => ({
      table,
      status: t.status,
      rows: t.rows,
      message: t.message ?? null,
    })),
  };
}

/**
 * The headline resource of a site's output set: {@linkcode headlineResource} (the export's
 * rule) over the resources whose current `total` is ever non-zero in `hours.parquet`, so a KVM
 * site leads with vCPUs and an Edge site with devices (docs/design.md §11); `nodes` when none is.
 *
 * @example
 * ```ts ignore
 * const resource = await siteHeadline(db, "output/kvm"); // "vcpus"
 * ```
 */
export async function siteHeadline(db: Duck, outputDir: string): Promise<string> {
  const rows = await db.json<{ resource: string }>(`
    SELECT DISTINCT resource::VARCHAR AS resource FROM read_parquet(${
    sqlLiteral(join(outputDir, OUTPUT_FILES.hours))
  })
    WHERE collector_type = 'current' AND metric = 'total' AND hours <> 0`);
  const found = new Set(rows.map((r) => r.resource));
  return found.size === 0 ? "nodes" : headlineResource(found);
}

/** One node type's resource-hours in one period (see {@linkcode hoursByNodeType}). */
export interface NodeTypeHours {
  node_type: string;
  total: number;
  reservable: number;
  committed: number;
  available: number;
  occupied_reservation: number;
  /** committed / (reservable - maintenance); null when nothing was admittable. */
  committed_share: number | null;
}

/**
 * Resource-hours of `total`, `reservable`, `committed`, `available` and `occupied_reservation` per
 * node type (for devices: per machine type) in one month or year of `hours.parquet`, largest
 * total first, with the committed share.
 *
 * @example
 * ```ts ignore
 * const rows = await hoursByNodeType(db, "output/edge", { resource: "devices", period: "month", start: "2026-05-01" });
 * ```
 */
export async function hoursByNodeType(
  db: Duck,
  outputDir: string,
  options: { resource: string; period: "month" | "year"; start: string },
): Promise<NodeTypeHours[]> {
  const m = (name: string) =>
    `coalesce(sum(hours) FILTER (WHERE metric = '${name}'), 0)::DOUBLE AS ${name}`;
  const rows = await db.json<Omit<NodeTypeHours, "committed_share"> & { maintenance: number }>(`
    SELECT node_type::VARCHAR AS node_type, ${
    ["total", "reservable", "committed", "available", "occupied_reservation", "maintenance"].map(m)
      .join(", ")
  }
    FROM read_parquet(${sqlLiteral(join(outputDir, OUTPUT_FILES.hours))})
    WHERE collector_type = 'current' AND resource = ${sqlLiteral(options.resource)}
      AND period = ${sqlLiteral(options.period)} AND period_start = ${
    sqlLiteral(options.start)
  }::DATE
    GROUP BY ALL HAVING sum(hours) FILTER (WHERE metric = 'total') <> 0
    ORDER BY total DESC, node_type`);
  return rows.map(({ maintenance, ...r }) => {
    const admittable = r.reservable - maintenance;
    return { ...r, committed_share: admittable > 1e-9 ? r.committed / admittable : null };
  });
}
