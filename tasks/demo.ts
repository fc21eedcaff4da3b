/**
 * `deno task demo`: the main job on the bundled demo site. Generates the demo source database if
 * it is missing, fetches it like a MySQL server (01), runs the pipeline (02-04) and the report,
 * and prints where the result is.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exists } from "../lib/fs.ts";
import { generateDemoSite } from "../lib/demo/generate.ts";
import { runMain } from "../lib/cli.ts";
import { loadSitesConfig, selectSite } from "../lib/config.ts";
import { fetchSite } from "../lib/fetch/fetch.ts";
import { runPipeline } from "../lib/pipeline.ts";
import { writeSiteReportIfAvailable } from "../lib/report_hook.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string", default: "demo" },
    },
    strict: true,
  });
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const quiet = Deno.env.get("CI") === "true";
  const say = (line: string) => {
    if (!quiet) console.error(`demo ${line} (${elapsed()})`);
  };
  const config = await loadSitesConfig(values.config);
  const site = selectSite(config, values.site);
  const source = "var/demo/source.duckdb";
  if (!(await exists(source))) {
    say("generating the demo site (profile demo, seed 42) ...");
    await generateDemoSite("var/demo", { profile: "demo" });
  }
  say("01 fetch ...");
  const fetched = await fetchSite(site);
  if (fetched.failures.length > 0) throw new Error(fetched.failures[0]);
  const run = await runPipeline(site, { log: say });
  const report = await writeSiteReportIfAvailable(config, site, say);
  console.log(`demo site "${site.siteName}" (as_of ${run.as_of}) done in ${elapsed()}`);
  console.log(`outputs: ${site.outputDir}`);
  console.log(`report: ${report}`);
});
