import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { buildLedger, writeLedgerOutputs } from "../../lib/ledger/build.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { demoSite } from "../_helpers.ts";

/** Spans: [metric, project|null, start, end|null, nodes]; node type "bm", 48 vCPUs a node. */
async function spansOf(db: Duck, rows: [string, string | null, string, string | null, number][]) {
  await db.run(
    `CREATE OR REPLACE TABLE spans (site VARCHAR, source VARCHAR, metric VARCHAR, entity_id VARCHAR, source_row_id VARCHAR,
    hypervisor_hostname VARCHAR, node_type VARCHAR, start TIMESTAMP, "end" TIMESTAMP, nodes DOUBLE, vcpus DOUBLE,
    memory_mb DOUBLE, disk_gb DOUBLE, project_id VARCHAR)`,
  );
  for (const [metric, project, s, e, n] of rows) {
    await db.run(
      "INSERT INTO spans VALUES ('t', 'x', $1, 'e', '1', 'h', 'bm', $2::TIMESTAMP, $3::TIMESTAMP, $4, $4 * 48, 0, 0, $5)",
      [metric, s, e, n, project],
    );
  }
}

Deno.test("buildLedger() writes hours per project that sum to the site's hours, unknown for no project", async () => {
  using db = await Duck.open();
  await spansOf(db, [
    ["total", null, "2025-01-01 00:00:00", null, 3],
    ["reservable", null, "2025-01-01 00:00:00", null, 3],
    // Project a: 2 nodes for 36 h across the month edge (12 h in January, 24 h in February).
    ["committed", "a", "2025-01-31 12:00:00", "2025-02-02 00:00:00", 2],
    ["occupied_reservation", "a", "2025-01-31 18:00:00", "2025-02-01 06:00:00", 2],
    // Project b: 1 node for 10 h; a span without project: unknown.
    ["committed", "b", "2025-02-10 00:00:00", "2025-02-10 10:00:00", 1],
    ["committed", null, "2025-02-11 00:00:00", "2025-02-11 01:00:00", 1],
  ]);
  const checks = await buildLedger(db, "t", { asOf: "2025-03-01T00:00:00" });
  ok(checks.projects.ok, JSON.stringify(checks.projects));
  equal(checks.projects.max_abs_diff_hours, 0);
  const rows = await db.json<{ p: string; m: string; period: string; start: string; h: number }>(`
    SELECT project_id AS p, metric AS m, period, strftime(period_start, '%Y-%m') AS start, hours AS h
    FROM project_hours_t WHERE resource = 'nodes' ORDER BY ALL`);
  deepEqual(rows, [
    { p: "a", m: "committed", period: "month", start: "2025-01", h: 24 },
    { p: "a", m: "committed", period: "month", start: "2025-02", h: 48 },
    { p: "a", m: "committed", period: "year", start: "2025-01", h: 72 },
    { p: "a", m: "occupied_reservation", period: "month", start: "2025-01", h: 12 },
    { p: "a", m: "occupied_reservation", period: "month", start: "2025-02", h: 12 },
    { p: "a", m: "occupied_reservation", period: "year", start: "2025-01", h: 24 },
    { p: "b", m: "committed", period: "month", start: "2025-02", h: 10 },
    { p: "b", m: "committed", period: "year", start: "2025-01", h: 10 },
    { p: "unknown", m: "committed", period: "month", start: "2025-02", h: 1 },
    { p: "unknown", m: "committed", period: "year", start: "2025-01", h: 1 },
  ]);
  // The site's committed hours of February: 48 + 10 + 1.
  equal(
    await db.value(
      "SELECT hours FROM hours_t WHERE metric = 'committed' AND resource = 'nodes' AND period = 'month' AND period_start = DATE '2025-02-01'",
    ),
    59,
  );
  // The window clips both sides alike.
  const clipped = await buildLedger(db, "t", {
    asOf: "2025-03-01T00:00:00",
    start: "2025-02-01",
  });
  ok(clipped.projects.ok);
  equal(
    await db.value(
      "SELECT sum(hours) FROM project_hours_t WHERE metric = 'committed' AND resource = 'nodes' AND period = 'year'",
    ),
    59,
  );
});

Deno.test("the project-sums check fails when a project's hours do not add up", async () => {
  using db = await Duck.open();
  await spansOf(db, [
    ["total", null, "2025-01-01 00:00:00", null, 1],
    ["reservable", null, "2025-01-01 00:00:00", null, 1],
    ["committed", "a", "2025-01-01 00:00:00", "2025-01-02 00:00:00", 1],
  ]);
  await buildLedger(db, "t", { asOf: "2025-02-01T00:00:00" });
  // A second project claiming an hour the sweepline never saw.
  const { buildProjectIntegrals, projectSumsCheck } = await import("../../lib/ledger/projects.ts");
  await db.run(
    "INSERT INTO spans VALUES ('t', 'x', 'committed', 'e', '2', 'h', 'bm', '2025-01-05', '2025-01-05 01:00:00', 1, 48, 0, 0, 'z')",
  );
  await db.run(
    "CREATE TABLE site_integrals AS SELECT metric, resource, node_type, period, period_start, hours * 3600 AS integral FROM hours_t",
  );
  await buildProjectIntegrals(db, 1735689600000000n, 1738368000000000n, 1738368000000000n);
  const check = await projectSumsCheck(db, []);
  equal(check.ok, false);
  // nodes and vcpus, month and year: 4 keys off; nodes by 1 h, vcpus by 48 h.
  equal(check.rejected, 4);
  equal(check.max_abs_diff_hours, 48);
});

Deno.test("the demo's hours per project match the ground truth per project exactly, and sum to the site's", async () => {
  const { snapshot } = await demoSnapshot("demo");
  const { dir, truth } = await demoSite("demo");
  using db = await Duck.open();
  await buildSpans(db, snapshot, {
    key: "demo",
    blazarCoverageStart: truth.blazar_cutoff,
    maintenance: DEFAULT_MAINTENANCE,
  });
  const checks = await buildLedger(db, "demo", { asOf: snapshot.asOf });
  ok(checks.projects.ok, JSON.stringify(checks.projects));
  ok(checks.projects.input > 1000, `${checks.projects.input} keys compared`);
  const out = await Deno.makeTempDir();
  await writeLedgerOutputs(db, out);
  const rows = await db.json<
    { metric: string; resource: string; keys: number; off: number; max_diff: number; hours: number }
  >(`
    WITH mine AS (
      SELECT project_id, strftime(period_start, '%Y-%m') AS month, metric, node_type, resource, hours
      FROM read_parquet(${
    sqlLiteral(join(out, "project_hours.parquet"))
  }) WHERE period = 'month' AND month >= '${truth.blazar_cutoff.slice(0, 7)}'
    ), t AS (
      SELECT * FROM read_parquet(${sqlLiteral(join(dir, "ground_truth_project_hours.parquet"))})
      WHERE month >= '${truth.blazar_cutoff.slice(0, 7)}'
    )
    SELECT metric, resource, count(*)::INTEGER AS keys,
      count(*) FILTER (WHERE coalesce(mine.hours, 0) <> coalesce(t.hours, 0))::INTEGER AS off,
      max(abs(coalesce(mine.hours, 0) * 3600 - coalesce(t.seconds, 0)))::DOUBLE AS max_diff,
      sum(t.hours)::DOUBLE AS hours
    FROM t FULL JOIN mine USING (project_id, month, metric, node_type, resource)
    GROUP BY ALL ORDER BY ALL`);
  deepEqual(
    rows.map((r) => `${r.metric} ${r.resource}`),
    ["committed", "occupied_ondemand", "occupied_reservation"].flatMap((m) =>
      ["disk_gb", "memory_mb", "nodes", "vcpus"].map((r) => `${m} ${r}`)
    ),
  );
  for (const r of rows) {
    ok(r.hours > 0, `${r.metric} ${r.resource}: no truth`);
    equal(
      r.off,
      0,
      `${r.metric} ${r.resource}: ${r.off} of ${r.keys} off, by up to ${r.max_diff} s`,
    );
  }
  await Deno.remove(out, { recursive: true });
});
