/**
 * An explicit end is a fact that evidence never overrides (docs/design.md §7): evidence fills only before
 * a hostname's earliest record or where it has none; after a record's end it is a known absence.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  allocation,
  auditOf,
  blazarHost,
  computeNode,
  DAY,
  instance,
  lease,
  reservation,
  runSpans,
  spanSeconds,
} from "./_run.ts";

const CN = "nova.compute_nodes";
const IN = "nova.instances";
const AL = "blazar.computehost_allocations";

Deno.test("instance evidence fills total only before the host's first record; an instance outliving its host is clipped", async () => {
  const r = await runSpans({
    [CN]: [
      computeNode(1, "H", "2025-02-01 00:00:00", "2025-04-01 00:00:00"),
      computeNode(2, "H", "2025-06-01 00:00:00", "2025-08-01 00:00:00"),
    ],
    // Runs 2025-01-01 .. 2025-10-01 on H: before, within and between H's records, and after.
    [IN]: [
      instance(10, "u-h", "H", "2025-01-01 00:00:00", "2025-10-01 00:00:00"),
      instance(11, "u-y", "Y", "2025-03-01 00:00:00", "2025-03-11 00:00:00"),
    ],
  });
  const ev = (host: string) =>
    spanSeconds(r, (s) => s.source === "evidence.instance" && s.hypervisor_hostname === host);
  equal(ev("H"), 31 * DAY, "only January: before the first record");
  equal(ev("Y"), 10 * DAY, "a host with no record at all: the whole instance");
  equal(
    spanSeconds(r, (s) => s.metric === "total" && s.hypervisor_hostname === "H"),
    (31 + 59 + 61) * DAY,
  );
  equal(spanSeconds(r, (s) => s.source_row_id === "10"), (31 + 59 + 61) * DAY);
  deepEqual(auditOf(r, IN, "10"), [["clipped", 61 * DAY], ["clipped", 61 * DAY]]);
  equal(spanSeconds(r, (s) => s.source_row_id === "11"), 10 * DAY);
  ok(r.invariants.ok, JSON.stringify(r.invariants));
});

Deno.test("allocation evidence fills reservable only before the first Blazar record; an allocation outliving its record is clipped", async () => {
  const r = await runSpans({
    [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")],
    "blazar.computehosts": [
      blazarHost("ch-h", "H", "2025-03-01 00:00:00", "2025-05-01 00:00:00"),
    ],
    "blazar.leases": [
      lease("L1", "2025-02-01 00:00:00", "2025-06-01 00:00:00", "2025-01-15 00:00:00"),
    ],
    "blazar.reservations": [reservation("R1", "L1")],
    [AL]: [allocation("a1", "ch-h", "R1")],
  });
  equal(
    spanSeconds(r, (s) => s.source === "evidence.allocation" && s.metric === "reservable"),
    28 * DAY,
    "February only: before the first Blazar record, not after its deletion",
  );
  equal(spanSeconds(r, (s) => s.source === "evidence.allocation" && s.metric === "total"), 0);
  equal(spanSeconds(r, (s) => s.metric === "committed"), (28 + 61) * DAY);
  deepEqual(auditOf(r, AL, "a1"), [["clipped", 31 * DAY]]);
  equal(
    r.audit.find((a) => a.source_row_id === "a1")!.detail,
    "outside the host's reservable windows",
  );
  ok(r.invariants.ok, JSON.stringify(r.invariants));
});
