import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { LEAF_METRICS } from "../../lib/metrics.ts";
import { prepareUsageStack, renderUsageStack, type UsageRow } from "../../lib/plots/usage_stack.ts";
import { seriesStyle } from "../../lib/plots/series.ts";
import { plotDocument } from "../../lib/plots/dom.ts";
import { assertEscaped, assertSelfContained, EVIL, groupsOf, pathsOf } from "./_plot_helpers.ts";

const row = (
  metric: string,
  node_type: string,
  timestamp: string,
  value: number,
  resource = "nodes",
): UsageRow => ({
  site: "t",
  collector_type: "current",
  metric,
  resource,
  node_type,
  timestamp,
  value,
});

/** Two node types over three days; the leaves of each type and day sum to its total. */
const ROWS: UsageRow[] = [
  row("total", "a", "2024-01-01 00:00:00", 4),
  row("active_reservation", "a", "2024-01-01 00:00:00", 1),
  row("idle", "a", "2024-01-01 00:00:00", 1.5),
  row("available", "a", "2024-01-01 00:00:00", 1.5),
  row("total", "a", "2024-01-02 00:00:00", 4),
  row("active_reservation", "a", "2024-01-02 00:00:00", 2),
  row("available", "a", "2024-01-02 00:00:00", 2),
  row("total", "a", "2024-01-03 00:00:00", 4),
  row("pool_unknown", "a", "2024-01-03 00:00:00", 4),
  row("total", "b", "2024-01-01", 2),
  row("available_ondemand", "b", "2024-01-01", 2),
  // b has no row on 2024-01-02: every series of b is 0 that day
  row("total", "b", "2024-01-03", 2),
  row("reservable", "b", "2024-01-03", 2),
  row("maintenance", "b", "2024-01-03", 0.5),
  row("available", "b", "2024-01-03", 1.5),
  // ignored: another resource, another collector, a metric that is not a leaf or line
  row("total", "a", "2024-01-01", 96, "vcpus"),
  { ...row("total", "a", "2024-01-01", 100), collector_type: "legacy" },
  row("committed", "a", "2024-01-01", 2.5),
];

function table(points: { metric: string; value: number }[]) {
  const out: Record<string, number[]> = {};
  for (const p of points) (out[p.metric] ??= []).push(p.value);
  return out;
}

Deno.test("prepareUsageStack() sums node types per day exactly and fills missing rows with 0", () => {
  const s = prepareUsageStack(ROWS, { resource: "nodes" });
  deepEqual(s.facets, [null]);
  deepEqual(s.end, new Date("2024-01-04T00:00:00Z"));
  deepEqual(table(s.lines), { total: [6, 4, 6], reservable: [0, 0, 2] });
  deepEqual(table(s.leaves), {
    pool_unknown: [0, 0, 4],
    available_ondemand: [2, 0, 0],
    stopped_ondemand: [0, 0, 0],
    active_ondemand: [0, 0, 0],
    available: [1.5, 2, 1.5],
    maintenance: [0, 0, 0.5],
    operator_hold: [0, 0, 0],
    idle: [1.5, 0, 0],
    stopped_reservation: [0, 0, 0],
    active_reservation: [1, 2, 0],
  });
  // stacking order, bottom first: the reverse of LEAF_METRICS (top of the stack first)
  deepEqual(Object.keys(table(s.leaves)), [...LEAF_METRICS].reverse());
  deepEqual(s.leaves.slice(0, 3).map((p) => p.date.toISOString()), [
    "2024-01-01T00:00:00.000Z",
    "2024-01-02T00:00:00.000Z",
    "2024-01-03T00:00:00.000Z",
  ]);
  // the leaves sum to total on every day
  for (let day = 0; day < 3; day++) {
    const sum = LEAF_METRICS.reduce((a, m) => a + table(s.leaves)[m][day], 0);
    equal(sum, table(s.lines).total[day]);
  }
});

Deno.test("prepareUsageStack() keeps node types apart with byNodeType", () => {
  const s = prepareUsageStack(ROWS, { byNodeType: true });
  deepEqual(s.facets, ["a", "b"]);
  deepEqual(table(s.lines.filter((p) => p.node_type === "a")), {
    total: [4, 4, 4],
    reservable: [0, 0, 0],
  });
  deepEqual(table(s.lines.filter((p) => p.node_type === "b")), {
    total: [2, 0, 2],
    reservable: [0, 0, 2],
  });
  deepEqual(table(s.leaves.filter((p) => p.node_type === "b")).available, [0, 0, 1.5]);
  equal(s.leaves.length, 2 * 3 * LEAF_METRICS.length);
});

Deno.test("prepareUsageStack() keeps negative leaves as they are", () => {
  const s = prepareUsageStack([
    row("total", "a", "2024-01-01", 1),
    row("idle", "a", "2024-01-01", -0.5),
    row("available", "a", "2024-01-01", 1.5),
  ]);
  equal(s.leaves.find((p) => p.metric === "idle")!.value, -0.5);
});

Deno.test("prepareUsageStack() averages days into ISO weeks and months, exactly", () => {
  const days = Array.from({ length: 9 }, (_, i) => row("total", "a", `2024-01-0${i + 1}`, i + 1)); // 2024-01-01 is a Monday
  const w = prepareUsageStack(days, { bucket: "week" });
  deepEqual(table(w.lines).total, [4, 8.5]); // (1+...+7)/7, (8+9)/2
  deepEqual(w.lines.slice(0, 2).map((p) => p.date.toISOString().slice(0, 10)), [
    "2024-01-01",
    "2024-01-08",
  ]);
  deepEqual(w.end, new Date("2024-01-15T00:00:00Z"));
  const m = prepareUsageStack([
    row("total", "a", "2024-01-30", 1),
    row("total", "a", "2024-01-31", 2),
    row("total", "a", "2024-02-01", 4),
  ], { bucket: "month" });
  deepEqual(table(m.lines).total, [1.5, 4]);
  deepEqual(m.end, new Date("2024-03-01T00:00:00Z"));
});

Deno.test("prepareUsageStack() refuses raw steps, duplicates, several sites and unknown options", () => {
  throws(
    () => prepareUsageStack([row("total", "a", "2024-01-01 03:00:00", 1)]),
    /Cannot stack usage: the row of "total" at "2024-01-01 03:00:00" is not at midnight UTC: expected daily means/,
  );
  throws(
    () => prepareUsageStack([row("idle", "a", "2024-01-01", 1), row("idle", "a", "2024-01-01", 1)]),
    /Cannot stack usage: two rows of "idle" for node type "a" on 2024-01-01/,
  );
  throws(
    () =>
      prepareUsageStack([row("idle", "a", "2024-01-01", 1), {
        ...row("idle", "a", "2024-01-01", 1),
        site: "u",
      }]),
    /expected rows of one site, found 2 sites \("t", "u"\)/,
  );
  throws(
    () => prepareUsageStack(ROWS, { resorce: "nodes" } as never),
    /Unknown option "resorce" of prepareUsageStack\(\): expected one of "resource", "byNodeType", "bucket", "collector"/,
  );
  throws(
    () => prepareUsageStack(ROWS, { bucket: "hour" as never }),
    /Unknown value "hour" of option "bucket"/,
  );
  throws(() => prepareUsageStack(ROWS, { resource: "gpus" as never }), /Unknown resource "gpus"/);
  throws(
    () => prepareUsageStack([row("idle", "a", "2024-13-01", 1)]),
    /Cannot read timestamp "2024-13-01"/,
  );
  deepEqual(prepareUsageStack([]), {
    resource: "nodes",
    facets: [],
    leaves: [],
    lines: [],
    end: null,
  });
});

Deno.test("renderUsageStack() is deterministic and draws stacked step areas and both lines", () => {
  const html = renderUsageStack(ROWS);
  equal(html, renderUsageStack(ROWS));
  equal(html, renderUsageStack(ROWS, { document: plotDocument() }));
  assertSelfContained(html);
  match(html, /^<figure/);
  match(html, /nodes \(daily mean\)/);
  equal(pathsOf(html, "area").length, LEAF_METRICS.length, "one area per leaf");
  for (const m of [...LEAF_METRICS, "total", "reservable"]) {
    ok(html.includes(`>${seriesStyle(m).label}<`), `legend has ${m}`);
  }
  const lines = groupsOf(html, "line");
  equal(lines.length, 2);
  match(lines[0], /stroke-dasharray="5,3"/, "reservable is dashed");
  match(lines[1], /stroke="#000000"/, "total is black");
  // total over 3 days: step-after through 4 points (the last closes the last day at the frame's
  // right edge, x = 900 - 20): M + 6 L, every segment horizontal or vertical
  const d = pathsOf(html, "line")[1];
  const pts = [...d.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  equal(pts.length, 7);
  for (let i = 1; i < pts.length; i++) {
    ok(pts[i][0] === pts[i - 1][0] || pts[i][1] === pts[i - 1][1], `segment ${i} is a step`);
  }
  equal(pts.at(-1)![0], 880);
});

Deno.test("renderUsageStack() labels the axis with each resource's unit", () => {
  const labels = {
    nodes: "nodes",
    vcpus: "vCPUs",
    memory_mb: "MB of memory",
    disk_gb: "GB of disk",
  };
  for (const [resource, label] of Object.entries(labels)) {
    const html = renderUsageStack([row("total", "a", "2024-01-01", 1, resource)], {
      resource: resource as keyof typeof labels,
      bucket: "week",
    });
    ok(html.includes(`${label} (weekly mean)`), resource);
  }
});

Deno.test("renderUsageStack() draws one panel per node type with facet: node_type", () => {
  const html = renderUsageStack(ROWS, { facet: "node_type" });
  equal(html, renderUsageStack(ROWS, { facet: "node_type" }));
  equal(pathsOf(html, "area").length, 2 * LEAF_METRICS.length);
  const text = groupsOf(html, "text").join("");
  ok(text.includes(">a<") && text.includes(">b<"), "panel labels");
  throws(
    () => renderUsageStack(ROWS, { facet: "site" as never }),
    /Unknown value "site" of option "facet"/,
  );
});

Deno.test("renderUsageStack() shows node types from the database only as escaped text", () => {
  const html = renderUsageStack([row("total", EVIL, "2024-01-01", 1)], { facet: "node_type" });
  assertEscaped(html);
});

Deno.test("renderUsageStack() draws negative leaves below zero and says so", () => {
  const html = renderUsageStack([
    row("total", "a", "2024-01-01", 1),
    row("idle", "a", "2024-01-01", -0.5),
    row("available", "a", "2024-01-01", 1.5),
  ]);
  match(html, /1 leaf values below zero \(data conflicts\): drawn below the axis, not clamped/);
  match(groupsOf(html, "y-axis tick label")[0], />−0\.4</, "the y axis goes below zero");
});

Deno.test("renderUsageStack() says when there is no data", () => {
  match(renderUsageStack([], { resource: "disk_gb" }), /no disk_gb data/);
  equal(pathsOf(renderUsageStack([]), "area").length, 0);
});

Deno.test("renderUsageStack() stacks the leaves in LEAF_METRICS order, top of the stack first", () => {
  // input in the wrong order on purpose: the stack order comes from the chart, not the rows
  const rows = [...LEAF_METRICS].map((m) => row(m, "a", "2024-01-01", 1));
  const html = renderUsageStack([row("total", "a", "2024-01-01", LEAF_METRICS.length), ...rows]);
  const top = (metric: string) => {
    const color = seriesStyle(metric).color;
    const path = groupsOf(html, "area")[0].match(
      new RegExp(`<path d="([^"]*)" fill="${color}"`),
    )!;
    return Math.min(...[...path[1].matchAll(/,([\d.]+)/g)].map((m) => Number(m[1])));
  };
  const tops = LEAF_METRICS.map(top);
  for (let i = 1; i < tops.length; i++) {
    ok(tops[i - 1] < tops[i], `${LEAF_METRICS[i - 1]} above ${LEAF_METRICS[i]}`);
  }
});
