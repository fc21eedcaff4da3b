/** The failure paths of stage 02: the violation message and the notes on absent tables. */
import { deepEqual, equal, rejects } from "node:assert/strict";
import {
  actionEvent,
  allocation,
  blazarHost,
  computeNode,
  DAY,
  instance,
  lease,
  reservation,
  runSpans,
  spanSeconds,
} from "./_run.ts";
import { snapshotOf } from "../_snapshot.ts";
import { Duck } from "../../lib/db/duckdb.ts";
import { DEFAULT_MAINTENANCE } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import { createCandidates } from "../../lib/spans/pieces.ts";
import { type RecordsPlan, tableHandle } from "../../lib/spans/plan.ts";
import { SPAN_PLANS } from "../../lib/spans/plans.ts";

const CN = "nova.compute_nodes";

/** A lossy source: its input rows list a row (`lost`) that no candidate piece stands for. */
const LOSSY: RecordsPlan = {
  kind: "records",
  source: "toy.lossy",
  writes: ["maintenance"],
  tables: [CN],
  chain: "hosts",
  reasons: [],
  resources: ["nodes"],
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_lossy");
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      SELECT 1 AS pid, 'toy.lossy' AS source, 'maintenance' AS metric, 'kept' AS row_id,
        'H' AS hostname, epoch_us(TIMESTAMP '2025-03-01') AS s, epoch_us(TIMESTAMP '2025-03-03') AS e`);
    const rows = tableHandle("rows", "rows_lossy");
    await ctx.db.run(`
      CREATE OR REPLACE TABLE ${rows.name} AS
      SELECT row_id, s, e FROM ${c.name}
      UNION ALL SELECT 'lost', epoch_us(TIMESTAMP '2025-04-01'), epoch_us(TIMESTAMP '2025-04-02')`);
    return { candidates: c, rows };
  },
};

Deno.test("stage 02 fails on a violated invariant with one line naming source, check and numbers", async () => {
  const snap = await snapshotOf({ [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")] });
  try {
    using db = await Duck.open();
    await rejects(
      () =>
        buildSpans(db, snap, { key: "t", maintenance: DEFAULT_MAINTENANCE }, {
          plans: [...SPAN_PLANS, LOSSY],
        }),
      (e: Error) => {
        equal(
          e.message,
          'Invariant "rows" violated for "toy.lossy": input 2, valid 1, rejected 0, missing 1, invented 0',
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(snap.inputDir, { recursive: true });
  }
  // Without failing, both checks of the source say what was lost: the row and its day.
  const r = await runSpans({ [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")] }, {
    plans: [...SPAN_PLANS, LOSSY],
  });
  const checks = r.invariants.checks.filter((c) => c.source === "toy.lossy");
  deepEqual(checks.map((c) => [c.check, c.input, c.output, c.rejected, c.ok]), [
    ["rows", 2, 1, 0, false],
    ["seconds", 3 * DAY, 2 * DAY, 0, false],
  ]);
});

/** The notes of stage 02 itself (the snapshot's own notes left out). */
function spanNotes(notes: string[]): string[] {
  return notes.filter((n) => / is absent: |skipped: /.test(n));
}

Deno.test("absent tables: each note names the table, what is skipped and which series are absent", async () => {
  const r = await runSpans({ [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")] });
  deepEqual(spanNotes(r.notes), [
    "blazar.computehost_allocations is absent: no committed, idle or occupied_reservation series",
    "nova.instances is absent: no occupied or active series",
    "blazar.computehosts is absent: pool membership is unknown (pool_unknown), not empty",
    "chameleon_usage.node_maintenance is absent: no maintenance series (admittable = reservable)",
  ]);
  deepEqual([...new Set(r.spans.map((s) => s.metric))].sort(), ["pool_unknown", "total"]);
  equal(spanSeconds(r, (s) => s.metric === "pool_unknown"), 365 * DAY);
});

Deno.test("absent tables: instances without specs or events are on demand, with no active series", async () => {
  const r = await runSpans({
    [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")],
    "nova.instances": [instance(1, "u1", "H", "2025-02-01 00:00:00", "2025-02-03 00:00:00")],
  });
  deepEqual(spanNotes(r.notes).slice(1, 4), [
    "nova_api.request_specs is absent: no instance can be tied to a reservation; all are on-demand",
    "nova.instance_actions_events is absent: ends and hosts come from instances alone; no active series",
    "blazar.computehosts is absent: pool membership is unknown (pool_unknown), not empty",
  ]);
  equal(
    r.notes.filter((n) => n.startsWith("active spans skipped")).length,
    1,
    r.notes.join("; "),
  );
  equal(spanSeconds(r, (s) => s.metric === "occupied_ondemand"), 2 * DAY);
  equal(r.spans.filter((s) => s.metric.startsWith("active_")).length, 0);
});

Deno.test("absent tables: without Nova hosts, total comes from evidence and the note says so", async () => {
  const [act, ev] = actionEvent(
    "u1",
    "create",
    "compute__do_build_and_run_instance",
    "2025-02-01 00:00:00",
  );
  const r = await runSpans({
    "blazar.computehosts": [blazarHost("ch-h", "H", "2025-01-01 00:00:00")],
    "blazar.leases": [
      lease("L1", "2025-03-01 00:00:00", "2025-03-05 00:00:00", "2025-02-20 00:00:00"),
    ],
    "blazar.reservations": [reservation("R1", "L1")],
    "blazar.computehost_allocations": [allocation("a1", "ch-h", "R1")],
    "nova.instance_actions": [act],
    "nova.instance_actions_events": [ev],
  });
  equal(
    spanNotes(r.notes)[0],
    "nova.compute_nodes is absent: total comes only from evidence (allocations, instances)",
  );
  equal(spanSeconds(r, (s) => s.metric === "total" && s.source === "evidence.allocation"), 4 * DAY);
  equal(spanSeconds(r, (s) => s.metric === "total" && s.source !== "evidence.allocation"), 0);
});

Deno.test("a table present without the tables it needs fails naming both and the snapshot", async () => {
  await rejects(
    () =>
      runSpans({
        [CN]: [computeNode(1, "H", "2025-01-01 00:00:00")],
        "nova.instance_actions_events": [
          actionEvent("u1", "stop", "compute_stop_instance", "2025-02-01 00:00:00")[1],
        ],
      }),
    /^Error: Cannot build spans for "nova\.instance_actions_events": required table "nova\.instance_actions" is missing from the snapshot in ".*ledger-snap-/,
  );
});
