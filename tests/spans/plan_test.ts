import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { auditOf, blazarHost, computeNode, DAY, runSpans, spanSeconds } from "./_run.ts";
import { createCandidates, rowsOfCandidates } from "../../lib/spans/pieces.ts";
import type { RecordsPlan } from "../../lib/spans/plan.ts";
import { orderSteps, SPAN_PLANS } from "../../lib/spans/plans.ts";
import { BLAZAR_HOSTS_PLAN } from "../../lib/spans/blazar_hosts.ts";

const CN = "nova.compute_nodes";
const TOY_SOURCE = "toy.windows";

/** A toy source: fixed windows of maintenance, clamped to the reservable windows. */
const TOY: RecordsPlan = {
  kind: "records",
  source: TOY_SOURCE,
  writes: ["maintenance"],
  tables: [CN],
  chain: "hosts",
  reasons: ["never_launched"],
  resources: ["nodes"],
  parent: { layer: "reservable", orphanDetail: "the host's reservable windows" },
  async stage(ctx) {
    const c = await createCandidates(ctx.db, "cand_toy");
    await ctx.db.run(`
      INSERT INTO ${c.name} BY NAME
      SELECT row_number() OVER () AS pid, 'toy.windows' AS source, 'maintenance' AS metric,
        id AS row_id, host AS hostname, host AS parent_key, epoch_us(s::TIMESTAMP) AS s,
        epoch_us(e::TIMESTAMP) AS e, verdict AS reject, 1 AS nodes
      FROM (VALUES
        ('t1', 'H2', '2025-07-01', '2025-07-05', NULL),
        ('t2', 'H', '2025-03-01', '2025-03-03', NULL),
        ('t3', NULL, '2025-03-01', '2025-03-02', NULL),
        ('t4', 'H', '2026-02-01', '2026-02-02', NULL),
        ('t5', 'H', '2025-05-01', '2025-05-02', 'never_launched')
      ) v(id, host, s, e, verdict)`);
    return { candidates: c, rows: await rowsOfCandidates(ctx.db, c, "rows_toy") };
  },
};

const HOSTS = {
  [CN]: [computeNode(1, "H", "2025-01-01 00:00:00"), computeNode(2, "H2", "2025-01-01 00:00:00")],
  "blazar.computehosts": [
    blazarHost("ch-h", "H", "2025-01-01 00:00:00"),
    blazarHost("ch-h2", "H2", "2025-01-01 00:00:00", "2025-07-02 00:00:00"),
  ],
};

Deno.test("a toy source added as a plan is screened, clamped, audited and invariant-checked", async () => {
  const r = await runSpans(HOSTS, { plans: [...SPAN_PLANS, TOY] });
  equal(spanSeconds(r, (s) => s.source === TOY_SOURCE && s.source_row_id === "t1"), DAY);
  equal(spanSeconds(r, (s) => s.source === TOY_SOURCE && s.source_row_id === "t2"), 2 * DAY);
  deepEqual(auditOf(r, TOY_SOURCE, "t1"), [["clipped", 3 * DAY]]);
  deepEqual(auditOf(r, TOY_SOURCE, "t3"), [["missing_host", DAY]]);
  deepEqual(auditOf(r, TOY_SOURCE, "t4"), [["after_as_of", DAY]]);
  deepEqual(auditOf(r, TOY_SOURCE, "t5"), [["never_launched", DAY]]);
  const checks = r.invariants.checks.filter((c) => c.source === TOY_SOURCE);
  deepEqual(checks.map((c) => [c.check, c.input, c.output, c.rejected, c.ok]), [
    ["rows", 5, 2, 3, true],
    ["seconds", 9 * DAY, 3 * DAY, 6 * DAY, true],
  ]);
  ok(r.invariants.ok, JSON.stringify(r.invariants));
});

Deno.test("a plan that writes an audit reason it does not declare fails naming source and reason", async () => {
  await rejects(
    () => runSpans(HOSTS, { plans: [...SPAN_PLANS, { ...TOY, reasons: [] }] }),
    /Span source "toy\.windows" wrote audit reason "never_launched", which its plan does not declare/,
  );
});

Deno.test("orderSteps(): a source clamped to reservable waits for every writer of reservable", () => {
  const plans = [...SPAN_PLANS, TOY];
  const steps = orderSteps(plans);
  const levelOf = (i: number) => Math.max(...steps.filter((s) => s.plan === i).map((s) => s.level));
  const toy = levelOf(plans.indexOf(TOY));
  ok(toy > levelOf(plans.indexOf(BLAZAR_HOSTS_PLAN)), "after the Blazar hosts");
  const reservableFill = steps.find((s) => s.writes.has("reservable") && s.step >= 0)!;
  ok(toy > reservableFill.level, "after the reservable evidence");
  // Two steps of one plan that read what they write keep their declared order.
  const totalFills = steps.filter((s) => s.writes.has("total") && s.step >= 0);
  deepEqual(totalFills.map((s) => s.level), [1, 2, 3]);
});

Deno.test("orderSteps() fails on plans that wait for each other", () => {
  const a: RecordsPlan = {
    ...TOY,
    source: "a",
    writes: ["total"],
    parent: { layer: "reservable", orphanDetail: "" },
  };
  const b: RecordsPlan = {
    ...TOY,
    source: "b",
    writes: ["reservable"],
    parent: { layer: "total", orphanDetail: "" },
  };
  let message = "";
  try {
    orderSteps([a, b]);
  } catch (e) {
    message = (e as Error).message;
  }
  equal(message.startsWith("Span plans wait for each other in a cycle"), true, message);
});
