/**
 * What `deno task export` reads from a site's output set, behind one function:
 * {@linkcode readExportInput}. It checks that the set is one complete pipeline run (`run.json`
 * present, written after `usage_daily.parquet`, invariants held, every listed digest matching)
 * and that the run's window is the one asked for, then reads the daily series into columns.
 *
 * This is the only place the export touches the output files, so a verified reader of the
 * output set can replace its body without touching the rest (docs/decisions/0013-export.md).
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { openOutputSet } from "../outputs/set.ts";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { Duck } from "../db/duckdb.ts";
import { exists } from "../fs.ts";

/** A window of whole days, `[start, end)`, as `YYYY-MM-DD`. */
export interface DayWindow {
  start: string;
  end: string;
}

/** The daily series of one site as columns (row `i` is `collector_type[i]`, ... `value[i]`). */
export interface DailyColumns {
  collector_type: string[];
  metric: string[];
  resource: string[];
  node_type: string[];
  /** UTC day, `YYYY-MM-DD`. */
  day: string[];
  value: number[];
}

/** One site's output set, read and checked for export. */
export interface ExportInput {
  /** Site key as recorded in `run.json` and in every row. */
  site: string;
  /** The run's window in whole days (the end rounded up to the next midnight). */
  window: DayWindow;
  /** `as_of` of the run's snapshot. */
  asOf: string;
  /** `usage_daily.parquet` as columns. */
  daily: DailyColumns;
}

/** The subset of `run.json` the export relies on. */
interface RunJson {
  site?: unknown;
  as_of?: unknown;
  window?: { start?: unknown; end?: unknown };
  invariants_ok?: unknown;
  files?: unknown;
}

const RUN_FILE = "run.json";
const DAILY_FILE = "usage_daily.parquet";
/** Stage 04's legacy collector rows, same columns (docs/decisions/0011-output-sets.md). */
const LEGACY_DAILY_FILE = "legacy_daily.parquet";

/**
 * Reads a site's output set for export. `asked` holds the `--start`/`--end` dates of the
 * command (each optional); a given one must equal the run's window, else the set is refused.
 *
 * Refused, with one line naming the file: a missing `run.json` or `usage_daily.parquet`, a
 * `usage_daily.parquet` newer than `run.json` (a later run stopped half-way), a run whose
 * invariants failed, a `run.json` of another site, a listed digest that does not match, rows of
 * another site or outside the window.
 *
 * @example
 * ```ts ignore
 * const input = await readExportInput("output/demo", { site: "demo", start: "2021-05-04" });
 * console.log(input.window, input.daily.day.length);
 * ```
 */
export async function readExportInput(
  outputDir: string,
  asked: { site: string; start?: string; end?: string },
): Promise<ExportInput> {
  const what = `Cannot export site "${asked.site}"`;
  // A pipeline's set (run.json with a run id) is opened once through `current` and verified
  // file by file (lib/outputs/set.ts), so every file read is of one complete run.
  const setDir = await verifiedSetDir(outputDir, what);
  const runPath = join(setDir, RUN_FILE);
  const dailyPath = join(setDir, DAILY_FILE);
  if (!(await exists(runPath))) {
    throw new Error(`${what}: ${runPath} is missing (run the pipeline for this site first)`);
  }
  if (!(await exists(dailyPath))) {
    throw new Error(`${what}: ${dailyPath} is missing (an incomplete output set)`);
  }
  let run: RunJson;
  try {
    run = JSON.parse(await Deno.readTextFile(runPath));
  } catch (e) {
    throw new Error(`${what}: ${runPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (run.site !== asked.site) {
    throw new Error(
      `${what}: ${runPath} is of site "${String(run.site)}", expected "${asked.site}"`,
    );
  }
  if (run.invariants_ok !== true) {
    throw new Error(
      `${what}: ${runPath} says the run's invariants failed (invariants_ok is not true)`,
    );
  }
  const runStart = run.window?.start;
  const runEnd = run.window?.end;
  if (typeof runStart !== "string" || typeof runEnd !== "string") {
    throw new Error(`${what}: ${runPath} has no window.start and window.end`);
  }
  const window = dayWindow(runStart, runEnd);
  const pairs: [string, string | undefined, string][] = [
    ["start", asked.start, runStart],
    ["end", asked.end, runEnd],
  ];
  for (const [flag, value, runValue] of pairs) {
    if (value !== undefined && `${value}T00:00:00` !== runValue.slice(0, 19)) {
      throw new Error(
        `${what}: ${runPath} is of window ${runStart}..${runEnd}, asked --${flag} ${value} (run the pipeline with that window first)`,
      );
    }
  }
  const digests = listedDigests(run.files);
  if (digests.size > 0) {
    for (const [file, expected] of digests) {
      if (file !== DAILY_FILE && file !== LEGACY_DAILY_FILE && file !== RUN_FILE) continue;
      const actual = await sha256File(join(setDir, file));
      if (actual !== expected) {
        throw new Error(
          `${what}: ${
            join(setDir, file)
          } has digest sha256:${actual}, ${runPath} lists sha256:${expected} (files of different runs)`,
        );
      }
    }
    if (!digests.has(DAILY_FILE)) {
      throw new Error(`${what}: ${runPath} lists no digest of ${DAILY_FILE}`);
    }
  } else {
    const [runStat, dailyStat] = [await Deno.stat(runPath), await Deno.stat(dailyPath)];
    if ((dailyStat.mtime?.getTime() ?? 0) > (runStat.mtime?.getTime() ?? 0)) {
      throw new Error(
        `${what}: ${dailyPath} is newer than ${runPath} (a later run did not finish: files of different runs)`,
      );
    }
  }
  // Both collectors: the current rows and, where stage 04 ran, the legacy rows beside them.
  const legacyPath = join(setDir, LEGACY_DAILY_FILE);
  const paths = (await exists(legacyPath)) ? [dailyPath, legacyPath] : [dailyPath];
  const daily = await readDaily(paths, asked.site, window, what);
  return { site: asked.site, window, asOf: String(run.as_of ?? ""), daily };
}

/**
 * The whole days of a run window: the start's day, and the end's day (exclusive) or the next one
 * when the end is not at midnight.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { dayWindow } from "./input.ts";
 * deepEqual(dayWindow("2021-05-04T00:00:00", "2026-06-01T12:00:00"),
 *   { start: "2021-05-04", end: "2026-06-02" });
 * ```
 */
export function dayWindow(start: string, end: string): DayWindow {
  const endDay = end.slice(0, 10);
  const midnight = /^\d{4}-\d{2}-\d{2}(?:[T ]00:00:00(?:\.0*)?)?$/.test(end.replace(/Z$/, ""));
  const next = new Date(Date.parse(`${endDay}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return { start: start.slice(0, 10), end: midnight ? endDay : next };
}

/** Digests listed in `run.json` (`files`: an array of `{file|name|path, sha256|digest}` or a
 * record of name to digest or to such an object), as file name to lowercase hex. */
function listedDigests(files: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const add = (name: unknown, d: unknown) => {
    if (typeof name !== "string") return;
    const obj = d as Record<string, unknown> | null;
    const raw = typeof d === "string"
      ? d
      : obj && typeof obj === "object"
      ? (obj.sha256 ?? obj.digest)
      : undefined;
    if (typeof raw === "string") {
      out.set(name.split("/").pop()!, raw.replace(/^sha256:/, "").toLowerCase());
    }
  };
  if (Array.isArray(files)) {
    for (const f of files) {
      const o = f as Record<string, unknown>;
      add(o?.file ?? o?.name ?? o?.path, o);
    }
  } else if (files && typeof files === "object") {
    for (const [k, v] of Object.entries(files)) add(k, v);
  }
  return out;
}

/** The folder of the directory's current set, verified when it is a pipeline's set. */
async function verifiedSetDir(outputDir: string, what: string): Promise<string> {
  let run: { run_id?: unknown } | null = null;
  try {
    run = JSON.parse(await Deno.readTextFile(join(outputDir, RUN_FILE)));
  } catch {
    return outputDir; // the checks below name what is missing or unreadable
  }
  if (!run || typeof run.run_id !== "string") return outputDir;
  try {
    return (await openOutputSet(outputDir)).dir;
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  for await (const chunk of f.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function readDaily(
  paths: string[],
  site: string,
  window: DayWindow,
  what: string,
): Promise<DailyColumns> {
  using db = await Duck.open();
  const src = `read_parquet([${paths.map(sqlLiteral).join(", ")}])`;
  const path = paths.join(" and ");
  const [check] = await db.json<{ sites: string; other: string; nulls: string; outside: string }>(
    `SELECT string_agg(DISTINCT site, ', ') AS sites,
            count(*) FILTER (WHERE site IS DISTINCT FROM $site) AS other,
            count(*) FILTER (WHERE collector_type IS NULL OR metric IS NULL OR resource IS NULL
                             OR node_type IS NULL OR "timestamp" IS NULL OR value IS NULL
                             OR isnan(value) OR isinf(value)) AS nulls,
            count(*) FILTER (WHERE "timestamp" < $start::TIMESTAMP OR "timestamp" >= $end::TIMESTAMP)
              AS outside
       FROM ${src}`,
    { site, start: window.start, end: window.end },
  );
  if (Number(check.other) > 0) {
    throw new Error(
      `${what}: ${path} holds rows of site(s) "${check.sites}", expected only "${site}"`,
    );
  }
  if (Number(check.nulls) > 0) {
    throw new Error(
      `${what}: ${path} has ${check.nulls} rows with a NULL key column or a NULL, NaN or infinite value`,
    );
  }
  if (Number(check.outside) > 0) {
    throw new Error(
      `${what}: ${path} has ${check.outside} rows outside the run's window ${window.start}..${window.end}`,
    );
  }
  // Strings travel once per series (a few hundred), rows as integer codes, day numbers and
  // doubles read straight from DuckDB's vectors: converting 3.5 million values one by one
  // into JS objects took seconds.
  await db.run(
    `CREATE TEMP TABLE series AS
       SELECT (row_number() OVER (ORDER BY collector_type, metric, resource, node_type) - 1)::INTEGER AS id, *
         FROM (SELECT DISTINCT collector_type, metric, resource, node_type FROM ${src})`,
  );
  const series = await db.rows<
    { collector_type: string; metric: string; resource: string; node_type: string }
  >("SELECT collector_type, metric, resource, node_type FROM series ORDER BY id");
  const result = await db.conn.run(
    `SELECT s.id, ("timestamp"::DATE - DATE '1970-01-01')::INTEGER AS d, p.value::DOUBLE AS v
       FROM ${src} p JOIN series s USING (collector_type, metric, resource, node_type)
      ORDER BY s.id, d`,
  );
  const out: DailyColumns = {
    collector_type: [],
    metric: [],
    resource: [],
    node_type: [],
    day: [],
    value: [],
  };
  const dayText = new Map<number, string>();
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const ids = chunk.getColumnVector(0);
    const days = chunk.getColumnVector(1);
    const vals = chunk.getColumnVector(2);
    for (let i = 0; i < chunk.rowCount; i++) {
      const s = series[ids.getItem(i) as number];
      const d = days.getItem(i) as number;
      let text = dayText.get(d);
      if (text === undefined) {
        dayText.set(d, text = new Date(d * 86_400_000).toISOString().slice(0, 10));
      }
      out.collector_type.push(s.collector_type);
      out.metric.push(s.metric);
      out.resource.push(s.resource);
      out.node_type.push(s.node_type);
      out.day.push(text);
      out.value.push(vals.getItem(i) as number);
    }
  }
  return out;
}
