import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { buildProjectComparison } from "../../lib/legacy/projects.ts";
import { loadSitesConfig } from "../../lib/config.ts";
import { runPipeline } from "../../lib/pipeline.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";

Deno.test("buildProjectComparison() ranks projects by |current - legacy| node-hours and flags one-sided ones", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  await db.run(`COPY (SELECT * FROM (VALUES
      (1, DATE '2025-03-01', 'a', 'bm', 10.0, 14.0),
      (2, DATE '2025-03-02', 'a', 'gpu', 0.0, 24.0),
      (3, DATE '2025-03-01', 'b', 'bm', 5.0, 0.0),
      (4, DATE '2024-12-31', 'a', 'bm', 24.0, 0.0)
    ) t(id, date, project_id, node_type, reserved_hours, used_hours)) TO ${
    sqlLiteral(join(dir, "cache.parquet"))
  } (FORMAT parquet)`);
  await db.run(
    `COPY (SELECT 's' AS site, p AS project_id, m AS metric, 'nodes' AS resource, 'bm' AS node_type,
      'year' AS period, DATE '2025-01-01' AS period_start, h AS hours FROM (VALUES
      ('a', 'committed', 60.0), ('a', 'occupied_reservation', 38.0), ('c', 'committed', 7.0)
    ) t(p, m, h)) TO ${sqlLiteral(join(dir, "project_hours.parquet"))} (FORMAT parquet)`,
  );
  const top = await buildProjectComparison(db, {
    site: "s",
    cache: join(dir, "cache.parquet"),
    projectHours: join(dir, "project_hours.parquet"),
    outputDir: dir,
    window: { start: "2025-01-01T00:00:00", end: "2026-01-01T00:00:00" },
  });
  // a: legacy committed 10 + 14 + 24 = 48 in 2025 (the 2024 day is outside the window), used 38.
  const key = (r: { project_id: string; metric: string }) => `${r.project_id} ${r.metric}`;
  equal(
    top.map((r) => `${key(r)} ${r.diff_node_hours} ${r.flag}`).join("; "),
    "a committed 12 both; c committed 7 current_only; b committed -5 legacy_only; " +
      "a occupied_reservation 0 both; b occupied_reservation 0 legacy_only",
  );
  const written = await db.value<bigint>(
    `SELECT count(*) FROM read_parquet(${sqlLiteral(join(dir, "legacy_project_ranking.parquet"))})`,
  );
  equal(written, 5n);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("on the demo, the per-project legacy cache adds up to the site cache, and the current side to hours.parquet", async () => {
  const { snapshot } = await demoSnapshot("demo");
  const out = await Deno.makeTempDir();
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  const site = { ...config.sites.get("demo")!, inputDir: snapshot.inputDir, outputDir: out };
  await runPipeline(site);
  using db = await Duck.open();
  const ranking = sqlLiteral(join(out, "legacy_project_ranking.parquet"));
  const rows = await db.json<
    {
      year: number;
      metric: string;
      legacy: number;
      current: number;
      site_legacy: number;
      site_current: number;
    }
  >(`
    WITH p AS (
      SELECT year, metric, sum(legacy_node_hours) AS legacy, sum(current_node_hours) AS current
      FROM read_parquet(${ranking}) GROUP BY ALL
    ), sl AS (
      SELECT year(timestamp)::INTEGER AS year, metric, sum(value) * 24 AS site_legacy
      FROM read_parquet(${sqlLiteral(join(out, "legacy_daily.parquet"))})
      WHERE metric IN ('committed', 'occupied_reservation') GROUP BY ALL
    ), sc AS (
      SELECT year(period_start)::INTEGER AS year, metric, sum(hours) AS site_current
      FROM read_parquet(${sqlLiteral(join(out, "hours.parquet"))})
      WHERE period = 'year' AND resource = 'nodes' AND metric IN ('committed', 'occupied_reservation')
      GROUP BY ALL
    )
    SELECT year, metric, legacy::DOUBLE AS legacy, current::DOUBLE AS current,
      site_legacy::DOUBLE AS site_legacy, site_current::DOUBLE AS site_current
    FROM p JOIN sl USING (year, metric) JOIN sc USING (year, metric) ORDER BY ALL`);
  ok(rows.length >= 10, `${rows.length} years x metrics`);
  for (const r of rows) {
    // Rounded to 3 decimals per cache row: within a node-hour per thousand rows.
    ok(
      Math.abs(r.legacy - r.site_legacy) < 50,
      `${r.year} ${r.metric}: ${r.legacy} vs ${r.site_legacy}`,
    );
    ok(
      Math.abs(r.current - r.site_current) < 1e-6,
      `${r.year} ${r.metric}: ${r.current} vs ${r.site_current}`,
    );
  }
  // The legacy method counts deleted and early-ended leases in full: more committed, per project too.
  const net = await db.value<number>(
    `SELECT sum(diff_node_hours)::DOUBLE FROM read_parquet(${ranking}) WHERE metric = 'committed' AND year >= 2023`,
  );
  ok(net < 0, `net ${net}`);
  await Deno.remove(out, { recursive: true });
});
