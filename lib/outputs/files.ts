/**
 * Every artifact of a site's output set: its file name, the one stage that writes it, its grain
 * and its key columns (docs/design.md §2, docs/decisions/0011-output-sets.md). Stages, readers, the report
 * and the notebooks name files only through {@linkcode OUTPUTS}; no file has two writers.
 *
 * | artifact | writer |
 * |---|---|
 * | `spans.parquet`, `audit.parquet`, `conflicts.parquet`, `spans_checks.json` | 02 spans |
 * | `usage.parquet`, `usage_daily.parquet` (current collector), `hours.parquet`, `project_hours.parquet`, `ledger_checks.json` | 03 ledger |
 * | `legacy_daily.parquet` (legacy collector), `legacy_comparison.parquet` / `.csv`, `legacy_ranking.parquet`, `legacy_project_ranking.parquet`, `legacy_audit.parquet` | 04 legacy |
 * | `invariants.json` (02's checks and 03's stack check, combined), `run.json` | the run |
 * | `report.html` | the report |
 *
 * @module
 */

/** Who writes an artifact. */
export type Writer = "02 spans" | "03 ledger" | "04 legacy" | "run" | "report";

/** One artifact of an output set. */
export interface Artifact {
  /** File name, directly in the output directory. */
  readonly file: string;
  /** The one writer. */
  readonly writer: Writer;
  /** What one row (or the file) is. */
  readonly grain: string;
  /** Columns every file of this artifact has (parquet files), in order; others may follow. */
  readonly columns: readonly string[];
}

const USAGE_COLUMNS = [
  "site",
  "collector_type",
  "metric",
  "resource",
  "node_type",
  "timestamp",
  "value",
] as const;

/** The artifacts of an output set, by name. */
export const OUTPUTS = {
  spans: {
    file: "spans.parquet",
    writer: "02 spans",
    grain: "one valid interval",
    columns: [
      "site",
      "source",
      "metric",
      "entity_id",
      "source_row_id",
      "hypervisor_hostname",
      "node_type",
      "start",
      "end",
      "nodes",
      "vcpus",
      "memory_mb",
      "disk_gb",
      "vcpus_overcommit",
      "host_vcpus",
      "project_id",
      "devices",
    ],
  },
  audit: {
    file: "audit.parquet",
    writer: "02 spans",
    grain: "one rejected row or piece",
    columns: ["site", "source", "source_row_id", "reason", "start", "end", "seconds"],
  },
  conflicts: {
    file: "conflicts.parquet",
    writer: "02 spans",
    grain: "one overlap of duplicate records",
    columns: [],
  },
  spansChecks: {
    file: "spans_checks.json",
    writer: "02 spans",
    grain: "stage 02's invariant checks (rows, seconds) and as_of",
    columns: [],
  },
  usage: {
    file: "usage.parquet",
    writer: "03 ledger",
    grain: "one step of a step function",
    columns: USAGE_COLUMNS,
  },
  usageDaily: {
    file: "usage_daily.parquet",
    writer: "03 ledger",
    grain: "one day of a current series, every day of the window",
    columns: USAGE_COLUMNS,
  },
  hours: {
    file: "hours.parquet",
    writer: "03 ledger",
    grain: "one period (month, year) of a series",
    columns: [
      "site",
      "collector_type",
      "metric",
      "resource",
      "node_type",
      "period",
      "period_start",
      "hours",
    ],
  },
  projectHours: {
    file: "project_hours.parquet",
    writer: "03 ledger",
    grain: "one period (month, year) of a project's series (committed, operator_hold, occupied_*)",
    columns: [
      "site",
      "project_id",
      "metric",
      "resource",
      "node_type",
      "period",
      "period_start",
      "hours",
    ],
  },
  ledgerChecks: {
    file: "ledger_checks.json",
    writer: "03 ledger",
    grain: "stage 03's stack check, sums and negative series",
    columns: [],
  },
  legacyDaily: {
    file: "legacy_daily.parquet",
    writer: "04 legacy",
    grain: "one day of a legacy series (collector_type legacy), as the caches have it",
    columns: USAGE_COLUMNS,
  },
  legacyComparison: {
    file: "legacy_comparison.parquet",
    writer: "04 legacy",
    grain: "one day x metric x node type",
    columns: ["date", "metric", "node_type", "legacy", "current", "diff"],
  },
  legacyComparisonCsv: {
    file: "legacy_comparison.csv",
    writer: "04 legacy",
    grain: "legacy_comparison.parquet as CSV",
    columns: [],
  },
  legacyRanking: {
    file: "legacy_ranking.parquet",
    writer: "04 legacy",
    grain: "one site x year x metric x node type",
    columns: ["site", "year", "metric", "node_type", "abs_node_hours", "net_node_hours"],
  },
  legacyProjectRanking: {
    file: "legacy_project_ranking.parquet",
    writer: "04 legacy",
    grain: "one site x year x project x metric (where the per-project legacy cache exists)",
    columns: [
      "site",
      "year",
      "project_id",
      "metric",
      "legacy_node_hours",
      "current_node_hours",
      "diff_node_hours",
      "abs_node_hours",
      "flag",
    ],
  },
  legacyAudit: {
    file: "legacy_audit.parquet",
    writer: "04 legacy",
    grain: "one legacy cache row rejected, with table, column, row and reason",
    columns: ["table", "column", "row_number", "row_key", "value", "reason"],
  },
  invariants: {
    file: "invariants.json",
    writer: "run",
    grain: "every invariant check of the run",
    columns: [],
  },
  run: { file: "run.json", writer: "run", grain: "one run", columns: [] },
  report: { file: "report.html", writer: "report", grain: "the site report", columns: [] },
} as const satisfies Record<string, Artifact>;

/** An artifact's name. */
export type OutputName = keyof typeof OUTPUTS;

/**
 * File name per artifact name (the shape `lib/pipeline.ts` exported before this module).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { OUTPUT_FILES } from "./files.ts";
 * equal(OUTPUT_FILES.usageDaily, "usage_daily.parquet");
 * ```
 */
export const OUTPUT_FILES = Object.fromEntries(
  Object.entries(OUTPUTS).map(([k, v]) => [k, v.file]),
) as { readonly [K in OutputName]: (typeof OUTPUTS)[K]["file"] };

/**
 * The files of one writer.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { filesOf } from "./files.ts";
 * deepEqual(filesOf("run"), ["invariants.json", "run.json"]);
 * ```
 */
export function filesOf(writer: Writer): string[] {
  return Object.values(OUTPUTS).filter((a) => a.writer === writer).map((a) => a.file);
}

/** Files of a set that `run.json` lists with their digests: all but itself and the report. */
export const DIGESTED_FILES: readonly string[] = Object.values(OUTPUTS)
  .filter((a) => a.file !== OUTPUTS.run.file && a.writer !== "report")
  .map((a) => a.file);
