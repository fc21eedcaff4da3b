import { deepEqual, equal, ok, rejects as assertRejects } from "node:assert/strict";
import { loadSitesConfig } from "../../lib/config.ts";
import { runLedgerStage } from "../../lib/pipeline.ts";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { buildLedger, ledgerChecks, writeLedgerOutputs } from "../../lib/ledger/build.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { LEAF_METRICS } from "../../lib/metrics.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { demoSite } from "../_helpers.ts";

const AS_OF = "2025-01-03T00:00:00";

/** Spans: [metric, node_type, start, end|null, nodes, vcpus]. */
async function ledgerOf(
  db: Duck,
  spans: [string, string, string, string | null, number, number][],
  window: { start?: string; end?: string } = {},
) {
  await db.run(
    `CREATE OR REPLACE TABLE spans (site VARCHAR, source VARCHAR, metric VARCHAR, entity_id VARCHAR, source_row_id VARCHAR,
    hypervisor_hostname VARCHAR, node_type VARCHAR, start TIMESTAMP, "end" TIMESTAMP, nodes DOUBLE, vcpus DOUBLE, memory_mb DOUBLE, disk_gb DOUBLE)`,
  );
  for (const [metric, nt, s, e, n, v] of spans) {
    await db.run(
      "INSERT INTO spans VALUES ('t', 'x', $1, 'e', '1', 'h', $2, $3::TIMESTAMP, $4::TIMESTAMP, $5, $6, $6 * 1024, 100)",
      [metric, nt, s, e, n, v],
    );
  }
  return await buildLedger(db, "t", { asOf: AS_OF, ...window });
}

/** The value of a metric at an instant, from the written steps. */
async function valueAt(
  db: Duck,
  metric: string,
  at: string,
  resource = "nodes",
  nodeType = "bm",
): Promise<number> {
  const v = await db.value<number | null>(
    `SELECT value FROM usage_t WHERE metric = $1 AND resource = $2 AND node_type = $3 AND timestamp <= $4::TIMESTAMP ORDER BY timestamp DESC LIMIT 1`,
    [metric, resource, nodeType, at],
  );
  return v ?? 0;
}

Deno.test("buildLedger() turns hand-built spans into known counts and derived states", async () => {
  using db = await Duck.open();
  const checks = await ledgerOf(db, [
    ["total", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["total", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["total", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["reservable", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["reservable", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["committed", "bm", "2025-01-01 06:00:00", "2025-01-02 06:00:00", 1, 48],
    ["occupied_reservation", "bm", "2025-01-01 07:00:00", "2025-01-02 06:00:00", 1, 48],
    ["active_reservation", "bm", "2025-01-01 07:00:00", "2025-01-01 19:00:00", 1, 48],
    ["maintenance", "bm", "2025-01-02 00:00:00", "2025-01-03 00:00:00", 1, 48],
    ["occupied_ondemand", "bm", "2025-01-01 12:00:00", "2025-01-01 18:00:00", 1, 48],
    ["active_ondemand", "bm", "2025-01-01 12:00:00", "2025-01-01 18:00:00", 1, 48],
  ]);
  const at = "2025-01-01 13:00:00";
  equal(await valueAt(db, "total", at), 3);
  equal(await valueAt(db, "available", at), 1);
  equal(await valueAt(db, "idle", at), 0);
  equal(await valueAt(db, "stopped_reservation", "2025-01-01 20:00:00"), 1);
  equal(await valueAt(db, "available_ondemand", at), 0);
  equal(await valueAt(db, "ondemand_capacity", at), 1);
  equal(await valueAt(db, "admittable", "2025-01-02 12:00:00"), 1);
  equal(await valueAt(db, "total", at, "vcpus"), 144);
  ok(checks.stack.ok, JSON.stringify(checks.stack));
  equal(checks.negatives.length, 0);
  // Daily means: committed held 1 node for 18 h of day 1 and 6 h of day 2.
  const daily = await db.json<{ d: string; value: number }>(
    "SELECT strftime(timestamp, '%Y-%m-%d') AS d, value FROM usage_daily_t WHERE metric = 'committed' AND resource = 'nodes' ORDER BY 1",
  );
  equal(daily[0].value, 0.75);
  equal(daily[1].value, 0.25);
  // Hours: leaves add up exactly to total.
  const [h] = await db.json<{ total: number; leaves: number; committed: number }>(`
    SELECT sum(hours) FILTER (WHERE metric = 'total') AS total,
      sum(hours) FILTER (WHERE metric IN (${
    LEAF_METRICS.map((m) => `'${m}'`).join(", ")
  })) AS leaves,
      sum(hours) FILTER (WHERE metric = 'committed') AS committed
    FROM hours_t WHERE resource = 'nodes' AND period = 'month'`);
  equal(h.total, 3 * 48);
  equal(h.leaves, h.total);
  equal(h.committed, 24);
});

Deno.test("buildLedger() counts negative derived values with their hours and never clamps them", async () => {
  using db = await Duck.open();
  const checks = await ledgerOf(db, [
    ["total", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["reservable", "bm", "2025-01-01 00:00:00", null, 1, 48],
    // an on-demand instance on a reservable host: no on-demand capacity for it
    ["occupied_ondemand", "bm", "2025-01-01 00:00:00", "2025-01-01 06:00:00", 1, 48],
  ]);
  equal(await valueAt(db, "available_ondemand", "2025-01-01 01:00:00"), -1, "shown as it is");
  const neg = checks.negatives.find((n) =>
    n.metric === "available_ondemand" && n.resource === "nodes"
  )!;
  equal(neg.hours, 6);
  equal(neg.resource_hours, 6);
  equal(neg.min_value, -1);
  ok(checks.stack.ok, "leaves still sum to total");
});

Deno.test("buildLedger() sums whole numbers exactly in lanes, and fractions in DOUBLE rounded to 9 decimals", async () => {
  using db = await Duck.open();
  const whole = await ledgerOf(db, [
    ["total", "bm", "2025-01-01 00:00:00", null, 2, 96],
    ["reservable", "bm", "2025-01-01 00:00:00", "2025-01-02 00:00:00", 1, 48],
  ]);
  equal(whole.sums.exact, true);
  // Small bounds: every resource finds a partner (two lanes of two; no devices at a host site).
  equal(whole.sums.lanes.length, 2, whole.sums.lanes.join(" "));
  equal(await valueAt(db, "ondemand_capacity", "2025-01-01 12:00:00", "memory_mb"), 48 * 1024);
  equal(await valueAt(db, "ondemand_capacity", "2025-01-02 12:00:00", "vcpus"), 96);
  // A tenth of a node (a fraction with no exact binary form): rounded sums, same answers.
  const fraction = await ledgerOf(db, [
    ["total", "bm", "2025-01-01 00:00:00", null, 2, 96],
    ["reservable", "bm", "2025-01-01 00:00:00", "2025-01-02 00:00:00", 1, 48],
    ["committed", "bm", "2025-01-01 00:00:00", "2025-01-02 00:00:00", 0.1, 4.8],
    ["committed", "bm", "2025-01-01 06:00:00", "2025-01-02 00:00:00", 0.2, 9.6],
  ]);
  equal(fraction.sums.exact, false);
  // Nodes, vcpus and memory have fractions: rounded; the disk (100 GB each) stays exact.
  deepEqual(fraction.sums.rounded, ["nodes", "vcpus", "memory_mb"]);
  deepEqual(fraction.sums.lanes, ["nodes", "vcpus", "memory_mb", "disk_gb"]);
  equal(await valueAt(db, "available", "2025-01-01 12:00:00"), 0.7, "1 - 0.1 - 0.2, rounded");
  equal(await valueAt(db, "ondemand_capacity", "2025-01-01 12:00:00", "memory_mb"), 48 * 1024);
  ok(fraction.stack.ok, JSON.stringify(fraction.stack));
});

Deno.test("buildLedger() clips its views to the window, never the spans", async () => {
  using db = await Duck.open();
  const checks = await ledgerOf(db, [["total", "bm", "2025-01-01 00:00:00", null, 1, 48]], {
    start: "2025-01-02",
  });
  equal(checks.window.start, "2025-01-02T00:00:00");
  equal(
    await db.value(
      "SELECT count(*) FROM usage_daily_t WHERE metric = 'total' AND resource = 'nodes'",
    ),
    1n,
  );
  equal(await db.value("SELECT min(timestamp)::VARCHAR FROM usage_t"), "2025-01-01 00:00:00");
});

Deno.test("the ledger of the demo site reproduces the ground-truth hours per state and month within a second", async () => {
  const { snapshot } = await demoSnapshot("demo");
  const { dir, truth } = await demoSite("demo");
  using db = await Duck.open();
  await buildSpans(db, snapshot, {
    key: "demo",
    blazarCoverageStart: truth.blazar_cutoff,
    maintenance: DEFAULT_MAINTENANCE,
  });
  const checks = await buildLedger(db, "demo", { asOf: snapshot.asOf });
  ok(checks.stack.ok);
  const out = await Deno.makeTempDir();
  await writeLedgerOutputs(db, out);
  const rows = await db.json<
    { metric: string; resource: string; months: string; max_diff: number; truth_hours: number }
  >(`
    WITH mine AS (
      SELECT strftime(period_start, '%Y-%m') AS month, metric, node_type, resource, hours
      FROM read_parquet(${sqlLiteral(join(out, "hours.parquet"))}) WHERE period = 'month'
    ), t AS (
      SELECT * FROM read_parquet(${
    sqlLiteral(join(dir, "ground_truth_hours.parquet"))
  }) WHERE month >= '${truth.blazar_cutoff.slice(0, 7)}'
    )
    SELECT t.metric, t.resource, count(*) AS months, max(abs(coalesce(mine.hours, 0) - t.hours) * 3600)::DOUBLE AS max_diff,
      sum(t.hours)::DOUBLE AS truth_hours
    FROM t LEFT JOIN mine USING (month, metric, node_type, resource) GROUP BY ALL ORDER BY ALL`);
  ok(rows.length >= 16 * 4, `${rows.length} series`);
  for (const r of rows) {
    ok(r.max_diff < 1, `${r.metric} ${r.resource}: off by ${r.max_diff} s in a month`);
  }
  await Deno.remove(out, { recursive: true });
});

/** Steps by hand: [metric, t, nodes] on node type "bm" (the other resources 0). */
async function stackOf(db: Duck, rows: [string, number, number][]) {
  await db.run(
    "CREATE OR REPLACE TABLE steps (metric VARCHAR, node_type VARCHAR, t BIGINT, nodes DOUBLE, vcpus DOUBLE, memory_mb DOUBLE, disk_gb DOUBLE, devices DOUBLE)",
  );
  for (const [metric, t, n] of rows) {
    await db.run("INSERT INTO steps VALUES ($1, 'bm', $2, $3, 0, 0, 0, 0)", [metric, t, n]);
  }
  // Each step's next instant, as buildSteps() writes it.
  await db.run(
    "CREATE OR REPLACE TABLE steps AS SELECT *, lead(t) OVER (PARTITION BY metric, node_type ORDER BY t) AS t_next FROM steps",
  );
  return (await ledgerChecks(db, 100n)).stack;
}

Deno.test("ledgerChecks() finds the instants where the leaves do not sum to total, and by how much", async () => {
  using db = await Duck.open();
  const [a, b] = [LEAF_METRICS[0], LEAF_METRICS[1]];
  // Leaves a + b = total at every instant: 2 from t=0, 3 from t=10 (a step of each at 10).
  const sums = await stackOf(db, [
    ["total", 0, 2],
    ["total", 10, 3],
    [a, 0, 1],
    [a, 10, 2],
    [b, 0, 1],
  ]);
  equal(sums.ok, true);
  equal(sums.instants, 2);
  equal(sums.violations, 0);
  equal(sums.max_abs_residual, 0);
  // Total stays 2 until t=20 while the leaves are 3 from t=10, then total is 4 until t=30: off
  // by 1 over [10, 30), right again from t=30.
  const bad = await stackOf(db, [
    ["total", 0, 2],
    ["total", 20, 4],
    ["total", 30, 3],
    [a, 0, 1],
    [a, 10, 2],
    [b, 0, 1],
  ]);
  equal(bad.ok, false);
  equal(bad.instants, 4);
  equal(bad.violations, 2); // t=10 (leaves 3, total 2) and t=20 (leaves 3, total 4)
  equal(bad.max_abs_residual, 1);
  // Fractions that cancel only up to rounding: within the tolerance, not a violation.
  const close = await stackOf(db, [["total", 0, 0.3], [a, 0, 0.1], [b, 0, 0.2]]);
  equal(close.ok, true);
  equal(close.violations, 0);
  ok(close.max_abs_residual < 1e-6);
});

Deno.test("buildLedger() zero-fills the daily series: every day of the window for every series in it", async () => {
  using db = await Duck.open();
  // gpu exists from the second day only; the window starts a day before any span.
  await ledgerOf(db, [
    ["total", "bm", "2025-01-01 00:00:00", null, 1, 48],
    ["total", "gpu", "2025-01-02 12:00:00", null, 2, 8],
  ], { start: "2024-12-31" });
  const rows = await db.json<{ d: string; v: number }>(
    `SELECT strftime(timestamp, '%Y-%m-%d') AS d, value AS v FROM usage_daily_t
     WHERE metric = 'total' AND resource = 'nodes' AND node_type = 'gpu' ORDER BY d`,
  );
  deepEqual(rows, [
    { d: "2024-12-31", v: 0 },
    { d: "2025-01-01", v: 0 },
    { d: "2025-01-02", v: 1 },
  ]);
  // Every series has the same days: series x days rows, none missing.
  const [c] = await db.json<{ n: number; series: number; days: number }>(
    `SELECT count(*)::INTEGER AS n, count(DISTINCT (metric, resource, node_type))::INTEGER AS series,
      count(DISTINCT timestamp)::INTEGER AS days FROM usage_daily_t`,
  );
  equal(c.days, 3);
  equal(c.n, c.series * c.days);
});

Deno.test("buildLedger() refuses a window that holds no data, naming the site's data span", async () => {
  using db = await Duck.open();
  await assertRejects(
    () =>
      ledgerOf(db, [["total", "bm", "2025-01-01 00:00:00", null, 1, 48]], {
        start: "2010-01-01",
        end: "2010-02-01",
      }),
    /Cannot build the ledger of "t": the window \[2010-01-01, 2010-02-01\) holds no data: the site's data spans 2025-01-01\.\.2025-01-03/,
  );
});

Deno.test("runLedgerStage() fails on a stack violation after writing its own checks", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  // A NaN capacity: no leaf can sum to it.
  await db.run(
    `COPY (SELECT 't' AS site, 'x' AS source, metric, 'e' AS entity_id, '1' AS source_row_id,
      'h' AS hypervisor_hostname, 'bm' AS node_type, TIMESTAMP '2025-01-01' AS start, NULL::TIMESTAMP AS "end",
      n AS nodes, 1.0::DOUBLE AS vcpus, 1.0::DOUBLE AS memory_mb, 1.0::DOUBLE AS disk_gb
    FROM (VALUES ('total', 'NaN'::DOUBLE), ('reservable', 1.0::DOUBLE)) t(metric, n))
    TO ${sqlLiteral(join(dir, "spans.parquet"))} (FORMAT parquet)`,
  );
  await Deno.writeTextFile(
    join(dir, "spans_checks.json"),
    JSON.stringify({ ok: true, site: "t", as_of: AS_OF, checks: [] }),
  );
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  const site = { ...config.sites.get("demo")!, key: "t", outputDir: dir };
  await assertRejects(
    () => runLedgerStage(site, { dir }),
    /^Error: Invariant "stack" violated for "usage": leaves differ from total at [1-9]\d* of \d+ instants/,
  );
  const checks = JSON.parse(await Deno.readTextFile(join(dir, "ledger_checks.json")));
  equal(checks.ok, false);
  equal(checks.stack.check, "stack");
  ok(checks.stack.rejected > 0);
  await Deno.remove(dir, { recursive: true });
});
