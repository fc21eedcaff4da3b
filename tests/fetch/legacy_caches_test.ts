import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { parseHTML } from "linkedom";
import { Duck } from "../../lib/db/duckdb.ts";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import {
  LEGACY_SERIES,
  prepareLegacyCaches,
  readLegacyCaches,
} from "../../lib/fetch/legacy_caches.ts";
import { loadSnapshot } from "../../lib/fetch/manifest.ts";
import { siteConfigHtml, snapshotStatusHtml } from "../../lib/report/snapshot_views.ts";
import { renderLegacyCaches } from "../../lib/plots/legacy_caches.ts";
import { parseSitesConfig } from "../../lib/config.ts";
import { demoSite } from "../_helpers.ts";
import { quietProgress } from "./_fetch_helpers.ts";

Deno.test("prepareLegacyCaches() sums node-hours per day over node types, equal to the source", async () => {
  const { dir: siteDir } = await demoSite("small");
  const dir = await Deno.makeTempDir();
  try {
    const cfg = parseSitesConfig(
      `sites:\n  d:\n    site_name: "<b>D</b>"\n    input_dir: "${dir}"\n    db_uri: duckdb:${siteDir}/source.duckdb\n`,
    );
    const site = cfg.sites.get("d")!;
    await fetchSite(site, { progress: quietProgress().progress });
    const snapshot = await loadSnapshot(dir);
    const points = prepareLegacyCaches(await readLegacyCaches(snapshot));
    using db = await Duck.open(join(siteDir, "source.duckdb"), { access_mode: "READ_ONLY" });
    const expected = await db.json<
      { date: string; total: number; maint: number; used: number; n: number }
    >(
      `SELECT strftime(date, '%Y-%m-%d') date, sum(total_hours)::DOUBLE total,
              sum(maint_hours)::DOUBLE maint, sum(used_hours)::DOUBLE used, count(*) n
         FROM chameleon_usage.node_usage_report_cache GROUP BY ALL ORDER BY date`,
    );
    ok(expected.length > 100);
    equal(points.length, expected.length * LEGACY_SERIES.length);
    const get = (d: string, s: string) =>
      points.find((p) => p.date === d && p.series === s)!.node_hours;
    for (const e of [expected[0], expected[Math.floor(expected.length / 2)], expected.at(-1)!]) {
      ok(Math.abs(get(e.date, "total") - e.total) < 1e-9, e.date);
      ok(Math.abs(get(e.date, "maintenance") - e.maint) < 1e-9, e.date);
      ok(Math.abs(get(e.date, "used") - e.used) < 1e-9, e.date);
    }
    deepEqual(points.slice(0, 4).map((p) => p.series), [
      "total",
      "maintenance",
      "reserved",
      "used",
    ]);

    const svg = renderLegacyCaches(points, {
      document: parseHTML("<html><body></body></html>").document as unknown as Document,
    });
    match(svg, /^<svg[^>]*>/);
    equal((svg.match(/<path/g) ?? []).length >= 4, true, "one line per series");
    const html = siteConfigHtml(site) + snapshotStatusHtml(snapshot);
    ok(html.includes("&lt;b&gt;D&lt;/b&gt;") && !html.includes("<b>D</b>"), "values are escaped");
    match(html, /<td>nova\.instances<\/td><td>ok<\/td><td>\d+<\/td>/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
