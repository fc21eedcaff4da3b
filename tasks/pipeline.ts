/**
 * `deno task pipeline --config etc/sites.yaml --site KEY [--start YYYY-MM-DD] [--end YYYY-MM-DD]
 * [--snapshot YYYY-MM-DD]`: stages 02-04 and the report from the newest snapshot in the site's
 * `input_dir`, writing into its `output_dir` (DESIGN §3).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadSitesConfig, selectSite } from "../lib/config.ts";
import { runPipeline } from "../lib/pipeline.ts";
import { checkDateFlags, runMain } from "../lib/cli.ts";
import { writeSiteReportIfAvailable } from "../lib/report_hook.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      snapshot: { type: "string" },
      quiet: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (!values.site) throw new Error("Cannot run the pipeline: expected --site KEY");
  checkDateFlags("run the pipeline", {
    start: values.start,
    end: values.end,
    snapshot: values.snapshot,
  });
  const config = await loadSitesConfig(values.config);
  const site = selectSite(config, values.site);
  const quiet = values.quiet || Deno.env.get("CI") === "true" || !Deno.stderr.isTerminal();
  const log = quiet
    ? () => {}
    : (line: string) => console.error(`pipeline site=${site.key} ${line}`);
  const run = await runPipeline(site, {
    start: values.start,
    end: values.end,
    snapshotDate: values.snapshot,
    log,
  });
  for (const n of run.notes) console.error(`note: ${n}`);
  const report = await writeSiteReportIfAvailable(config, site, log);
  console.log(`outputs: ${site.outputDir}`);
  console.log(`report: ${report}`);
});
