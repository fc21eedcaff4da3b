import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  actionEvent,
  allocation,
  auditOf,
  blazarHost,
  computeNode,
  DAY,
  instance,
  lease,
  nodeTypeCap,
  reservation,
  runSpans,
  spanSeconds,
  spec,
} from "./_run.ts";
import { snapshotOf } from "../_snapshot.ts";
import { Duck } from "../../lib/db/duckdb.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";

const CN = "nova.compute_nodes";
const CH = "blazar.computehosts";
const AL = "blazar.computehost_allocations";
const IN = "nova.instances";
const MT = "chameleon_usage.node_maintenance";

Deno.test("nova hosts: every outcome of the decision table, in exact seconds", async () => {
  const r = await runSpans({
    [CN]: [
      computeNode(1, "host-a", "2025-01-01 00:00:00"),
      computeNode(2, null, "2025-01-01 00:00:00", "2025-01-02 00:00:00"),
      computeNode(3, "host-b", null, "2025-05-01 00:00:00"),
      computeNode(4, "host-c", "2025-03-01 00:00:00", "2025-02-01 00:00:00"),
      computeNode(5, "host-d", "2026-02-01 00:00:00"),
      computeNode(6, "host-e", "2025-12-01 00:00:00", "2026-03-01 00:00:00"),
      { ...computeNode(7, "host-f", "2025-06-01 00:00:00"), deleted: 7 },
      computeNode(8, "host-a", "2025-06-01 00:00:00", "2025-06-11 00:00:00", {
        host: "conductor-2",
      }),
    ],
  });
  equal(spanSeconds(r, (s) => s.source_row_id === "1"), 365 * DAY);
  deepEqual(auditOf(r, CN, "2"), [["missing_host", DAY]]);
  deepEqual(auditOf(r, CN, "3"), [["missing_start", 0]]);
  deepEqual(auditOf(r, CN, "4"), [["phantom_span", 0]]);
  deepEqual(auditOf(r, CN, "5"), [["after_as_of", 0]]);
  equal(spanSeconds(r, (s) => s.source_row_id === "6"), 31 * DAY);
  deepEqual(auditOf(r, CN, "6"), [["after_as_of", 59 * DAY]]);
  deepEqual(auditOf(r, CN, "7"), [["missing_end", 214 * DAY]]);
  deepEqual(auditOf(r, CN, "8"), [["duplicate_conflict", 10 * DAY]]);
  equal(r.spans.find((s) => s.source_row_id === "1")!.end, null, "an open registration stays open");
  ok(r.invariants.ok, JSON.stringify(r.invariants));
});

Deno.test("clamping: reservable within total for every case of the decision table", async () => {
  const nova = (id: number, host: string, windows: [string, string | null][]) =>
    windows.map(([s, e], i) =>
      computeNode(id * 10 + i, host, `${s} 00:00:00`, e ? `${e} 00:00:00` : null)
    );
  const r = await runSpans({
    [CN]: [
      ...nova(1, "inside", [["2025-01-01", null]]),
      ...nova(2, "before", [["2025-01-01", null]]),
      ...nova(3, "after", [["2025-01-01", "2025-03-01"]]),
      ...nova(4, "reuse", [["2025-01-01", "2025-03-01"], ["2025-04-01", null]]),
      ...nova(5, "open-open", [["2025-01-01", null]]),
      ...nova(6, "open-closed", [["2025-01-01", "2025-07-01"]]),
      ...nova(7, "zero", [["2025-01-01", null]]),
    ],
    [CH]: [
      blazarHost("b-inside", "inside", "2025-01-10 00:00:00", "2025-01-20 00:00:00"),
      blazarHost("b-before", "before", "2024-12-25 00:00:00", "2025-01-05 00:00:00"),
      blazarHost("b-after", "after", "2025-02-20 00:00:00", "2025-03-10 00:00:00"),
      blazarHost("b-reuse", "reuse", "2025-02-01 00:00:00", "2025-05-01 00:00:00"),
      blazarHost("b-open-open", "open-open", "2025-06-01 00:00:00"),
      blazarHost("b-open-closed", "open-closed", "2025-06-01 00:00:00"),
      blazarHost("b-none", "no-nova", "2025-03-01 00:00:00", "2025-04-01 00:00:00"),
      blazarHost("b-null", null, "2025-01-01 00:00:00", "2025-02-01 00:00:00"),
      blazarHost("b-zero", "zero", "2025-05-01 00:00:00", "2025-05-01 00:00:00"),
    ],
  });
  const valid = (id: string) => spanSeconds(r, (s) => s.source === CH && s.source_row_id === id);
  equal(valid("b-inside"), 10 * DAY);
  deepEqual(auditOf(r, CH, "b-inside"), []);
  equal(valid("b-before"), 4 * DAY);
  deepEqual(auditOf(r, CH, "b-before"), [["clipped", 7 * DAY]]);
  equal(valid("b-after"), 9 * DAY);
  deepEqual(auditOf(r, CH, "b-after"), [["clipped", 9 * DAY]]);
  equal(valid("b-reuse"), (28 + 30) * DAY);
  equal(
    r.spans.filter((s) => s.source_row_id === "b-reuse").length,
    2,
    "one piece per window of the reused hostname",
  );
  deepEqual(auditOf(r, CH, "b-reuse"), [["clipped", 31 * DAY]]);
  equal(valid("b-open-open"), 214 * DAY);
  equal(r.spans.find((s) => s.source_row_id === "b-open-open")!.end, null);
  equal(valid("b-open-closed"), 30 * DAY);
  deepEqual(auditOf(r, CH, "b-open-closed"), [["clipped", 184 * DAY]]);
  deepEqual(auditOf(r, CH, "b-none"), [["orphan", 31 * DAY]]);
  deepEqual(auditOf(r, CH, "b-null"), [["missing_host", 31 * DAY]]);
  deepEqual(auditOf(r, CH, "b-zero"), [["phantom_span", 0]]);
  ok(r.invariants.ok);
});

const HOST_H = {
  [CN]: [computeNode(1, "H", "2025-01-01 00:00:00"), computeNode(2, "H2", "2025-01-01 00:00:00")],
  [CH]: [
    blazarHost("ch-h", "H", "2025-01-01 00:00:00"),
    blazarHost("ch-h2", "H2", "2025-01-01 00:00:00", "2025-07-02 00:00:00"),
  ],
  "blazar.computehost_extra_capabilities": [
    nodeTypeCap("cap-h", "ch-h", "compute_skylake"),
    nodeTypeCap("cap-h2", "ch-h2", "gpu_a100"),
  ],
};

Deno.test("allocations: effective start and end, deletions, future leases, orphans and clamping", async () => {
  const tables = {
    ...HOST_H,
    "blazar.leases": [
      lease("L1", "2025-03-01 00:00:00", "2025-03-02 00:00:00", "2025-03-01 00:00:30"),
      lease(
        "L2",
        "2025-04-01 00:00:00",
        "2025-04-03 00:00:00",
        "2025-02-01 00:00:00",
        "2025-04-02 00:00:00",
      ),
      lease(
        "L3",
        "2025-05-10 00:00:00",
        "2025-05-12 00:00:00",
        "2025-05-01 00:00:00",
        "2025-05-05 00:00:00",
      ),
      lease("L4", "2026-01-05 00:00:00", "2026-01-07 00:00:00", "2025-12-20 00:00:00"),
      lease("L5", "2025-12-31 12:00:00", "2026-01-02 00:00:00", "2025-12-31 12:00:00"),
      lease("L7", "2025-08-01 00:00:00", "2025-08-02 00:00:00", "2025-08-01 00:00:00"),
      lease("L8", "2025-06-01 00:00:00", "2025-06-03 00:00:00", "2025-06-01 00:00:00"),
      lease("L9", "2025-07-01 00:00:00", "2025-07-03 00:00:00", "2025-07-01 00:00:00"),
    ],
    "blazar.reservations": ["1", "2", "3", "4", "5", "7", "8", "9"].map((n) =>
      reservation(`R${n}`, `L${n}`)
    ),
    [AL]: [
      allocation("a1", "ch-h", "R1"),
      allocation("a2", "ch-h", "R2"),
      allocation("a3", "ch-h", "R3"),
      allocation("a4", "ch-h", "R4"),
      allocation("a5", "ch-h", "R5"),
      allocation("a6", "ch-h", "R-missing"),
      allocation("a7", "ch-gone", "R7"),
      allocation("a8", "ch-h", "R8", "2025-06-01 12:00:00"),
      allocation("a9", "ch-h2", "R9"),
    ],
  };
  const r = await runSpans(tables, { rules: { evidence: false } });
  const valid = (id: string) => spanSeconds(r, (s) => s.source === AL && s.source_row_id === id);
  equal(valid("a1"), DAY - 30, "a lease cannot hold a host before it exists");
  equal(valid("a2"), DAY, "deleted early: ends at the deletion");
  deepEqual(auditOf(r, AL, "a3"), [["deleted_before_start", 0]]);
  deepEqual(auditOf(r, AL, "a4"), [["after_as_of", 2 * DAY]]);
  equal(valid("a5"), DAY / 2);
  deepEqual(auditOf(r, AL, "a5"), [["after_as_of", DAY]]);
  deepEqual(auditOf(r, AL, "a6"), [["orphan", 0]]);
  match(
    r.audit.find((a) => a.source_row_id === "a6")!.detail ?? "",
    /reservation R-missing not found/,
  );
  deepEqual(auditOf(r, AL, "a7"), [["orphan", DAY]]);
  equal(valid("a8"), DAY / 2, "an allocation deleted mid-lease ends there");
  equal(valid("a9"), DAY);
  deepEqual(auditOf(r, AL, "a9"), [["clipped", DAY]]);
  equal(r.spans.find((s) => s.source_row_id === "a9")!.node_type, "gpu_a100");
  equal(r.spans.find((s) => s.source_row_id === "a1")!.entity_id, "R1");
  ok(r.invariants.ok);
  // With evidence on too: H2's Blazar record ended (an explicit end is a fact, docs/design.md §7), so the
  // allocation proves nothing after it and its second day stays clipped.
  const ev = await runSpans(tables);
  equal(spanSeconds(ev, (s) => s.source === AL && s.source_row_id === "a9"), DAY);
  deepEqual(auditOf(ev, AL, "a9"), [["clipped", DAY]]);
  equal(
    spanSeconds(ev, (s) =>
      s.source === "evidence.allocation" && s.metric === "reservable" &&
      s.hypervisor_hostname === "H2"),
    0,
  );
  ok(ev.invariants.ok);
});

Deno.test("instances: reservation link, ends, hosts from events, shelve segments, clamping and the replay", async () => {
  const ev = [
    actionEvent("u1", "stop", "compute_stop_instance", "2025-03-02 00:00:00", "Success", "H"),
    actionEvent("u1", "start", "compute_start_instance", "2025-03-03 00:00:00", "Success", "H"),
    actionEvent("u1", "stop", "compute_stop_instance", "2025-03-04 00:00:00", "Error", "H"),
    actionEvent("u1", "reboot", "compute_reboot_instance", "2025-03-04 06:00:00", "Success", "H"),
    actionEvent(
      "u4",
      "create",
      "compute__do_build_and_run_instance",
      "2025-06-01 00:00:00",
      "Success",
      "H",
    ),
    actionEvent(
      "u5",
      "delete",
      "compute_terminate_instance",
      "2025-07-01 12:00:00",
      "Success",
      "H",
    ),
    actionEvent("u6", "shelve", "compute_shelve_instance", "2025-08-01 05:50:00", "Success", "H"),
    actionEvent(
      "u6",
      "shelveOffload",
      "compute_shelve_offload_instance",
      "2025-08-01 06:00:00",
      "Success",
      "H",
    ),
    actionEvent(
      "u6",
      "unshelve",
      "compute_unshelve_instance",
      "2025-08-01 18:00:00",
      "Success",
      "H",
    ),
    actionEvent("u7", "delete", "compute_terminate_instance", "2025-09-01 12:00:00", "Error", "H"),
    actionEvent(
      "u10",
      "create",
      "compute__do_build_and_run_instance",
      "2025-11-01 00:00:00",
      "Success",
      "conductor-1",
    ),
    actionEvent(
      "u11",
      "create",
      "compute__do_build_and_run_instance",
      "2025-11-01 00:00:00",
      "Success",
      "svc-k",
    ),
  ];
  const r = await runSpans({
    ...HOST_H,
    [CN]: [...HOST_H[CN], computeNode(3, "K", "2025-01-01 00:00:00", null, { host: "svc-k" })],
    "blazar.leases": [
      lease("L1", "2025-03-01 00:00:00", "2025-03-05 00:00:00", "2025-02-01 00:00:00"),
      lease("L2", "2025-04-01 00:00:00", "2025-04-05 00:00:00", "2025-03-20 00:00:00"),
    ],
    "blazar.reservations": [reservation("R1", "L1"), reservation("R2", "L2", "flavor:instance")],
    [AL]: [allocation("a1", "ch-h", "R1"), allocation("a2", "ch-h", "R2")],
    [IN]: [
      instance(1, "u1", "H", "2025-03-01 01:00:00", "2025-03-05 00:02:00"),
      {
        ...instance(2, "u2", "H", "2025-04-01 01:00:00"),
        deleted_at: "2025-04-02 01:00:00",
        deleted: 2,
      },
      instance(3, "u3", null, null, null, { deleted_at: "2025-05-01 00:10:00", deleted: 3 }),
      instance(4, "u4", null, "2025-06-01 00:00:00", "2025-06-02 00:00:00", { host: null }),
      instance(5, "u5", "H", "2025-07-01 00:00:00"),
      instance(6, "u6", "H", "2025-08-01 00:00:00", "2025-08-02 00:00:00"),
      instance(7, "u7", "H", "2025-09-01 00:00:00", "2025-09-02 00:00:00"),
      instance(8, "u8", "H", "2025-10-01 00:00:00", "2025-10-02 00:00:00", {
        reservation_id: "R1",
      }),
      instance(9, "u9", "H", "2025-10-10 00:00:00", "2025-10-11 00:00:00"),
      instance(10, "u10", null, "2025-11-01 00:00:00", "2025-11-02 00:00:00"),
      instance(11, "u11", null, "2025-11-01 00:00:00", "2025-11-02 00:00:00"),
    ],
    "nova_api.request_specs": [
      spec(1, "u1", { hint: "R1" }),
      spec(2, "u2", { flavor: "reservation:R2" }),
      spec(4, "u4"),
      spec(5, "u5"),
      spec(6, "u6"),
      spec(7, "u7"),
      spec(9, "u9", { hint: "R1" }),
      spec(10, "u10"),
      spec(11, "u11"),
    ],
    "nova.instance_actions": ev.map(([a]) => a),
    "nova.instance_actions_events": ev.map(([, e]) => e),
  });
  const occ = (id: string) => spanSeconds(r, (s) => s.source === IN && s.source_row_id === id);
  const act = (id: string) =>
    spanSeconds(r, (s) => s.source === "nova.instance_actions" && s.source_row_id === id);
  const metric = (id: string) =>
    r.spans.find((s) => s.source === IN && s.source_row_id === id)?.metric;
  equal(occ("1"), 4 * DAY - 3600);
  equal(metric("1"), "occupied_reservation");
  deepEqual(auditOf(r, IN, "1"), [["clipped", 120]], "ended two minutes after its lease");
  equal(
    act("1"),
    4 * DAY - 3600 - DAY,
    "stopped for a day; a failed stop and a reboot change nothing",
  );
  equal(occ("2"), DAY, "ends at deleted_at when terminated_at is NULL");
  equal(metric("2"), "occupied_reservation", "flavor reservation:<id> links the reservation");
  deepEqual(auditOf(r, IN, "3"), [["never_launched", 0]]);
  equal(occ("4"), DAY, "host from the compute event when node is NULL");
  equal(r.spans.find((s) => s.source_row_id === "4")!.hypervisor_hostname, "H");
  equal(metric("4"), "occupied_ondemand");
  equal(occ("5"), DAY / 2, "ends at a successful terminate event when the row has no end");
  equal(occ("6"), 12 * 3600);
  deepEqual(auditOf(r, IN, "6"), [["shelved_offloaded", 12 * 3600]]);
  equal(act("6"), 6 * 3600 - 600 + 6 * 3600, "shelving stops it before the offload");
  equal(occ("7"), DAY, "a failed terminate event changes nothing");
  equal(
    metric("8"),
    "occupied_ondemand",
    "instances.reservation_id is Nova's own id, never a Blazar link",
  );
  deepEqual(auditOf(r, IN, "9"), [["orphan", DAY]]);
  deepEqual(
    auditOf(r, IN, "10"),
    [["missing_host", DAY]],
    "a service host of two hypervisors names neither",
  );
  match(
    r.audit.find((a) => a.source_row_id === "10")!.detail ?? "",
    /event host conductor-1 serves 2 hypervisors/,
  );
  equal(
    r.spans.find((s) => s.source === IN && s.source_row_id === "11")!.hypervisor_hostname,
    "K",
    "a service host of one hypervisor names it",
  );
  ok(r.invariants.ok, JSON.stringify(r.invariants.checks.filter((c) => !c.ok)));
  const partition = r.invariants.checks.find((c) => c.check === "partition")!;
  ok(partition.ok);
  equal(partition.input, partition.output + partition.rejected);
});

Deno.test("maintenance: an absurd hours value (1e300) is one unreadable_value row, never a crash", async () => {
  const tables = {
    ...HOST_H,
    [MT]: [
      { id: 1, node_name: "H", date: "2025-02-27", hours: 24 },
      { id: 2, node_name: "H", date: "2025-02-28", hours: "1e300" },
      { id: 3, node_name: "H", date: "2025-03-01", hours: "-1e300" },
    ],
  };
  const r = await runSpans(tables);
  equal(spanSeconds(r, (s) => s.source === MT), DAY);
  deepEqual(auditOf(r, MT, "2"), [["unreadable_value", 0]]);
  deepEqual(auditOf(r, MT, "3"), [["unreadable_value", 0]]);
  ok(r.invariants.ok);
});

Deno.test("maintenance: daily rows, committed overlap, clamping, and a mapping error naming the column", async () => {
  const tables = {
    ...HOST_H,
    "blazar.leases": [
      lease("L1", "2025-03-01 00:00:00", "2025-03-02 12:00:00", "2025-02-01 00:00:00"),
    ],
    "blazar.reservations": [reservation("R1", "L1")],
    [AL]: [allocation("a1", "ch-h", "R1")],
    [MT]: [
      { id: 1, node_name: "H", date: "2025-02-27", hours: 24 },
      { id: 2, node_name: "H", date: "2025-02-28", hours: 24 },
      { id: 3, node_name: "H", date: "2025-03-01", hours: 24 },
      { id: 4, node_name: "H", date: "2025-03-02", hours: 12 },
      { id: 5, node_name: "H", date: "2025-03-10", hours: 0 },
      { id: 6, node_name: "nowhere", date: "2025-03-10", hours: 24 },
      { id: 7, node_name: null, date: "2025-03-11", hours: 24 },
    ],
  };
  const r = await runSpans(tables);
  equal(spanSeconds(r, (s) => s.source === MT), 2 * DAY);
  deepEqual(auditOf(r, MT, "3"), [["committed_overlap", DAY]]);
  deepEqual(auditOf(r, MT, "4"), [["committed_overlap", DAY / 2]]);
  deepEqual(auditOf(r, MT, "5"), [["phantom_span", 0]]);
  deepEqual(auditOf(r, MT, "6"), [["orphan", DAY]]);
  deepEqual(auditOf(r, MT, "7"), [["missing_host", DAY]]);
  ok(r.invariants.ok);
  await rejects(
    () => runSpans(tables, { maintenance: { layout: "daily", host: "hostname", date: "date" } }),
    /Cannot read "chameleon_usage\.node_maintenance" with the site's mapping: column "hostname" \(legacy\.node_maintenance\.host\) is missing/,
  );
  const windows = await runSpans({
    ...HOST_H,
    [MT]: [{
      id: 1,
      node_name: "H",
      start_at: "2025-05-01 06:00:00",
      end_at: "2025-05-02 06:00:00",
    }],
  }, { maintenance: { layout: "windows", host: "node_name", start: "start_at", end: "end_at" } });
  equal(spanSeconds(windows, (s) => s.source === MT), DAY);
});

Deno.test("evidence and pool membership: lower layers fill gaps; unknown before coverage", async () => {
  const tables = {
    [CN]: [computeNode(1, "F", "2025-01-01 00:00:00")],
    [CH]: [blazarHost("ch-e", "E", "2025-01-01 00:00:00")],
    "blazar.leases": [
      lease("L1", "2025-03-01 00:00:00", "2025-03-02 00:00:00", "2025-02-01 00:00:00"),
    ],
    "blazar.reservations": [reservation("R1", "L1")],
    [AL]: [allocation("a1", "ch-e", "R1")],
    [IN]: [
      instance(1, "u1", "G", "2025-05-01 00:00:00", "2025-05-02 00:00:00"),
      instance(2, "u2", "F", "2025-02-01 00:00:00", "2025-02-02 00:00:00"),
    ],
    "nova_api.request_specs": [spec(1, "u1"), spec(2, "u2")],
  };
  const r = await runSpans(tables, { coverage: "2025-07-01" });
  equal(spanSeconds(r, (s) => s.source === "evidence.allocation" && s.metric === "total"), DAY);
  equal(
    spanSeconds(r, (s) => s.source === CH && s.source_row_id === "ch-e"),
    DAY,
    "the Blazar record holds where evidence proves the host",
  );
  deepEqual(auditOf(r, CH, "ch-e"), [["clipped", 59 * DAY], ["clipped", 305 * DAY]]);
  equal(spanSeconds(r, (s) => s.source === AL), DAY, "the allocation holds on evidence");
  equal(
    spanSeconds(r, (s) => s.source === "evidence.instance" && s.hypervisor_hostname === "G"),
    DAY,
  );
  equal(spanSeconds(r, (s) => s.source === IN && s.source_row_id === "1"), DAY);
  equal(
    spanSeconds(r, (s) => s.metric === "pool_unknown" && s.hypervisor_hostname === "F"),
    180 * DAY,
    "181 days before coverage, less the day an on-demand instance proves F outside the pool",
  );
  equal(
    spanSeconds(r, (s) => s.metric === "pool_unknown" && s.hypervisor_hostname === "E"),
    0,
    "E is known reservable",
  );
  ok(r.invariants.ok);
  const off = await runSpans(tables, { coverage: "2025-07-01", rules: { evidence: false } });
  equal(spanSeconds(off, (s) => s.source.startsWith("evidence.")), 0);
  deepEqual(auditOf(off, IN, "1"), [["orphan", DAY]]);
  deepEqual(auditOf(off, AL, "a1"), [["orphan", DAY]]);
  ok(off.invariants.ok, "the invariants hold with a rule switched off");
});

Deno.test("node types come from all three capability eras, and default to unknown", async () => {
  const base = {
    [CN]: [computeNode(1, "H", "2025-01-01 00:00:00"), computeNode(2, "K", "2025-01-01 00:00:00")],
    [CH]: [blazarHost("ch-h", "H", "2025-01-01 00:00:00")],
  };
  const eras: Record<string, Record<string, unknown>[]>[] = [
    {
      "blazar.computehost_extra_capabilities": [{
        id: "c1",
        computehost_id: "ch-h",
        capability_name: "node_type",
        capability_value: "era_one",
      }],
    },
    {
      "blazar.computehost_extra_capabilities": [{
        id: "c1",
        computehost_id: "ch-h",
        capability_id: "x1",
        capability_value: "era_two",
      }],
      "blazar.extra_capabilities": [{
        id: "x1",
        resource_type: "physical:host",
        capability_name: "node_type",
      }],
    },
    {
      "blazar.computehost_extra_capabilities": [{
        id: "c1",
        computehost_id: "ch-h",
        property_id: "p1",
        capability_value: "era_three",
      }],
      "blazar.resource_properties": [{
        id: "p1",
        resource_type: "physical:host",
        property_name: "node_type",
      }],
    },
  ];
  for (const [i, era] of eras.entries()) {
    const r = await runSpans({ ...base, ...era });
    equal(
      r.spans.find((s) => s.hypervisor_hostname === "H" && s.metric === "total")!.node_type,
      ["era_one", "era_two", "era_three"][i],
    );
    equal(r.spans.find((s) => s.hypervisor_hostname === "K")!.node_type, "unknown");
  }
});

Deno.test("the invariants catch a lossy transform: a dropped span, an invented row, lost seconds", async () => {
  const snap = await snapshotOf({ ...HOST_H });
  using db = await Duck.open();
  const r = await buildSpans(db, snap, { key: "t", maintenance: DEFAULT_MAINTENANCE });
  ok(r.invariants.ok);
  const { checkInvariants } = await import("../../lib/spans/invariants.ts");
  await db.run("DELETE FROM span_pieces WHERE source = 'nova.compute_nodes' AND row_id = '1'");
  let inv = await checkInvariants(db, r.asOfUs);
  const rows = inv.checks.find((c) => c.source === CN && c.check === "rows")!;
  equal(rows.ok, false);
  equal(rows.missing, 1);
  equal(inv.checks.find((c) => c.source === CN && c.check === "seconds")!.ok, false);
  await db.run(
    "INSERT INTO span_pieces SELECT source, metric, '999', entity_id, hostname, s, e, nodes, vcpus, memory_mb, disk_gb, devices, project_id FROM span_pieces WHERE source = 'blazar.computehosts' LIMIT 1",
  );
  inv = await checkInvariants(db, r.asOfUs);
  equal(inv.checks.find((c) => c.source === CH && c.check === "rows")!.invented, 1);
  await db.run(
    "UPDATE span_pieces SET e = e - 1000000 WHERE source = 'blazar.computehosts' AND row_id = 'ch-h'",
  );
  inv = await checkInvariants(db, r.asOfUs);
  const secs = inv.checks.find((c) => c.source === CH && c.check === "seconds")!;
  equal(secs.ok, false);
  equal(secs.mismatched_rows, 1);
  await Deno.remove(snap.inputDir, { recursive: true });
});

Deno.test("bad input fails with one line naming the file, the table or the column", async () => {
  await rejects(
    () => runSpans({ ...HOST_H, [AL]: [allocation("a1", "ch-h", "R1")] }),
    /Cannot build spans for "blazar\.computehost_allocations": required table "blazar\.reservations" is missing/,
  );
  const snap = await snapshotOf({ ...HOST_H });
  const file = snap.tables[CN].path!;
  await Deno.writeTextFile(file, "not a parquet file");
  {
    using db = await Duck.open();
    await rejects(
      () => buildSpans(db, snap, { key: "t", maintenance: DEFAULT_MAINTENANCE }),
      (e: Error) => {
        match(e.message, /^Cannot read parquet file ".*nova\.compute_nodes\.2026-01-01\.parquet"/);
        equal(e.message.includes("\n"), false);
        return true;
      },
    );
  }
  {
    using db = await Duck.open();
    await db.run(`COPY (SELECT 1 AS id) TO '${file}' (FORMAT parquet)`);
    await rejects(
      () => buildSpans(db, snap, { key: "t", maintenance: DEFAULT_MAINTENANCE }),
      /Cannot stage "nova\.compute_nodes" from ".*": column "created_at" is missing/,
    );
  }
  await Deno.remove(snap.inputDir, { recursive: true });
});

Deno.test("a site without Blazar or legacy tables still runs and says what it skipped", async () => {
  const r = await runSpans({ [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")] });
  ok(r.invariants.ok);
  ok(
    r.notes.some((n) => /blazar\.computehosts is absent: pool membership is unknown/.test(n)),
    r.notes.join("; "),
  );
  ok(r.notes.some((n) => /nova\.instances is absent/.test(n)));
  equal(
    spanSeconds(r, (s) => s.metric === "pool_unknown"),
    365 * DAY,
    "no Blazar at all: membership unknown, not empty",
  );
});

Deno.test("buildSpans() says which request specs are not JSON: their instances count as on demand", async () => {
  const r = await runSpans({
    "nova.compute_nodes": [computeNode(1, "H", "2025-01-01 00:00:00")],
    "nova.instances": [
      instance(1, "u1", "H", "2025-02-01 00:00:00", "2025-02-02 00:00:00"),
      instance(2, "u2", "H", "2025-03-01 00:00:00", "2025-03-02 00:00:00"),
    ],
    "nova_api.request_specs": [
      { id: 7, instance_uuid: "u1", spec: '{"nova_object.data": {"scheduler_hints": ' },
      spec(8, "u2"),
    ],
  });
  const note = r.notes.find((n) => n.startsWith("nova_api.request_specs:"));
  equal(
    note,
    "nova_api.request_specs: 1 specs are not valid JSON (ids 7): their instances have no Blazar reservation and count as on demand",
  );
  equal(
    r.spans.find((s) => s.source === "nova.instances" && s.source_row_id === "1")?.metric,
    "occupied_ondemand",
  );
  ok(r.invariants.ok);
});
