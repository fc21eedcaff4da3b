import { deepEqual, equal, ok } from "node:assert/strict";
import { auditOf, DAY, lease, reservation, runSpans, spanSeconds } from "./_run.ts";

const DV = "blazar.devices";
const DR = "blazar.devices:reservable";
const DA = "blazar.device_allocations";
const ZC = "zun.container";

function device(id: string, name: string, created: string, deleted?: string | null, extra = {}) {
  return {
    id,
    name,
    created_at: `${created} 00:00:00`,
    deleted_at: deleted ? `${deleted} 00:00:00` : null,
    deleted: deleted ? id : null,
    device_type: "container",
    device_driver: "zun",
    reservable: true,
    ...extra,
  };
}

function alloc(id: string, deviceId: string | null, reservationId: string) {
  return { id, device_id: deviceId, reservation_id: reservationId };
}

function container(
  id: number,
  host: string | null,
  started: string | null,
  status: string,
  updated: string,
) {
  return {
    id,
    uuid: `c-${id}`,
    host,
    status,
    started_at: started ? `${started} 00:00:00` : null,
    created_at: started ? `${started} 00:00:00` : "2025-01-01 00:00:00",
    updated_at: `${updated} 00:00:00`,
  };
}

const day = (d: string) => `${d} 00:00:00`;

/** A small Edge site: four devices, six device allocations, seven containers (as_of 2026-01-01). */
function edgeTables() {
  return {
    [DV]: [
      device("d1", "pi-01", "2025-01-01"),
      device("d2", "pi-02", "2025-06-01", "2025-09-01"),
      device("d3", "nano-01", "2025-03-01", null, { reservable: false }),
      { ...device("d4", "pi-03", "2025-01-01"), deleted: "d4" },
    ],
    "blazar.resource_properties": [
      { id: "p1", resource_type: "device", property_name: "machine_name" },
      { id: "p2", resource_type: "physical:host", property_name: "machine_name" },
    ],
    "blazar.device_extra_capabilities": [
      { id: "x1", device_id: "d1", property_id: "p1", capability_value: "raspberrypi4-64" },
      { id: "x2", device_id: "d2", property_id: "p1", capability_value: "raspberrypi4-64" },
      { id: "x3", device_id: "d3", property_id: "p2", capability_value: "not-a-device-property" },
    ],
    "blazar.leases": [
      lease("l1", day("2025-02-01"), day("2025-02-11"), day("2025-01-20")),
      lease("l2", day("2025-08-22"), day("2025-09-11"), day("2025-08-01")),
      lease("l3", day("2025-04-01"), day("2025-04-06"), day("2025-03-01")),
      lease("l4", day("2025-05-01"), day("2025-05-03"), day("2025-04-01"), day("2025-04-15")),
      lease("l5", day("2026-02-01"), day("2026-02-03"), day("2025-12-01")),
      lease("l6", day("2025-12-25"), day("2026-01-05"), day("2025-12-20")),
    ],
    "blazar.reservations": ["1", "2", "3", "4", "5", "6"].map((i) =>
      reservation(`r${i}`, `l${i}`, "device")
    ),
    [DA]: [
      alloc("a1", "d1", "r1"),
      alloc("a2", "d2", "r2"),
      alloc("a3", "d-gone", "r3"),
      alloc("a4", "d1", "r4"),
      alloc("a5", "d1", "r5"),
      alloc("a6", "d1", "r6"),
    ],
    [ZC]: [
      container(1, "pi-01", "2025-02-02", "Stopped", "2025-02-05"),
      container(2, "pi-01", "2025-02-03", "Stopped", "2025-02-04"),
      container(3, "edge-gw", "2025-05-01", "Running", "2025-05-01"),
      container(4, "pi-01", "2025-12-31", "Running", "2025-12-31"),
      container(5, "pi-01", null, "Created", "2025-03-01"),
      container(6, "pi-01", "2025-03-01", "Stopped", "2025-03-02"),
      container(7, "pi-01", "2025-02-10", "Stopped", "2025-02-12"),
    ],
  };
}

Deno.test("devices: total and reservable of every device record, in exact seconds", async () => {
  const r = await runSpans(edgeTables());
  const total = (host: string) =>
    spanSeconds(r, (s) => s.metric === "total" && s.hypervisor_hostname === host);
  equal(total("pi-01"), 365 * DAY);
  equal(total("pi-02"), 92 * DAY);
  equal(total("nano-01"), 306 * DAY);
  equal(total("pi-03"), 0);
  deepEqual(auditOf(r, DV, "d4"), [["missing_end", 365 * DAY]]);
  const res = (host: string) =>
    spanSeconds(r, (s) => s.metric === "reservable" && s.hypervisor_hostname === host);
  equal(res("pi-01"), 365 * DAY);
  equal(res("pi-02"), 92 * DAY);
  equal(res("nano-01"), 0, "the reservable flag is unset: never reservable");
  ok(r.spans.every((s) => s.devices === 1 && s.nodes === 0), "device spans: 1 device, 0 nodes");
  ok(!r.spans.some((s) => s.metric === "pool_unknown"), "devices are never pool_unknown");
  const types = new Map(r.spans.map((s) => [s.hypervisor_hostname, s.node_type]));
  equal(types.get("pi-01"), "raspberrypi4-64");
  equal(types.get("pi-02"), "raspberrypi4-64");
  equal(types.get("nano-01"), "container", "no machine_name of a device: the device_type");
  ok(r.invariants.ok, JSON.stringify(r.invariants));
  ok(r.invariants.checks.some((c) => c.source === DR && c.check === "seconds" && c.ok));
});

Deno.test("device allocations: committed within the device's life, every case of the decision table", async () => {
  const r = await runSpans(edgeTables());
  const committed = (row: string) =>
    spanSeconds(r, (s) => s.metric === "committed" && s.source_row_id === row);
  equal(committed("a1"), 10 * DAY);
  equal(committed("a2"), 10 * DAY);
  deepEqual(auditOf(r, DA, "a2"), [["clipped", 10 * DAY]], "the lease outlives its device");
  deepEqual(auditOf(r, DA, "a3"), [["orphan", 5 * DAY]]);
  deepEqual(auditOf(r, DA, "a4"), [["deleted_before_start", 0]]);
  deepEqual(auditOf(r, DA, "a5"), [["after_as_of", 2 * DAY]]);
  equal(committed("a6"), 7 * DAY);
  deepEqual(auditOf(r, DA, "a6"), [["after_as_of", 4 * DAY]]);
  equal(r.spans.find((s) => s.source_row_id === "a1")!.entity_id, "r1");
  ok(r.invariants.checks.some((c) => c.source === DA && c.check === "rows" && c.ok));
  ok(r.invariants.ok, JSON.stringify(r.invariants));
});

Deno.test("containers: occupancy of a device only where the host names it, counted once", async () => {
  const r = await runSpans(edgeTables());
  const occ = (row: string) =>
    spanSeconds(r, (s) => s.metric === "occupied_reservation" && s.source_row_id === row);
  const act = (row: string) =>
    spanSeconds(r, (s) => s.metric === "active_reservation" && s.source_row_id === row);
  equal(occ("1"), 3 * DAY);
  equal(act("1"), 3 * DAY, "a container's span is running time too");
  deepEqual(auditOf(r, ZC, "2"), [["duplicate_conflict", DAY]]);
  deepEqual(auditOf(r, ZC, "3"), [["orphan", 245 * DAY]]);
  equal(
    r.audit.find((a) => a.source_row_id === "3" && a.source === ZC)!.detail,
    "host edge-gw names no device",
  );
  equal(occ("4"), DAY);
  deepEqual(auditOf(r, ZC, "5"), [["missing_start", 0]]);
  deepEqual(auditOf(r, ZC, "6"), [["orphan", DAY]], "no device lease held the device");
  equal(occ("7"), DAY);
  deepEqual(auditOf(r, ZC, "7"), [["clipped", DAY]]);
  ok(r.notes.some((n) => /only the 7 that exist at the snapshot/.test(n)), r.notes.join("\n"));
  ok(r.notes.some((n) => /6 containers name a device.* 1 name a host that is no device/.test(n)));
  ok(r.invariants.ok, JSON.stringify(r.invariants));
});

Deno.test("a site without Edge tables has no device series and no note about them", async () => {
  const r = await runSpans({
    "nova.compute_nodes": [{
      id: 1,
      hypervisor_hostname: "h1",
      created_at: "2025-01-01 00:00:00",
      deleted: 0,
      hypervisor_type: "ironic",
      vcpus: 48,
      memory_mb: 1,
      local_gb: 1,
    }],
  });
  equal(r.spans.filter((s) => s.devices !== 0).length, 0);
  equal(spanSeconds(r, (s) => s.metric === "total" && s.nodes === 1), 365 * DAY);
  ok(!r.notes.some((n) => n.includes(DV) || n.includes(ZC)), r.notes.join("\n"));
});
