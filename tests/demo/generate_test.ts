import { deepEqual, equal, notDeepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  absentTables,
  contentDigest,
  eraLayout,
  generateDemoSite,
} from "../../lib/demo/generate.ts";
import { profileByName, PROFILES, UNSCALED_TARGETS } from "../../lib/demo/profiles.ts";
import { Duck } from "../../lib/db/duckdb.ts";
import { qualifiedName, REGISTRY } from "../../lib/registry.ts";
import { demoSite } from "../_helpers.ts";

const EXPECTED = JSON.parse(
  await Deno.readTextFile(new URL("./expected_counts.json", import.meta.url)),
);

Deno.test("generateDemoSite() is deterministic: same seed, same content and truth bytes", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir(), c = await Deno.makeTempDir();
  try {
    await generateDemoSite(a, { profile: "small" });
    await generateDemoSite(b, { profile: "small" });
    await generateDemoSite(c, { profile: "small", seed: 7 });
    const da = await contentDigest(join(a, "source.duckdb"));
    deepEqual(da, await contentDigest(join(b, "source.duckdb")));
    notDeepEqual(da, await contentDigest(join(c, "source.duckdb")));
    for (const f of ["ground_truth.json", "ground_truth_hours.parquet"]) {
      deepEqual(await Deno.readFile(join(a, f)), await Deno.readFile(join(b, f)), f);
    }
  } finally {
    for (const d of [a, b, c]) await Deno.remove(d, { recursive: true });
  }
});

for (const profile of ["small", "demo", "kvm"] as const) {
  Deno.test(`generateDemoSite() writes the pinned row counts of the ${profile} profile`, async () => {
    const { dir, truth } = await demoSite(profile);
    deepEqual(truth.counts, EXPECTED[profile]);
    using db = await Duck.open(join(dir, "source.duckdb"), { access_mode: "READ_ONLY" });
    for (const [table, n] of Object.entries(truth.counts)) {
      const [schema, name] = table.split(".");
      equal(Number(await db.value(`SELECT count(*) FROM "${schema}"."${name}"`)), n, table);
    }
  });
}

Deno.test({
  name:
    "generateDemoSite() reaches the exact CHI@TACC row counts of docs/design.md §4 with the tacc profile",
  ignore: Deno.env.get("LEDGER_SKIP_SLOW") === "1",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const truth = await generateDemoSite(dir, { profile: "tacc", truth: false });
      for (const [table, n] of Object.entries(PROFILES.tacc.targets!)) {
        equal(truth.counts[table], n, table);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("generateDemoSite() --scale multiplies entity tables, not the per-day caches", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const one = (await demoSite("small")).truth.counts;
    const two = (await generateDemoSite(dir, { profile: "small", scale: 2, truth: false })).counts;
    for (const t of ["nova.instances", "blazar.leases", "blazar.computehost_allocations"]) {
      const ratio = two[t] / one[t];
      ok(ratio > 1.5 && ratio < 3, `${t} grew ${ratio.toFixed(2)}x`);
    }
    for (const t of UNSCALED_TARGETS) equal(two[t], one[t], t);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generateDemoSite() writes exactly the registry's columns for each Blazar era", async () => {
  for (const era of ["name", "fork", "property"] as const) {
    const { dir } = await demoSite("small", era);
    const layout = eraLayout(era);
    using db = await Duck.open(join(dir, "source.duckdb"), { access_mode: "READ_ONLY" });
    for (const spec of REGISTRY) {
      const name = qualifiedName(spec);
      const cols = (await db.rows<{ column_name: string }>(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2 ORDER BY column_index",
        [spec.schema, spec.table],
      )).map((r) => r.column_name);
      if (layout.skipTables.includes(name) || absentTables(profileByName("small")).includes(name)) {
        deepEqual(cols, [], `${era}: ${name} must be absent`);
        continue;
      }
      const omit = layout.omit[name] ?? [];
      deepEqual(
        cols,
        spec.columns.map((c) => c.name).filter((c) => !omit.includes(c)),
        `${era}: ${name}`,
      );
    }
  }
});

Deno.test("the demo site holds every injected defect the issue lists, as recorded", async () => {
  for (const profile of ["small", "demo"] as const) {
    const { dir, truth } = await demoSite(profile);
    using db = await Duck.open(join(dir, "source.duckdb"), { access_mode: "READ_ONLY" });
    const kinds = new Set(truth.defects.map((d) => d.kind));
    for (
      const k of [
        "missing_nova_history",
        "missing_blazar_history",
        "null_start",
        "phantom",
        "orphan_allocation",
        "lease_deleted_before_start",
        "duplicate_blazar_host",
        "overlapping_registration",
        "never_launched",
        "null_node",
        "termination_only_in_events",
      ]
    ) ok(kinds.has(k), `${profile}: no ${k} defect`);
    const q = (sql: string, id: string) => db.rows(sql, [id]);
    for (const d of truth.defects) {
      if (d.row_id === "*") continue;
      const where = `${d.kind} ${d.table} ${d.row_id}`;
      switch (d.kind) {
        case "null_start": {
          const col = d.table === "nova.compute_nodes" ? "created_at" : "created_at";
          const [schema, t] = d.table.split(".");
          const rows = await q(
            `SELECT ${col} AS s FROM "${schema}"."${t}" WHERE id::VARCHAR = $1`,
            d.row_id,
          );
          equal(rows.length, 1, where);
          equal(rows[0].s, null, where);
          break;
        }
        case "phantom": {
          const sql = d.table === "nova.compute_nodes"
            ? `SELECT deleted_at < created_at AS bad FROM nova.compute_nodes WHERE id::VARCHAR = $1`
            : `SELECT terminated_at < launched_at AS bad FROM nova.instances WHERE id::VARCHAR = $1`;
          deepEqual(await q(sql, d.row_id), [{ bad: true }], where);
          break;
        }
        case "orphan_allocation": {
          const rows = await q(
            `SELECT count(h.id) AS n FROM blazar.computehost_allocations a LEFT JOIN blazar.computehosts h ON h.id = a.compute_host_id WHERE a.id = $1`,
            d.row_id,
          );
          equal(Number(rows[0].n), 0, where);
          break;
        }
        case "lease_deleted_before_start": {
          const rows = await q(
            `SELECT l.deleted_at < l.start_date AS early FROM blazar.computehost_allocations a JOIN blazar.reservations r ON r.id = a.reservation_id JOIN blazar.leases l ON l.id = r.lease_id WHERE a.id = $1`,
            d.row_id,
          );
          deepEqual(rows, [{ early: true }], where);
          break;
        }
        case "duplicate_blazar_host": {
          const rows = await q(
            `SELECT count(*) AS n FROM blazar.computehosts d JOIN blazar.computehosts o ON o.hypervisor_hostname = d.hypervisor_hostname AND o.id <> d.id
               AND o.created_at <= d.created_at AND coalesce(o.deleted_at, TIMESTAMP '9999-01-01') >= d.deleted_at WHERE d.id = $1`,
            d.row_id,
          );
          ok(Number(rows[0].n) >= 1, where);
          break;
        }
        case "overlapping_registration": {
          const rows = await q(
            `SELECT count(*) AS n FROM nova.compute_nodes d JOIN nova.compute_nodes o ON o.hypervisor_hostname = d.hypervisor_hostname AND o.id <> d.id
               AND o.created_at < d.deleted_at AND d.created_at < coalesce(o.deleted_at, TIMESTAMP '9999-01-01') WHERE d.id::VARCHAR = $1`,
            d.row_id,
          );
          ok(Number(rows[0].n) >= 1, where);
          break;
        }
        case "never_launched": {
          deepEqual(
            await q(`SELECT launched_at FROM nova.instances WHERE id::VARCHAR = $1`, d.row_id),
            [{ launched_at: null }],
            where,
          );
          break;
        }
        case "null_node":
        case "offloaded_null_node": {
          const rows = await q(
            `SELECT i.node, (SELECT e.host FROM nova.instance_actions a JOIN nova.instance_actions_events e ON e.action_id = a.id
                WHERE a.instance_uuid = i.uuid AND e.event LIKE 'compute_%' AND e.result = 'Success' ORDER BY e.finish_time DESC LIMIT 1) AS event_host
               FROM nova.instances i WHERE i.id::VARCHAR = $1`,
            d.row_id,
          );
          deepEqual(rows, [{ node: null, event_host: d.detail!.hostname }], where);
          break;
        }
        case "termination_only_in_events": {
          const rows = await q(
            `SELECT i.terminated_at, i.deleted_at, strftime(max(e.finish_time), '%Y-%m-%dT%H:%M:%S') AS ended FROM nova.instances i
               JOIN nova.instance_actions a ON a.instance_uuid = i.uuid JOIN nova.instance_actions_events e ON e.action_id = a.id
               WHERE i.id::VARCHAR = $1 AND e.event = 'compute_terminate_instance' AND e.result = 'Success' GROUP BY ALL`,
            d.row_id,
          );
          deepEqual(rows, [{ terminated_at: null, deleted_at: null, ended: d.detail!.end }], where);
          break;
        }
      }
    }
  }
});

Deno.test("the demo's Blazar host history starts at the Blazar cutoff, Nova's at the Nova cutoff", async () => {
  const { dir, truth } = await demoSite("demo");
  using db = await Duck.open(join(dir, "source.duckdb"), { access_mode: "READ_ONLY" });
  const minDeleted = async (t: string) =>
    (await db.json<{ m: string }>(
      `SELECT min(deleted_at)::VARCHAR AS m FROM ${t} WHERE created_at IS NOT NULL AND deleted_at >= created_at`,
    ))[0].m;
  ok(
    (await minDeleted("nova.compute_nodes")) >= truth.nova_cutoff,
    "a compute node deleted before the Nova cutoff survived",
  );
  ok(
    (await minDeleted("blazar.computehosts")) >= truth.blazar_cutoff,
    "a Blazar host deleted before the Blazar cutoff survived",
  );
  equal(
    String(await db.value("SELECT as_of::VARCHAR FROM main.snapshot_meta")),
    "2026-06-01 00:00:00",
  );
});

Deno.test("request specs link instances to Blazar by hint or reservation flavor, never by reservation_id", async () => {
  const { dir } = await demoSite("demo");
  using db = await Duck.open(join(dir, "source.duckdb"), { access_mode: "READ_ONLY" });
  const [row] = await db.rows<Record<string, bigint>>(`
    SELECT count(*) FILTER (WHERE (spec->'$."nova_object.data".scheduler_hints.reservation[0]') IS NOT NULL) AS hinted,
           count(*) FILTER (WHERE (spec->>'$."nova_object.data".flavor."nova_object.data".name') LIKE 'reservation:%') AS flavored,
           count(*) FILTER (WHERE i.reservation_id IN (SELECT id FROM blazar.reservations)) AS wrongly_linked
      FROM nova_api.request_specs s JOIN nova.instances i ON i.uuid = s.instance_uuid`);
  ok(row.hinted > 1000n && row.flavored > 50n, `hinted ${row.hinted}, flavored ${row.flavored}`);
  equal(row.wrongly_linked, 0n);
});

Deno.test("the ground truth is internally consistent: states nest inside their parents each month", async () => {
  const { dir } = await demoSite("demo");
  using db = await Duck.open();
  const rows = await db.json<{ month: string; metric: string; v: number }>(`
    PIVOT (SELECT month, metric, sum(seconds)::DOUBLE AS s FROM read_parquet('${
    join(dir, "ground_truth_hours.parquet")
  }')
      WHERE resource = 'nodes' GROUP BY ALL) ON metric USING first(s) ORDER BY month`);
  ok(rows.length >= 60, `only ${rows.length} months`);
  for (const r of rows as unknown as Record<string, number>[]) {
    const m = r.month;
    ok(r.reservable <= r.total, `${m} reservable > total`);
    ok(r.committed <= r.reservable, `${m} committed > reservable`);
    ok(r.occupied_reservation <= r.committed, `${m} occupied > committed`);
    ok(r.active_reservation <= r.occupied_reservation, `${m} active > occupied`);
    ok(r.available >= 0, `${m} available < 0`);
    equal(r.pool_unknown, 0);
  }
});
