/**
 * A hand-built KVM site through stages 02 and 03 (docs/design.md §11,
 * docs/decisions/0014-kvm-fractions.md): flavor slots sized by `instance_reservations`, several
 * slots of one reservation on one host, a reservation with fewer rows than `amount`, instances
 * tied to reservations by hint, flavor extra spec and `flavorid`, a `physical:host` reservation
 * on a KVM host, overcommit ratios set, NULL and 0, and fractions of nodes that are not binary
 * fractions (4/40), all with answers worked out by hand.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { Duck } from "../../lib/db/duckdb.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { buildLedger } from "../../lib/ledger/build.ts";
import { snapshotOf, type Tables } from "../_snapshot.ts";
import {
  allocation,
  blazarHost,
  computeNode,
  instance,
  lease,
  nodeTypeCap,
  reservation,
} from "../spans/_run.ts";

const AS_OF = "2026-01-01T00:00:00";
const DAY = 86400;

/** A QEMU hypervisor of `vcpus` cores with a given overcommit ratio. */
function kvmNode(id: number, host: string, vcpus: number, ratio: number | null) {
  return computeNode(id, host, "2025-01-01 00:00:00", null, {
    host,
    hypervisor_type: "QEMU",
    vcpus,
    memory_mb: vcpus * 4000,
    local_gb: vcpus * 20,
    cpu_allocation_ratio: ratio,
    disk_allocation_ratio: 1.0,
  });
}

function kvmBlazarHost(id: string, host: string, vcpus: number) {
  return {
    ...blazarHost(id, host, "2025-01-01 00:00:00"),
    hypervisor_type: "QEMU",
    vcpus,
    memory_mb: vcpus * 4000,
    local_gb: vcpus * 20,
  };
}

function slotSize(id: string, reservationId: string, vcpus: number, amount: number) {
  return {
    id,
    reservation_id: reservationId,
    vcpus,
    memory_mb: vcpus * 2000,
    disk_gb: 40,
    amount,
    affinity: false,
    created_at: "2025-02-01 00:00:00",
  };
}

/** A request spec whose flavor is `flavor` (name, flavorid, extra specs) and maybe a hint. */
function kvmSpec(
  id: number,
  uuid: string,
  flavor: { name: string; flavorid: string; extra?: Record<string, string> },
  hint?: string,
) {
  const data: Record<string, unknown> = {
    instance_uuid: uuid,
    flavor: {
      "nova_object.name": "Flavor",
      "nova_object.data": {
        name: flavor.name,
        flavorid: flavor.flavorid,
        extra_specs: flavor.extra ?? {},
      },
    },
  };
  if (hint) data.scheduler_hints = { reservation: [hint] };
  return {
    id,
    instance_uuid: uuid,
    spec: JSON.stringify({ "nova_object.name": "RequestSpec", "nova_object.data": data }),
  };
}

function kvmInstance(
  id: number,
  uuid: string,
  node: string,
  vcpus: number,
  launched: string,
  ended: string | null,
  disk: [number, number],
) {
  return instance(id, uuid, node, launched, ended, {
    host: node,
    vcpus,
    memory_mb: vcpus * 2000,
    root_gb: disk[0],
    ephemeral_gb: disk[1],
  });
}

const TABLES: Tables = {
  // K1: 48 vCPUs, ratio 4; K2: 64, ratio NULL (default); K3: 40, ratio 0 (default), on demand.
  "nova.compute_nodes": [
    kvmNode(1, "K1", 48, 4.0),
    kvmNode(2, "K2", 64, null),
    kvmNode(3, "K3", 40, 0),
  ],
  "blazar.computehosts": [kvmBlazarHost("ch-k1", "K1", 48), kvmBlazarHost("ch-k2", "K2", 64)],
  "blazar.computehost_extra_capabilities": [
    nodeTypeCap("cap-1", "ch-k1", "kvm"),
    nodeTypeCap("cap-2", "ch-k2", "kvm"),
  ],
  "blazar.leases": [
    lease("L1", "2025-03-01 00:00:00", "2025-03-11 00:00:00", "2025-02-01 00:00:00"),
    lease("L2", "2025-03-05 00:00:00", "2025-03-07 00:00:00", "2025-02-01 00:00:00"),
    lease("L3", "2025-04-01 00:00:00", "2025-04-02 00:00:00", "2025-02-01 00:00:00"),
  ],
  "blazar.reservations": [
    reservation("R1", "L1", "flavor:instance"),
    reservation("R2", "L2", "flavor:instance"),
    reservation("R3", "L3", "physical:host"),
  ],
  // R1: 3 slots of 8 vCPUs (two on K1, one on K2); R2: 4 slots of 16 asked, 2 written (K2).
  "blazar.instance_reservations": [slotSize("ir1", "R1", 8, 3), slotSize("ir2", "R2", 16, 4)],
  "blazar.computehost_allocations": [
    allocation("a1", "ch-k1", "R1"),
    allocation("a2", "ch-k1", "R1"),
    allocation("a3", "ch-k2", "R1"),
    allocation("a4", "ch-k2", "R2"),
    allocation("a5", "ch-k2", "R2"),
    allocation("a6", "ch-k2", "R3"),
  ],
  "nova.instances": [
    // In R1 by flavorid, 2 days on K1.
    kvmInstance(1, "i1", "K1", 8, "2025-03-01 12:00:00", "2025-03-03 12:00:00", [40, 0]),
    // In R2 by the flavor's extra spec, runs past the lease end (clipped at 03-07).
    kvmInstance(2, "i2", "K2", 16, "2025-03-05 00:00:00", null, [20, 20]),
    // In R1 by scheduler hint, 1 day on K2.
    kvmInstance(4, "i4", "K2", 8, "2025-03-02 00:00:00", "2025-03-03 00:00:00", [40, 0]),
    // On demand on K3: 4 of 40 vCPUs (a tenth of a node, no binary fraction), open at as_of.
    kvmInstance(3, "i3", "K3", 4, "2025-06-01 00:00:00", null, [10, 5]),
  ],
  "nova_api.request_specs": [
    kvmSpec(1, "i1", { name: "m1.r1", flavorid: "R1" }),
    kvmSpec(2, "i2", {
      name: "m1.r2",
      flavorid: "f-2",
      extra: { "aggregate_instance_extra_specs:reservation": "R2" },
    }),
    kvmSpec(4, "i4", { name: "m1.small", flavorid: "2" }, "R1"),
    kvmSpec(3, "i3", { name: "m1.small", flavorid: "2" }),
  ],
  "nova.instance_actions": [],
  "nova.instance_actions_events": [],
};

Deno.test("KVM spans: flavor slots and instances are shares of their host; whole hosts keep whole-host semantics", async () => {
  const snap = await snapshotOf(TABLES, AS_OF);
  using db = await Duck.open();
  try {
    const r = await buildSpans(db, snap, {
      key: "kvm",
      blazarCoverageStart: "2025-01-01",
      maintenance: DEFAULT_MAINTENANCE,
    });
    ok(r.invariants.ok);
    type Row = {
      metric: string;
      entity_id: string;
      source_row_id: string;
      hypervisor_hostname: string;
      seconds: number;
      nodes: number;
      vcpus: number;
      memory_mb: number;
      disk_gb: number;
      vcpus_overcommit: number;
      host_vcpus: number | null;
    };
    const spans = await db.json<Row>(`
      SELECT metric::VARCHAR AS metric, entity_id, source_row_id, hypervisor_hostname,
        (epoch(coalesce("end", TIMESTAMP '2026-01-01')) - epoch(start))::DOUBLE AS seconds,
        nodes, vcpus, memory_mb, disk_gb, vcpus_overcommit, host_vcpus
      FROM spans ORDER BY metric, source_row_id, start`);
    const one = (metric: string, row: string) =>
      spans.filter((s) => s.metric === metric && s.source_row_id === row);
    // Totals: whole hosts; overcommit from the ratio, or 16 where it is NULL or 0.
    const total = (row: string) => one("total", row)[0];
    deepEqual(
      ["1", "2", "3"].map((id) => [total(id).nodes, total(id).vcpus, total(id).vcpus_overcommit]),
      [[1, 48, 192], [1, 64, 1024], [1, 40, 640]],
    );
    equal(total("1").host_vcpus, null);
    // Flavor slots: each allocation row is one slot of R1's size (8 vCPUs).
    for (const [row, host, hv] of [["a1", "K1", 48], ["a2", "K1", 48], ["a3", "K2", 64]] as const) {
      const [s] = one("committed", row);
      equal(s.hypervisor_hostname, host);
      equal(s.seconds, 10 * DAY);
      deepEqual(
        [s.vcpus, s.memory_mb, s.disk_gb, s.vcpus_overcommit, s.host_vcpus, s.nodes],
        [8, 16000, 40, 8, hv, 8 / hv],
      );
    }
    // R2 wrote 2 rows of 4: 2 slots counted, and the note says so.
    deepEqual(one("committed", "a4").map((s) => [s.vcpus, s.nodes, s.seconds]), [[
      16,
      0.25,
      2 * DAY,
    ]]);
    ok(
      r.notes.some((n) =>
        n.includes("1 of 2 flavor:instance reservations") && n.includes("R2 (2 of 4)")
      ),
      r.notes.join("\n"),
    );
    // physical:host on a KVM host: the whole host.
    deepEqual(
      one("committed", "a6").map((s) => [s.nodes, s.vcpus, s.vcpus_overcommit, s.host_vcpus]),
      [
        [1, 64, 1024, null],
      ],
    );
    // Instances: their own size; membership by flavorid, extra spec and hint.
    const occ = (row: string) =>
      one("occupied_reservation", row).concat(one("occupied_ondemand", row));
    deepEqual(occ("1").map((s) => [s.metric, s.entity_id, s.seconds, s.nodes, s.disk_gb]), [
      ["occupied_reservation", "i1", 2 * DAY, 8 / 48, 40],
    ]);
    deepEqual(occ("2").map((s) => [s.metric, s.seconds, s.vcpus, s.disk_gb, s.nodes]), [
      ["occupied_reservation", 2 * DAY, 16, 40, 0.25],
    ]);
    deepEqual(occ("4").map((s) => [s.metric, s.seconds, s.nodes]), [[
      "occupied_reservation",
      DAY,
      0.125,
    ]]);
    deepEqual(occ("3").map((s) => [s.metric, s.vcpus, s.memory_mb, s.disk_gb, s.host_vcpus]), [
      ["occupied_ondemand", 4, 8000, 15, 40],
    ]);
    equal(occ("3")[0].nodes, 4 / 40);
    ok(
      r.notes.some((n) =>
        n.includes("2 of 3 KVM hosts have no cpu_allocation_ratio") && n.includes("uses 16")
      ),
      r.notes.join("\n"),
    );

    // Stage 03 on the same spans: node units, exact sums, hand-computed hours.
    const checks = await buildLedger(db, "kvm", { asOf: AS_OF, start: "2025-01-01" });
    equal(checks.sums.node_units, 960); // lcm(48, 64, 40)
    ok(checks.sums.exact, JSON.stringify(checks.sums));
    ok(checks.stack.ok, JSON.stringify(checks.stack));
    equal(checks.stack.max_abs_residual, 0);
    const hours = async (metric: string, resource: string, month: string) =>
      await db.value<number>(
        `SELECT sum(hours) FROM hours_t WHERE period = 'month' AND metric = $1 AND resource = $2 AND strftime(period_start, '%Y-%m') = $3`,
        [metric, resource, month],
      );
    // March: R1 10 d x (16/48 + 8/64), R2 2 d x 32/64, in node-hours: 80 + 30 + 24.
    equal(await hours("committed", "nodes", "2025-03"), 134);
    equal(await hours("committed", "vcpus", "2025-03"), 240 * 16 + 240 * 8 + 48 * 32);
    equal(await hours("committed", "vcpus_overcommit", "2025-03"), 240 * 16 + 240 * 8 + 48 * 32);
    // Occupied in March: i1 48 h x 1/6, i2 48 h x 1/4, i4 24 h x 1/8 = 8 + 12 + 3.
    equal(await hours("occupied_reservation", "nodes", "2025-03"), 23);
    equal(await hours("idle", "nodes", "2025-03"), 111);
    // April: R3 holds K2 whole for a day.
    equal(await hours("committed", "nodes", "2025-04"), 24);
    equal(await hours("committed", "vcpus_overcommit", "2025-04"), 24 * 1024);
    // July, on demand: a tenth of K3 all month, 74.4 node-hours, exactly as 0.1 x 744 rounds.
    equal(await hours("occupied_ondemand", "nodes", "2025-07"), 744 * 4 / 40);
    equal(await hours("available_ondemand", "nodes", "2025-07"), 744 * 36 / 40);
    equal(await hours("total", "vcpus_overcommit", "2025-07"), 744 * (192 + 1024 + 640));
    const daily = await db.value<number>(
      "SELECT value FROM usage_daily_t WHERE metric = 'occupied_ondemand' AND resource = 'nodes' AND timestamp = TIMESTAMP '2025-07-04'",
    );
    equal(daily, 0.1);
    // The step values in the outputs are the fractions; the leaves sum to total at every step.
    const residual = await db.value<number>(`
      WITH u AS (
        SELECT metric::VARCHAR AS metric, node_type::VARCHAR AS node_type, timestamp, value FROM usage_t
        WHERE resource = 'nodes' AND metric IN ('total', 'active_reservation', 'stopped_reservation',
          'idle', 'maintenance', 'available', 'active_ondemand', 'stopped_ondemand',
          'available_ondemand', 'pool_unknown')
      ), grid AS (
        SELECT * FROM (SELECT DISTINCT node_type, timestamp FROM u)
          JOIN (SELECT DISTINCT node_type, metric FROM u) USING (node_type)
      ), v AS (
        SELECT g.node_type, g.timestamp, sum(CASE WHEN g.metric = 'total' THEN -u.value ELSE u.value END) AS r
        FROM grid g ASOF LEFT JOIN u ON u.node_type = g.node_type AND u.metric = g.metric
          AND g.timestamp >= u.timestamp
        GROUP BY ALL)
      SELECT max(abs(r)) FROM v`);
    ok(residual < 1e-12, String(residual));
    const idleAt = await db.value<number>(
      "SELECT value FROM usage_t WHERE metric = 'idle' AND resource = 'nodes' AND timestamp <= TIMESTAMP '2025-03-02 06:00:00' ORDER BY timestamp DESC LIMIT 1",
    );
    // 03-02 06:00: slots 16/48 + 8/64 committed, i1 (8/48) and i4 (8/64) inside: idle 8/48.
    equal(idleAt, 160 / 960);
  } finally {
    await Deno.remove(snap.inputDir, { recursive: true });
  }
});

Deno.test("KVM spans: the site's cpu_allocation_ratio replaces NULL and 0 ratios; a bare-metal site has no vcpus_overcommit", async () => {
  const snap = await snapshotOf(TABLES, AS_OF);
  using db = await Duck.open();
  try {
    const r = await buildSpans(db, snap, {
      key: "kvm",
      blazarCoverageStart: "2025-01-01",
      maintenance: DEFAULT_MAINTENANCE,
      cpuAllocationRatio: 2.0,
    });
    const oc = await db.json<{ h: string; v: number }>(
      "SELECT hypervisor_hostname AS h, vcpus_overcommit AS v FROM spans WHERE metric = 'total' ORDER BY 1",
    );
    deepEqual(oc.map((x) => x.v), [192, 128, 80]);
    ok(
      r.notes.some((n) => n.includes("uses 2 (the site's cpu_allocation_ratio)")),
      r.notes.join("\n"),
    );
  } finally {
    await Deno.remove(snap.inputDir, { recursive: true });
  }
  const bare = await snapshotOf({
    "nova.compute_nodes": [computeNode(1, "B1", "2025-01-01 00:00:00")],
  }, AS_OF);
  using db2 = await Duck.open();
  try {
    await buildSpans(db2, bare, { key: "bm", maintenance: DEFAULT_MAINTENANCE });
    equal(await db2.value<number>("SELECT count(vcpus_overcommit) FROM spans"), 0);
    const checks = await buildLedger(db2, "bm", { asOf: AS_OF, start: "2025-01-01" });
    equal(checks.sums.node_units, 1);
    deepEqual(
      (await db2.json<{ r: string }>(
        "SELECT DISTINCT resource::VARCHAR AS r FROM hours_t ORDER BY 1",
      ))
        .map((x) => x.r),
      ["disk_gb", "memory_mb", "nodes", "vcpus"],
    );
  } finally {
    await Deno.remove(bare.inputDir, { recursive: true });
  }
});
