/**
 * `deno task demo`: the main job on the bundled demo sites: a bare-metal one (`demo`, profile
 * `demo`), a KVM one (`kvm`, profile `kvm`) and an Edge one of devices and containers (`edge`,
 * profile `edge`). For each (or the one `--site` names): generates its source database if it is
 * missing, fetches it like a MySQL server (01), runs the pipeline (02-04) and the report; then
 * writes the all-sites report, and prints where the results are.
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
export const DEMO_SITES = [
  { key: "demo", profile: "demo", dir: "var/demo" },
  { key: "kvm", profile: "kvm", dir: "var/kvm" },
  { key: "edge", profile: "edge", dir: "var/edge" },
] as const;

/** Flags and help of the task. */
export const DEMO_TASK = {
  name: "demo",
  summary:
    "The main job on the bundled demo sites (bare-metal demo, KVM kvm, Edge edge): generates var/<site>/source.duckdb if it is missing, fetches it (01), runs the pipeline (02-04) and the report, writes the all-sites report, and prints where the results are.",
  flags: {
    config: CONFIG_FLAG,
    site: {
      ...SITE_FLAG,
      help: "only this bundled demo site (demo, kvm or edge)",
      defaultText: "each that the sites file lists",
    },
    out: {
      type: "string",
      value: "FILE",
      default: "output/report.html",
      help: "where the all-sites report goes (relative to the working directory)",
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
  const only = values.site === undefined ? null : parseSiteKey("--site", values.site);
  const demos = DEMO_SITES.filter((d) => only === null ? config.sites.has(d.key) : d.key === only);
  if (demos.length === 0) {
    throw new Error(
      `Cannot run the demo: expected --site ${
        DEMO_SITES.map((d) => d.key).join(" or ")
      } (a bundled demo site the sites file lists), found ${only ?? "none in the file"}`,
    );
  }
  for (const demo of demos) {
    const site = requireSecrets(selectSite(config, demo.key));
    const source = join(demo.dir, "source.duckdb");
    if (!(await exists(source))) {
      say(`generating the ${demo.key} site (profile ${demo.profile}) ...`);
      await generateDemoSite(demo.dir, { profile: demo.profile });
    }
    say(`${demo.key}: 01 fetch ...`);
    const fetched = await fetchSite(site);
    if (fetched.failures.length > 0) throw new Error(fetched.failures[0]);
    const run = await runPipeline(site, {
      log: (line) => say(`${demo.key}: ${line}`),
      notice: (line) => console.error(`demo ${line}`),
      holder: "deno task demo",
      beforePublish: reportHook(site, say),
    });
    console.log(`demo site "${site.siteName}" (as_of ${run.as_of}) done in ${elapsed()}`);
    console.log(`outputs: ${site.outputDir} (run ${run.run_id})`);
    console.log(`report: ${join(site.outputDir, OUTPUT_FILES.report)}`);
  }
  const all = await writeAllSitesReport(config, fromWorkingDir(values.out));
  for (const s of all.skipped) console.error(`note: site "${s.site}" left out: ${s.reason}`);
  console.log(`all-sites report: ${all.path} (${all.sites.length} sites)`);
});
