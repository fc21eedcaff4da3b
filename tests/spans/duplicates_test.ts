/** Duplicate primary keys are set apart at staging, named, and the invariants balance. */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  allocation,
  auditOf,
  blazarHost,
  computeNode,
  DAY,
  lease,
  reservation,
  runSpans,
  spanSeconds,
} from "./_run.ts";

const CN = "nova.compute_nodes";

Deno.test("duplicate keys: the first row of a key is read, later ones are set apart as duplicate_key with the key", async () => {
  const r = await runSpans({
    [CN]: [
      computeNode(1, "H", "2025-01-01 00:00:00", "2025-03-01 00:00:00"),
      computeNode(1, "H-copy", "2025-02-01 00:00:00"),
      computeNode(1, "H-copy2", "2025-02-01 00:00:00"),
      computeNode(2, "G", "2025-01-01 00:00:00"),
    ],
    "blazar.computehosts": [blazarHost("ch-g", "G", "2025-01-01 00:00:00")],
    "blazar.leases": [
      lease("L1", "2025-03-01 00:00:00", "2025-03-05 00:00:00", "2025-02-20 00:00:00"),
      lease("L1", "2025-03-01 00:00:00", "2025-03-09 00:00:00", "2025-02-20 00:00:00"),
    ],
    "blazar.reservations": [reservation("R1", "L1")],
    "blazar.computehost_allocations": [allocation("a1", "ch-g", "R1")],
  });
  // Row 1 is read once: 59 days of H, nothing of the copies.
  equal(spanSeconds(r, (s) => s.source_row_id === "1"), 59 * DAY);
  equal(r.spans.filter((s) => s.hypervisor_hostname.startsWith("H-copy")).length, 0);
  deepEqual(auditOf(r, CN, "1 #2"), [["duplicate_key", 0]]);
  deepEqual(auditOf(r, CN, "1 #3"), [["duplicate_key", 0]]);
  equal(
    r.audit.find((a) => a.source_row_id === "1 #2")!.detail,
    "nova.compute_nodes: id 1 appears 3 times; row 2 of them (file order) is set apart, the first is read",
  );
  // A duplicated lease does not double its allocation: 4 days committed, not 4 + 8.
  equal(spanSeconds(r, (s) => s.metric === "committed"), 4 * DAY);
  deepEqual(auditOf(r, "blazar.leases", "L1 #2"), [["duplicate_key", 0]]);
  const cn = r.invariants.checks.filter((c) => c.source === CN);
  deepEqual(cn.map((c) => [c.check, c.input, c.output, c.rejected, c.ok]), [
    ["rows", 4, 2, 2, true],
    ["seconds", (59 + 365) * DAY, (59 + 365) * DAY, 0, true],
  ]);
  ok(r.invariants.ok, JSON.stringify(r.invariants));
  deepEqual(r.notes.filter((n) => n.includes("duplicate_key")), [
    "blazar.leases: 1 rows have the id of an earlier row (id L1): set apart as duplicate_key; the first row of each id is read",
    "nova.compute_nodes: 2 rows have the id of an earlier row (id 1): set apart as duplicate_key; the first row of each id is read",
  ]);
});
