import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { loadSitesConfig } from "../../lib/config.ts";
import { runPipeline } from "../../lib/pipeline.ts";
import {
  chartBucket,
  collectSiteReport,
  renderSiteReport,
  writeSiteReport,
} from "../../lib/report/site_report.ts";
import { renderAllSitesReport, writeAllSitesReport } from "../../lib/report/all_sites_report.ts";
import { utilizationByYear } from "../../lib/report/data.ts";
import { LEAF_METRICS } from "../../lib/metrics.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { HOSTILE_HOST, HOSTILE_NAME, HOSTILE_TYPE, hostileSite } from "../_hostile_site.ts";

async function smallSite() {
  const { snapshot } = await demoSnapshot("small");
  const out = await Deno.makeTempDir({ prefix: "ledger-report-" });
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  const site = { ...config.sites.get("demo")!, inputDir: snapshot.inputDir, outputDir: out };
  await runPipeline(site);
  return { site, config, out };
}

Deno.test("writeSiteReport() writes a self-contained page with every section", async () => {
  const { site, out } = await smallSite();
  const path = await writeSiteReport(site);
  equal(path, join(out, "report.html"));
  const page = await Deno.readTextFile(path);
  for (
    const id of ["utilization", "usage", "invariants", "audit", "legacy", "made"]
  ) match(page, new RegExp(`<section id="${id}">`));
  match(page, /invariants hold/);
  match(page, /as_of 2026-06-01T00:00:00 UTC/);
  // Offline: no script, no external resource, no stylesheet link.
  equal(/<script/i.test(page), false);
  equal(/<link\b/i.test(page), false);
  equal(/(src|href)="https?:/i.test(page), false);
  ok((page.match(/<svg/g) ?? []).length >= 6, "charts are inline SVG");
  await Deno.remove(out, { recursive: true });
});

Deno.test("renderSiteReport() is deterministic: the same outputs give the same bytes", async () => {
  const { site, out } = await smallSite();
  const a = renderSiteReport(await collectSiteReport(site));
  const b = renderSiteReport(await collectSiteReport(site));
  equal(a, b);
  await Deno.remove(out, { recursive: true });
});

Deno.test("utilizationByYear() equals the node-hours of hours.parquet and its ratios", async () => {
  const { site, out } = await smallSite();
  using db = await Duck.open();
  const input = await collectSiteReport(site);
  const years = await utilizationByYear(db, out, input.run.window);
  ok(years.length >= 1);
  const expected = await db.json<{ year: number; metric: string; h: number }>(`
    SELECT year(period_start)::INTEGER AS year, metric, sum(hours)::DOUBLE AS h
    FROM read_parquet(${sqlLiteral(join(out, "hours.parquet"))})
    WHERE period = 'year' AND resource = 'nodes' AND collector_type = 'current' GROUP BY ALL`);
  for (const y of years) {
    const h = (m: string) => expected.find((e) => e.year === y.year && e.metric === m)?.h ?? 0;
    equal(y.total, h("total"));
    equal(y.committed, h("committed"));
    equal(y.occupied_reservation, h("occupied_reservation"));
    const admittable = h("reservable") - h("maintenance");
    if (admittable > 0) equal(y.committed_share, h("committed") / admittable);
    // The leaves of the stack add up to total, year by year.
    const leaves = LEAF_METRICS.reduce((a, m) => a + h(m), 0);
    ok(
      Math.abs(leaves - y.total) < 1e-6 * Math.max(1, y.total),
      `${y.year}: ${leaves} vs ${y.total}`,
    );
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("chartBucket() keeps charts readable: days, then weeks, then months", () => {
  deepEqual(
    [
      ["2026-01-01T00:00:00", "2026-06-01T00:00:00"],
      ["2025-01-01T00:00:00", "2026-01-15T00:00:00"],
      ["2020-01-01T00:00:00", "2026-01-01T00:00:00"],
      ["2016-01-01T00:00:00", "2026-06-01T00:00:00"],
    ].map(([start, end]) => chartBucket({ start, end })),
    ["day", "day", "week", "month"],
  );
});

Deno.test("the report shows database strings as text, never as markup", async () => {
  const { site } = await hostileSite();
  const page = await Deno.readTextFile(join(site.outputDir, "report.html"));
  // The strings arrived: escaped.
  match(page, /&lt;img src=x onerror=alert\(1\)&gt;/);
  match(page, /&lt;b onmouseover=alert\(3\)&gt;CHI@Hostile&lt;\/b&gt;/);
  // Never raw.
  equal(page.includes(HOSTILE_TYPE), false, "node type appears unescaped");
  equal(page.includes(HOSTILE_NAME), false, "site name appears unescaped");
  equal(page.includes(HOSTILE_HOST), false, "hostname appears unescaped");
  equal(/<script/i.test(page), false);
  equal(/<img/i.test(page), false);
});

Deno.test("the all-sites report lists sites with outputs and says which it left out", async () => {
  const { site, out } = await smallSite();
  const config = {
    path: "test.yaml",
    sites: new Map([
      ["demo", site],
      ["gone", { ...site, key: "gone", siteName: "<i>Gone</i>", outputDir: join(out, "nope") }],
    ]),
  };
  const path = join(out, "all.html");
  const r = await writeAllSitesReport(config, path);
  deepEqual(r.sites.map((s) => s.site), ["demo"]);
  deepEqual(r.skipped.map((s) => s.site), ["gone"]);
  const page = await Deno.readTextFile(path);
  match(page, /CHI@Demo used/);
  match(page, /gone: no finished run/);
  equal(/<script/i.test(page), false);
  equal(
    renderAllSitesReport({ sites: [], usage: [], skipped: [] }).includes("No site has outputs"),
    true,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("the report reads one verified set: it says which run, and refuses a tampered file with one line", async () => {
  const { site, out } = await smallSite();
  const page = await Deno.readTextFile(await writeSiteReport(site));
  const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  match(page, new RegExp(`daily means · run ${run.run_id}`));
  match(page, /window \[\d{4}-\d{2}-\d{2}, 2026-06-01\)/);
  // A tampered file of the set: the report refuses it rather than mixing.
  const hours = join(await Deno.realPath(join(out, "current")), "hours.parquet");
  await Deno.writeFile(hours, new Uint8Array([1, 2, 3]), { append: true });
  await rejects(
    writeSiteReport(site),
    /^Error: Cannot read the outputs in ".*": "hours\.parquet" does not match the digest in run\.json of run \S+: the set is mixed or damaged; run the pipeline again$/,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("renderSiteReport() shows a red badge when the window holds no data", async () => {
  const { site, out } = await smallSite();
  const input = await collectSiteReport(site);
  match(renderSiteReport(input), /badge ok">✔ invariants hold/);
  equal(/no data in the window/.test(renderSiteReport(input)), false);
  const empty = renderSiteReport({ ...input, years: [] });
  match(empty, /<li class="badge bad">✘ no data in the window \[/);
  await Deno.remove(out, { recursive: true });
});
