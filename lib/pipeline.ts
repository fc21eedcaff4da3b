/**
 * The pipeline of one site: stages 02 (spans), 03 (ledger) and 04 (legacy comparison), each a
 * function that reads the previous stage's files from a folder and writes its own there, and
 * {@linkcode runPipeline}, which runs them into a new output set and publishes it in one step
 * (`lib/outputs/`, docs/decisions/0011-output-sets.md). Notebooks get their set from
 * {@linkcode outputSetFor}: the site's own, or an exploration's under `explore/<label>/`.
 *
 * @module
 */
import { join } from "node:path";
import { DEFAULT_MEMORY_LIMIT, Duck, stageDb } from "./db/duckdb.ts";
import { sqlLiteral } from "./sql.ts";
import type { SiteConfig } from "./config.ts";
import { loadSnapshot, type Snapshot } from "./fetch/manifest.ts";
import { atomicWriteText, exists } from "./fs.ts";
import { buildSpans, dropCheckTables, type SpansResult, writeSpansOutputs } from "./spans/build.ts";
import type { SpanRules } from "./spans/context.ts";
import { describeViolations } from "./spans/invariants.ts";
import { buildLedger, type LedgerChecks, writeLedgerOutputs } from "./ledger/build.ts";
import { utcUs } from "./time.ts";
import { buildLegacyComparison, type LegacyResult } from "./legacy/build.ts";
import { buildProjectComparison, PROJECT_CACHE, projectCacheProblem } from "./legacy/projects.ts";
import { OUTPUT_FILES } from "./outputs/files.ts";
import {
  combineInvariants,
  type LedgerChecksDoc,
  readJsonArtifact,
  type RunRecord,
  type SpansChecksDoc,
  type StageRecord,
} from "./outputs/run.ts";
import {
  beginSet,
  EXPLORE_DIR,
  keepFailedSet,
  openOutputSet,
  type OutputSet,
  publishSet,
  removeStale,
  writeRunRecord,
} from "./outputs/set.ts";
import { lockOutputDir } from "./outputs/lock.ts";

export { OUTPUT_FILES } from "./outputs/files.ts";
export type { RunRecord, StageRecord } from "./outputs/run.ts";

/** Version of this project, written into `run.json`. */
export const LEDGER_VERSION = "0.1.0";

/**
 * How a stage opens DuckDB for a site: the site's `memory_limit` (default
 * {@linkcode DEFAULT_MEMORY_LIMIT}) and a spill directory inside its output directory, named per
 * process (`.duckdb-<pid>.tmp`, removed on close, or by the next run's `removeStale` when the
 * process died).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { stageDbOptions } from "./pipeline.ts";
 * const o = stageDbOptions({ outputDir: "/srv/out", memoryLimit: "4GiB" });
 * equal(o.tempDir, `/srv/out/.duckdb-${Deno.pid}.tmp`);
 * equal(o.limit, "4GiB");
 * ```
 */
export function stageDbOptions(
  site: Pick<SiteConfig, "outputDir" | "memoryLimit">,
): { tempDir: string; limit: string } {
  return {
    tempDir: join(site.outputDir, `.duckdb-${Deno.pid}.tmp`),
    limit: site.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
  };
}

/**
 * Stage 02: spans, audit and `spans_checks.json` into `dir` (default: the site's output
 * directory) from the site's snapshot (the newest, or of `date`). Fails naming source, check and
 * numbers when an invariant is violated (after writing the files, so the audit can be read).
 *
 * @example
 * ```ts ignore
 * const spans = await runSpansStage(site, { dir: "output/demo/sets/.tmp-x" });
 * console.log(spans.invariants.ok);
 * ```
 */
export async function runSpansStage(
  site: SiteConfig,
  options: {
    dir?: string;
    snapshotDate?: string;
    rules?: Partial<SpanRules>;
    snapshot?: Snapshot;
  } = {},
): Promise<SpansResult & { snapshot: Snapshot }> {
  const dir = options.dir ?? site.outputDir;
  const snapshot = options.snapshot ??
    await loadSnapshot(site.inputDir, { date: options.snapshotDate });
  using db = await stageDb(stageDbOptions(site));
  const result = await buildSpans(db, snapshot, site, {
    rules: options.rules,
    failOnViolation: false,
  });
  await dropCheckTables(db);
  await writeSpansOutputs(db, result, dir);
  if (!result.invariants.ok) {
    throw new Error(
      `${describeViolations(result.invariants).split("\n")[0]} (details in ${
        join(dir, OUTPUT_FILES.spansChecks)
      })`,
    );
  }
  return { ...result, snapshot };
}

/**
 * Stage 03: step functions, daily means and hours from `spans.parquet` in `dir`, and its own
 * checks (`ledger_checks.json`: the stack check, how the steps were summed, negative series).
 * Fails on a stack violation (after writing the files) and on a window that holds no data.
 *
 * @example
 * ```ts ignore
 * const ledger = await runLedgerStage(site, { start: "2024-01-01" });
 * ```
 */
export async function runLedgerStage(
  site: SiteConfig,
  options: { dir?: string; start?: string; end?: string } = {},
): Promise<LedgerChecks & { asOf: string; doc: LedgerChecksDoc }> {
  const dir = options.dir ?? site.outputDir;
  const spans = await readJsonArtifact<SpansChecksDoc>(dir, OUTPUT_FILES.spansChecks);
  using db = await stageDb(stageDbOptions(site));
  // A view, not a copy: the ledger reads 8 of the 13 columns of spans.parquet, once.
  await db.run(
    `CREATE OR REPLACE VIEW spans AS SELECT * FROM read_parquet(${
      sqlLiteral(join(dir, OUTPUT_FILES.spans))
    })`,
  );
  const checks = await buildLedger(db, site.key, {
    asOf: spans.as_of,
    start: options.start,
    end: options.end,
  });
  await writeLedgerOutputs(db, dir);
  const doc: LedgerChecksDoc = {
    ok: checks.stack.ok && checks.projects.ok,
    site: site.key,
    as_of: spans.as_of,
    window: checks.window,
    stack: {
      source: "usage",
      check: "stack",
      input: checks.stack.instants,
      output: checks.stack.instants - checks.stack.violations,
      rejected: checks.stack.violations,
      ok: checks.stack.ok,
      max_abs_residual: checks.stack.max_abs_residual,
    },
    ledger_sums: checks.sums,
    negative_derived: checks.negatives,
    project_sums: checks.projects,
  };
  await atomicWriteText(
    join(dir, OUTPUT_FILES.ledgerChecks),
    JSON.stringify(doc, null, 2) + "\n",
  );
  if (!checks.stack.ok) {
    throw new Error(
      `Invariant "stack" violated for "usage": leaves differ from total at ${checks.stack.violations} of ${checks.stack.instants} instants (max ${checks.stack.max_abs_residual})`,
    );
  }
  if (!checks.projects.ok) {
    const p = checks.projects;
    throw new Error(
      `Invariant "project_sums" violated for "project_hours": the projects' hours differ from hours.parquet for ${p.rejected} of ${p.input} keys (max ${p.max_abs_diff_hours} resource-hours)`,
    );
  }
  return { ...checks, asOf: spans.as_of, doc };
}

/**
 * Stage 04: the legacy comparison into `dir`, when the snapshot has the legacy report cache;
 * otherwise null, and nothing is written.
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
  options: { dir?: string } = {},
): Promise<LegacyResult | null> {
  const dir = options.dir ?? site.outputDir;
  const cache = snapshot.tables["chameleon_usage.node_usage_report_cache"]?.path;
  if (!cache) return null;
  using db = await stageDb({ ...stageDbOptions(site), preserveOrder: true });
  // Per project first: its rejected cache values join the audit the site comparison writes.
  const perProject = snapshot.tables[PROJECT_CACHE];
  const projectHours = join(dir, OUTPUT_FILES.projectHours);
  const problem = perProject?.path
    ? projectCacheProblem(perProject.columns.map((c) => c.name))
    : null;
  if (perProject?.path && !problem && window && (await exists(projectHours))) {
    await buildProjectComparison(db, {
      site: site.key,
      cache: perProject.path,
      projectHours,
      outputDir: dir,
      window,
    });
  }
  const result = await buildLegacyComparison(db, {
    site: site.key,
    reportCache: cache,
    countCache: snapshot.tables["chameleon_usage.node_count_cache"]?.path ?? undefined,
    usageDaily: join(dir, OUTPUT_FILES.usageDaily),
    outputDir: dir,
    window,
  });
  return problem ? { ...result, notes: [...result.notes, problem] } : result;
}

/** Options of {@linkcode runPipeline}. */
export interface PipelineOptions {
  /** View window start, `YYYY-MM-DD`. */
  start?: string;
  /** View window end (exclusive), `YYYY-MM-DD`. */
  end?: string;
  /** Snapshot date to use instead of the newest. */
  snapshotDate?: string;
  /** The snapshot itself, already loaded. */
  snapshot?: Snapshot;
  /** Span rules to switch off. */
  rules?: Partial<SpanRules>;
  /** Write under `<output_dir>/explore/<label>/` instead of replacing the site's set. */
  explore?: string | null;
  /** Progress lines go here (default: nothing). */
  log?: (line: string) => void;
  /** Lines that must be seen (waiting for another pipeline). @default {console.error} */
  notice?: (line: string) => void;
  /** Called with the finished set's folder before it is published (the report goes here). */
  beforePublish?: (dir: string, run: RunRecord) => Promise<void>;
  /** Who runs the pipeline, for the lock. @default {"runPipeline"} */
  holder?: string;
}

/**
 * Checks a window's dates before anything is written: each `YYYY-MM-DD`, a real date, and the
 * end after the start.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { checkWindow } from "./pipeline.ts";
 * checkWindow({ start: "2024-01-01", end: "2024-02-01" });
 * throws(() => checkWindow({ end: "2024-02-30" }), /expected --end a date YYYY-MM-DD, found "2024-02-30"/);
 * throws(() => checkWindow({ start: "2024-02-01", end: "2024-01-01" }), /expected --end after --start/);
 * ```
 */
export function checkWindow(window: { start?: string; end?: string }): void {
  for (const [k, v] of Object.entries(window)) {
    if (v === undefined) continue;
    const ok = /^\d{4}-\d{2}-\d{2}$/.test(v) &&
      new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;
    if (!ok) {
      throw new Error(`Cannot run the pipeline: expected --${k} a date YYYY-MM-DD, found "${v}"`);
    }
  }
  if (window.start && window.end && utcUs(window.end) <= utcUs(window.start)) {
    throw new Error(
      `Cannot run the pipeline: expected --end after --start, found [${window.start}, ${window.end})`,
    );
  }
}

/**
 * The output directory of a site's set, or of an exploration (`explore/<label>/` inside it).
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { setDirOf } from "./pipeline.ts";
 * equal(setDirOf("output/demo", null), "output/demo");
 * equal(setDirOf("output/demo", "jan"), "output/demo/explore/jan");
 * throws(() => setDirOf("output/demo", "../x"), /expected letters, digits/);
 * ```
 */
export function setDirOf(outputDir: string, label: string | null | undefined): string {
  if (!label) return outputDir;
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(label)) {
    throw new Error(
      `Cannot explore: expected letters, digits, ".", "_", "+" or "-" in the label, found "${label}"`,
    );
  }
  return join(outputDir, EXPLORE_DIR, label);
}

/**
 * Runs stages 02-04 for a site into a new output set and publishes it in one step: readers see
 * the old set or the new one, never a mix. Holds the output directory's lock meanwhile (a second
 * pipeline waits, saying for whom), removes what killed runs left, and on failure keeps the old
 * set and moves the failed run's files to `failed/`.
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
  checkWindow({ start: options.start, end: options.end });
  const out = setDirOf(site.outputDir, options.explore);
  const log = options.log ?? (() => {});
  using _lock = await lockOutputDir(out, {
    holder: options.holder ?? `runPipeline of "${site.key}"`,
    notice: options.notice,
  });
  await removeStale(out);
  const pending = await beginSet(out);
  try {
    return await runInto(site, pending.dir, pending.id, options, log, async () => {
      await publishSet(pending);
    });
  } catch (e) {
    const failed = await keepFailedSet(pending);
    const message = withMemoryHint((e as Error).message.replaceAll(pending.dir, failed), site);
    throw new Error(message, { cause: e });
  }
}

/**
 * A stage's error message, with what to do added when DuckDB ran out of the site's memory limit
 * (its message says how much was in use, not which setting holds it).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { withMemoryHint } from "./pipeline.ts";
 * const site = { key: "big", memoryLimit: undefined };
 * match(withMemoryHint("Out of Memory Error: failed to pin block (1.0 GiB/1.0 GiB used)", site),
 *   /raise memory_limit of site "big" in sites.yaml \(now 1GiB/);
 * ```
 */
export function withMemoryHint(
  message: string,
  site: Pick<SiteConfig, "key" | "memoryLimit">,
): string {
  if (!/Out of Memory Error/i.test(message)) return message;
  return `${message}: DuckDB needs more than the memory it may use here; raise memory_limit of site "${site.key}" in sites.yaml (now ${
    site.memoryLimit ?? DEFAULT_MEMORY_LIMIT
  }; a bigger limit spills less, and the process's peak resident memory can be up to about 1 GiB above it, docs/decisions/0008-stage-performance.md)`;
}

async function runInto(
  site: SiteConfig,
  dir: string,
  runId: string,
  options: PipelineOptions,
  log: (line: string) => void,
  publish: () => Promise<void>,
): Promise<RunRecord> {
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
  const spans = await timed("02 spans", () =>
    runSpansStage(site, {
      dir,
      snapshotDate: options.snapshotDate,
      snapshot: options.snapshot,
      rules: options.rules,
    }));
  const ledger = await timed(
    "03 ledger",
    () => runLedgerStage(site, { dir, start: options.start, end: options.end }),
  );
  const notes = [...spans.notes];
  if (spans.snapshot.tables["chameleon_usage.node_usage_report_cache"]?.path) {
    const legacy = await timed(
      "04 legacy",
      () => runLegacyStage(site, spans.snapshot, ledger.window, { dir }),
    );
    notes.push(...(legacy?.notes ?? []));
  } else {
    stages.push({
      name: "04 legacy",
      seconds: 0,
      skipped: "chameleon_usage.node_usage_report_cache is absent",
    });
    notes.push("04 legacy skipped: chameleon_usage.node_usage_report_cache is absent at this site");
  }
  const spansDoc = await readJsonArtifact<SpansChecksDoc>(dir, OUTPUT_FILES.spansChecks);
  const invariants = combineInvariants(spansDoc, ledger.doc);
  await atomicWriteText(
    join(dir, OUTPUT_FILES.invariants),
    JSON.stringify(invariants, null, 2) + "\n",
  );
  using db = await Duck.open();
  const run = await writeRunRecord(dir, {
    run_id: runId,
    site: site.key,
    site_name: site.siteName,
    snapshot_date: spans.snapshot.date,
    as_of: spans.snapshot.asOf,
    window: ledger.window,
    bucket: "day",
    explore: options.explore ?? null,
    coverage_start: spans.coverageStart,
    versions: {
      deno: Deno.version.deno,
      duckdb: String(await db.value("SELECT version()")),
      ledger: LEDGER_VERSION,
    },
    stages,
    notes,
    invariants_ok: invariants.ok,
  });
  if (options.beforePublish) await options.beforePublish(dir, run);
  await publish();
  return run;
}

/** Parameters a notebook may change; any of them set makes the run an exploration. */
export interface ExploreParams {
  start?: string;
  end?: string;
  snapshotDate?: string;
  rules?: Partial<SpanRules>;
}

/**
 * The exploration label of a notebook's parameters, or null when they are the site's own.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { exploreLabel } from "./pipeline.ts";
 * equal(exploreLabel({}), null);
 * equal(exploreLabel({ start: "2026-01-01", end: "2026-03-01" }), "2026-01-01_2026-03-01");
 * equal(exploreLabel({ end: "2026-03-01", rules: { evidence: false } }), "first_2026-03-01_no-evidence");
 * ```
 */
export function exploreLabel(p: ExploreParams): string | null {
  const rulesOff = Object.entries(p.rules ?? {}).filter(([, v]) => v === false).map(([k]) => k)
    .sort();
  if (!p.start && !p.end && !p.snapshotDate && rulesOff.length === 0) return null;
  const parts = [p.start ?? "first", p.end ?? "as_of"];
  if (p.snapshotDate) parts.push(`snapshot-${p.snapshotDate}`);
  for (const r of rulesOff) parts.push(`no-${r}`);
  return parts.join("_");
}

/**
 * The set a notebook reads: with the site's own parameters the site's set, else an
 * exploration's under `explore/<label>/` (the site's set is never replaced by one). A set that
 * is there is verified (a mixed one fails with one line) and used when it was made from the
 * newest snapshot (or the one asked for); otherwise, or with `recompute`, the pipeline makes it.
 *
 * @example
 * ```ts ignore
 * const { set, label } = await outputSetFor(site, { start: "2026-01-01", end: "2026-03-01" });
 * ```
 */
export async function outputSetFor(
  site: SiteConfig,
  params: ExploreParams,
  options: Pick<PipelineOptions, "log" | "notice" | "beforePublish"> & {
    recompute?: boolean;
  } = {},
): Promise<{ set: OutputSet; label: string | null; computed: boolean }> {
  const label = exploreLabel(params);
  const dir = setDirOf(site.outputDir, label);
  const snapshot = await loadSnapshot(site.inputDir, { date: params.snapshotDate });
  // No set yet: make one. A set that is there is verified first: a mixed or damaged one fails
  // with its one line rather than being read (or silently replaced).
  if (!options.recompute && (await exists(join(dir, OUTPUT_FILES.run)))) {
    const set = await openOutputSet(dir);
    if (set.run.snapshot_date === snapshot.date) return { set, label, computed: false };
  }
  await runPipeline(site, {
    ...params,
    snapshot,
    explore: label,
    holder: `notebook of "${site.key}"`,
    ...options,
  });
  return { set: await openOutputSet(dir), label, computed: true };
}
