/**
 * `deno run -A tasks/coverage.ts [DIR]` (the last step of `deno task test`)
 *
 * Prints the line and branch coverage of `lib/` per folder (`lib/spans`, `lib/ledger`, ...; the
 * files directly in `lib/` are the folder `lib`), from the profiles `deno test --coverage=DIR`
 * wrote (default `var/coverage`, git-ignored), and fails when a folder falls below its floor
 * ({@linkcode FLOORS}). Doc examples count: `deno task test` runs them with `--doc`. What runs
 * in a subprocess (the tasks the tests start) is not measured. A `lib/` file that no test loads is
 * named in a note (it has no lines in the profiles, so it cannot lower a percentage).
 *
 * @module
 */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runMain } from "../lib/cli.ts";
import { taskArgs } from "../lib/params.ts";

/** Flags and help of the task. */
export const COVERAGE_TASK = {
  name: "coverage",
  summary:
    "Prints the line and branch coverage of lib/ per folder from deno test --coverage profiles and fails when a folder is below its floor (FLOORS in tasks/coverage.ts). deno task test runs it last.",
  positionals: { name: "DIR", help: "the coverage profiles (default: var/coverage)" },
  flags: {},
  example: "deno task coverage var/coverage",
} as const;

/** Line and branch counts of one file or folder, as lcov has them. */
export interface Counts {
  /** Lines found (`LF`) and hit (`LH`). */
  lines: number;
  linesHit: number;
  /** Branches found (`BRF`) and hit (`BRH`). */
  branches: number;
  branchesHit: number;
}

/**
 * Floors in percent per folder, a few points below what `deno task test` measured on 2026-12-02
 * (with MariaDB, PostgreSQL, Jupyter and Chromium present, `LEDGER_SKIP_SLOW=1`). Raise a floor
 * when a folder's coverage has risen; never lower one to let a change pass.
 */
export const FLOORS: Readonly<Record<string, { line: number; branch: number }>> = {
  "lib": { line: 90, branch: 82 }, // measured 93.3 / 85.1
  "lib/bench": { line: 20, branch: 60 }, // 23.9 / 66.6: the benchmarks run in deno task bench
  "lib/db": { line: 90, branch: 72 }, // 93.8 / 75.5
  "lib/demo": { line: 86, branch: 87 }, // 89.5-89.9 / 91.2-93.5 (two runs)
  "lib/fetch": { line: 87, branch: 83 }, // 90.6 / 86.7
  "lib/ledger": { line: 93, branch: 77 }, // 96.7 / 80.9
  "lib/legacy": { line: 95, branch: 95 }, // 100 / 100
  "lib/math": { line: 95, branch: 88 }, // 97.9 / 91.9
  "lib/plots": { line: 96, branch: 90 }, // 99.5 / 94.1
  "lib/report": { line: 89, branch: 67 }, // 92.6 / 70.7
  "lib/spans": { line: 95, branch: 86 }, // 98.0 / 89.5
};

/** The floor of a folder that {@linkcode FLOORS} does not list yet (a new folder). */
export const DEFAULT_FLOOR = { line: 80, branch: 70 } as const;

/**
 * Per source file, the line and branch counts of an lcov report (the `SF`, `LF`, `LH`, `BRF`
 * and `BRH` records; a file listed twice is summed).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { parseLcov } from "./coverage.ts";
 * const lcov = "SF:/r/lib/a.ts\nLF:10\nLH:9\nBRF:4\nBRH:3\nend_of_record\n";
 * deepEqual(parseLcov(lcov).get("/r/lib/a.ts"),
 *   { lines: 10, linesHit: 9, branches: 4, branchesHit: 3 });
 * ```
 */
export function parseLcov(text: string): Map<string, Counts> {
  const files = new Map<string, Counts>();
  let current: Counts | null = null;
  const keys: Record<string, keyof Counts> = {
    LF: "lines",
    LH: "linesHit",
    BRF: "branches",
    BRH: "branchesHit",
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const colon = line.indexOf(":");
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (tag === "SF") {
      const path = value.startsWith("file:") ? fileURLToPath(value) : value;
      current = files.get(path) ?? { lines: 0, linesHit: 0, branches: 0, branchesHit: 0 };
      files.set(path, current);
    } else if (tag === "end_of_record") {
      current = null;
    } else if (current && tag in keys) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) {
        throw new Error(`Cannot read the lcov record "${line}": expected a whole number`);
      }
      current[keys[tag]] += n;
    }
  }
  return files;
}

/**
 * The folder a `lib/` file is reported under: its first folder below `lib/`, or `lib` for the
 * files directly in it; null for a file outside `lib/` or a doc example's generated module.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { folderOf } from "./coverage.ts";
 * equal(folderOf("lib/fetch/connectors/mysql.ts"), "lib/fetch");
 * equal(folderOf("lib/config.ts"), "lib");
 * equal(folderOf("tasks/demo.ts"), null);
 * equal(folderOf("lib/fs.ts$12-20.ts"), null);
 * ```
 */
export function folderOf(path: string): string | null {
  const parts = path.split(/[\\/]/);
  if (parts[0] !== "lib" || !/^[\w.-]+\.ts$/.test(parts.at(-1) ?? "")) return null;
  return parts.length === 2 ? "lib" : `lib/${parts[1]}`;
}

/** One folder's row of the table. */
export interface FolderRow extends Counts {
  folder: string;
  files: number;
}

/**
 * Sums per-file counts (paths relative to the repository) into one row per folder, sorted.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { byFolder } from "./coverage.ts";
 * const c = (l: number, h: number) => ({ lines: l, linesHit: h, branches: 2, branchesHit: 1 });
 * deepEqual(byFolder(new Map([["lib/math/a.ts", c(10, 5)], ["lib/math/b.ts", c(10, 10)],
 *   ["tests/x_test.ts", c(1, 1)]])),
 *   [{ folder: "lib/math", files: 2, lines: 20, linesHit: 15, branches: 4, branchesHit: 2 }]);
 * ```
 */
export function byFolder(files: ReadonlyMap<string, Counts>): FolderRow[] {
  const rows = new Map<string, FolderRow>();
  for (const [path, c] of files) {
    const folder = folderOf(path);
    if (folder === null) continue;
    const row = rows.get(folder) ??
      { folder, files: 0, lines: 0, linesHit: 0, branches: 0, branchesHit: 0 };
    row.files += 1;
    row.lines += c.lines;
    row.linesHit += c.linesHit;
    row.branches += c.branches;
    row.branchesHit += c.branchesHit;
    rows.set(folder, row);
  }
  return [...rows.values()].sort((a, b) => a.folder.localeCompare(b.folder));
}

/** Percent with one decimal, rounded down (a floor is met only when really met); 100 when none. */
function percent(hit: number, found: number): number {
  return found === 0 ? 100 : Math.floor((hit / found) * 1000) / 10;
}

/**
 * The folders below their floor, one message each: folder, measure, found and floor.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { belowFloor } from "./coverage.ts";
 * const row = { folder: "lib/math", files: 1, lines: 100, linesHit: 89, branches: 10, branchesHit: 9 };
 * deepEqual(belowFloor([row], { "lib/math": { line: 90, branch: 90 } }),
 *   ["lib/math: line coverage 89% is below its floor of 90% (tasks/coverage.ts FLOORS)"]);
 * deepEqual(belowFloor([row], { "lib/math": { line: 89, branch: 90 } }), []);
 * ```
 */
export function belowFloor(
  rows: readonly FolderRow[],
  floors: Readonly<Record<string, { line: number; branch: number }>> = FLOORS,
): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const floor = floors[r.folder] ?? DEFAULT_FLOOR;
    const measures = [
      ["line", percent(r.linesHit, r.lines), floor.line],
      ["branch", percent(r.branchesHit, r.branches), floor.branch],
    ] as const;
    for (const [what, found, min] of measures) {
      if (found < min) {
        out.push(
          `${r.folder}: ${what} coverage ${found}% is below its floor of ${min}% (tasks/coverage.ts FLOORS)`,
        );
      }
    }
  }
  return out;
}

/**
 * The table `deno task test` prints: per folder, files, line and branch coverage with counts,
 * and the floors; then the total.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { coverageTable } from "./coverage.ts";
 * const row = { folder: "lib/math", files: 2, lines: 200, linesHit: 190, branches: 40, branchesHit: 36 };
 * match(coverageTable([row], { "lib/math": { line: 90, branch: 85 } }),
 *   /lib\/math +2 +95\.0% +190\/200 +90\.0% +36\/40 +90% \/ 85%/);
 * ```
 */
export function coverageTable(
  rows: readonly FolderRow[],
  floors: Readonly<Record<string, { line: number; branch: number }>> = FLOORS,
): string {
  const total = rows.reduce(
    (t, r) => ({
      ...t,
      files: t.files + r.files,
      lines: t.lines + r.lines,
      linesHit: t.linesHit + r.linesHit,
      branches: t.branches + r.branches,
      branchesHit: t.branchesHit + r.branchesHit,
    }),
    { folder: "all of lib/", files: 0, lines: 0, linesHit: 0, branches: 0, branchesHit: 0 },
  );
  const cells = (r: FolderRow, floor: string) => [
    r.folder,
    String(r.files),
    `${percent(r.linesHit, r.lines).toFixed(1)}%`,
    `${r.linesHit}/${r.lines}`,
    `${percent(r.branchesHit, r.branches).toFixed(1)}%`,
    `${r.branchesHit}/${r.branches}`,
    floor,
  ];
  const body = [
    ["folder", "files", "lines", "", "branches", "", "floor line / branch"],
    ...rows.map((r) => {
      const f = floors[r.folder] ?? DEFAULT_FLOOR;
      return cells(r, `${f.line}% / ${f.branch}%${floors[r.folder] ? "" : " (default)"}`);
    }),
    cells(total, ""),
  ];
  const widths = body[0].map((_, i) => Math.max(...body.map((row) => row[i].length)));
  return body.map((row) =>
    row.map((c, i) => i === 0 || i === 6 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ")
      .trimEnd()
  ).join("\n");
}

/** The `lib/` TypeScript files under `root`, relative to it. */
async function libFiles(root: string, dir = "lib"): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(resolve(root, dir))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await libFiles(root, path));
    else if (e.isFile && e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

if (import.meta.main) {
  await runMain(async () => {
    const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
    const { positionals } = taskArgs(COVERAGE_TASK);
    const dir = resolve(positionals[0] ?? "var/coverage");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["coverage", "--lcov", `--include=^file:.*/lib/`, dir],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    if (!out.success) {
      const lines = dec.decode(out.stderr).split("\n").map((l) => l.trim());
      const why = lines.find((l) => l.startsWith("error:"))?.slice(6).trim() ?? lines[0];
      if (why === "No covered files included in the report") {
        throw new Error(`Cannot report coverage: no lib/ file in the profiles of "${dir}"`);
      }
      throw new Error(
        `Cannot read the coverage profiles in "${dir}": ${why} (run deno test --coverage=${dir} first)`,
      );
    }
    const files = new Map<string, Counts>();
    for (const [path, c] of parseLcov(dec.decode(out.stdout))) {
      files.set(relative(root, path).split("\\").join("/"), c);
    }
    const rows = byFolder(files);
    if (rows.length === 0) {
      throw new Error(`Cannot report coverage: no lib/ file in the profiles of "${dir}"`);
    }
    console.log(`Coverage of lib/ (unit tests and doc examples; profiles in ${dir}):`);
    console.log(coverageTable(rows));
    const unloaded = (await libFiles(root)).filter((f) => !files.has(f));
    if (unloaded.length > 0) {
      console.log(`No test loads ${unloaded.length} lib/ files: ${unloaded.join(", ")}`);
    }
    const low = belowFloor(rows);
    if (low.length > 0) {
      for (const line of low) console.error(line);
      throw new Error(
        `coverage of ${low.length} folder measures is below its floor (listed above)`,
      );
    }
  });
}
