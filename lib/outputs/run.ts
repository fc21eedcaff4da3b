/**
 * The JSON artifacts of a set: `spans_checks.json` (stage 02), `ledger_checks.json` (stage 03),
 * and the two the run writes from them, `invariants.json` (every check, combined: docs/design.md §2 keys)
 * and `run.json` (how the set was made, with every file's digest: docs/design.md §12).
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../fs.ts";
import type { InvariantCheck } from "../spans/invariants.ts";
import type { NegativeSeries } from "../ledger/build.ts";
import type { ProjectSumsCheck } from "../ledger/projects.ts";
import type { SetFile } from "./set.ts";

/** One stage's record in `run.json`. */
export interface StageRecord {
  name: string;
  seconds: number;
  skipped?: string;
}

/** `run.json`: how a set was made. */
export interface RunRecord {
  /** The set's id (`sets/<run_id>`). */
  run_id: string;
  site: string;
  site_name: string;
  snapshot_date: string;
  as_of: string;
  window: { start: string; end: string };
  /** The grain of `usage_daily.parquet`. */
  bucket: "day";
  /** The exploration's label, or null for the site's own set. */
  explore: string | null;
  coverage_start: string | null;
  versions: { deno: string; duckdb: string; ledger: string };
  stages: StageRecord[];
  notes: string[];
  invariants_ok: boolean;
  /** Every file of the set but run.json and report.html, with its size and SHA-256. */
  files: Record<string, SetFile>;
}

/** `spans_checks.json`: stage 02's checks. */
export interface SpansChecksDoc {
  ok: boolean;
  site: string;
  as_of: string;
  checks: InvariantCheck[];
}

/** The stack check as `invariants.json` lists it. */
export interface StackCheck {
  source: "usage";
  check: "stack";
  input: number;
  output: number;
  rejected: number;
  ok: boolean;
  max_abs_residual: number;
}

/** `ledger_checks.json`: stage 03's checks. */
export interface LedgerChecksDoc {
  ok: boolean;
  site: string;
  as_of: string;
  window: { start: string; end: string };
  stack: StackCheck;
  ledger_sums: { exact: boolean; lanes: string[]; rounded: string[] };
  negative_derived: NegativeSeries[];
  /** Per-project hours against the site's hours (absent in files of older runs). */
  project_sums?: ProjectSumsCheck;
}

/** `invariants.json`: every check of the run. */
export interface InvariantsDoc {
  ok: boolean;
  site: string;
  as_of: string;
  window?: { start: string; end: string };
  checks: (InvariantCheck & Record<string, unknown>)[];
  /** How stage 03 summed the step functions. */
  ledger_sums?: { exact: boolean; lanes: string[]; rounded: string[] };
  negative_derived?: NegativeSeries[];
}

/**
 * `invariants.json` from the two stages' own check files: stage 02's checks, then stage 03's
 * stack check and its project-sums check; ok when every check is.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { combineInvariants } from "./run.ts";
 * const doc = combineInvariants(
 *   { ok: true, site: "s", as_of: "2026-06-01T00:00:00", checks: [] },
 *   { ok: false, site: "s", as_of: "2026-06-01T00:00:00", window: { start: "a", end: "b" },
 *     stack: { source: "usage", check: "stack", input: 2, output: 1, rejected: 1, ok: false, max_abs_residual: 1 },
 *     ledger_sums: { exact: true, lanes: [], rounded: [] }, negative_derived: [] },
 * );
 * deepEqual([doc.ok, doc.checks.length, doc.window], [false, 1, { start: "a", end: "b" }]);
 * ```
 */
export function combineInvariants(
  spans: SpansChecksDoc,
  ledger: LedgerChecksDoc,
): InvariantsDoc {
  return {
    ok: spans.checks.every((c) => c.ok) && ledger.stack.ok && (ledger.project_sums?.ok ?? true),
    site: spans.site,
    as_of: spans.as_of,
    window: ledger.window,
    checks: [
      ...spans.checks,
      ledger.stack,
      ...(ledger.project_sums ? [ledger.project_sums] : []),
    ] as InvariantsDoc["checks"],
    ledger_sums: ledger.ledger_sums,
    negative_derived: ledger.negative_derived,
  };
}

/**
 * Reads a JSON artifact, failing with its path when it is missing or not JSON.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { readJsonArtifact } from "./run.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/run.json`, '{"site":"x"}');
 * equal((await readJsonArtifact<{ site: string }>(dir, "run.json")).site, "x");
 * ```
 */
export async function readJsonArtifact<T>(dir: string, file: string): Promise<T> {
  const path = join(dir, file);
  if (!(await exists(path))) {
    throw new Error(`Cannot read "${path}": the file is missing (run the pipeline first)`);
  }
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    throw new Error(`Cannot read "${path}": expected JSON, found ${(e as Error).message}`);
  }
}
