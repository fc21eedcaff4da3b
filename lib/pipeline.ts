/**
 * The pipeline of one site: stages 02 (spans), 03 (ledger) and 04 (legacy comparison), each a
 * function that reads the previous stage's files and writes its own, then `run.json` (how it was
 * made). Notebooks call the stage functions one per cell; `deno task pipeline` calls
 * {@linkcode runPipeline}.
 *
 * @module
 */
import { join } from "node:path";
import { Duck } from "./db/duckdb.ts";
import { sqlLiteral } from "./sql.ts";
import type { SiteConfig } from "./config.ts";
import { loadSnapshot, type Snapshot } from "./fetch/manifest.ts";
import { atomicWriteText, exists } from "./fs.ts";
import { buildSpans, type SpansResult, writeSpansOutputs } from "./spans/build.ts";
import type { SpanRules } from "./spans/context.ts";
import { describeViolations, type InvariantCheck } from "./spans/invariants.ts";
import { buildLedger, type LedgerChecks, writeLedgerOutputs } from "./ledger/build.ts";
import { buildLegacyComparison, type LegacyResult } from "./legacy/build.ts";

/** Version of this project, written into `run.json`. */
export const LEDGER_VERSION = "0.1.0";

/** The files every stage writes into the site's output directory. */
export const OUTPUT_FILES = {
  spans: "spans.parquet",
  audit: "audit.parquet",
  conflicts: "conflicts.parquet",
  invariants: "invariants.json",
  usage: "usage.parquet",
  usageDaily: "usage_daily.parquet",
  hours: "hours.parquet",
  legacyComparison: "legacy_comparison.parquet",
  legacyComparisonCsv: "legacy_comparison.csv",
  legacyRanking: "legacy_ranking.parquet",
  run: "run.json",
  report: "report.html",
} as const;

/**
 * Stage 02: spans, audit and invariants from the site's snapshot (the newest, or of `date`).
 * Fails naming source, check and numbers when an invariant is violated (after writing the files,
 * so the audit can be read).
 *
 * @example
 * ```ts ignore
 * const spans = await runSpansStage(site);
 * console.log(spans.invariants.ok);
 * ```
 */
export async function runSpansStage(
  site: SiteConfig,
  options: { snapshotDate?: string; rules?: Partial<SpanRules>; snapshot?: Snapshot } = {},
): Promise<SpansResult & { snapshot: Snapshot }> {
  const snapshot = options.snapshot ??
    await loadSnapshot(site.inputDir, { date: options.snapshotDate });
  using db = await Duck.open(":memory:", { preserve_insertion_order: "false" });
  const result = await buildSpans(db, snapshot, site, {
    rules: options.rules,
    failOnViolation: false,
  });
  await writeSpansOutputs(db, result, site.outputDir);
  if (!result.invariants.ok) {
    throw new Error(
      `${describeViolations(result.invariants).split("\n")[0]} (details in ${
        join(site.outputDir, OUTPUT_FILES.invariants)
      })`,
    );
  }
  return { ...result, snapshot };
}

/**
 * Stage 03: step functions, daily means and hours from `spans.parquet`; adds the stack check and
 * the negative series to `invariants.json`.
 *
 * @example
 * ```ts ignore
 * const ledger = await runLedgerStage(site, { start: "2024-01-01" });
 * ```
 */
export async function runLedgerStage(
  site: SiteConfig,
  options: { start?: string; end?: string } = {},
): Promise<LedgerChecks & { asOf: string }> {
  const out = site.outputDir;
  const invPath = join(out, OUTPUT_FILES.invariants);
  if (!(await exists(invPath))) {
    throw new Error(
      `Cannot build the ledger of "${site.key}": "${invPath}" is missing (run stage 02 first)`,
    );
  }
  const inv = JSON.parse(await Deno.readTextFile(invPath)) as {
    as_of: string;
    checks: InvariantCheck[];
  };
  using db = await Duck.open(":memory:", { preserve_insertion_order: "false" });
  // A view, not a copy: the ledger reads 8 of the 13 columns of spans.parquet, once.
  await db.run(
    `CREATE OR REPLACE VIEW spans AS SELECT * FROM read_parquet(${
      sqlLiteral(join(out, OUTPUT_FILES.spans))
    })`,
  );
  const checks = await buildLedger(db, site.key, {
    asOf: inv.as_of,
    start: options.start,
    end: options.end,
  });
  await writeLedgerOutputs(db, out);
  const spanChecks = inv.checks.filter((c) => (c.check as string) !== "stack");
  const stack = {
    source: "usage",
    check: "stack",
    input: checks.stack.instants,
    output: checks.stack.instants - checks.stack.violations,
    rejected: checks.stack.violations,
    ok: checks.stack.ok,
    max_abs_residual: checks.stack.max_abs_residual,
  };
  const doc = {
    ok: spanChecks.every((c) => c.ok) && checks.stack.ok,
    site: site.key,
    as_of: inv.as_of,
    window: checks.window,
    checks: [...spanChecks, stack],
    ledger_sums: checks.sums,
    negative_derived: checks.negatives,
  };
  await atomicWriteText(invPath, JSON.stringify(doc, null, 2) + "\n");
  if (!checks.stack.ok) {
    throw new Error(
      `Invariant "stack" violated for "usage": leaves differ from total at ${checks.stack.violations} of ${checks.stack.instants} instants (max ${checks.stack.max_abs_residual})`,
    );
  }
  return { ...checks, asOf: inv.as_of };
}

/**
 * Stage 04: the legacy comparison, when the snapshot has the legacy report cache; otherwise
 * null, and stale comparison files are removed.
 *
 * @example
 * ```ts ignore
 * const legacy = await runLegacyStage(site, snapshot, ledger.window);
 * ```
 */
export async function runLegacyStage(
  site: SiteConfig,
  snapshot: Snapshot,
  window?: { start: string; end: string },
): Promise<LegacyResult | null> {
  const out = site.outputDir;
  const cache = snapshot.tables["chameleon_usage.node_usage_report_cache"]?.path;
  if (!cache) {
    for (
      const f of [
        OUTPUT_FILES.legacyComparison,
        OUTPUT_FILES.legacyComparisonCsv,
        OUTPUT_FILES.legacyRanking,
      ]
    ) {
      if (await exists(join(out, f))) await Deno.remove(join(out, f));
    }
    return null;
  }
  using db = await Duck.open(":memory:", { preserve_insertion_order: "true" });
  return await buildLegacyComparison(db, {
    site: site.key,
    reportCache: cache,
    countCache: snapshot.tables["chameleon_usage.node_count_cache"]?.path ?? undefined,
    usageDaily: join(out, OUTPUT_FILES.usageDaily),
    outputDir: out,
    window,
  });
}

/** Options of {@linkcode runPipeline}. */
export interface PipelineOptions {
  /** View window start, `YYYY-MM-DD`. */
  start?: string;
  /** View window end (exclusive), `YYYY-MM-DD`. */
  end?: string;
  /** Snapshot date to use instead of the newest. */
  snapshotDate?: string;
  /** Span rules to switch off. */
  rules?: Partial<SpanRules>;
  /** Progress lines go here (default: nothing). */
  log?: (line: string) => void;
}

/** One stage's record in `run.json`. */
export interface StageRecord {
  name: string;
  seconds: number;
  skipped?: string;
}

/** What {@linkcode runPipeline} did; also written as `run.json`. */
export interface RunRecord {
  site: string;
  site_name: string;
  snapshot_date: string;
  as_of: string;
  window: { start: string; end: string };
  coverage_start: string | null;
  versions: { deno: string; duckdb: string; ledger: string };
  stages: StageRecord[];
  notes: string[];
  invariants_ok: boolean;
}

/**
 * Runs stages 02-04 for a site and writes every output file into its output directory.
 *
 * @example
 * ```ts ignore
 * const run = await runPipeline(site, { log: console.log });
 * ```
 */
export async function runPipeline(
  site: SiteConfig,
  options: PipelineOptions = {},
): Promise<RunRecord> {
  const log = options.log ?? (() => {});
  const stages: StageRecord[] = [];
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    log(`${name} ...`);
    const out = await f();
    const seconds = Math.round((performance.now() - t0) / 10) / 100;
    stages.push({ name, seconds });
    log(`${name} done in ${seconds} s`);
    return out;
  };
  await Deno.mkdir(site.outputDir, { recursive: true });
  const spans = await timed(
    "02 spans",
    () => runSpansStage(site, { snapshotDate: options.snapshotDate, rules: options.rules }),
  );
  const ledger = await timed(
    "03 ledger",
    () => runLedgerStage(site, { start: options.start, end: options.end }),
  );
  const notes = [...spans.notes];
  let legacy: LegacyResult | null = null;
  if (spans.snapshot.tables["chameleon_usage.node_usage_report_cache"]?.path) {
    legacy = await timed("04 legacy", () => runLegacyStage(site, spans.snapshot, ledger.window));
    notes.push(...(legacy?.notes ?? []));
  } else {
    await runLegacyStage(site, spans.snapshot);
    stages.push({
      name: "04 legacy",
      seconds: 0,
      skipped: "chameleon_usage.node_usage_report_cache is absent",
    });
    notes.push("04 legacy skipped: chameleon_usage.node_usage_report_cache is absent at this site");
  }
  using db = await Duck.open();
  const run: RunRecord = {
    site: site.key,
    site_name: site.siteName,
    snapshot_date: spans.snapshot.date,
    as_of: spans.snapshot.asOf,
    window: ledger.window,
    coverage_start: spans.coverageStart,
    versions: {
      deno: Deno.version.deno,
      duckdb: String(await db.value("SELECT version()")),
      ledger: LEDGER_VERSION,
    },
    stages,
    notes,
    invariants_ok: spans.invariants.ok && ledger.stack.ok,
  };
  await atomicWriteText(
    join(site.outputDir, OUTPUT_FILES.run),
    JSON.stringify(run, null, 2) + "\n",
  );
  return run;
}
