/**
 * `deno task report --site KEY [--config etc/sites.yaml]`: writes the site's self-contained
 * `report.html` from its output directory (the pipeline's last step, also on its own).
 * `deno task report --all [--out output/report.html]`: the all-sites report, with the cross-site
 * chart, from every site of the config that has outputs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runMain } from "../lib/cli.ts";
import { loadSitesConfig, selectSite } from "../lib/config.ts";
import { writeSiteReport } from "../lib/report/site_report.ts";
import { writeAllSitesReport } from "../lib/report/all_sites_report.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string" },
      all: { type: "boolean", default: false },
      out: { type: "string", default: "output/report.html" },
    },
    strict: true,
  });
  const config = await loadSitesConfig(values.config);
  if (values.all === (values.site !== undefined)) {
    throw new Error("Cannot write a report: expected either --site KEY or --all");
  }
  if (values.site) {
    console.log(`report: ${await writeSiteReport(selectSite(config, values.site))}`);
    return;
  }
  const r = await writeAllSitesReport(config, values.out);
  for (const s of r.skipped) console.error(`note: site "${s.site}" left out: ${s.reason}`);
  console.log(`report: ${r.path} (${r.sites.length} sites)`);
});
