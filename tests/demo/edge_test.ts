import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { buildLedger, writeLedgerOutputs } from "../../lib/ledger/build.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { demoSite } from "../_helpers.ts";

Deno.test("the ledger of the edge demo matches its ground truth exactly: every state, machine type and month, in device-seconds", async () => {
  const { snapshot } = await demoSnapshot("edge");
  const { dir, truth } = await demoSite("edge");
  using db = await Duck.open();
  const spans = await buildSpans(db, snapshot, {
    key: "edge",
    maintenance: DEFAULT_MAINTENANCE,
  });
  ok(spans.invariants.ok, "the invariants hold");
  for (const source of ["blazar.devices", "blazar.device_allocations", "zun.container"]) {
    ok(
      spans.invariants.checks.filter((c) => c.source === source && c.ok).length === 2,
      `rows and seconds checked for ${source}`,
    );
  }
  const checks = await buildLedger(db, "edge", { asOf: snapshot.asOf });
  ok(checks.stack.ok, "the leaves sum to total for every resource");
  const out = await Deno.makeTempDir();
  await writeLedgerOutputs(db, out);
  const rows = await db.json<
    { metric: string; cells: number; abs_diff: number; truth_hours: number }
  >(`
    WITH mine AS (
      SELECT strftime(period_start, '%Y-%m') AS month, metric, node_type, resource,
        round(hours * 3600) AS seconds
      FROM read_parquet(${sqlLiteral(join(out, "hours.parquet"))}) WHERE period = 'month'
    ), t AS (SELECT * FROM read_parquet(${sqlLiteral(join(dir, "ground_truth_hours.parquet"))}))
    SELECT t.metric, count(*)::INTEGER AS cells,
      sum(abs(coalesce(mine.seconds, 0) - t.seconds))::DOUBLE AS abs_diff,
      (sum(t.seconds) / 3600)::DOUBLE AS truth_hours
    FROM t LEFT JOIN mine USING (month, metric, node_type, resource) GROUP BY ALL ORDER BY ALL`);
  equal(rows.length, 16, "every measured and derived state");
  for (const r of rows) equal(r.abs_diff, 0, `${r.metric}: off by ${r.abs_diff} device-seconds`);
  const hours = Object.fromEntries(rows.map((r) => [r.metric, r.truth_hours]));
  ok(hours.committed > 1e6 && hours.occupied_reservation > 1e5, JSON.stringify(hours));
  ok(hours.ondemand_capacity > 0, "non-reservable devices are outside the reservable pool");
  // Nothing of an Edge site lands in the host resources.
  equal(
    await db.value<number>(
      `SELECT count(*)::INTEGER FROM read_parquet(${
        sqlLiteral(join(out, "hours.parquet"))
      }) WHERE resource <> 'devices' AND hours <> 0`,
    ),
    0,
  );
  const types = await db.json<{ node_type: string }>(
    `SELECT DISTINCT node_type FROM read_parquet(${
      sqlLiteral(join(dir, "ground_truth_hours.parquet"))
    }) ORDER BY 1`,
  );
  equal(
    types.map((t) => t.node_type).join(","),
    "container,jetson-nano,jetson-xavier-nx,raspberrypi4-64,raspberrypi5",
  );
  ok(truth.counts["blazar.devices"] === 300);
  await Deno.remove(out, { recursive: true });
});

Deno.test("edge demo: every injected case gets its recorded audit reason", async () => {
  const { snapshot } = await demoSnapshot("edge");
  const { truth } = await demoSite("edge");
  using db = await Duck.open();
  await buildSpans(db, snapshot, { key: "edge", maintenance: DEFAULT_MAINTENANCE });
  const defects = truth.defects.filter((d) => d.row_id !== "*");
  const kinds = new Set(defects.map((d) => d.kind));
  for (
    const k of [
      "lease_outlives_device",
      "deleted_before_start",
      "allocation_of_missing_device",
      "second_container",
      "container_on_no_device",
      "container_never_started",
    ]
  ) ok(kinds.has(k), `the edge demo injects ${k}`);
  await db.run("CREATE TABLE defects (tbl VARCHAR, row_id VARCHAR, reason VARCHAR)");
  for (const d of defects) {
    await db.run("INSERT INTO defects VALUES ($1, $2, $3)", [d.table, d.row_id, d.reason]);
  }
  const bad = await db.json(`
    SELECT d.* FROM defects d LEFT JOIN audit a
      ON a.source = d.tbl AND a.source_row_id = d.row_id AND a.reason = d.reason
    WHERE a.source IS NULL`);
  equal(bad.length, 0, JSON.stringify(bad.slice(0, 5)));
  const lost = truth.defects.find((d) => d.kind === "zun_hard_delete")!;
  ok(Number(lost.detail!.deleted_containers) > 1000, "most stopped containers left no row");
});
