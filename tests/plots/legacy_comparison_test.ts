import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  type LegacyComparisonRow,
  type LegacyRankingRow,
  prepareLegacyHeatmap,
  prepareLegacyLines,
  prepareLegacyTop,
  renderLegacyHeatmap,
  renderLegacyLines,
  renderLegacyTop,
} from "../../lib/plots/legacy_comparison.ts";
import { COLLECTOR_STYLE } from "../../lib/plots/series.ts";
import {
  assertEscaped,
  assertSelfContained,
  count,
  EVIL,
  groupsOf,
  pathsOf,
} from "./_plot_helpers.ts";

const cmp = (
  date: string,
  metric: string,
  node_type: string,
  legacy: number | null,
  current: number | null,
): LegacyComparisonRow => ({
  date,
  metric,
  node_type,
  legacy,
  current,
  diff: legacy === null || current === null ? null : current - legacy,
  rel_diff: null,
  flag: legacy === null ? "current_only" : current === null ? "legacy_only" : "both",
  current_metric: metric === "reservable"
    ? "admittable"
    : metric === "node_count"
    ? "total"
    : metric,
});

const ROWS: LegacyComparisonRow[] = [
  cmp("2024-01-01", "total", "a", 2, 2.5),
  cmp("2024-01-01", "total", "b", 1, null),
  cmp("2024-01-02", "total", "a", 2, 2),
  cmp("2024-01-02", "total", "b", null, 1),
  cmp("2024-01-03", "total", "a", null, 3), // legacy has nothing on 01-03: a gap
  cmp("2024-01-04", "total", "a", 3, 3),
  cmp("2024-01-01", "node_count", "a", 2, 2),
  cmp("2024-01-04", "reservable", "a", 1, 0.75),
];

const series = (l: ReturnType<typeof prepareLegacyLines>, metric: string, collector: string) =>
  l.points.filter((p) => p.metric === metric && p.collector === collector).map((p) => p.value);

Deno.test("prepareLegacyLines() sums node types per side and leaves NULL days as gaps", () => {
  const l = prepareLegacyLines(ROWS);
  deepEqual(l.metrics, ["total", "reservable", "node_count"]);
  deepEqual(l.labels, {
    total: "total",
    reservable: "reservable vs admittable",
    node_count: "node_count vs total",
  });
  deepEqual(series(l, "total", "legacy"), [3, 2, null, 3]);
  deepEqual(series(l, "total", "current"), [2.5, 3, 3, 3]);
  // days absent for a metric are gaps too, never zeros
  deepEqual(series(l, "reservable", "legacy"), [null, null, null, 1]);
  deepEqual(series(l, "node_count", "current"), [2, null, null, null]);
  deepEqual(l.points.slice(0, 4).map((p) => p.date.toISOString().slice(0, 10)), [
    "2024-01-01",
    "2024-01-02",
    "2024-01-03",
    "2024-01-04",
  ]);
});

Deno.test("renderLegacyLines() draws one panel per metric, both collectors as step lines with gaps", () => {
  const html = renderLegacyLines(ROWS);
  equal(html, renderLegacyLines(ROWS));
  assertSelfContained(html);
  const text = groupsOf(html, "text").join("");
  for (const label of ["total", "reservable vs admittable", "node_count vs total"]) {
    ok(text.includes(`>${label}<`), label);
  }
  for (const c of ["current", "legacy"] as const) {
    ok(html.includes(`>${COLLECTOR_STYLE[c].label}<`));
  }
  // per collector, one path per panel; legacy total breaks at 2024-01-03: two runs, two moves
  const lines = groupsOf(html, "line");
  equal(lines.length, 2);
  const legacyPaths = pathsOf(lines[1], "line");
  equal(legacyPaths.length, 3);
  equal(count(legacyPaths[0], "M"), 2, "a gap, not a zero");
  equal(count(pathsOf(lines[0], "line")[0], "M"), 1, "current total has no gap");
  match(lines[1], new RegExp(`stroke="${COLLECTOR_STYLE.legacy.color}"`));
});

Deno.test("renderLegacyLines() shows node types and metrics only as escaped text", () => {
  assertEscaped(renderLegacyLines([cmp("2024-01-01", EVIL, "a", 1, 1)]));
});

const rank = (
  year: number,
  metric: string,
  node_type: string,
  abs: number,
  net: number,
  site = "s",
): LegacyRankingRow => ({
  site,
  year,
  metric,
  node_type,
  abs_node_hours: abs,
  net_node_hours: net,
  days_both: 1,
  days_legacy_only: 0,
  days_current_only: 0,
});

const RANKING = [
  rank(2023, "idle", "a", 24, -24),
  rank(2023, "idle", "b", 12, 12),
  rank(2024, "idle", "a", 1500, 1500),
  rank(2024, "total", "a", 48, -48),
  rank(2024, "node_count", "a", 6, 6),
];

Deno.test("prepareLegacyHeatmap() sums abs node-hours over node types per year and metric", () => {
  deepEqual(prepareLegacyHeatmap(RANKING), [
    { year: 2024, metric: "total", node_hours: 48, net_node_hours: -48 },
    { year: 2023, metric: "idle", node_hours: 36, net_node_hours: -12 },
    { year: 2024, metric: "idle", node_hours: 1500, net_node_hours: 1500 },
    { year: 2024, metric: "node_count", node_hours: 6, net_node_hours: 6 },
  ]);
  throws(
    () => prepareLegacyHeatmap([...RANKING, rank(2024, "idle", "a", 1, 1, "t")]),
    /Cannot build the legacy heatmap: expected the ranking of one site, found 2 sites \("s", "t"\)/,
  );
});

Deno.test("renderLegacyHeatmap() draws a labelled cell per year and metric", () => {
  const svg = renderLegacyHeatmap(RANKING);
  equal(svg, renderLegacyHeatmap(RANKING));
  assertSelfContained(svg);
  match(svg, /^<svg/);
  equal(count(groupsOf(svg, "cell")[0], "<rect"), 4);
  const labels = [...groupsOf(svg, "text")[0].matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]);
  deepEqual(labels, ["48", "36", "1.5k", "6"]);
  assertEscaped(renderLegacyHeatmap([rank(2024, EVIL, "a", 1, 1)]));
});

Deno.test("prepareLegacyTop() returns the n largest discrepancies, ties in a fixed order", () => {
  deepEqual(prepareLegacyTop(RANKING, 3).map((r) => [r.year, r.metric, r.node_type]), [
    [2024, "idle", "a"],
    [2024, "total", "a"],
    [2023, "idle", "a"],
  ]);
  equal(prepareLegacyTop(RANKING).length, RANKING.length);
  deepEqual(
    prepareLegacyTop([
      rank(2024, "idle", "b", 5, 5),
      rank(2024, "idle", "a", 5, 5),
      rank(2023, "x", "z", 5, 5),
    ], 3)
      .map((r) => `${r.year}${r.node_type}`),
    ["2023z", "2024a", "2024b"],
  );
  throws(() => prepareLegacyTop(RANKING, -1), /expected n >= 0, found -1/);
});

Deno.test("renderLegacyTop() draws one bar per discrepancy, node types escaped", () => {
  const html = renderLegacyTop(RANKING, { n: 2 });
  equal(html, renderLegacyTop(RANKING, { n: 2 }));
  assertSelfContained(html);
  equal(count(groupsOf(html, "bar")[0], "<rect"), 2);
  match(html, />2024 · idle · a</);
  assertEscaped(renderLegacyTop([rank(2024, "idle", EVIL, 1, 1)]));
  throws(
    () => renderLegacyTop(RANKING, { top: 2 } as never),
    /Unknown option "top" of renderLegacyTop\(\)/,
  );
});
