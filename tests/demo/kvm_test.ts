/**
 * The `kvm` demo profile (docs/design.md §11): its ledger reproduces the ground truth exactly, for
 * every metric, resource, node type and month after the pool's coverage start; fractions of
 * nodes included (docs/decisions/0014-kvm-fractions.md).
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { buildLedger, writeLedgerOutputs } from "../../lib/ledger/build.ts";
import { LEAF_METRICS } from "../../lib/metrics.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { demoSite } from "../_helpers.ts";

Deno.test("kvm demo: the ledger matches the ground truth exactly for every metric, resource, node type and month", async () => {
  const { snapshot } = await demoSnapshot("kvm");
  const { dir, truth } = await demoSite("kvm");
  using db = await Duck.open();
  const spans = await buildSpans(db, snapshot, {
    key: "kvm",
    blazarCoverageStart: truth.blazar_cutoff,
    maintenance: DEFAULT_MAINTENANCE,
  });
  ok(spans.invariants.ok);
  // The short reservation and the hosts without a ratio are counted and said.
  const short = truth.defects.find((d) => d.kind === "flavor_rows_below_amount")!;
  const res = String(short.detail!.reservation_id);
  ok(
    spans.notes.some((n) =>
      n.includes("1 of ") && n.includes(`${res} (${short.detail!.rows} of ${short.detail!.amount})`)
    ),
    spans.notes.join("\n"),
  );
  ok(
    spans.notes.some((n) => /: 14 of 36 KVM hosts have no cpu_allocation_ratio/.test(n)),
    spans.notes.join("\n"),
  );
  // Hand check (docs/decisions/0014-kvm-fractions.md): reservation 4b8dee01, lease
  // 2026-03-01 11:55:41 -> 03-03 21:49:11 (208,410 s), 3 slots of 16 vCPUs on 48-vCPU hosts (c108
  // once, c109 twice); instances 621 (flavorid), 622 (flavor name, clipped 74 s after the lease)
  // and 623 (extra spec) occupy 148,610 + 200,907 + 158,758 s.
  const res1 = "4b8dee01-40bf-4252-81c1-f00767f392f8";
  const [hand] = await db.json<
    { slots: number; committed: number; occupied: number; node_s: number; hosts: string }
  >(`
    SELECT count(*) FILTER (WHERE metric = 'committed')::INTEGER AS slots,
      sum(vcpus * (epoch("end") - epoch(start))) FILTER (WHERE metric = 'committed')::DOUBLE AS committed,
      sum(epoch("end") - epoch(start)) FILTER (WHERE metric = 'occupied_reservation')::DOUBLE AS occupied,
      sum(nodes * 48 * (epoch("end") - epoch(start))) FILTER (WHERE metric = 'committed')::DOUBLE AS node_s,
      string_agg(DISTINCT hypervisor_hostname, ',' ORDER BY hypervisor_hostname) AS hosts
    FROM spans WHERE metric IN ('committed', 'occupied_reservation')
      AND (entity_id = '${res1}' OR source_row_id IN ('621', '622', '623'))`);
  deepEqual(hand, {
    slots: 3,
    committed: 3 * 16 * 208_410, // 2,778.8 vCPU-hours
    occupied: 148_610 + 200_907 + 158_758, // 141.1875 h, 47.0625 node-hours
    node_s: 3 * 16 * 208_410, // a third of a host each: 57.89 node-hours
    hosts: "c108.kvm.demo,c109.kvm.demo",
  });
  const checks = await buildLedger(db, "kvm", { asOf: snapshot.asOf });
  ok(checks.stack.ok, JSON.stringify(checks.stack));
  equal(checks.stack.max_abs_residual, 0);
  ok(checks.sums.exact, JSON.stringify(checks.sums));
  equal(checks.sums.node_units, 1920); // lcm(48, 128, 40), as the truth counts nodes
  deepEqual(checks.negatives, []);
  const out = await Deno.makeTempDir();
  try {
    await writeLedgerOutputs(db, out);
    const rows = await db.json<{
      metric: string;
      resource: string;
      months: number;
      off: number;
      truth_hours: number;
    }>(`
      WITH mine AS (
        SELECT strftime(period_start, '%Y-%m') AS month, metric, node_type, resource, hours
        FROM read_parquet(${sqlLiteral(join(out, "hours.parquet"))}) WHERE period = 'month'
      ), t AS (
        SELECT * FROM read_parquet(${sqlLiteral(join(dir, "ground_truth_hours.parquet"))})
        WHERE month >= '${truth.blazar_cutoff.slice(0, 7)}'
      )
      SELECT t.metric, t.resource, count(*)::INTEGER AS months,
        count(*) FILTER (WHERE coalesce(mine.hours, 0) <> t.hours)::INTEGER AS off,
        sum(t.hours)::DOUBLE AS truth_hours
      FROM t LEFT JOIN mine USING (month, metric, node_type, resource)
      GROUP BY ALL ORDER BY ALL`);
    // 16 metrics x 5 resources, each over 12 months and 3 node types.
    equal(rows.length, 16 * 5);
    for (const r of rows) {
      equal(r.months, 12 * 3, `${r.metric} ${r.resource}`);
      equal(r.off, 0, `${r.metric} ${r.resource}: ${r.off} months differ from the truth`);
    }
    const h = (m: string, res: string) =>
      rows.find((r) => r.metric === m && r.resource === res)!.truth_hours;
    // Several instances share a host: occupied node-hours are fractions, overcommit beside physical.
    ok(h("occupied_reservation", "nodes") > 100 && h("committed", "vcpus") > 100_000);
    ok(h("total", "vcpus_overcommit") > 4 * h("total", "vcpus"));
    ok(h("active_reservation", "nodes") < h("occupied_reservation", "nodes"));
    // The leaves of the stack sum to total in the truth, too (the truth has no operator holds:
    // the kvm site lists no ops_projects, and the truth writes no all-zero operator_hold rows).
    const leaves = LEAF_METRICS.filter((m) => m !== "operator_hold")
      .reduce((a, m) => a + h(m, "nodes"), 0);
    ok(Math.abs(leaves - h("total", "nodes")) < 1e-6);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
