import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { buildLegacyComparison } from "../../lib/legacy/build.ts";
import { loadSitesConfig } from "../../lib/config.ts";
import { runPipeline } from "../../lib/pipeline.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";

async function fixture(db: Duck, dir: string) {
  const cache = join(dir, "cache.parquet");
  await db.run(`COPY (SELECT * FROM (VALUES
      (1, DATE '2025-01-01', 'bm', 48.0, 12.0, 6.0, 18.0, 12.0),
      (2, DATE '2025-01-02', 'bm', 48.0, 0.0, 0.0, 24.0, 24.0),
      (3, DATE '2025-01-03', 'gpu', 24.0, 0.0, 0.0, 0.0, 24.0)
    ) t(id, date, node_type, total_hours, maint_hours, reserved_hours, used_hours, idle_hours)) TO ${
    sqlLiteral(cache)
  } (FORMAT parquet)`);
  const daily = join(dir, "usage_daily.parquet");
  await db.run(
    `COPY (SELECT 't' AS site, 'current' AS collector_type, metric, 'nodes' AS resource, node_type, ts AS timestamp, value FROM (VALUES
      ('total', 'bm', TIMESTAMP '2025-01-01', 2.0), ('admittable', 'bm', TIMESTAMP '2025-01-01', 1.5),
      ('committed', 'bm', TIMESTAMP '2025-01-01', 0.5), ('occupied_reservation', 'bm', TIMESTAMP '2025-01-01', 0.5),
      ('idle', 'bm', TIMESTAMP '2025-01-01', 0.0), ('available', 'bm', TIMESTAMP '2025-01-01', 1.0),
      ('total', 'bm', TIMESTAMP '2025-01-02', 2.0), ('committed', 'bm', TIMESTAMP '2025-01-02', 1.0),
      ('total', 'unknown', TIMESTAMP '2025-01-02', 1.0)
    ) t(metric, node_type, ts, value)) TO ${sqlLiteral(daily)} (FORMAT parquet)`,
  );
  return { cache, daily };
}

Deno.test("buildLegacyComparison() converts legacy hours to mean counts and compares like with like", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  const { cache, daily } = await fixture(db, dir);
  const result = await buildLegacyComparison(db, {
    site: "t",
    reportCache: cache,
    usageDaily: daily,
    outputDir: dir,
  });
  const rows = await db.json<Record<string, unknown>>(`
    SELECT strftime(date, '%Y-%m-%d') AS date, metric, node_type, legacy, current, diff, flag, current_metric
    FROM read_parquet(${sqlLiteral(join(dir, "legacy_comparison.parquet"))}) ORDER BY ALL`);
  const get = (date: string, metric: string, nt = "bm") =>
    rows.find((r) => r.date === date && r.metric === metric && r.node_type === nt);
  deepEqual(get("2025-01-01", "total"), {
    date: "2025-01-01",
    metric: "total",
    node_type: "bm",
    legacy: 2,
    current: 2,
    diff: 0,
    flag: "both",
    current_metric: "total",
  });
  deepEqual(get("2025-01-01", "reservable"), {
    date: "2025-01-01",
    metric: "reservable",
    node_type: "bm",
    legacy: 1.5,
    current: 1.5,
    diff: 0,
    flag: "both",
    current_metric: "admittable",
  });
  equal(get("2025-01-01", "committed")!.legacy, 1);
  equal(get("2025-01-01", "committed")!.diff, -0.5);
  equal(get("2025-01-01", "idle")!.legacy, 0.25);
  equal(get("2025-01-01", "available")!.legacy, 0.5);
  deepEqual(
    [get("2025-01-02", "available")!.current, get("2025-01-02", "available")!.flag],
    [null, "legacy_only"],
    "a side without data is NULL and flagged, never a silent zero",
  );
  equal(get("2025-01-02", "total", "unknown")!.flag, "current_only");
  equal(get("2025-01-03", "total", "gpu")!.flag, "legacy_only");
  const ranking = await db.json<{ metric: string; abs_node_hours: number }>(
    `SELECT metric, abs_node_hours FROM read_parquet(${
      sqlLiteral(join(dir, "legacy_ranking.parquet"))
    })`,
  );
  for (let i = 1; i < ranking.length; i++) {
    ok(ranking[i - 1].abs_node_hours >= ranking[i].abs_node_hours, "largest first");
  }
  deepEqual(
    result.top.slice(0, 2).map((r) => [r.metric, r.abs_node_hours]),
    [["available", 12], ["committed", 12]],
    "0.5 node x 24 h on day one each; ties ordered by metric",
  );
  ok(
    (await Deno.readTextFile(join(dir, "legacy_comparison.csv"))).startsWith(
      "date,metric,node_type,legacy,current",
    ),
  );
  const legacyRows = await db.value(
    `SELECT count(*) FROM read_parquet(${
      sqlLiteral(join(dir, "legacy_daily.parquet"))
    }) WHERE collector_type = 'legacy'`,
  );
  equal(legacyRows, 18n, "the legacy series in the shape of usage_daily, collector_type legacy");
  equal(
    await db.value(
      `SELECT count(*) FROM read_parquet(${sqlLiteral(daily)}) WHERE collector_type = 'legacy'`,
    ),
    0n,
    "stage 04 never writes usage_daily.parquet (stage 03 is its one writer)",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildLegacyComparison() rejects non-finite and absurd legacy values as rows, naming table, column and row", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  const { daily } = await fixture(db, dir);
  const cache = join(dir, "bad.parquet");
  await db.run(`COPY (SELECT * FROM (VALUES
      (DATE '2025-01-01', 'bm', 48.0::DOUBLE, 12.0::DOUBLE, 6.0::DOUBLE, 18.0::DOUBLE),
      (DATE '2025-01-02', 'bm', 1e300::DOUBLE, 0.0::DOUBLE, 0.0::DOUBLE, 24.0::DOUBLE),
      (DATE '2025-01-03', 'bm', 24.0::DOUBLE, 'NaN'::DOUBLE, 0.0::DOUBLE, 'inf'::DOUBLE)
    ) t(date, node_type, total_hours, maint_hours, reserved_hours, used_hours)) TO ${
    sqlLiteral(cache)
  } (FORMAT parquet)`);
  const result = await buildLegacyComparison(db, {
    site: "t",
    reportCache: cache,
    usageDaily: daily,
    outputDir: dir,
  });
  const audit = await db.json<Record<string, unknown>>(
    `SELECT "table", "column", row_number::INTEGER AS row_number, row_key, reason
     FROM read_parquet(${
      sqlLiteral(join(dir, "legacy_audit.parquet"))
    }) ORDER BY row_number, "column"`,
  );
  const t = "chameleon_usage.node_usage_report_cache";
  deepEqual(audit, [
    {
      table: t,
      column: "total_hours",
      row_number: 2,
      row_key: "date=2025-01-02, node_type=bm",
      reason: "absurd_value",
    },
    {
      table: t,
      column: "maint_hours",
      row_number: 3,
      row_key: "date=2025-01-03, node_type=bm",
      reason: "non_finite_value",
    },
    {
      table: t,
      column: "used_hours",
      row_number: 3,
      row_key: "date=2025-01-03, node_type=bm",
      reason: "non_finite_value",
    },
  ]);
  const days = await db.json<{ d: string }>(
    `SELECT DISTINCT strftime(timestamp, '%Y-%m-%d') AS d FROM read_parquet(${
      sqlLiteral(join(dir, "legacy_daily.parquet"))
    }) ORDER BY d`,
  );
  deepEqual(days.map((r) => r.d), ["2025-01-01"], "the good row is kept, the bad rows are not");
  ok(
    result.notes.some((n) =>
      /2 rows rejected into legacy_audit\.parquet.*total_hours = 1e\+?300 at row 2/.test(n)
    ),
    result.notes.join("; "),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildLegacyComparison() names a missing column of the report cache", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  const cache = join(dir, "c.parquet");
  await db.run(
    `COPY (SELECT DATE '2025-01-01' AS date, 'bm' AS node_type, 24.0 AS total_hours) TO ${
      sqlLiteral(cache)
    } (FORMAT parquet)`,
  );
  await rejects(
    () =>
      buildLegacyComparison(db, {
        site: "t",
        reportCache: cache,
        usageDaily: join(dir, "u.parquet"),
        outputDir: dir,
      }),
    /column "maint_hours" of "chameleon_usage\.node_usage_report_cache" is missing/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("on the demo site the legacy method's known differences show, largest first", async () => {
  const { snapshot } = await demoSnapshot("demo");
  const out = await Deno.makeTempDir();
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  const site = { ...config.sites.get("demo")!, inputDir: snapshot.inputDir, outputDir: out };
  await runPipeline(site);
  using db = await Duck.open();
  const net = await db.json<{ metric: string; net: number; abs: number }>(`
    SELECT metric, sum(net_node_hours)::DOUBLE AS net, sum(abs_node_hours)::DOUBLE AS abs
    FROM read_parquet(${
    sqlLiteral(join(out, "legacy_ranking.parquet"))
  }) WHERE year >= 2023 GROUP BY metric`);
  const by = Object.fromEntries(net.map((r) => [r.metric, r]));
  ok(
    by.committed.net < 0,
    "legacy counts deleted and early-ended leases in full: more committed than the ledger",
  );
  ok(
    by.occupied_reservation.net < 0,
    "legacy counts a whole day used when an instance ran at all: more used",
  );
  ok(by.total.abs > 0, "legacy samples counts at midnight: totals differ");
  const ranking = await db.json<{ abs_node_hours: number }>(
    `SELECT abs_node_hours FROM read_parquet(${sqlLiteral(join(out, "legacy_ranking.parquet"))})`,
  );
  for (let i = 1; i < ranking.length; i++) {
    ok(ranking[i - 1].abs_node_hours >= ranking[i].abs_node_hours);
  }
  await Deno.remove(out, { recursive: true });
});
