/**
 * The pipeline of one site: stages 02 (spans), 03 (ledger) and 04 (legacy comparison) from the
 * newest snapshot in the site's input directory, each stage reading the previous stage's files,
 * then `run.json` (how it was made). The report is written by `lib/report`.
 *
 * @module
 */
import { join } from "node:path";
import { Duck, sqlLiteral } from "./db/duckdb.ts";
import type { SiteConfig } from "./config.ts";
import { loadSnapshot } from "./fetch/manifest.ts";
import { atomicWriteText, exists } from "./fs.ts";
import { buildSpans, writeSpansOutputs } from "./spans/build.ts";
import { type SpanRules } from "./spans/context.ts";
import { buildLedger, type LedgerChecks, writeLedgerOutputs } from "./ledger/build.ts";
import type { Invariants } from "./spans/invariants.ts";
import { buildLegacyComparison, type LegacyResult } from "./legacy/build.ts";

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

/** Version of this project, written into `run.json`. */
export const LEDGER_VERSION = "0.1.0";

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
  const snapshot = await loadSnapshot(site.inputDir, { date: options.snapshotDate });
  const out = site.outputDir;
  await Deno.mkdir(out, { recursive: true });
  using db = await Duck.open(":memory:", { preserve_insertion_order: "true" });
  const spans = await timed("02 spans", async () => {
    const r = await buildSpans(db, snapshot, site, {
      rules: options.rules,
      failOnViolation: false,
    });
    await writeSpansOutputs(db, r, out);
    if (!r.invariants.ok) {
      const { describeViolations } = await import("./spans/invariants.ts");
      throw new Error(
        `${describeViolations(r.invariants).split("\n")[0]} (details in ${
          join(out, "invariants.json")
        })`,
      );
    }
    return r;
  });
  const ledger = await timed("03 ledger", async () => {
    await db.run(
      `CREATE OR REPLACE TABLE spans AS SELECT * FROM read_parquet(${
        sqlLiteral(join(out, "spans.parquet"))
      })`,
    );
    const checks = await buildLedger(db, site.key, {
      asOf: snapshot.asOf,
      start: options.start,
      end: options.end,
    });
    await writeLedgerOutputs(db, out);
    await writeInvariants(out, spans.invariants, checks, snapshot.asOf, site.key);
    if (!checks.stack.ok) {
      throw new Error(
        `Invariant "stack" violated for "usage": leaves differ from total at ${checks.stack.violations} of ${checks.stack.instants} instants (max ${checks.stack.max_abs_residual})`,
      );
    }
    return checks;
  });
  const notes = [...spans.notes];
  const hasLegacy = spans.staged.present.has("chameleon_usage.node_usage_report_cache");
  let legacy: LegacyResult | null = null;
  if (hasLegacy) {
    legacy = await timed("04 legacy", () =>
      buildLegacyComparison(db, {
        site: site.key,
        reportCache: spans.staged.files["chameleon_usage.node_usage_report_cache"],
        countCache: spans.staged.files["chameleon_usage.node_count_cache"],
        usageDaily: join(out, "usage_daily.parquet"),
        outputDir: out,
        window: ledger.window,
      }));
    notes.push(...legacy.notes);
  } else {
    stages.push({
      name: "04 legacy",
      seconds: 0,
      skipped: "chameleon_usage.node_usage_report_cache is absent",
    });
    notes.push("04 legacy skipped: chameleon_usage.node_usage_report_cache is absent at this site");
    for (
      const f of [
        "legacy_comparison.parquet",
        "legacy_comparison.csv",
        "legacy_ranking.parquet",
        "usage_daily_legacy.parquet",
      ]
    ) {
      if (await exists(join(out, f))) await Deno.remove(join(out, f));
    }
  }
  const run: RunRecord = {
    site: site.key,
    site_name: site.siteName,
    snapshot_date: snapshot.date,
    as_of: snapshot.asOf,
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
  await atomicWriteText(join(out, "run.json"), JSON.stringify(run, null, 2) + "\n");
  return run;
}

/** Rewrites `invariants.json` with the spans checks, the stack check and the negative series. */
async function writeInvariants(
  out: string,
  spans: Invariants,
  ledger: LedgerChecks,
  asOf: string,
  site: string,
): Promise<void> {
  const stack = {
    source: "usage",
    check: "stack",
    input: ledger.stack.instants,
    output: ledger.stack.instants - ledger.stack.violations,
    rejected: ledger.stack.violations,
    ok: ledger.stack.ok,
    max_abs_residual: ledger.stack.max_abs_residual,
  };
  const doc = {
    ok: spans.ok && ledger.stack.ok,
    site,
    as_of: asOf,
    window: ledger.window,
    checks: [...spans.checks, stack],
    negative_derived: ledger.negatives,
  };
  await atomicWriteText(join(out, "invariants.json"), JSON.stringify(doc, null, 2) + "\n");
}
