import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  prepareHostTimeline,
  renderHostTimeline,
  type SpanRow,
} from "../../lib/plots/host_timeline.ts";
import { MEASURED_METRICS } from "../../lib/metrics.ts";
import { seriesStyle } from "../../lib/plots/series.ts";
import { assertEscaped, assertSelfContained, count, EVIL, groupsOf } from "./_plot_helpers.ts";

const span = (
  host: string | null,
  metric: string,
  start: string,
  end: string | null,
  node_type = "gpu",
): SpanRow => ({
  site: "s",
  source: `src.${metric}`,
  metric,
  entity_id: `e-${metric}-${start}`,
  source_row_id: "1",
  hypervisor_hostname: host,
  node_type,
  start,
  end,
  nodes: 1,
});

const SPANS: SpanRow[] = [
  span("h1", "total", "2024-01-01 00:00:00", null),
  span("h1", "reservable", "2024-01-02 00:00:00", "2024-03-01 00:00:00"),
  span("h1", "committed", "2024-01-10 06:00:00", "2024-01-12 18:00:00"),
  span("h1", "committed", "2024-01-05 00:00:00", "2024-01-06 00:00:00"),
  span("h1", "active_reservation", "2024-01-10 08:00:00", "2024-01-11 00:00:00"),
  span("h2", "total", "2023-06-01", "2023-07-01", "cpu"),
  span(null, "occupied_ondemand", "2024-01-01", null),
];

const iso = (d: Date) => d.toISOString().slice(0, 19);

Deno.test("prepareHostTimeline() closes open spans at as_of, sorts by layer then start", () => {
  const t = prepareHostTimeline(SPANS, { host: "h1", asOf: "2024-04-01 00:00:00" });
  deepEqual(t.metrics, [...MEASURED_METRICS]);
  deepEqual(t.nodeTypes, ["gpu"]);
  deepEqual(t.bars.map((b) => [b.metric, iso(b.start), iso(b.end), b.open]), [
    ["total", "2024-01-01T00:00:00", "2024-04-01T00:00:00", true],
    ["reservable", "2024-01-02T00:00:00", "2024-03-01T00:00:00", false],
    ["committed", "2024-01-05T00:00:00", "2024-01-06T00:00:00", false],
    ["committed", "2024-01-10T06:00:00", "2024-01-12T18:00:00", false],
    ["active_reservation", "2024-01-10T08:00:00", "2024-01-11T00:00:00", false],
  ]);
  deepEqual([iso(t.window.start), iso(t.window.end)], [
    "2024-01-01T00:00:00",
    "2024-04-01T00:00:00",
  ]);
});

Deno.test("prepareHostTimeline() clips to the window and drops what falls outside", () => {
  const t = prepareHostTimeline(SPANS, {
    host: "h1",
    asOf: new Date("2024-04-01T00:00:00Z"),
    start: "2024-01-06",
    end: "2024-01-11 12:00:00",
  });
  deepEqual(t.bars.map((b) => [b.metric, iso(b.start), iso(b.end)]), [
    ["total", "2024-01-06T00:00:00", "2024-01-11T12:00:00"],
    ["reservable", "2024-01-06T00:00:00", "2024-01-11T12:00:00"],
    ["committed", "2024-01-10T06:00:00", "2024-01-11T12:00:00"],
    ["active_reservation", "2024-01-10T08:00:00", "2024-01-11T00:00:00"],
  ]);
  throws(
    () => prepareHostTimeline(SPANS, { host: "nope", asOf: "2024-04-01" }),
    /Cannot draw the timeline of host "nope": no span has that hypervisor_hostname/,
  );
  throws(
    () => prepareHostTimeline(SPANS, { host: "h1", asOf: "2024-04-01", start: "2024-05-01" }),
    /the window \[2024-05-01T00:00:00.000Z, 2024-04-01T00:00:00.000Z\) is empty/,
  );
  throws(
    () =>
      prepareHostTimeline([span("h", "bogus", "2024-01-01", null)], {
        host: "h",
        asOf: "2024-04-01",
      }),
    /Unknown series "bogus"/,
  );
});

Deno.test("renderHostTimeline() draws a colored bar per span and a row per layer", () => {
  const options = { host: "h1", asOf: "2024-04-01 00:00:00" };
  const html = renderHostTimeline(SPANS, options);
  equal(html, renderHostTimeline(SPANS, options));
  assertSelfContained(html);
  const bars = groupsOf(html, "bar")[0];
  equal(count(bars, "<rect"), 5);
  ok(bars.includes(`fill="${seriesStyle("committed").color}"`));
  const rows = [...groupsOf(html, "y-axis tick label")[0].matchAll(/>([^<]+)<\/text>/g)].map((m) =>
    m[1]
  );
  deepEqual(rows, MEASURED_METRICS.map((m) => seriesStyle(m).label));
  match(html, />host h1</);
  match(html, /open spans end at as_of 2024-04-01 00:00:00/);
  equal(count(groupsOf(html, "tick")[0], "<line"), 1, "one open span, marked at as_of");
  match(bars, /<title>committed: 2024-01-05 00:00:00 - 2024-01-06 00:00:00\nsrc.committed row 1/);
});

Deno.test("renderHostTimeline() shows hostnames and node types only as escaped text", () => {
  const spans = [span(EVIL, "total", "2024-01-01", null, EVIL)];
  const html = renderHostTimeline(spans, { host: EVIL, asOf: "2024-02-01" });
  assertEscaped(html);
  equal(count(html, "&lt;img src=x onerror=alert(1)&gt;") >= 2, true, "hostname and node type");
});
