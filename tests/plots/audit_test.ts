import { deepEqual, equal, match, ok } from "node:assert/strict";
import type { AuditSummaryRow } from "../../lib/spans/summary.ts";
import { NO_START, prepareAudit, renderAudit } from "../../lib/plots/audit.ts";
import { REASON_COLORS } from "../../lib/plots/series.ts";
import { assertEscaped, assertSelfContained, count, EVIL, groupsOf } from "./_plot_helpers.ts";

const a = (
  source: string,
  reason: string,
  year: number | null,
  rows: number,
  hours: number,
  site = "s",
) => ({ site, source, reason, year, rows, hours }) as AuditSummaryRow;

const ROWS: AuditSummaryRow[] = [
  a("nova.instances", "orphan", 2023, 2, 1.5),
  a("blazar.computehost_allocations", "orphan", 2023, 1, 2),
  a("nova.instances", "clipped", 2023, 5, 10),
  a("nova.instances", "clipped", 2021, 1, 0.25, "other site"),
  a("nova.instances", "never_launched", 2024, 561, 0),
  a("blazar.computehosts", "missing_start", null, 1, 0),
];

Deno.test("prepareAudit() sums sites and sources per year of start and reason", () => {
  const p = prepareAudit(ROWS);
  deepEqual(p.years, ["2021", "2023", "2024", NO_START]);
  deepEqual(p.reasons.map((r) => [r.reason, r.hours, r.rows, r.color]), [
    ["clipped", 10.25, 6, REASON_COLORS.clipped],
    ["orphan", 3.5, 3, REASON_COLORS.orphan],
    ["never_launched", 0, 561, REASON_COLORS.never_launched],
    ["missing_start", 0, 1, REASON_COLORS.missing_start],
  ]);
  deepEqual(p.bars.map((b) => [b.year, b.reason, b.hours, b.rows]), [
    ["2021", "clipped", 0.25, 1],
    ["2023", "clipped", 10, 5],
    ["2023", "orphan", 3.5, 3],
    ["2024", "never_launched", 0, 561],
    [NO_START, "missing_start", 0, 1],
  ]);
  deepEqual(prepareAudit([]), { years: [], reasons: [], bars: [] });
});

Deno.test("renderAudit() stacks one colored bar per reason and year, with totals and a legend", () => {
  const html = renderAudit(ROWS);
  equal(html, renderAudit(ROWS));
  assertSelfContained(html);
  const bars = groupsOf(html, "bar")[0];
  equal(count(bars, "<rect"), 5);
  ok(
    bars.includes(`fill="${REASON_COLORS.clipped}"`) &&
      bars.includes(`fill="${REASON_COLORS.orphan}"`),
  );
  const totals = [...groupsOf(html, "text")[0].matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]);
  deepEqual(totals, ["0.3 h", "14 h", "0 h", "0 h"]);
  match(html, />never_launched · 0 h · 561 rows</);
  match(html, />year of start</);
  match(renderAudit([]), /nothing set apart/);
});

Deno.test("renderAudit() shows reason codes only as escaped text", () => {
  assertEscaped(renderAudit([a("x", EVIL, 2024, 1, 1)]));
});
