/**
 * `deno task demo`: the main job on the bundled demo sites. For each of them (`demo`, a
 * bare-metal site, and `edge`, an Edge site of devices and containers; or only `--site`):
 * generates its source database if it is missing, fetches it like a MySQL server (01), runs the
 * pipeline (02-04) and the report; then writes the all-sites report and prints where the
 * results are.
 *
 * @module
 */
import { exists } from "../lib/fs.ts";
import { generateDemoSite } from "../lib/demo/generate.ts";
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import { requireSecrets, selectSite } from "../lib/config.ts";
import { CONFIG_FLAG, fromWorkingDir, parseSiteKey, SITE_FLAG, taskArgs } from "../lib/params.ts";
import { fetchSite } from "../lib/fetch/fetch.ts";
import { join } from "node:path";
import { OUTPUT_FILES, runPipeline } from "../lib/pipeline.ts";
import { reportHook } from "../lib/report_hook.ts";
import { writeAllSitesReport } from "../lib/report/all_sites_report.ts";

/** The bundled demo sites: their key in etc/sites.yaml, generator profile and directory. */
export const BUNDLED_SITES = [
  { key: "demo", profile: "demo", dir: "var/demo" },
  { key: "edge", profile: "edge", dir: "var/edge" },
] as const;

/** Flags and help of the task. */
export const DEMO_TASK = {
  name: "demo",
  summary:
    "The main job on the bundled demo sites (demo: bare metal; edge: devices and containers): generates var/<site>/source.duckdb if it is missing, fetches it (01), runs the pipeline (02-04) and the report of each, then the all-sites report, and prints where the results are.",
  flags: {
    config: CONFIG_FLAG,
    site: {
      ...SITE_FLAG,
      help: "only this site (a bundled one is generated if missing)",
      defaultText: "every bundled demo site in the sites file",
    },
  },
  example: "deno task demo",
} as const;

await runMain(async () => {
  const { values } = taskArgs(DEMO_TASK);
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const quiet = Deno.env.get("CI") === "true";
  const say = (line: string) => {
    if (!quiet) console.error(`demo ${line} (${elapsed()})`);
  };
  const config = await loadTaskConfig(fromWorkingDir(values.config));
  const keys = values.site !== undefined
    ? [parseSiteKey("--site", values.site)]
    : BUNDLED_SITES.map((b) => b.key).filter((k) => config.sites.has(k));
  for (const key of keys) {
    const site = requireSecrets(selectSite(config, key));
    const bundled = BUNDLED_SITES.find((b) => b.key === key);
    if (bundled && !(await exists(join(bundled.dir, "source.duckdb")))) {
      say(`generating the ${key} site (profile ${bundled.profile}, seed 42) ...`);
      await generateDemoSite(bundled.dir, { profile: bundled.profile });
    }
    say(`${key}: 01 fetch ...`);
    const fetched = await fetchSite(site);
    if (fetched.failures.length > 0) throw new Error(fetched.failures[0]);
    const run = await runPipeline(site, {
      log: (line) => say(`${key}: ${line}`),
      notice: (line) => console.error(`demo ${key}: ${line}`),
      holder: "deno task demo",
      beforePublish: reportHook(site, say),
    });
    console.log(`demo site "${site.siteName}" (as_of ${run.as_of}) done in ${elapsed()}`);
    console.log(`outputs: ${site.outputDir} (run ${run.run_id})`);
    console.log(`report: ${join(site.outputDir, OUTPUT_FILES.report)}`);
  }
  if (values.site === undefined) {
    const all = await writeAllSitesReport(config, fromWorkingDir("output/report.html"));
    console.log(`all-sites report: ${all.path} (${all.sites.length} sites)`);
  }
});
