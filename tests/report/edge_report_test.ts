import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Duck } from "../../lib/db/duckdb.ts";
import { loadSitesConfig } from "../../lib/config.ts";
import { runPipeline } from "../../lib/pipeline.ts";
import { collectSiteReport, renderSiteReport } from "../../lib/report/site_report.ts";
import { collectAllSites } from "../../lib/report/all_sites_report.ts";
import { hoursByNodeType, siteHeadline } from "../../lib/report/data.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";

Deno.test("the report of an Edge site leads with devices: device-hours by machine type and the committed share", async () => {
  const { snapshot } = await demoSnapshot("edge");
  const out = await Deno.makeTempDir({ prefix: "ledger-edge-report-" });
  try {
    const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
    const site = { ...config.sites.get("edge")!, inputDir: snapshot.inputDir, outputDir: out };
    await runPipeline(site);
    using db = await Duck.open();
    equal(await siteHeadline(db, out), "devices");
    const input = await collectSiteReport(site);
    equal(input.headline, "devices");
    const year = input.years.find((y) => y.year === 2025)!;
    ok(year.total > 0 && year.committed > 0, "the utilization is in device-hours");
    // The table is the hours of hours.parquet for the headline year, per machine type.
    deepEqual(
      input.byNodeType,
      await hoursByNodeType(db, out, { resource: "devices", period: "year", start: "2025-01-01" }),
    );
    deepEqual(
      input.byNodeType.map((r) => r.node_type).sort(),
      ["container", "jetson-nano", "jetson-xavier-nx", "raspberrypi4-64", "raspberrypi5"],
    );
    const sum = input.byNodeType.reduce((a, r) => a + r.committed, 0);
    ok(Math.abs(sum - year.committed) < 1e-6, `${sum} vs ${year.committed}`);
    for (const r of input.byNodeType) {
      ok(r.reservable <= r.total && r.committed <= r.total, r.node_type);
      ok(r.committed_share !== null && r.committed_share > 0 && r.committed_share < 1);
    }
    const page = renderSiteReport(input);
    match(page, /devices enrolled in Blazar, on average/);
    match(page, /Device-hours by machine type, 2025/);
    match(page, /only each device's current reservable flag/);
    const charts = [...page.matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1]);
    ok(charts.includes("Devices"), charts.join(" | "));
    equal(charts.includes("Nodes"), false, "an Edge site has no node chart");
    match(page, /Devices per machine type/);
    const all = await collectAllSites({
      ...config,
      sites: new Map([["edge", site]]),
    });
    equal(all.sites[0].resource, "devices");
    deepEqual(all.sites[0].year, input.years.find((y) => y.year === all.sites[0].year?.year));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
