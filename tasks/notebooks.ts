/**
 * `deno task notebooks --site KEY [--config etc/sites.yaml] [--only 02,03] [--fetch]
 * [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--bucket day|week|month]` (`--help` lists them)
 *
 * Installs the Deno Jupyter kernel if needed, executes notebooks 01-04 headless with Debian's
 * nbconvert for the site and exports each as `<output_dir>/<notebook>.html`; notebooks that do
 * not depend on each other run side by side (`notebookWaves`). Notebook 01 fetches
 * when `--fetch` is given or when the site has no snapshot yet; otherwise it lists the snapshots.
 * Any cell error fails the task, naming the notebook and the cell.
 *
 * @module
 */
import { join } from "node:path";
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import { selectSite } from "../lib/config.ts";
import {
  BUCKET_FLAG,
  checkRunFlags,
  CONFIG_FLAG,
  SITE_FLAG,
  taskArgs,
  WINDOW_FLAGS,
  workingDir,
} from "../lib/params.ts";
import { snapshotDates } from "../lib/fetch/manifest.ts";
import {
  ensureDenoKernel,
  executeNotebook,
  NOTEBOOKS,
  notebookWaves,
} from "../lib/report/notebooks.ts";
import { exploreLabel, setDirOf } from "../lib/pipeline.ts";

/** Flags and help of the task. */
export const NOTEBOOKS_TASK = {
  name: "notebooks",
  summary:
    "Executes notebooks 01-04 headless for a site (Jupyter with the Deno kernel) and exports each as <output_dir>/NN_name.html. Notebook 01 fetches with --fetch or when the site has no snapshot yet, else lists the snapshots.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, help: "the site to run", required: true },
    only: {
      type: "string",
      value: "NN[,NN]",
      help: "run only these notebooks, by number or name (02,03)",
      defaultText: "01,02,03,04",
    },
    fetch: { type: "boolean", help: "notebook 01 fetches a new snapshot" },
    ...WINDOW_FLAGS,
    bucket: BUCKET_FLAG,
  },
  example: "deno task notebooks --site demo --only 03 --start 2026-01-01 --end 2026-03-01",
} as const;

await runMain(async () => {
  const { values } = taskArgs(NOTEBOOKS_TASK);
  const p = checkRunFlags("run the notebooks", values);
  const names = values.only
    ? values.only.split(",").map((p) => {
      const n = NOTEBOOKS.find((x) => x === p || x.startsWith(`${p}_`));
      if (!n) {
        throw new Error(
          `Cannot run notebook "${p}": expected one of ${NOTEBOOKS.join(", ")} (or its number)`,
        );
      }
      return n;
    })
    : [...NOTEBOOKS];
  const config = await loadTaskConfig(p.config);
  const site = selectSite(config, p.site);
  const quiet = Deno.env.get("CI") === "true";
  const say = (line: string) => console.error(`notebooks site=${site.key} ${line}`);
  if (await ensureDenoKernel()) say(`installed the Jupyter kernel for ${Deno.execPath()}`);
  const fetch = values.fetch || (await snapshotDates(site.inputDir)).length === 0;
  const env: Record<string, string> = {
    LEDGER_ROOT: Deno.cwd(),
    LEDGER_CWD: workingDir(),
    LEDGER_SITE: site.key,
    LEDGER_CONFIG: p.config,
    LEDGER_FETCH: fetch ? "1" : "0",
  };
  if (p.start) env.LEDGER_START = p.start;
  if (p.end) env.LEDGER_END = p.end;
  if (p.bucket) env.LEDGER_BUCKET = p.bucket;
  // Another window explores: the notebooks compute and export under explore/<label>/, never over
  // the site's own outputs (docs/decisions/0011-output-sets.md).
  const label = exploreLabel({ start: p.start, end: p.end });
  const htmlDir = setDirOf(site.outputDir, label);
  if (label) {
    say(`exploring: window [${p.start ?? "first"}, ${p.end ?? "as_of"}) in ${htmlDir}`);
  }
  const t0 = performance.now();
  // Independent notebooks run side by side, each in its own kernel (notebookWaves).
  for (const wave of notebookWaves(names, { fetch, exploring: label !== null })) {
    const tick = Deno.stderr.isTerminal() && !quiet
      ? setInterval(() => {
        const s = ((performance.now() - t0) / 1000).toFixed(0);
        Deno.stderr.writeSync(
          new TextEncoder().encode(`\rnotebooks ${wave.join(", ")} running ... ${s} s`),
        );
      }, 1000)
      : undefined;
    try {
      const results = await Promise.allSettled(wave.map(async (name) => {
        const r = await executeNotebook(join("notebooks", `${name}.ipynb`), {
          outputDir: htmlDir,
          env,
        });
        if (tick !== undefined) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
        say(
          `notebook=${name} status=ok seconds=${r.seconds} late_outputs=${r.lateOutputs}${
            r.retried ? ` attempts=${r.attempts} retried="${r.retried}"` : ""
          } html=${r.html}`,
        );
      }));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    } finally {
      if (tick !== undefined) clearInterval(tick);
    }
  }
  console.log(
    `notebooks: ${names.length} executed in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s; HTML in ${htmlDir}`,
  );
});
