/**
 * Headless execution of the numbered notebooks and their HTML export (docs/design.md §2, report stage).
 *
 * | step | how |
 * |---|---|
 * | kernel | a kernelspec `deno-ledger` whose command is this very Deno binary (`deno jupyter --install --name deno-ledger`), installed when missing or pointing elsewhere; the analysts' own `deno` kernelspec is left alone |
 * | execute | `nbexec.py` (nbclient, as `/usr/bin/python3 -m nbconvert --to notebook --execute --allow-errors`), with the site's parameters in the environment (`LEDGER_SITE`, `LEDGER_CONFIG`, `LEDGER_ROOT`, ...) |
 * | check | the executed notebook is read back: the first cell with an error output fails the run, naming notebook, cell number and the cell's first line; a cell that calls `Deno.jupyter` but got no output (the kernel can report a cell idle before its display arrives) is a lost display: the notebook is executed once more, then it fails |
 * | export | by `nbexec.py` in the same Python, as `nbconvert --to html --template offline` would (`lib/report/nbconvert/`: the lab template without require.js and MathJax, so the page opens offline), into the site's output dir, by atomic rename |
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { atomicWrite } from "../fs.ts";

/** The notebooks, in pipeline order. */
export const NOTEBOOKS = [
  "01_fetch",
  "02_spans",
  "03_ledger",
  "04_compare_legacy",
] as const;

/**
 * The notebooks in waves: the notebooks of a wave run at the same time (each in its own kernel),
 * a wave after the one before. Notebook 01 only lists snapshots when it does not fetch, so it runs
 * beside the next one; 03 and 04 only read the site's set once 02 has just made it (without
 * another window, which 03 and 04 would each compute), so they run side by side. Everything else
 * runs in order.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { NOTEBOOKS, notebookWaves } from "./notebooks.ts";
 * deepEqual(notebookWaves(NOTEBOOKS, { fetch: false, exploring: false }),
 *   [["01_fetch", "02_spans"], ["03_ledger", "04_compare_legacy"]]);
 * deepEqual(notebookWaves(NOTEBOOKS, { fetch: true, exploring: true }),
 *   [["01_fetch"], ["02_spans"], ["03_ledger"], ["04_compare_legacy"]]);
 * deepEqual(notebookWaves(["03_ledger", "04_compare_legacy"], { fetch: false, exploring: false }),
 *   [["03_ledger"], ["04_compare_legacy"]]);
 * ```
 */
export function notebookWaves(
  names: readonly string[],
  options: { fetch: boolean; exploring: boolean },
): string[][] {
  const waves: string[][] = [];
  for (const name of names) {
    const last = waves.at(-1);
    const only = last?.length === 1 ? last[0] : null;
    const madeBefore = waves.slice(0, -1).some((w) => w.includes("02_spans"));
    if (only === "01_fetch" && !options.fetch) last!.push(name);
    else if (
      only === "03_ledger" && name === "04_compare_legacy" && madeBefore && !options.exploring
    ) last!.push(name);
    else waves.push([name]);
  }
  return waves;
}

/** Name of the kernelspec the task installs and uses. */
export const KERNEL_NAME = "deno-ledger";

/** The Python that runs nbconvert: Debian's, whatever `python3` is first on the PATH. */
export const PYTHON = "/usr/bin/python3";

/** nbconvert templates of this project: `offline` is the lab template without scripts. */
const TEMPLATES = fileURLToPath(new URL("./nbconvert", import.meta.url));

/** The executor: nbclient, keeping outputs the Deno kernel sends late (see its docstring). */
const NBEXEC = fileURLToPath(new URL("./nbexec.py", import.meta.url));

/** A code cell of an executed notebook, as nbformat 4 stores it. */
export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; ename?: string; evalue?: string }[];
}

function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** What went wrong in an executed notebook, or null. */
export interface NotebookProblem {
  kind: "error" | "lost_display";
  /** 1-based number among the notebook's code cells. */
  cell: number;
  /** First non-empty line of the cell's source. */
  line: string;
  message: string;
}

/**
 * Finds the first failed cell, or else the first cell that displays through `Deno.jupyter` but
 * has no output, in an executed notebook's JSON.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { notebookProblem } from "./notebooks.ts";
 * const nb = { cells: [
 *   { cell_type: "code", source: "const a = 1;", outputs: [] },
 *   { cell_type: "code", source: ["// step\n", "boom();"], outputs: [
 *     { output_type: "error", ename: "ReferenceError", evalue: "boom is not defined" }] },
 * ] };
 * deepEqual(notebookProblem(nb), { kind: "error", cell: 2, line: "// step",
 *   message: "ReferenceError: boom is not defined" });
 * ```
 */
export function notebookProblem(notebook: { cells: NotebookCell[] }): NotebookProblem | null {
  const code = notebook.cells.filter((c) => c.cell_type === "code");
  let lost: NotebookProblem | null = null;
  for (let i = 0; i < code.length; i++) {
    const src = sourceOf(code[i]);
    const line = src.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
    const outputs = code[i].outputs ?? [];
    const err = outputs.find((o) => o.output_type === "error");
    if (err) {
      return {
        kind: "error",
        cell: i + 1,
        line,
        message: `${err.ename ?? "Error"}: ${(err.evalue ?? "").split("\n")[0]}`,
      };
    }
    if (
      !lost && outputs.length === 0 && /Deno\.jupyter\.(html|display|md|svg)\b|\bshow\(/.test(src)
    ) {
      lost = { kind: "lost_display", cell: i + 1, line, message: "the cell displayed nothing" };
    }
  }
  return lost;
}

async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  let out;
  try {
    out = await new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(`Cannot run "${cmd}": ${(e as Error).message}`);
  }
  const dec = new TextDecoder();
  return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim() !== "").at(-1) ?? "";
}

/**
 * Installs the `deno-ledger` kernelspec for this Deno binary unless it is already there; returns
 * whether it installed. Fails with one line when Jupyter is not installed.
 *
 * @example
 * ```ts ignore
 * await ensureDenoKernel();
 * ```
 */
export async function ensureDenoKernel(): Promise<boolean> {
  const list = await run(PYTHON, ["-m", "jupyter_client.kernelspecapp", "list", "--json"]);
  if (!list.ok) {
    throw new Error(
      `Cannot list Jupyter kernels with "${PYTHON}": ${
        lastLine(list.stderr)
      } (install Debian's jupyter-nbconvert and python3-ipykernel)`,
    );
  }
  const specs = JSON.parse(list.stdout) as {
    kernelspecs: Record<string, { spec: { argv: string[] } }>;
  };
  const argv0 = specs.kernelspecs[KERNEL_NAME]?.spec.argv[0];
  const real = (p: string) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return null;
    }
  };
  if (argv0 && real(argv0) !== null && real(argv0) === real(Deno.execPath())) return false;
  const inst = await run(Deno.execPath(), [
    "jupyter",
    "--install",
    "--force",
    "--name",
    KERNEL_NAME,
    "--display",
    "Deno (usage ledger)",
  ]);
  if (!inst.ok) {
    throw new Error(`Cannot install the Deno Jupyter kernel: ${lastLine(inst.stderr)}`);
  }
  return true;
}

/** Options of {@linkcode executeNotebook}. */
export interface ExecuteOptions {
  /** Where the HTML goes (`<name>.html`). */
  outputDir: string;
  /** Parameters for the notebook's first cell, e.g. `LEDGER_SITE`. */
  env: Record<string, string>;
  /** Seconds a cell may run. @default {1200} */
  cellTimeout?: number;
  /** Executions when a display is lost. @default {2} */
  attempts?: number;
}

/** What {@linkcode executeNotebook} did. */
export interface ExecuteResult {
  notebook: string;
  html: string;
  seconds: number;
  attempts: number;
  /** Outputs the kernel sent after reporting their cell idle, kept by `nbexec.py`. */
  lateOutputs: number;
  /** Why the notebook was executed again, when it was. */
  retried?: string;
}

/**
 * Executes one notebook headless and exports it as HTML into `outputDir`; fails naming the
 * notebook and the cell that broke.
 *
 * @example
 * ```ts ignore
 * await executeNotebook("notebooks/02_spans.ipynb", { outputDir: "output/demo", env: { LEDGER_SITE: "demo" } });
 * ```
 */
export async function executeNotebook(
  path: string,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const name = basename(path, ".ipynb");
  const t0 = performance.now();
  const work = await Deno.makeTempDir({ prefix: `ledger-nb-${name}-` });
  try {
    const attempts = options.attempts ?? 2;
    let problem: NotebookProblem | null = null;
    let tries = 0;
    let retried: string | undefined;
    let late = 0;
    const executed = join(work, `${name}.ipynb`);
    // nbexec.py exports the HTML too, in the same Python (one start and one import of nbconvert).
    const exported = join(work, `${name}.html`);
    const env = { ...options.env, PYDEVD_DISABLE_FILE_VALIDATION: "1", NO_COLOR: "1" };
    for (tries = 1; tries <= attempts; tries++) {
      const ex = await run(PYTHON, [
        NBEXEC,
        resolve(path),
        executed,
        KERNEL_NAME,
        String(options.cellTimeout ?? 1200),
        exported,
        TEMPLATES,
      ], { env });
      if (!ex.ok) {
        throw new Error(`Cannot execute notebook "${name}": ${lastLine(ex.stderr)}`);
      }
      late += (JSON.parse(lastLine(ex.stdout) || "{}") as { late_outputs?: number }).late_outputs ??
        0;
      problem = notebookProblem(JSON.parse(await Deno.readTextFile(executed)));
      if (!problem || problem.kind === "error") break;
      retried ??= `cell ${problem.cell} ("${problem.line}") displayed nothing`;
    }
    if (problem) {
      throw new Error(
        `Notebook "${name}" failed at cell ${problem.cell} ("${problem.line}"): ${problem.message}`,
      );
    }
    await Deno.mkdir(options.outputDir, { recursive: true });
    const target = join(options.outputDir, `${name}.html`);
    await atomicWrite(target, (tmp) => Deno.copyFile(exported, tmp));
    return {
      notebook: name,
      html: target,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      attempts: Math.min(tries, attempts),
      lateOutputs: late,
      ...(retried ? { retried } : {}),
    };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
