/**
 * The one parameter parser of the project: the command-line tasks (`--start`, `--end`,
 * `--bucket`, `--site`, `--config`, `--help`) and the notebooks' parameter cell (`START`, `END`,
 * `BUCKET`, `SITE`, `CONFIG`) check their values with the same functions, so a value the command
 * line rejects is rejected in a notebook with the same words.
 *
 * | parameter | accepted | rejected with one line |
 * |---|---|---|
 * | dates | `YYYY-MM-DD`, a real calendar day | `2025-1-1`, `2025-02-30` |
 * | window | `start < end` (either may be left out) | `start >= end`: empty or inverted |
 * | bucket | `day`, `week`, `month` | anything else (`weekly`, `quarter`), listing the valid values |
 * | site | `a-z`, `0-9`, `_`, `-` | anything else |
 * | config | a path; relative to the working directory | - |
 *
 * The working directory ({@linkcode workingDir}) is where the user typed the command: `deno task`
 * runs every task in the repository root and says where it was started in `INIT_CWD`; a notebook
 * kernel works from the repository root.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { isAbsolute, resolve } from "node:path";
import { repoRoot } from "./notebook.ts";

/** The buckets of resampled tables and charts. */
export const BUCKETS = ["day", "week", "month"] as const;
/** One bucket. */
export type Bucket = typeof BUCKETS[number];

/**
 * Checks a date parameter: `YYYY-MM-DD` and a real calendar day.
 *
 * @param label How the user wrote the parameter (`--start`, `START`).
 * @param value The value; undefined passes through.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseDate } from "./params.ts";
 * equal(parseDate("--start", "2025-01-31"), "2025-01-31");
 * throws(() => parseDate("--end", "2025-02-30"), /Cannot read a date: expected --end YYYY-MM-DD, found "2025-02-30"/);
 * ```
 */
export function parseDate(label: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(ms) ||
    new Date(ms).toISOString().slice(0, 10) !== value
  ) {
    throw new Error(`Cannot read a date: expected ${label} YYYY-MM-DD, found "${value}"`);
  }
  return value;
}

/**
 * Checks a bucket parameter against {@linkcode BUCKETS}.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseBucket } from "./params.ts";
 * equal(parseBucket("--bucket", "week"), "week");
 * throws(() => parseBucket("BUCKET", "weekly"),
 *   /Cannot use BUCKET "weekly": expected one of day, week, month/);
 * ```
 */
export function parseBucket(label: string, value: string): Bucket {
  if (!(BUCKETS as readonly string[]).includes(value)) {
    throw new Error(`Cannot use ${label} "${value}": expected one of ${BUCKETS.join(", ")}`);
  }
  return value as Bucket;
}

/**
 * Checks a site key (`a-z`, `0-9`, `_`, `-`, as in the sites file).
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { parseSiteKey } from "./params.ts";
 * parseSiteKey("--site", "chi_tacc");
 * throws(() => parseSiteKey("--site", "--help"), /Cannot use --site "--help"/);
 * ```
 */
export function parseSiteKey(label: string, value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(value)) {
    throw new Error(
      `Cannot use ${label} "${value}": expected a site key of a-z, 0-9, "_" and "-"`,
    );
  }
  return value;
}

/**
 * Checks a window `[start, end)`: each a date, and start before end when both are given (an
 * empty or inverted window holds no data).
 *
 * @example
 * ```ts
 * import { deepEqual, throws } from "node:assert/strict";
 * import { parseWindow } from "./params.ts";
 * deepEqual(parseWindow({ start: "2026-01-01" }), { start: "2026-01-01", end: undefined });
 * throws(() => parseWindow({ start: "2026-03-01", end: "2026-01-01" }),
 *   /Cannot use the window \[2026-03-01, 2026-01-01\): --start must be before --end \(the window is inverted\)/);
 * ```
 */
export function parseWindow(
  window: { start?: string; end?: string },
  labels: { start: string; end: string } = { start: "--start", end: "--end" },
): { start: string | undefined; end: string | undefined } {
  const start = parseDate(labels.start, window.start);
  const end = parseDate(labels.end, window.end);
  if (start !== undefined && end !== undefined && start >= end) {
    throw new Error(
      `Cannot use the window [${start}, ${end}): ${labels.start} must be before ${labels.end} (the window is ${
        start === end ? "empty" : "inverted"
      })`,
    );
  }
  return { start, end };
}

/**
 * The directory the user works in: `LEDGER_CWD` (set by `deno task notebooks` for its
 * notebooks), else `INIT_CWD` (where `deno task` was started), else the repository root inside a
 * Jupyter kernel (which starts in `notebooks/`), else the process's working directory.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { workingDir } from "./params.ts";
 * equal(workingDir({ env: { INIT_CWD: "/home/me/sites" }, jupyter: false }), "/home/me/sites");
 * equal(workingDir({ env: {}, jupyter: false, cwd: "/srv" }), "/srv");
 * ```
 */
export function workingDir(
  options: { env?: Record<string, string | undefined>; jupyter?: boolean; cwd?: string } = {},
): string {
  const get = (k: string) => options.env ? options.env[k] : Deno.env.get(k);
  const fromEnv = get("LEDGER_CWD") || get("INIT_CWD");
  if (fromEnv) return resolve(fromEnv);
  if (options.jupyter ?? inJupyter()) return repoRoot();
  return options.cwd ?? Deno.cwd();
}

/** Whether this code runs in the Deno Jupyter kernel (its getter throws elsewhere). */
function inJupyter(): boolean {
  try {
    return (Deno as unknown as { jupyter?: unknown }).jupyter !== undefined;
  } catch {
    return false;
  }
}

/**
 * A path as the user meant it: absolute as given, relative from {@linkcode workingDir}.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { fromWorkingDir } from "./params.ts";
 * equal(fromWorkingDir("etc/x.yaml", "/home/me"), "/home/me/etc/x.yaml");
 * equal(fromWorkingDir("/etc/x.yaml", "/home/me"), "/etc/x.yaml");
 * ```
 */
export function fromWorkingDir(path: string, cwd: string = workingDir()): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** The parameters shared by the command line and the notebooks. */
export interface RunParams {
  /** Site key. */
  site: string;
  /** Absolute path of the sites file. */
  config: string;
  /** Window start `YYYY-MM-DD`, or undefined for the site's first day. */
  start?: string;
  /** Window end `YYYY-MM-DD` (exclusive), or undefined for `as_of`. */
  end?: string;
  /** Bucket of resampled tables, when the caller has one. */
  bucket?: Bucket;
}

/**
 * Checks the parameters of a notebook's parameter cell with the command line's rules and returns
 * them as the cell's constants (`CONFIG` made absolute from the working directory). The messages
 * name the constants (`BUCKET`, `START`), so the analyst knows which line to fix.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { notebookParams } from "./params.ts";
 * const p = notebookParams({ SITE: "demo", CONFIG: "/srv/sites.yaml", BUCKET: "week" });
 * equal(p.BUCKET, "week");
 * throws(() => notebookParams({ SITE: "demo", CONFIG: "x.yaml", BUCKET: "quarter" }),
 *   /Cannot use BUCKET "quarter": expected one of day, week, month/);
 * throws(() => notebookParams({ SITE: "demo", CONFIG: "x.yaml", START: "2026-01-01", END: "2026-01-01" }),
 *   /START must be before END \(the window is empty\)/);
 * ```
 */
export function notebookParams(raw: {
  SITE: string;
  CONFIG: string;
  START?: string;
  END?: string;
  BUCKET?: string;
  SNAPSHOT?: string;
}): {
  SITE: string;
  CONFIG: string;
  START?: string;
  END?: string;
  BUCKET: Bucket;
  SNAPSHOT?: string;
} {
  const SITE = parseSiteKey("SITE", raw.SITE);
  const w = parseWindow({ start: raw.START || undefined, end: raw.END || undefined }, {
    start: "START",
    end: "END",
  });
  const BUCKET = parseBucket("BUCKET", raw.BUCKET ?? "month");
  const SNAPSHOT = parseDate("SNAPSHOT", raw.SNAPSHOT || undefined);
  return {
    ...(SNAPSHOT ? { SNAPSHOT } : {}),
    SITE,
    CONFIG: fromWorkingDir(raw.CONFIG),
    ...(w.start ? { START: w.start } : {}),
    ...(w.end ? { END: w.end } : {}),
    BUCKET,
  };
}

// ---------------------------------------------------------------------------------------------
// Command-line flags and --help

/** One flag of a task. */
export interface FlagSpec {
  /** `string` takes a value, `boolean` is a switch. */
  readonly type: "string" | "boolean";
  /** What the flag does (one line). */
  readonly help: string;
  /** Placeholder of the value in the help (`KEY`, `YYYY-MM-DD`). */
  readonly value?: string;
  /** Default value, shown in the help. */
  readonly default?: string | boolean;
  /** Default as words, when it is not a fixed value (`the newest`). */
  readonly defaultText?: string;
  /** The task cannot run without it (shown instead of a default). */
  readonly required?: boolean;
}

/** What a task takes and how to call it: the source of its `--help`. */
export interface TaskSpec {
  /** Task name in deno.json (`pipeline`). */
  readonly name: string;
  /** What the task does (one or two sentences). */
  readonly summary: string;
  /** Its flags (without `--help`, which every task has). */
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Positional arguments, when it takes any (`FILE.html ...`). */
  readonly positionals?: { readonly name: string; readonly help: string };
  /** One example command line. */
  readonly example: string;
}

/** The values of a task's flags, typed from its spec. */
export type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]: F[K]["type"] extends "boolean" ? boolean
    : F[K] extends { default: string } ? string
    : string | undefined;
};

/**
 * The `--help` text of a task: usage, every flag with its default, one example.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { helpText } from "./params.ts";
 * const text = helpText({ name: "report", summary: "Writes report.html.", example: "deno task report --site demo",
 *   flags: { config: { type: "string", value: "FILE", default: "etc/sites.yaml", help: "the sites file" } } });
 * match(text, /^usage: deno task report \[--config FILE\]/);
 * match(text, /--config FILE +the sites file \(default: etc\/sites.yaml\)/);
 * ```
 */
export function helpText(spec: TaskSpec): string {
  const flagUsage = (name: string, f: FlagSpec) =>
    f.type === "boolean" ? `--${name}` : `--${name} ${f.value ?? "VALUE"}`;
  const usage = [
    `usage: deno task ${spec.name}`,
    ...Object.entries(spec.flags).map(([n, f]) =>
      f.required ? flagUsage(n, f) : `[${flagUsage(n, f)}]`
    ),
    ...(spec.positionals ? [spec.positionals.name] : []),
  ].join(" ");
  const rows: [string, string][] = Object.entries(spec.flags).map(([n, f]) => {
    const def = f.defaultText ??
      (f.type === "boolean"
        ? "off"
        : f.default === undefined || f.default === ""
        ? "none"
        : String(f.default));
    return [flagUsage(n, f), `${f.help} (${f.required ? "required" : `default: ${def}`})`];
  });
  if (spec.positionals) rows.unshift([spec.positionals.name, spec.positionals.help]);
  rows.push(["--help, -h", "show this help and exit"]);
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return [
    usage,
    "",
    spec.summary,
    "",
    ...rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`),
    "",
    "example:",
    `  ${spec.example}`,
  ].join("\n");
}

/**
 * Parses a task's arguments against its spec. `--help` (or `-h`) anywhere gives the help text
 * instead of values; an unknown flag or a missing value is one line naming it and pointing at
 * `--help`.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseTaskArgs } from "./params.ts";
 * const spec = { name: "t", summary: "s", example: "deno task t", flags: {
 *   site: { type: "string", help: "site" }, all: { type: "boolean", help: "all" } } } as const;
 * const r = parseTaskArgs(spec, ["--site", "demo"]);
 * equal("values" in r && r.values.site, "demo");
 * equal("help" in parseTaskArgs(spec, ["x.html", "--help"]), true);
 * throws(() => parseTaskArgs(spec, ["--weekly"]),
 *   /Cannot run deno task t: unknown option "--weekly" \(see deno task t --help\)/);
 * ```
 */
export function parseTaskArgs<F extends Record<string, FlagSpec>>(
  spec: TaskSpec & { flags: F },
  args: readonly string[],
): { help: string } | { values: FlagValues<F>; positionals: string[] } {
  if (args.includes("--help") || args.includes("-h")) return { help: helpText(spec) };
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean }> = {};
  for (const [n, f] of Object.entries(spec.flags)) {
    options[n] = { type: f.type, ...(f.default !== undefined ? { default: f.default } : {}) };
    if (f.type === "boolean" && f.default === undefined) options[n].default = false;
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: spec.positionals !== undefined,
    });
    return { values: values as FlagValues<F>, positionals };
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(msg);
    const positional = /Unexpected argument '([^']+)'/.exec(msg);
    const what = unknown
      ? `unknown option "${unknown[1]}"`
      : missing
      ? `option "${missing[1]}" expects a value`
      : positional
      ? `unexpected argument "${positional[1]}"`
      : msg.split("\n")[0];
    throw new Error(
      `Cannot run deno task ${spec.name}: ${what} (see deno task ${spec.name} --help)`,
    );
  }
}

/**
 * {@linkcode parseTaskArgs} for a task's entry point: prints the help and exits 0 on `--help`.
 *
 * @example
 * ```ts ignore
 * const { values } = taskArgs(SPEC);
 * ```
 */
export function taskArgs<F extends Record<string, FlagSpec>>(
  spec: TaskSpec & { flags: F },
  args: readonly string[] = Deno.args,
): { values: FlagValues<F>; positionals: string[] } {
  const r = parseTaskArgs(spec, args);
  if ("help" in r) {
    console.log(r.help);
    Deno.exit(0);
  }
  return r;
}

/** The `--config` flag every task that reads the sites file shares. */
export const CONFIG_FLAG = {
  type: "string",
  value: "FILE",
  default: "etc/sites.yaml",
  help: "the sites file; a relative path is read from the working directory",
} as const satisfies FlagSpec;

/** The `--site` flag. */
export const SITE_FLAG = {
  type: "string",
  value: "KEY",
  help: "the site's key in the sites file",
} as const satisfies FlagSpec;

/** The window flags. */
export const WINDOW_FLAGS = {
  start: {
    type: "string",
    value: "YYYY-MM-DD",
    help: "first day of the window",
    defaultText: "the site's first record",
  },
  end: {
    type: "string",
    value: "YYYY-MM-DD",
    help: "day after the window (exclusive)",
    defaultText: "the snapshot's as_of",
  },
} as const satisfies Record<"start" | "end", FlagSpec>;

/** The `--bucket` flag. */
export const BUCKET_FLAG = {
  type: "string",
  value: "day|week|month",
  help: "bucket of the resampled tables",
  defaultText: "month",
} as const satisfies FlagSpec;

/**
 * Checks the shared flags of a task (`--site` required when `needSite`, window, bucket) and makes
 * `--config` absolute from the working directory.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { checkRunFlags } from "./params.ts";
 * const p = checkRunFlags("run the pipeline", { site: "demo", config: "etc/s.yaml" }, { cwd: "/w" });
 * equal(p.config, "/w/etc/s.yaml");
 * throws(() => checkRunFlags("run the pipeline", { config: "x" }), /Cannot run the pipeline: expected --site KEY/);
 * ```
 */
export function checkRunFlags(
  action: string,
  flags: { site?: string; config?: string; start?: string; end?: string; bucket?: string },
  options: { cwd?: string } = {},
): RunParams {
  if (flags.site === undefined) throw new Error(`Cannot ${action}: expected --site KEY`);
  const site = parseSiteKey("--site", flags.site);
  const { start, end } = parseWindow(flags);
  const bucket = flags.bucket === undefined ? undefined : parseBucket("--bucket", flags.bucket);
  return {
    site,
    config: fromWorkingDir(flags.config ?? "etc/sites.yaml", options.cwd ?? workingDir()),
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(bucket ? { bucket } : {}),
  };
}
