import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { buildLedger } from "../../lib/ledger/build.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";
import { demoSite } from "../_helpers.ts";

Deno.test("ops_projects: the demo with its busiest project as operators holds that project's commitments apart, exactly", async () => {
  const { snapshot } = await demoSnapshot("demo");
  const { dir, truth } = await demoSite("demo");
  const cutoff = truth.blazar_cutoff.slice(0, 7);
  const truthFile = sqlLiteral(join(dir, "ground_truth_project_hours.parquet"));
  using db = await Duck.open();
  const ops = await db.value<string>(`
    SELECT project_id FROM read_parquet(${truthFile})
    WHERE metric = 'committed' AND resource = 'nodes' AND month >= '${cutoff}'
    GROUP BY ALL ORDER BY sum(seconds) DESC, project_id LIMIT 1`);
  const spans = await buildSpans(db, snapshot, {
    key: "demo",
    blazarCoverageStart: truth.blazar_cutoff,
    maintenance: DEFAULT_MAINTENANCE,
    opsProjects: [ops],
  });
  ok(spans.invariants.ok);
  // Instances in the operators' reservations are audited as part of the hold.
  const held = await db.value<bigint>(
    "SELECT count(DISTINCT source_row_id) FROM audit WHERE reason = 'operator_hold'",
  );
  ok(held > 0n, `${held} instances in operator holds`);
  const checks = await buildLedger(db, "demo", { asOf: snapshot.asOf });
  ok(checks.stack.ok, JSON.stringify(checks.stack));
  ok(checks.projects.ok, JSON.stringify(checks.projects));
  // Per month, node type and resource (from the cutoff on): operator_hold is the project's
  // committed truth; committed and occupied_reservation are the truth less that project's.
  const rows = await db.json<{ metric: string; keys: number; off: number; max_diff: number }>(`
    WITH t AS (
      SELECT month, node_type, metric, resource,
        sum(seconds) FILTER (WHERE project_id <> ${sqlLiteral(ops)}) AS users,
        sum(seconds) FILTER (WHERE project_id = ${sqlLiteral(ops)}) AS operators
      FROM read_parquet(${truthFile}) WHERE month >= '${cutoff}' GROUP BY ALL
    ), expected AS (
      SELECT month, node_type, metric, resource, coalesce(users, 0) AS seconds FROM t
      WHERE metric IN ('committed', 'occupied_reservation')
      UNION ALL
      SELECT month, node_type, 'operator_hold', resource, operators FROM t
      WHERE metric = 'committed' AND operators IS NOT NULL
    ), mine AS (
      SELECT strftime(period_start, '%Y-%m') AS month, node_type, metric, resource, round(hours * 3600) AS seconds
      FROM hours_t WHERE period = 'month' AND month >= '${cutoff}'
        AND metric IN ('committed', 'occupied_reservation', 'operator_hold')
    )
    SELECT metric, count(*)::INTEGER AS keys,
      count(*) FILTER (WHERE abs(coalesce(mine.seconds, 0) - coalesce(e.seconds, 0)) > 1e-6)::INTEGER AS off,
      max(abs(coalesce(mine.seconds, 0) - coalesce(e.seconds, 0)))::DOUBLE AS max_diff
    FROM expected e FULL JOIN mine USING (month, node_type, metric, resource)
    GROUP BY ALL ORDER BY ALL`);
  equal(rows.map((r) => r.metric).join(), "committed,occupied_reservation,operator_hold");
  for (const r of rows) {
    equal(r.off, 0, `${r.metric}: ${r.off} of ${r.keys} keys off, by up to ${r.max_diff} s`);
  }
  // The hold is the operators' alone in project_hours, and none of their hours is committed.
  const [p] = await db.json<{ hold: number; committed: number; others: number }>(`
    SELECT coalesce(sum(hours) FILTER (WHERE metric = 'operator_hold' AND project_id = ${
    sqlLiteral(ops)
  }), 0)::DOUBLE AS hold,
      coalesce(sum(hours) FILTER (WHERE metric = 'committed' AND project_id = ${
    sqlLiteral(ops)
  }), 0)::DOUBLE AS committed,
      coalesce(sum(hours) FILTER (WHERE metric = 'operator_hold' AND project_id <> ${
    sqlLiteral(ops)
  }), 0)::DOUBLE AS others
    FROM project_hours_t WHERE period = 'year' AND resource = 'nodes'`);
  ok(p.hold > 0);
  equal(p.committed, 0);
  equal(p.others, 0);
});
