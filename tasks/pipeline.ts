/**
 * `deno task pipeline --config etc/sites.yaml --site KEY [--start YYYY-MM-DD] [--end YYYY-MM-DD]
 * [--snapshot YYYY-MM-DD]`: stages 02-04 and the report from the newest snapshot in the site's
 * `input_dir`, writing into its `output_dir` (docs/design.md §3).
 *
 * @module
 */
import { join } from "node:path";
import { selectSite } from "../lib/config.ts";
import { OUTPUT_FILES, runPipeline } from "../lib/pipeline.ts";
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import {
  checkRunFlags,
  CONFIG_FLAG,
  parseDate,
  SITE_FLAG,
  taskArgs,
  WINDOW_FLAGS,
} from "../lib/params.ts";
import { reportHook } from "../lib/report_hook.ts";

/** Flags and help of the task. */
export const PIPELINE_TASK = {
  name: "pipeline",
  summary:
    "Runs stages 02 spans, 03 ledger and 04 legacy comparison and writes the report, from the site's newest snapshot (or --snapshot) into its output_dir. Needs no database password.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, help: "the site to run", required: true },
    ...WINDOW_FLAGS,
    snapshot: {
      type: "string",
      value: "YYYY-MM-DD",
      help: "the snapshot (fetch date) to read",
      defaultText: "the newest in input_dir",
    },
    quiet: { type: "boolean", help: "no progress lines on stderr (also when CI=true)" },
  },
  example: "deno task pipeline --site demo --start 2025-01-01 --end 2026-01-01",
} as const;

await runMain(async () => {
  const { values } = taskArgs(PIPELINE_TASK);
  const p = checkRunFlags("run the pipeline", values);
  parseDate("--snapshot", values.snapshot);
  const config = await loadTaskConfig(p.config);
  const site = selectSite(config, p.site);
  const quiet = values.quiet || Deno.env.get("CI") === "true" || !Deno.stderr.isTerminal();
  const log = quiet
    ? () => {}
    : (line: string) => console.error(`pipeline site=${site.key} ${line}`);
  // One output set: the stages and the report write into a new set, published in one step.
  const run = await runPipeline(site, {
    start: p.start,
    end: p.end,
    snapshotDate: values.snapshot,
    log,
    notice: (line) => console.error(`pipeline site=${site.key} ${line}`),
    holder: `deno task pipeline --site ${site.key}`,
    beforePublish: reportHook(site, log),
  });
  for (const n of run.notes) console.error(`note: ${n}`);
  console.log(`outputs: ${site.outputDir} (run ${run.run_id})`);
  console.log(`report: ${join(site.outputDir, OUTPUT_FILES.report)}`);
});
