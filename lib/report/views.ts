/**
 * The tables notebooks and reports show, as escaped HTML: invariants, the audit summary, what
 * each span rule did, utilization by year, negative derived series and the legacy ranking. One
 * function per table, so a notebook cell and a report section show the same thing.
 *
 * @module
 */
import {
  formatNumber,
  formatPercent,
  htmlTable,
  markup,
  type RawHtml,
  resourceHours,
} from "./html.ts";
import type { InvariantsDoc, YearUtilization } from "./data.ts";
import type { AuditSummaryRow, RuleEffect, SourceHours } from "../spans/summary.ts";
import type { MonthHours, ProjectYear } from "../ledger/views.ts";
import { LEAF_METRICS } from "../metrics.ts";
import type { NegativeSeries } from "../ledger/build.ts";
import type { RankingRow } from "../legacy/build.ts";

/** Seconds shown as hours with one decimal. */
function hoursOf(check: { check: string }, v: number): string {
  return check.check === "rows" ? formatNumber(v) : formatNumber(v / 3600, { digits: 1 });
}

/**
 * The invariant checks: one row per source and check, input = output + rejected, status.
 * Seconds are shown as hours; the exact integers stay in `invariants.json`.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { invariantsTable } from "./views.ts";
 * const t = invariantsTable({ ok: true, site: "s", as_of: "2026-01-01T00:00:00", checks: [
 *   { source: "nova.instances", check: "rows", input: 10, output: 8, rejected: 2, ok: true }] });
 * match(t.html, /nova\.instances/);
 * match(t.html, /all checks hold/);
 * ```
 */
export function invariantsTable(doc: InvariantsDoc): RawHtml {
  const failed = doc.checks.filter((c) => !c.ok).length;
  const status = failed === 0
    ? markup`<p class="ok">✔ all checks hold (${doc.checks.length} checks)</p>`
    : markup`<p class="bad">✘ ${failed} of ${doc.checks.length} checks are violated</p>`;
  const unit = (c: { check: string }) =>
    c.check === "rows" ? "rows" : c.check === "stack" ? "instants" : "hours";
  return markup`${status}${
    htmlTable(doc.checks, [
      { label: "source", value: (c) => c.source },
      { label: "check", value: (c) => c.check },
      { label: "unit", value: unit },
      { label: "input", value: (c) => hoursOf(c, c.input), numeric: true },
      { label: "valid", value: (c) => hoursOf(c, c.output), numeric: true },
      { label: "rejected", value: (c) => hoursOf(c, c.rejected), numeric: true },
      {
        label: "status",
        value: (c) =>
          c.ok ? markup`<span class="ok">ok</span>` : markup`<span class="bad">VIOLATED</span>`,
      },
    ])
  }`;
}

/**
 * The audit summary: rows and hours by source, reason and year of start (largest first).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { auditSummaryTable } from "./views.ts";
 * const t = auditSummaryTable([{ site: "s", source: "nova.instances", reason: "orphan", year: 2024, rows: 3, hours: 12.5 }]);
 * match(t.html, /orphan/);
 * ```
 */
export function auditSummaryTable(
  rows: readonly AuditSummaryRow[],
  options: { limit?: number } = {},
): RawHtml {
  const shown = options.limit ? rows.slice(0, options.limit) : rows;
  const rest = rows.length - shown.length;
  return markup`${
    htmlTable(shown, [
      { label: "source", value: (r) => r.source },
      { label: "reason", value: (r) => r.reason },
      { label: "year", value: (r) => (r.year === null ? "no start" : String(r.year)) },
      { label: "rows", value: (r) => r.rows },
      { label: "hours", value: (r) => r.hours, digits: 1 },
    ])
  }${rest > 0 ? markup`<p class="note">… and ${rest} more rows in audit.parquet</p>` : ""}`;
}

/**
 * Rejected rows and hours per reason, summed over sources and years.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { auditByReason } from "./views.ts";
 * deepEqual(auditByReason([
 *   { site: "s", source: "a", reason: "orphan", year: 2024, rows: 3, hours: 2 },
 *   { site: "s", source: "b", reason: "orphan", year: 2025, rows: 1, hours: 5 },
 *   { site: "s", source: "a", reason: "clipped", year: 2025, rows: 1, hours: 1 },
 * ]), [{ reason: "orphan", rows: 4, hours: 7 }, { reason: "clipped", rows: 1, hours: 1 }]);
 * ```
 */
export function auditByReason(
  rows: readonly AuditSummaryRow[],
): { reason: string; rows: number; hours: number }[] {
  const by = new Map<string, { reason: string; rows: number; hours: number }>();
  for (const r of rows) {
    const e = by.get(r.reason) ?? { reason: r.reason, rows: 0, hours: 0 };
    e.rows += r.rows;
    e.hours += r.hours;
    by.set(r.reason, e);
  }
  return [...by.values()].sort((a, b) => b.hours - a.hours || a.reason.localeCompare(b.reason));
}

/**
 * What each span rule did, in node-hours.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { ruleEffectsTable } from "./views.ts";
 * match(ruleEffectsTable([{ rule: "evidence", effect: "added", source: "evidence.instance", metric: "total", hours: 10 }]).html, /evidence\.instance/);
 * ```
 */
export function ruleEffectsTable(rows: readonly RuleEffect[]): RawHtml {
  return htmlTable(rows, [
    { label: "rule", value: (r) => r.rule },
    { label: "effect", value: (r) => r.effect },
    { label: "source", value: (r) => r.source },
    { label: "series", value: (r) => r.metric },
    { label: "node-hours", value: (r) => r.hours ?? 0, digits: 1 },
  ]);
}

/**
 * Utilization by year: resource-hours per state (node-hours, or the years' `resource`: device-hours
 * at an Edge site, vCPU-hours at a KVM site) and the
 * headline shares.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { utilizationTable } from "./views.ts";
 * const t = utilizationTable([{ year: 2025, days: 365, total: 100, reservable: 80, maintenance: 0,
 *   committed: 40, occupied_reservation: 20, active_reservation: 15, occupied_ondemand: 5,
 *   pool_unknown: 0, committed_share: 0.5, occupied_share: 0.25, use_of_committed: 0.5 }]);
 * match(t.html, /50\.0%/);
 * ```
 */
export function utilizationTable(years: readonly YearUtilization[]): RawHtml {
  return markup`${
    htmlTable(years, [
      { label: "year", value: (y) => String(y.year) },
      { label: "days", value: (y) => y.days, digits: 0 },
      { label: "total", value: (y) => y.total },
      { label: "reservable", value: (y) => y.reservable },
      { label: "maintenance", value: (y) => y.maintenance },
      { label: "committed", value: (y) => y.committed },
      { label: "occupied (reservations)", value: (y) => y.occupied_reservation },
      { label: "occupied (on demand)", value: (y) => y.occupied_ondemand },
      { label: "pool unknown", value: (y) => y.pool_unknown },
      { label: "committed share", value: (y) => formatPercent(y.committed_share), numeric: true },
      { label: "occupied share", value: (y) => formatPercent(y.occupied_share), numeric: true },
      {
        label: "use of committed",
        value: (y) => formatPercent(y.use_of_committed),
        numeric: true,
      },
    ])
  }<p class="note">${
    years[0]?.resource === "vcpus_overcommit"
      ? "vCPU-hours with overcommit (vCPUs x cpu_allocation_ratio) summed over node types"
      : years[0]?.resource === "vcpus"
      ? "vCPU-hours summed over node types"
      : years[0]?.resource === "devices"
      ? "Device-hours summed over machine types"
      : "Node-hours summed over node types"
  }. Committed share = committed / (reservable −
maintenance); occupied share = occupied by reservations / (reservable − maintenance); use of
committed = occupied by reservations / committed. A year cut by the report window counts only its
days inside the window.</p>`;
}

/**
 * Series that went below zero (data conflicts, shown, never clamped).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { negativesTable } from "./views.ts";
 * match(negativesTable([]).html, /No derived series/);
 * ```
 */
export function negativesTable(rows: readonly NegativeSeries[]): RawHtml {
  if (rows.length === 0) {
    return markup`<p class="ok">No derived series goes below zero: no data conflict between layers.</p>`;
  }
  return markup`<p class="bad">${rows.length} series go below zero: a lower layer claims more than the layer above holds (shown as is, not clamped).</p>${
    htmlTable(rows, [
      { label: "series", value: (r) => r.metric },
      { label: "resource", value: (r) => r.resource },
      { label: "node type", value: (r) => r.node_type },
      { label: "steps", value: (r) => r.steps },
      { label: "hours below zero", value: (r) => r.hours, digits: 1 },
      { label: "resource-hours below zero", value: (r) => r.resource_hours, digits: 1 },
      { label: "minimum", value: (r) => r.min_value, digits: 2 },
    ])
  }`;
}

/**
 * The legacy ranking: where the legacy caches and the ledger differ most, in node-hours.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { legacyRankingTable } from "./views.ts";
 * match(legacyRankingTable([{ site: "s", year: 2024, metric: "idle", node_type: "gpu", abs_node_hours: 100,
 *   net_node_hours: -100, days_both: 10, days_legacy_only: 0, days_current_only: 0 }]).html, /gpu/);
 * ```
 */
export function legacyRankingTable(rows: readonly RankingRow[]): RawHtml {
  return htmlTable(rows, [
    { label: "year", value: (r) => String(r.year) },
    { label: "metric", value: (r) => r.metric },
    { label: "node type", value: (r) => r.node_type },
    { label: "|diff| node-hours", value: (r) => r.abs_node_hours, digits: 0 },
    {
      label: "net node-hours (current − legacy)",
      value: (r) => formatNumber(r.net_node_hours, { signed: true }),
      numeric: true,
    },
    { label: "days both", value: (r) => r.days_both },
    { label: "legacy only", value: (r) => r.days_legacy_only },
    { label: "current only", value: (r) => r.days_current_only },
  ]);
}

/**
 * A short list of notes (skipped tables, fallbacks), escaped.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { notesList } from "./views.ts";
 * equal(notesList(["a <b>"]).html, "<ul class=\"notes\"><li>a &lt;b&gt;</li></ul>");
 * ```
 */
export function notesList(notes: readonly string[]): RawHtml {
  if (notes.length === 0) return markup``;
  return markup`<ul class="notes">${notes.map((n) => markup`<li>${n}</li>`)}</ul>`;
}

/**
 * Spans and node-hours per source and metric: what each source adds.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { sourceHoursTable } from "./views.ts";
 * match(sourceHoursTable([{ source: "evidence.instance", metric: "total", spans: 2, open: 0, node_hours: 48 }]).html, /evidence\.instance/);
 * ```
 */
export function sourceHoursTable(rows: readonly SourceHours[]): RawHtml {
  return htmlTable(rows, [
    { label: "series", value: (r) => r.metric },
    { label: "source", value: (r) => r.source },
    { label: "spans", value: (r) => r.spans },
    { label: "open at as_of", value: (r) => r.open },
    { label: "node-hours", value: (r) => r.node_hours, digits: 0 },
  ]);
}

/**
 * The hours ledger by month: resource-hours per leaf state, total, and the leaves' sum (equal to
 * total: the stack invariant, shown).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { hoursTable } from "./views.ts";
 * match(hoursTable([{ month: "2025-01", total: 744, leaves: 744, available: 744 }], "nodes").html, /2025-01/);
 * ```
 */
export function hoursTable(rows: readonly MonthHours[], resource: string): RawHtml {
  const leaves = LEAF_METRICS.filter((m) => rows.some((r) => Number(r[m] ?? 0) !== 0));
  return markup`${
    htmlTable(rows, [
      { label: "month", value: (r) => r.month },
      { label: "total", value: (r) => r.total },
      ...leaves.map((m) => ({ label: m, value: (r: MonthHours) => Number(r[m] ?? 0) })),
      {
        label: "leaves − total",
        value: (r) => formatNumber(r.leaves - r.total, { digits: 3 }),
        numeric: true,
      },
    ])
  }<p class="note">${
    resourceHours(resource)
  } per month, summed over node types; leaf states with no hours
are left out.</p>`;
}

/**
 * A DataFrame-like value (nodejs-polars `DataFrame`, or anything with `columns` and
 * `toRecords()`) as an escaped HTML table, first `limit` rows.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { frameTable } from "./views.ts";
 * const df = { columns: ["node_type", "n"], toRecords: () => [{ node_type: "<i>", n: 2 }] };
 * match(frameTable(df).html, /&lt;i&gt;/);
 * ```
 */
export function frameTable(
  frame: { columns: string[]; toRecords(): Record<string, unknown>[] },
  options: { limit?: number; digits?: number } = {},
): RawHtml {
  const all = frame.toRecords();
  const rows = all.slice(0, options.limit ?? 50);
  return markup`${
    htmlTable(
      rows,
      frame.columns.map((c) => ({
        label: c,
        value: (r: Record<string, unknown>) => {
          const v = r[c];
          if (typeof v === "number") return v;
          if (typeof v === "bigint") return Number(v);
          if (v instanceof Date) return v.toISOString().slice(0, 19).replace("T", " ");
          return v === null || v === undefined ? "" : String(v);
        },
        digits: options.digits ?? 2,
      })),
    )
  }${
    rows.length < all.length ? markup`<p class="note">${rows.length} of ${all.length} rows</p>` : ""
  }`;
}

/**
 * Projects in one year: the `top` projects by committed node-hours (or, with `by: "idle"`, by
 * idle committed node-hours: reserved and not used), with what each occupied of what it
 * committed, and its operator holds.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { projectsTable } from "./views.ts";
 * const p = (project_id: string, committed: number, occupied_reservation: number) => ({
 *   year: 2025, project_id, committed, operator_hold: 0, occupied_reservation,
 *   occupied_ondemand: 0, idle: committed - occupied_reservation,
 *   use_of_committed: occupied_reservation / committed });
 * const t = projectsTable([p("a", 100, 90), p("b", 50, 5)], 2025, { by: "idle", top: 1 });
 * match(t.html, /<td>b<\/td>/);
 * match(t.html, /10\.0%/);
 * ```
 */
export function projectsTable(
  rows: readonly ProjectYear[],
  year: number,
  options: { by?: "committed" | "idle"; top?: number } = {},
): RawHtml {
  const by = options.by ?? "committed";
  const top = options.top ?? 10;
  const inYear = rows.filter((r) => r.year === year);
  const picked = [...inYear]
    .sort((a, b) => b[by] - a[by] || a.project_id.localeCompare(b.project_id))
    .slice(0, top);
  if (picked.length === 0) {
    return markup`<p class="note">No project committed or occupied anything in ${
      String(year)
    }.</p>`;
  }
  return markup`${
    htmlTable(picked, [
      { label: "project", value: (r) => r.project_id },
      { label: "committed", value: (r) => r.committed, digits: 1 },
      { label: "occupied (reservations)", value: (r) => r.occupied_reservation, digits: 1 },
      { label: "use of committed", value: (r) => formatPercent(r.use_of_committed), numeric: true },
      { label: "idle committed", value: (r) => r.idle, digits: 1 },
      { label: "occupied (on demand)", value: (r) => r.occupied_ondemand, digits: 1 },
      // Only at sites with operator holds (ops_projects).
      ...(inYear.some((r) => r.operator_hold > 0)
        ? [{ label: "operator hold", value: (r: ProjectYear) => r.operator_hold, digits: 1 }]
        : []),
    ])
  }<p class="note">${String(year)}: the ${String(picked.length)} of ${
    String(inYear.length)
  } projects with the most ${
    by === "idle" ? "idle committed" : "committed"
  } node-hours (summed over node types; from project_hours.parquet). Use of committed = occupied by
the project's reservations / its committed node-hours; idle committed = committed − occupied.
A lease or instance whose project is not known counts as "unknown".</p>`;
}
