/**
 * `deno task report --site KEY [--config etc/sites.yaml]`: writes the site's self-contained
 * `report.html` from its output directory (the pipeline's last step, also on its own).
 * `deno task report --all [--out output/report.html]`: the all-sites report, with the cross-site
 * chart, from every site of the config that has outputs.
 *
 * @module
 */
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import { selectSite } from "../lib/config.ts";
import { CONFIG_FLAG, fromWorkingDir, parseSiteKey, SITE_FLAG, taskArgs } from "../lib/params.ts";
import { writeSiteReport } from "../lib/report/site_report.ts";
import { writeAllSitesReport } from "../lib/report/all_sites_report.ts";

/** Flags and help of the task. */
export const REPORT_TASK = {
  name: "report",
  summary:
    "Writes the site's self-contained report.html from its output_dir (--site), or the all-sites report with the cross-site chart from every site that has outputs (--all). Needs no database password.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, help: "the site whose report to write (this or --all)" },
    all: { type: "boolean", help: "the all-sites report instead of one site's" },
    out: {
      type: "string",
      value: "FILE",
      default: "output/report.html",
      help: "where --all writes (relative to the working directory)",
    },
  },
  example: "deno task report --site demo",
} as const;

await runMain(async () => {
  const { values } = taskArgs(REPORT_TASK);
  if (values.all === (values.site !== undefined)) {
    throw new Error("Cannot write a report: expected either --site KEY or --all");
  }
  const config = await loadTaskConfig(fromWorkingDir(values.config));
  if (values.site) {
    const site = selectSite(config, parseSiteKey("--site", values.site));
    console.log(`report: ${await writeSiteReport(site)}`);
    return;
  }
  const r = await writeAllSitesReport(config, fromWorkingDir(values.out));
  for (const s of r.skipped) console.error(`note: site "${s.site}" left out: ${s.reason}`);
  console.log(`report: ${r.path} (${r.sites.length} sites)`);
});
