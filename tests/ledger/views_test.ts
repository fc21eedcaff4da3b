import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { hoursByMonth, projectsByYear, resampledUsage } from "../../lib/ledger/views.ts";

Deno.test("projectsByYear() sums node types per project and year, with idle and use of committed", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  equal(await projectsByYear(db, dir, "nodes"), null, "no file: null, not an error");
  await db.run(
    `COPY (SELECT 's' AS site, p AS project_id, m AS metric, r AS resource, nt AS node_type,
      per AS period, CAST(d AS DATE) AS period_start, h AS hours FROM (VALUES
      ('a', 'committed', 'nodes', 'bm', 'year', '2025-01-01', 60.0),
      ('a', 'committed', 'nodes', 'gpu', 'year', '2025-01-01', 40.0),
      ('a', 'occupied_reservation', 'nodes', 'bm', 'year', '2025-01-01', 25.0),
      ('a', 'committed', 'nodes', 'bm', 'month', '2025-01-01', 60.0),
      ('a', 'committed', 'vcpus', 'bm', 'year', '2025-01-01', 9999.0),
      ('b', 'occupied_ondemand', 'nodes', 'bm', 'year', '2025-01-01', 7.0),
      ('ops', 'operator_hold', 'nodes', 'bm', 'year', '2024-01-01', 30.0)
    ) t(p, m, r, nt, per, d, h)) TO ${
      sqlLiteral(join(dir, "project_hours.parquet"))
    } (FORMAT parquet)`,
  );
  const rows = await projectsByYear(db, dir, "nodes");
  deepEqual(rows, [
    {
      year: 2024,
      project_id: "ops",
      committed: 0,
      operator_hold: 30,
      occupied_reservation: 0,
      occupied_ondemand: 0,
      idle: 0,
      use_of_committed: null,
    },
    {
      year: 2025,
      project_id: "a",
      committed: 100,
      operator_hold: 0,
      occupied_reservation: 25,
      occupied_ondemand: 0,
      idle: 75,
      use_of_committed: 0.25,
    },
    {
      year: 2025,
      project_id: "b",
      committed: 0,
      operator_hold: 0,
      occupied_reservation: 0,
      occupied_ondemand: 7,
      idle: 0,
      use_of_committed: null,
    },
  ]);
  await rejects(() => projectsByYear(db, dir, "gpus"), /Unknown resource "gpus"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hoursByMonth() and resampledUsage() read the hours and steps of an output directory", async () => {
  const dir = await Deno.makeTempDir();
  using db = await Duck.open();
  await rejects(() => hoursByMonth(db, dir, "nodes"), /hours\.parquet": the file is missing/);
  await db.run(
    `COPY (SELECT 's' AS site, 'current' AS collector_type, m AS metric, 'nodes' AS resource,
      'bm' AS node_type, 'month' AS period, DATE '2025-01-01' AS period_start, h AS hours FROM (VALUES
      ('total', 744.0), ('available', 700.0), ('idle', 44.0), ('committed', 44.0)) t(m, h)) TO ${
      sqlLiteral(join(dir, "hours.parquet"))
    } (FORMAT parquet)`,
  );
  const [month] = await hoursByMonth(db, dir, "nodes");
  equal(month.month, "2025-01");
  equal(month.total, 744);
  equal(month.leaves, 744);
  // 1 node from the start, 3 from noon of the second day: daily means 1 and 2.
  await db.run(
    `COPY (SELECT 's' AS site, 'current' AS collector_type, 'total' AS metric, 'nodes' AS resource,
      'bm' AS node_type, ts AS timestamp, v AS value FROM (VALUES
      (TIMESTAMP '2025-01-01 00:00:00', 1.0), (TIMESTAMP '2025-01-02 12:00:00', 3.0)) t(ts, v)) TO ${
      sqlLiteral(join(dir, "usage.parquet"))
    } (FORMAT parquet)`,
  );
  const points = await resampledUsage(db, dir, {
    bucket: "day",
    resource: "nodes",
    start: "2025-01-01",
    end: "2025-01-03",
    metrics: ["total"],
  });
  deepEqual(points.map((p) => p.value), [1, 2]);
  await rejects(
    () =>
      resampledUsage(db, dir, {
        bucket: "day",
        resource: "nodes",
        start: "2025-01-03",
        end: "2025-01-01",
      }),
    /expected the window end after its start/,
  );
  await Deno.remove(dir, { recursive: true });
});
