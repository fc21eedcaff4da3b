/**
 * `deno task notebooks --site KEY [--config etc/sites.yaml] [--only 02,03] [--fetch]
 * [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--bucket day|week|month]`
 *
 * Installs the Deno Jupyter kernel if needed, executes notebooks 01-04 headless with Debian's
 * nbconvert for the site and exports each as `<output_dir>/<notebook>.html`. Notebook 01 fetches
 * when `--fetch` is given or when the site has no snapshot yet; otherwise it lists the snapshots.
 * Any cell error fails the task, naming the notebook and the cell.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { checkDateFlags, runMain } from "../lib/cli.ts";
import { loadSitesConfig, selectSite } from "../lib/config.ts";
import { snapshotDates } from "../lib/fetch/manifest.ts";
import { ensureDenoKernel, executeNotebook, NOTEBOOKS } from "../lib/report/notebooks.ts";
import { exploreLabel, setDirOf } from "../lib/pipeline.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string" },
      only: { type: "string" },
      fetch: { type: "boolean", default: false },
      start: { type: "string" },
      end: { type: "string" },
      bucket: { type: "string" },
    },
    strict: true,
  });
  if (!values.site) throw new Error("Cannot run the notebooks: expected --site KEY");
  checkDateFlags("run the notebooks", { start: values.start, end: values.end });
  if (values.bucket && !["day", "week", "month"].includes(values.bucket)) {
    throw new Error(
      `Cannot run the notebooks: expected --bucket day, week or month, found "${values.bucket}"`,
    );
  }
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
  const configPath = resolve(values.config);
  const config = await loadSitesConfig(configPath);
  const site = selectSite(config, values.site);
  const quiet = Deno.env.get("CI") === "true";
  const say = (line: string) => console.error(`notebooks site=${site.key} ${line}`);
  if (await ensureDenoKernel()) say(`installed the Jupyter kernel for ${Deno.execPath()}`);
  const fetch = values.fetch || (await snapshotDates(site.inputDir)).length === 0;
  const env: Record<string, string> = {
    LEDGER_ROOT: Deno.cwd(),
    LEDGER_SITE: site.key,
    LEDGER_CONFIG: configPath,
    LEDGER_FETCH: fetch ? "1" : "0",
  };
  if (values.start) env.LEDGER_START = values.start;
  if (values.end) env.LEDGER_END = values.end;
  if (values.bucket) env.LEDGER_BUCKET = values.bucket;
  // Another window explores: the notebooks compute and export under explore/<label>/, never over
  // the site's own outputs (docs/decisions/0011-output-sets.md).
  const label = exploreLabel({ start: values.start, end: values.end });
  const htmlDir = setDirOf(site.outputDir, label);
  if (label) {
    say(`exploring: window [${values.start ?? "first"}, ${values.end ?? "as_of"}) in ${htmlDir}`);
  }
  const t0 = performance.now();
  for (const name of names) {
    const tick = Deno.stderr.isTerminal() && !quiet
      ? setInterval(() => {
        const s = ((performance.now() - t0) / 1000).toFixed(0);
        Deno.stderr.writeSync(new TextEncoder().encode(`\rnotebooks ${name} running ... ${s} s`));
      }, 1000)
      : undefined;
    try {
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
