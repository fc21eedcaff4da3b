/**
 * `deno task demo`: the main job on the bundled demo site. Generates the demo source database if
 * it is missing, fetches it like a MySQL server (01), runs the pipeline (02-04) and the report,
 * and prints where the result is.
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

/** Flags and help of the task. */
export const DEMO_TASK = {
  name: "demo",
  summary:
    "The main job on the bundled demo site: generates var/demo/source.duckdb if it is missing, fetches it (01), runs the pipeline (02-04) and the report, and prints where the result is.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, default: "demo" },
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
  const site = requireSecrets(selectSite(config, parseSiteKey("--site", values.site)));
  const source = "var/demo/source.duckdb";
  if (!(await exists(source))) {
    say("generating the demo site (profile demo, seed 42) ...");
    await generateDemoSite("var/demo", { profile: "demo" });
  }
  say("01 fetch ...");
  const fetched = await fetchSite(site);
  if (fetched.failures.length > 0) throw new Error(fetched.failures[0]);
  const run = await runPipeline(site, {
    log: say,
    notice: (line) => console.error(`demo ${line}`),
    holder: "deno task demo",
    beforePublish: reportHook(site, say),
  });
  console.log(`demo site "${site.siteName}" (as_of ${run.as_of}) done in ${elapsed()}`);
  console.log(`outputs: ${site.outputDir} (run ${run.run_id})`);
  console.log(`report: ${join(site.outputDir, OUTPUT_FILES.report)}`);
});
