import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import {
  readAuditSummary,
  readHours,
  readLegacyComparison,
  readLegacyRanking,
  readSpans,
  readUsageDaily,
  readUsageSteps,
} from "../../lib/outputs/read.ts";
import { prepareUsageStack } from "../../lib/plots/usage_stack.ts";

async function fixtures(db: Duck, dir: string) {
  const f = (name: string) => join(dir, `${name}.parquet`);
  const copy = (name: string, sql: string) =>
    db.run(`COPY (${sql}) TO ${sqlLiteral(f(name))} (FORMAT parquet)`);
  await copy(
    "usage_daily",
    `SELECT 't' AS site, c AS collector_type, m AS metric, r AS resource, n AS node_type,
       TIMESTAMP '2024-01-01' + INTERVAL (d) DAY AS timestamp, (d + 1) * 1.5 AS value
     FROM (VALUES ('current'), ('legacy')) c(c), (VALUES ('total'), ('idle')) m(m),
       (VALUES ('nodes'), ('vcpus')) r(r), (VALUES ('a'), ('b')) n(n), range(3) d(d)`,
  );
  await copy(
    "usage",
    `SELECT 't' AS site, 'current' AS collector_type, 'total' AS metric, 'nodes' AS resource,
       'a' AS node_type, ts AS timestamp, v AS value
     FROM (VALUES (TIMESTAMP '2024-01-01 06:00:00', 1.0), (TIMESTAMP '2024-01-02 12:00:00', 2.0),
       (TIMESTAMP '2024-01-05 00:00:00', 3.0)) t(ts, v)`,
  );
  await copy(
    "hours",
    `SELECT 't' AS site, 'current' AS collector_type, 'total' AS metric, 'nodes' AS resource, 'a' AS node_type,
       p AS period, ps AS period_start, h AS hours
     FROM (VALUES ('year', DATE '2023-01-01', 8760.0), ('year', DATE '2024-01-01', 4.5), ('month', DATE '2024-01-01', 4.5)) t(p, ps, h)`,
  );
  await copy(
    "legacy_comparison",
    `SELECT * FROM (VALUES
       (DATE '2024-01-01', 'total', 'a', 2.0, 2.5, 0.5, 0.25, 'both', 'total'),
       (DATE '2024-01-02', 'total', 'a', NULL, 3.0, NULL, NULL, 'current_only', 'total'),
       (DATE '2024-01-02', 'idle', 'b', 1.0, NULL, NULL, NULL, 'legacy_only', 'idle')
     ) t(date, metric, node_type, legacy, current, diff, rel_diff, flag, current_metric)`,
  );
  await copy(
    "legacy_ranking",
    `SELECT * FROM (VALUES
       ('t', 2023::BIGINT, 'idle', 'a', 10.0, -10.0, 3::BIGINT, 0::BIGINT, 1::BIGINT),
       ('t', 2024::BIGINT, 'total', 'b', 48.0, 48.0, 2::BIGINT, 0::BIGINT, 0::BIGINT)
     ) t(site, year, metric, node_type, abs_node_hours, net_node_hours, days_both, days_legacy_only, days_current_only)`,
  );
  await copy(
    "audit",
    `SELECT * FROM (VALUES
       ('t', 'nova.instances', '1', 'orphan', TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01 02:00:00', 7200::BIGINT),
       ('t', 'nova.instances', '2', 'orphan', TIMESTAMP '2024-03-01', TIMESTAMP '2024-03-01 00:30:00', 1800::BIGINT),
       ('t', 'nova.instances', '3', 'missing_start', NULL, NULL, 0::BIGINT)
     ) t(site, source, source_row_id, reason, start, "end", seconds)`,
  );
  await copy(
    "spans",
    `SELECT * FROM (VALUES
       ('t', 'nova.compute_nodes', 'total', 'e1', '1', 'h1', 'gpu', TIMESTAMP '2024-01-01', NULL, 1.0, 48.0, 1024.0, 100.0),
       ('t', 'blazar.computehost_allocations', 'committed', 'e2', '2', 'h1', 'gpu', TIMESTAMP '2024-01-02', TIMESTAMP '2024-01-03', 1.0, NULL, NULL, NULL),
       ('t', 'nova.compute_nodes', 'total', 'e3', '3', 'h2', 'cpu', TIMESTAMP '2023-01-01', TIMESTAMP '2023-02-01', 1.0, 8.0, 64.0, 10.0)
     ) t(site, source, metric, entity_id, source_row_id, hypervisor_hostname, node_type, start, "end", nodes, vcpus, memory_mb, disk_gb)`,
  );
  return f;
}

Deno.test("plot readers load only the rows a chart needs, numbers as numbers, times as UTC text", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    using db = await Duck.open();
    const f = await fixtures(db, dir);

    await t.step(
      "readUsageDaily() filters resource, collector, node type, metrics and window",
      async () => {
        const all = await readUsageDaily(f("usage_daily"));
        equal(all.length, 2 * 2 * 2 * 3, "current only by default");
        ok(all.every((r) => r.collector_type === "current" && typeof r.value === "number"));
        equal((await readUsageDaily(f("usage_daily"), { collector: null })).length, 48);
        const rows = await readUsageDaily(f("usage_daily"), {
          resource: "vcpus",
          nodeType: "b",
          metrics: ["idle"],
          start: "2024-01-02",
          end: "2024-01-03",
          db,
        });
        deepEqual(rows, [{
          site: "t",
          collector_type: "current",
          metric: "idle",
          resource: "vcpus",
          node_type: "b",
          timestamp: "2024-01-02 00:00:00",
          value: 3,
        }]);
        equal((await readUsageDaily(f("usage_daily"), { metrics: [] })).length, 0);
        // straight into a chart
        const s = prepareUsageStack(
          await readUsageDaily(f("usage_daily"), { resource: "nodes", db }),
        );
        deepEqual(s.lines.filter((p) => p.metric === "total").map((p) => p.value), [3, 6, 9]);
      },
    );

    await t.step("readUsageSteps() keeps the step in effect at the window start", async () => {
      const steps = await readUsageSteps(f("usage"), { start: "2024-01-03", db });
      deepEqual(steps.map((r) => [r.timestamp, r.value]), [["2024-01-02 12:00:00", 2], [
        "2024-01-05 00:00:00",
        3,
      ]]);
      const before = await readUsageSteps(f("usage"), {
        start: "2024-01-02 12:00:00",
        end: "2024-01-05",
        db,
      });
      deepEqual(before.map((r) => r.timestamp), ["2024-01-02 12:00:00"]);
      equal((await readUsageSteps(f("usage"), { db })).length, 3);
    });

    await t.step("readHours() filters period and window", async () => {
      const rows = await readHours(f("hours"), { period: "year", start: "2024-01-01", db });
      deepEqual(rows.map((r) => [r.period, r.period_start, r.hours]), [[
        "year",
        "2024-01-01",
        4.5,
      ]]);
    });

    await t.step("readLegacyComparison() keeps NULL sides as null", async () => {
      const rows = await readLegacyComparison(f("legacy_comparison"), { db });
      deepEqual(rows.map((r) => [r.date, r.metric, r.legacy, r.current, r.flag]), [
        ["2024-01-01", "total", 2, 2.5, "both"],
        ["2024-01-02", "idle", 1, null, "legacy_only"],
        ["2024-01-02", "total", null, 3, "current_only"],
      ]);
      equal(
        (await readLegacyComparison(f("legacy_comparison"), { metrics: ["idle"], db })).length,
        1,
      );
      equal(
        (await readLegacyComparison(f("legacy_comparison"), { end: "2024-01-02", db })).length,
        1,
      );
    });

    await t.step("readLegacyRanking() turns BIGINTs into numbers, largest first", async () => {
      const rows = await readLegacyRanking(f("legacy_ranking"), { db });
      deepEqual(
        rows.map((r) => [r.year, r.metric, r.abs_node_hours, r.days_both, r.days_current_only]),
        [
          [2024, "total", 48, 2, 0],
          [2023, "idle", 10, 3, 1],
        ],
      );
      equal(typeof rows[0].year, "number");
      deepEqual(
        (await readLegacyRanking(f("legacy_ranking"), { start: "2024-06-01", db })).map((r) =>
          r.year
        ),
        [2024],
      );
      deepEqual(
        (await readLegacyRanking(f("legacy_ranking"), { end: "2024-01-01", db })).map((r) =>
          r.year
        ),
        [2023],
      );
    });

    await t.step(
      "readAuditSummary() gives numbers and a null year for rows without a start",
      async () => {
        const rows = await readAuditSummary(f("audit"), { db });
        deepEqual(rows.map((r) => [r.reason, r.year, r.rows, r.hours]), [
          ["orphan", 2024, 2, 2.5],
          ["missing_start", null, 1, 0],
        ]);
      },
    );

    await t.step(
      "readSpans() filters host and window; an open end overlaps every later time",
      async () => {
        const h1 = await readSpans(f("spans"), { host: "h1", db });
        deepEqual(h1.map((s) => [s.metric, s.start, s.end, s.vcpus]), [
          ["committed", "2024-01-02 00:00:00", "2024-01-03 00:00:00", null],
          ["total", "2024-01-01 00:00:00", null, 48],
        ]);
        const late = await readSpans(f("spans"), { start: "2025-01-01", db });
        deepEqual(late.map((s) => s.entity_id), ["e1"]);
        const early = await readSpans(f("spans"), { end: "2023-06-01", db });
        deepEqual(early.map((s) => s.entity_id), ["e3"]);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
