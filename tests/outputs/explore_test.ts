import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadSitesConfig } from "../../lib/config.ts";
import { outputSetFor, runPipeline } from "../../lib/pipeline.ts";
import { openOutputSet } from "../../lib/outputs/set.ts";
import { collectSiteReport } from "../../lib/report/site_report.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";

Deno.test("exploring another window writes under explore/<label>/ and never replaces the site's set", async () => {
  const { snapshot } = await demoSnapshot("small");
  const out = await Deno.makeTempDir({ prefix: "ledger-explore-" });
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  const site = { ...config.sites.get("demo")!, inputDir: snapshot.inputDir, outputDir: out };
  const own = await runPipeline(site);
  const before = await Deno.readFile(join(out, "usage_daily.parquet"));

  const explored = await outputSetFor(site, { start: "2026-01-01", end: "2026-03-01" });
  equal(explored.label, "2026-01-01_2026-03-01");
  ok(explored.computed);
  ok(explored.set.dir.startsWith(join(out, "explore", "2026-01-01_2026-03-01", "sets")));
  equal(explored.set.run.explore, "2026-01-01_2026-03-01");
  equal(explored.set.run.window.start, "2026-01-01T00:00:00");

  // The site's set is the same run, byte for byte, and the report still shows its window.
  const set = await openOutputSet(out);
  equal(set.run.run_id, own.run_id);
  equal(set.run.window.start, own.window.start);
  equal(
    (await Deno.readFile(join(out, "usage_daily.parquet"))).length,
    before.length,
  );
  const report = await collectSiteReport(site);
  equal(report.run.run_id, own.run_id);

  // The site's own parameters reuse the site's set; the exploration's are reused too.
  const again = await outputSetFor(site, {});
  equal(again.label, null);
  equal(again.computed, false);
  equal(again.set.run.run_id, own.run_id);
  equal((await outputSetFor(site, { start: "2026-01-01", end: "2026-03-01" })).computed, false);
  match(explored.set.path("usage_daily.parquet"), /explore\/2026-01-01_2026-03-01\/sets\//);
  await Deno.remove(out, { recursive: true });
});
