/**
 * The stages benchmark: stage 02 (spans) and stage 03 (ledger) on the `tacc` demo profile
 * (CHI@TACC's row counts) and on ten times it, each step timed in its own subprocess
 * (`stage_main.ts`) under `/usr/bin/time` for wall seconds and peak RSS, side by side in the same
 * run with a floor: DuckDB alone, in a fresh subprocess too, reading the same parquet columns and
 * sorting them the way the stage must at least sort them.
 *
 * | step | input rows | floor |
 * |---|---|---|
 * | 02 spans | rows of the source tables stage 02 reads | those tables' columns that `lib/spans` names, each table sorted by host and time ({@linkcode spansFloorSql}) |
 * | 03 ledger | spans in `spans.parquet` | the columns stage 03 reads, one event per span start and end, sorted by metric, node type and time ({@linkcode ledgerFloorSql}) |
 *
 * Preparation is cached and not timed: the profile is generated into `<baseDir>/<name>` (`deno
 * task generate`) and fetched from its DuckDB source by the real fetch stage (`deno task fetch`
 * with a sites file of its own); `prepared.json` records which profile and scale a snapshot is
 * of, so a rerun reuses it (even after `source.duckdb` was deleted to save space).
 *
 * Targets (issue 21): stage 02 within 2.0x and stage 03 within 3.0x of their floors on `tacc`
 * (medians of the per-run ratios), under 2 GiB peak RSS each; 10x `tacc` under 2 GiB peak RSS and
 * within 1.5x of its time before the memory limit. A step that fails fails the whole benchmark with
 * one line; no number is reported for a failed run.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { exists } from "../fs.ts";
import { loadSnapshot, type Snapshot } from "../fetch/manifest.ts";
import { DEFAULT_MAINTENANCE, type MaintenanceMapping } from "../config.ts";
import { Duck } from "../db/duckdb.ts";
import { sqlIdent, sqlLiteral } from "../sql.ts";
import { qualifiedName, REGISTRY, type TableSpec } from "../registry.ts";
import { stagingName } from "../spans/staging.ts";
import { MAINTENANCE } from "../spans/maintenance.ts";
import { type Measure, median, timed } from "./_measure.ts";

/** One profile of the benchmark. */
export interface StagesProfile {
  /** Directory name under the base directory, e.g. `tacc_x10`. */
  name: string;
  /** Label in the table, e.g. `10x tacc`. */
  label: string;
  /** Generator profile. */
  profile: "tacc" | "demo" | "small";
  /** Generator scale. */
  scale: number;
  /** Runs of each step; medians are reported. */
  runs: number;
}

/** Options of {@linkcode benchStages}. */
export interface StagesBenchOptions {
  /** Runs of each step on `tacc`. @default {5} */
  runs?: number;
  /** Runs of each step on `10x tacc` (minutes each). @default {1} */
  largeRuns?: number;
  /** Profiles to run instead of `tacc` and `10x tacc`. */
  profiles?: StagesProfile[];
  /** Where profiles are generated, fetched and processed. @default {"var/bench"} */
  baseDir?: string;
  /** Progress notes (to stderr by default). */
  log?: (line: string) => void;
}

/** What was measured on one profile. */
export interface ProfileResult {
  label: string;
  runs: number;
  /** Rows of the source tables stage 02 reads. */
  sourceRows: number;
  /** Rows of `spans.parquet` (what stage 03 reads). */
  spans: number;
  /** Events the stage-03 floor sorts. */
  events: number;
  spansStage: Measure[];
  spansFloor: Measure[];
  ledgerStage: Measure[];
  /** The sweepline of stage 03 alone (spans to step functions). */
  sweepline: Measure[];
  ledgerFloor: Measure[];
}

/** What {@linkcode benchStages} measured. */
export interface StagesBenchResult {
  profiles: ProfileResult[];
}

/** The default profiles: `tacc` and ten times it. */
export function defaultProfiles(runs: number, largeRuns: number): StagesProfile[] {
  return [
    { name: "tacc", label: "tacc", profile: "tacc", scale: 1, runs },
    { name: "tacc_x10", label: "10x tacc", profile: "tacc", scale: 10, runs: largeRuns },
  ];
}

const SPANS_DIR = new URL("../spans/", import.meta.url);
const ENTRY = new URL("./stage_main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * The tables stage 02 reads and, per table, the columns it reads: registry tables whose staging
 * view (`stg_*`) `lib/spans` names, with the registry columns `lib/spans` names. Derived from the
 * code, so it follows the stage without a second list; it may include a column the stage only
 * mentions, never miss one it reads. The legacy maintenance table is read through the site's
 * column mapping instead.
 */
export async function spansInputs(
  maintenance: MaintenanceMapping = DEFAULT_MAINTENANCE,
): Promise<Map<string, string[]>> {
  let text = "";
  for await (const e of Deno.readDir(SPANS_DIR)) {
    if (e.isFile && e.name.endsWith(".ts")) {
      text += await Deno.readTextFile(new URL(e.name, SPANS_DIR)) + "\n";
    }
  }
  const out = new Map<string, string[]>();
  for (const spec of REGISTRY) {
    const name = qualifiedName(spec);
    if (!new RegExp(`\\b${stagingName(name)}\\b`).test(text)) continue;
    const cols = name === MAINTENANCE
      ? [
        spec.key,
        ...(maintenance.layout === "daily"
          ? [maintenance.host, maintenance.date, maintenance.hours ?? []].flat()
          : [maintenance.host, maintenance.start, maintenance.end]),
      ]
      : spec.columns.map((c) => c.name).filter((c) =>
        new RegExp(`\\b${c.replace(/[^A-Za-z0-9_]/g, "")}\\b`).test(text)
      );
    out.set(name, [...new Set(cols)]);
  }
  return out;
}

/** A statement that fills a temporary table, and its name. */
export interface FloorStatement {
  table: string;
  create: string;
}

/** Host and time columns to sort a source table by (any the table has), then its key. */
function sortColumns(spec: TableSpec, cols: readonly string[]): string[] {
  const host = cols.find((c) => /host|^node$|^node_name$/.test(c));
  const time = cols.find((c) => {
    const t = spec.columns.find((x) => x.name === c)?.type ?? "";
    return /^(DATETIME|DATE)$/.test(t) || c === "date";
  });
  return [...new Set([host, time, spec.key].filter((c): c is string => c !== undefined))];
}

/**
 * The floor of stage 02: per source table it reads, its columns read from the parquet file and
 * sorted by host and time into a temporary table.
 *
 * @example
 * ```ts ignore
 * const statements = spansFloorSql(await loadSnapshot("var/bench/tacc/input"), inputs);
 * ```
 */
export function spansFloorSql(
  snapshot: Snapshot,
  inputs: Map<string, string[]>,
): FloorStatement[] {
  const out: FloorStatement[] = [];
  for (const spec of REGISTRY) {
    const name = qualifiedName(spec);
    const path = snapshot.tables[name]?.path;
    const cols = inputs.get(name);
    if (!path || !cols) continue;
    const q = (c: string) => sqlIdent(c, "duckdb");
    const table = `floor_${stagingName(name)}`;
    out.push({
      table,
      create: `CREATE TEMP TABLE ${table} AS SELECT ${cols.map(q).join(", ")} FROM read_parquet(${
        sqlLiteral(path)
      }) ORDER BY ${sortColumns(spec, cols).map(q).join(", ")}`,
    });
  }
  return out;
}

/**
 * The floor of stage 03: from `spans.parquet`, the columns the ledger reads; one event per span
 * start (before `as_of`) and one per end, with the resource values (negated at the end), sorted
 * by metric, node type and time into a temporary table: what any sweepline must at least do.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { ledgerFloorSql } from "./stages_bench.ts";
 * const [s] = ledgerFloorSql("out/spans.parquet", "2026-06-01T00:00:00");
 * match(s.create, /UNION ALL/);
 * match(s.create, /ORDER BY metric, node_type, t$/);
 * ```
 */
export function ledgerFloorSql(spansFile: string, asOf: string): FloorStatement[] {
  const f = `read_parquet(${sqlLiteral(spansFile)})`;
  const before = `epoch_us(start) < epoch_us(${sqlLiteral(asOf)}::TIMESTAMP)`;
  return [{
    table: "floor_events",
    create: `CREATE TEMP TABLE floor_events AS
      SELECT metric, node_type, epoch_us(start) AS t, nodes, vcpus, memory_mb, disk_gb
      FROM ${f} WHERE ${before}
      UNION ALL
      SELECT metric, node_type, epoch_us("end"), -nodes, -vcpus, -memory_mb, -disk_gb
      FROM ${f} WHERE ${before} AND "end" IS NOT NULL
      ORDER BY metric, node_type, t`,
  }];
}

/** A subprocess that must succeed, not timed; throws with its last line of error output. */
async function run(label: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { CI: "true" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const last = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    throw new Error(`Cannot prepare the stages benchmark: ${label} failed: ${last}`);
  }
}

export interface Prepared {
  config: string;
  snapshot: Snapshot;
  outputDir: string;
}

/**
 * Generates and fetches a profile into `<baseDir>/<name>` unless its `prepared.json` says the
 * snapshot is there already; returns the sites file (site `bench`), the snapshot and the output
 * directory.
 */
export async function prepareProfile(
  p: StagesProfile,
  baseDir: string,
  log: (l: string) => void,
): Promise<Prepared> {
  const dir = resolve(baseDir, p.name);
  const inputDir = join(dir, "input");
  const outputDir = join(dir, "output");
  const source = join(dir, "source.duckdb");
  const marker = join(dir, "prepared.json");
  const config = join(dir, "sites.yaml");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    config,
    `# Written by the stages benchmark (lib/bench/stages_bench.ts).\nsites:\n  bench:\n    site_name: CHI@TACC (${p.label} profile)\n    db_uri: "duckdb:${source}"\n    input_dir: "${inputDir}"\n    output_dir: "${outputDir}"\n`,
  );
  const want = { profile: p.profile, scale: p.scale };
  if (await exists(marker)) {
    const m = JSON.parse(await Deno.readTextFile(marker));
    if (m.profile === want.profile && m.scale === want.scale) {
      try {
        const snapshot = await loadSnapshot(inputDir);
        if (basename(snapshot.manifestPath) === m.manifest) {
          log(`bench stages: ${p.label}: reusing the snapshot in ${inputDir}`);
          return { config, snapshot, outputDir };
        }
      } catch {
        // Not usable: prepare it again below.
      }
    }
  }
  await Deno.remove(marker).catch(() => {});
  const truthPath = join(dir, "ground_truth.json");
  const truth = (await exists(truthPath)) && (await exists(source))
    ? JSON.parse(await Deno.readTextFile(truthPath))
    : null;
  if (truth?.profile !== p.profile || truth?.scale !== p.scale) {
    log(`bench stages: ${p.label}: generating into ${dir} (minutes at 10x) ...`);
    await run(`deno task generate --profile ${p.profile} --scale ${p.scale}`, [
      "run",
      "-A",
      "tasks/generate.ts",
      "--profile",
      p.profile,
      "--scale",
      String(p.scale),
      "--out",
      dir,
      "--no-truth",
    ]);
  }
  log(`bench stages: ${p.label}: fetching ${source} into ${inputDir} ...`);
  await Deno.remove(inputDir, { recursive: true }).catch(() => {});
  await run("deno task fetch", ["run", "-A", "tasks/fetch.ts", "--config", config]);
  const snapshot = await loadSnapshot(inputDir);
  await Deno.writeTextFile(
    marker,
    JSON.stringify({ ...want, manifest: basename(snapshot.manifestPath) }, null, 2) + "\n",
  );
  return { config, snapshot, outputDir };
}

/** Runs one step of `stage_main.ts` under `/usr/bin/time`; its stdout must say `ok`. */
async function step(
  name: string,
  label: string,
  prepared: Prepared,
): Promise<{ measure: Measure; result: Record<string, unknown> }> {
  const stdoutFile = join(prepared.outputDir, `.bench-${name}.json`);
  await Deno.mkdir(prepared.outputDir, { recursive: true });
  const measure = await timed(Deno.execPath(), [
    "run",
    "-A",
    ENTRY,
    name,
    "--config",
    prepared.config,
    "--site",
    "bench",
  ], { env: { CI: "true" }, stdoutFile, label });
  const text = (await Deno.readTextFile(stdoutFile)).trim().split("\n").at(-1) ?? "";
  await Deno.remove(stdoutFile);
  const result = JSON.parse(text || "{}");
  if (result.ok !== true) {
    throw new Error(`Cannot benchmark ${label}: it printed no result (found "${text}")`);
  }
  return { measure, result };
}

/** Rows of a parquet file, from its metadata. */
async function parquetRows(path: string): Promise<number> {
  using db = await Duck.open();
  return Number(
    await db.value(`SELECT sum(num_rows) FROM parquet_file_metadata(${sqlLiteral(path)})`),
  );
}

/**
 * Runs the stages benchmark.
 *
 * @example
 * ```ts ignore
 * const r = await benchStages({ runs: 3 });
 * console.log(stagesBenchMarkdown(r));
 * ```
 */
export async function benchStages(options: StagesBenchOptions = {}): Promise<StagesBenchResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  const profiles = options.profiles ??
    defaultProfiles(options.runs ?? 5, options.largeRuns ?? 1);
  const baseDir = options.baseDir ?? "var/bench";
  const inputs = await spansInputs();
  const results: ProfileResult[] = [];
  for (const p of profiles) {
    const prepared = await prepareProfile(p, baseDir, log);
    const sourceRows = [...inputs.keys()]
      .reduce((a, t) => a + Math.max(0, prepared.snapshot.tables[t]?.rows ?? 0), 0);
    const r: ProfileResult = {
      label: p.label,
      runs: p.runs,
      sourceRows,
      spans: 0,
      events: 0,
      spansStage: [],
      spansFloor: [],
      ledgerStage: [],
      sweepline: [],
      ledgerFloor: [],
    };
    for (let i = 0; i < p.runs; i++) {
      const at = `on "${p.label}" (run ${i + 1}/${p.runs})`;
      const s = await step("spans", `"02 spans" ${at}`, prepared);
      r.spansStage.push(s.measure);
      if (i === 0) r.spans = await parquetRows(join(prepared.outputDir, "spans.parquet"));
      r.spansFloor.push((await step("floor-spans", `"floor of 02" ${at}`, prepared)).measure);
      r.ledgerStage.push((await step("ledger", `"03 ledger" ${at}`, prepared)).measure);
      r.sweepline.push((await step("sweepline", `"03 sweepline" ${at}`, prepared)).measure);
      const f = await step("floor-ledger", `"floor of 03" ${at}`, prepared);
      r.ledgerFloor.push(f.measure);
      r.events = Number(f.result.rows);
      const fmt = (m: Measure) => `${m.seconds.toFixed(2)} s ${m.peakRssMb.toFixed(0)} MiB`;
      log(
        `bench stages: ${p.label} run ${i + 1}/${p.runs}: 02 ${fmt(s.measure)} (floor ${
          fmt(r.spansFloor[i])
        }), 03 ${fmt(r.ledgerStage[i])} (sweepline ${fmt(r.sweepline[i])}, floor ${
          fmt(f.measure)
        })`,
      );
    }
    results.push(r);
  }
  return { profiles: results };
}

const num = (n: number) => Math.round(n).toLocaleString("en-US");

/** Today's (issue 21) 10x `tacc` time of 02 + 03, before the memory limit (docs/benchmarks.md). */
export const LARGE_BEFORE_SECONDS = 70.3;

/**
 * Per-run ratios of a step to its floor (run i of the step over run i of the floor, both in the
 * same minute of the same benchmark), so a loaded machine moves both and the ratio stays.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { runRatios } from "./stages_bench.ts";
 * const m = (seconds: number) => ({ seconds, peakRssMb: 0 });
 * deepEqual(runRatios([m(4), m(9)], [m(2), m(3)]), [2, 3]);
 * ```
 */
export function runRatios(step: readonly Measure[], floor: readonly Measure[]): number[] {
  return step.map((m, i) => m.seconds / floor[i].seconds);
}

/**
 * The benchmark as markdown: a table of medians with the ratio to the floor per run, and the
 * targets, met or not.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { stagesBenchMarkdown } from "./stages_bench.ts";
 * const m = (seconds: number, peakRssMb: number) => [{ seconds, peakRssMb }];
 * const md = stagesBenchMarkdown({ profiles: [{
 *   label: "tacc", runs: 1, sourceRows: 3000, spans: 1000, events: 2000,
 *   spansStage: m(3, 900), spansFloor: m(1, 300), ledgerStage: m(2, 800), sweepline: m(1.5, 500),
 *   ledgerFloor: m(1, 200),
 * }] });
 * match(md, /\| tacc \| 02 spans \| 1 \| 3,000 source rows \| 3\.00 \| 1,000 \| 900 \| 3\.00x \| 3\.00 \|/);
 * match(md, /stage 02 within 2\.0x of its floor on `tacc`.*: NOT met \(3\.00x\)/);
 * match(md, /stage 03 .*within 3\.0x of its floor on `tacc`.*: met \(2\.00x;/);
 * match(md, /what was tried: `docs\/decisions\/0008-stage-performance\.md`/);
 * ```
 */
export function stagesBenchMarkdown(r: StagesBenchResult): string {
  const lines = [
    "Each step runs in a fresh subprocess under `/usr/bin/time` (wall seconds, maximum resident set size); medians of the runs given. The floors are DuckDB alone in the same kind of subprocess, under the same memory limit: stage 02's reads the columns stage 02 reads from its source parquet files and sorts each table by host and time; stage 03's reads the columns stage 03 reads from `spans.parquet` and sorts one event per span start and end by metric, node type and time. Each run times the step and then its floor, so the ratio of a run compares two measurements of the same minute: on a loaded machine both grow, and the ratio is the number to watch (\"time vs floor\" is the median of the runs' ratios).",
    "",
    "| profile | step | runs | input rows | seconds | rows/s | peak RSS (MiB) | time vs floor | ratio per run |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  const sec = (m: Measure[]) => median(m.map((x) => x.seconds));
  const rss = (m: Measure[]) => median(m.map((x) => x.peakRssMb));
  const ratio = (m: Measure[], floor: Measure[]) => median(runRatios(m, floor));
  for (const p of r.profiles) {
    const row = (step: string, m: Measure[], rows: number, what: string, floor?: Measure[]) =>
      `| ${p.label} | ${step} | ${p.runs} | ${num(rows)} ${what} | ${sec(m).toFixed(2)} | ${
        num(rows / sec(m))
      } | ${num(rss(m))} | ${floor ? `${ratio(m, floor).toFixed(2)}x` : "1.00x"} | ${
        floor ? runRatios(m, floor).map((x) => x.toFixed(2)).join(", ") : ""
      } |`;
    lines.push(
      row("02 spans", p.spansStage, p.sourceRows, "source rows", p.spansFloor),
      row("floor of 02: read + sort", p.spansFloor, p.sourceRows, "source rows"),
      row("03 ledger", p.ledgerStage, p.spans, "spans", p.ledgerFloor),
      row("03 sweepline alone: spans to steps", p.sweepline, p.spans, "spans", p.ledgerFloor),
      row(`floor of 03: sort ${num(p.events)} events`, p.ledgerFloor, p.spans, "spans"),
    );
  }
  const verdict = (ok: boolean) => ok ? "met" : "NOT met";
  const targets: string[] = [];
  const tacc = r.profiles.find((p) => p.label === "tacc");
  if (tacc) {
    const r02 = ratio(tacc.spansStage, tacc.spansFloor);
    const r03 = ratio(tacc.ledgerStage, tacc.ledgerFloor);
    const peak = Math.max(rss(tacc.spansStage), rss(tacc.ledgerStage));
    targets.push(
      `- stage 02 within 2.0x of its floor on \`tacc\` (median of the runs' ratios): ${
        verdict(r02 <= 2)
      } (${r02.toFixed(2)}x)`,
      `- stage 03 (the whole stage, all files) within 3.0x of its floor on \`tacc\`: ${
        verdict(r03 <= 3)
      } (${r03.toFixed(2)}x; the sweepline alone ${
        ratio(tacc.sweepline, tacc.ledgerFloor).toFixed(2)
      }x)`,
      `- under 2 GiB (2048 MiB) peak RSS each on \`tacc\`: ${verdict(peak < 2048)} (02: ${
        num(rss(tacc.spansStage))
      } MiB, 03: ${num(rss(tacc.ledgerStage))} MiB)`,
    );
  }
  const large = r.profiles.find((p) => p.label === "10x tacc");
  if (large) {
    const peak = Math.max(rss(large.spansStage), rss(large.ledgerStage));
    const total = sec(large.spansStage) + sec(large.ledgerStage);
    targets.push(
      `- 10x \`tacc\` completes under 2 GiB (2048 MiB) peak RSS: ${verdict(peak < 2048)} (${
        num(peak)
      } MiB)`,
      `- 10x \`tacc\` 02 + 03 within 1.5x of ${LARGE_BEFORE_SECONDS} s (before the memory limit): ${
        verdict(total <= 1.5 * LARGE_BEFORE_SECONDS)
      } (${total.toFixed(1)} s, ${(total / LARGE_BEFORE_SECONDS).toFixed(2)}x)`,
    );
  }
  if (targets.length > 0) lines.push("", "Targets (issue 21):", "", ...targets);
  if (targets.some((t) => t.includes("NOT met"))) {
    lines.push(
      "",
      "Where the time goes (statement by statement, `LEDGER_SQL_TRACE=1`) and what was tried: `docs/decisions/0008-stage-performance.md`, fifth round.",
    );
  }
  return lines.join("\n");
}
