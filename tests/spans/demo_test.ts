import { equal, ok } from "node:assert/strict";
import { sqlLiteral } from "../../lib/sql.ts";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { MEASURED_METRICS } from "../../lib/metrics.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { demoSite } from "../_helpers.ts";

for (const profile of ["small", "demo"] as const) {
  Deno.test(`spans of the ${profile} site: every injected defect gets its recorded reason or recovery`, async () => {
    const { snapshot } = await demoSnapshot(profile);
    const { truth } = await demoSite(profile);
    using db = await Duck.open();
    const r = await buildSpans(db, snapshot, {
      key: profile,
      blazarCoverageStart: truth.blazar_cutoff,
      maintenance: DEFAULT_MAINTENANCE,
    });
    ok(r.invariants.ok, "the invariants hold");
    const defects = truth.defects.filter((d) => d.row_id !== "*");
    await db.run(
      "CREATE TABLE defects (kind VARCHAR, tbl VARCHAR, row_id VARCHAR, reason VARCHAR, host VARCHAR, end_at VARCHAR)",
    );
    for (const d of defects) {
      await db.run("INSERT INTO defects VALUES ($1, $2, $3, $4, $5, $6)", [
        d.kind,
        d.table,
        d.row_id,
        d.reason,
        (d.detail?.hostname as string) ?? null,
        (d.detail?.end as string) ?? null,
      ]);
    }
    const bad = await db.json<Record<string, string>>(`
      WITH found AS (
        SELECT source, source_row_id, list(DISTINCT reason) AS reasons, any_value(hypervisor_hostname) AS host,
          strftime(max("end"), '%Y-%m-%dT%H:%M:%S') AS last_end
        FROM (SELECT source, source_row_id, reason, hypervisor_hostname, "end" FROM audit
              UNION ALL SELECT source, source_row_id, NULL, hypervisor_hostname, "end" FROM spans) GROUP BY ALL
      )
      SELECT d.kind, d.tbl, d.row_id, d.reason, f.reasons::VARCHAR AS found, d.host, f.host AS found_host, d.end_at, f.last_end
      FROM defects d LEFT JOIN found f ON f.source = d.tbl AND f.source_row_id = d.row_id
      WHERE (d.reason IS NOT NULL AND NOT coalesce(list_contains(f.reasons, d.reason), false))
         OR (d.reason IS NULL AND d.host IS NOT NULL AND f.host IS DISTINCT FROM d.host)
         OR (d.reason IS NULL AND d.end_at IS NOT NULL AND f.last_end IS DISTINCT FROM d.end_at)`);
    equal(bad.length, 0, `defects not found as recorded: ${JSON.stringify(bad.slice(0, 5))}`);
    const checked = defects.length;
    ok(checked >= 20, `only ${checked} defects checked`);
  });
}

Deno.test("spans of the demo site reproduce the ground truth to the second after the coverage start", async () => {
  const { snapshot } = await demoSnapshot("demo");
  const { dir, truth } = await demoSite("demo");
  using db = await Duck.open();
  await buildSpans(db, snapshot, {
    key: "demo",
    blazarCoverageStart: truth.blazar_cutoff,
    maintenance: DEFAULT_MAINTENANCE,
  });
  const measured = MEASURED_METRICS.map((m) => sqlLiteral(m)).join(", ");
  const rows = await db.json<
    {
      metric: string;
      node_type: string;
      resource: string;
      months: string;
      abs_diff: number;
      truth_hours: number;
    }
  >(`
    WITH months AS (
      SELECT range AS m FROM range(TIMESTAMP '${truth.blazar_cutoff}', TIMESTAMP '${
    truth.as_of.replace("T", " ")
  }', INTERVAL 1 MONTH)
    ), sp AS (
      SELECT metric, node_type, start AS s, coalesce("end", TIMESTAMP '${
    truth.as_of.replace("T", " ")
  }') AS e, nodes, vcpus FROM spans
    ), mine AS (
      SELECT strftime(m, '%Y-%m') AS month, metric, node_type,
        sum((epoch(least(e, m + INTERVAL 1 MONTH)) - epoch(greatest(s, m))) * nodes) AS nodes,
        sum((epoch(least(e, m + INTERVAL 1 MONTH)) - epoch(greatest(s, m))) * vcpus) AS vcpus
      FROM sp JOIN months ON s < m + INTERVAL 1 MONTH AND m < e GROUP BY ALL
    ), mine_long AS (UNPIVOT mine ON nodes, vcpus INTO NAME resource VALUE secs),
    t AS (
      SELECT month, metric, node_type, resource, seconds FROM read_parquet(${
    sqlLiteral(join(dir, "ground_truth_hours.parquet"))
  })
      WHERE month >= '${
    truth.blazar_cutoff.slice(0, 7)
  }' AND metric IN (${measured}) AND resource IN ('nodes', 'vcpus')
    )
    SELECT t.metric, t.node_type, t.resource, count(*) AS months,
      sum(abs(coalesce(mine_long.secs, 0) - t.seconds))::DOUBLE AS abs_diff, (sum(t.seconds) / 3600)::DOUBLE AS truth_hours
    FROM t LEFT JOIN mine_long USING (month, metric, node_type, resource)
    GROUP BY ALL ORDER BY ALL`);
  ok(rows.length > 50, `only ${rows.length} series compared`);
  for (const r of rows) {
    ok(
      r.abs_diff < 1,
      `${r.metric} ${r.node_type} ${r.resource}: off by ${r.abs_diff} s over ${r.months} months`,
    );
  }
  ok(
    rows.some((r) => r.metric === "active_reservation" && r.truth_hours > 1000),
    "the comparison covers active hours",
  );
});

Deno.test("the two chains side by side and one after the other give the same spans and audit", async () => {
  const { snapshot } = await demoSnapshot("small");
  const { truth } = await demoSite("small");
  const site = {
    key: "small",
    blazarCoverageStart: truth.blazar_cutoff,
    maintenance: DEFAULT_MAINTENANCE,
  };
  using db = await Duck.open();
  using other = await Duck.open();
  await buildSpans(db, snapshot, site, { sideBySide: true });
  await buildSpans(other, snapshot, site, { sideBySide: false });
  const dir = await Deno.makeTempDir();
  for (const [d, name] of [[db, "a"], [other, "b"]] as const) {
    for (const t of ["spans", "audit"]) {
      await d.run(`COPY ${t} TO ${sqlLiteral(join(dir, `${name}_${t}.parquet`))} (FORMAT parquet)`);
    }
  }
  for (const t of ["spans", "audit"]) {
    const [a, b] = ["a", "b"].map((n) => sqlLiteral(join(dir, `${n}_${t}.parquet`)));
    const n = Number(await db.value(`SELECT count(*) FROM ${a}`));
    ok(n >= 50, `${t}: ${n} rows`);
    equal(await db.value(`SELECT count(*) FROM (FROM ${a} EXCEPT ALL FROM ${b})`), 0n, t);
    equal(await db.value(`SELECT count(*) FROM (FROM ${b} EXCEPT ALL FROM ${a})`), 0n, t);
  }
  await Deno.remove(dir, { recursive: true });
});
