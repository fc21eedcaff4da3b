import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  dayBuckets,
  figureHtml,
  formatShort,
  oneOf,
  resolveOptions,
} from "../../lib/plots/_shared.ts";
import { parseUtc } from "../../lib/time.ts";
import { plotDocument } from "../../lib/plots/dom.ts";
import * as mod from "../../lib/plots/mod.ts";
import { assertEscaped, EVIL } from "./_plot_helpers.ts";

Deno.test("parseUtc() reads text as UTC, never local time, and refuses what it cannot read", () => {
  equal(parseUtc("2024-03-31 02:30:00").toISOString(), "2024-03-31T02:30:00.000Z");
  equal(parseUtc("2024-03-31").toISOString(), "2024-03-31T00:00:00.000Z");
  equal(parseUtc("2024-03-31T02:30:00.123456Z").toISOString(), "2024-03-31T02:30:00.123Z");
  const d = new Date(Date.UTC(2020, 1, 29));
  equal(parseUtc(d).getTime(), d.getTime());
  for (
    const bad of ["2024-02-30", "2024-13-01", "01/02/2024", "2024-01-01 24:00:00", "2024-01-01+02"]
  ) {
    throws(
      () => parseUtc(bad),
      new RangeError(
        `Cannot read timestamp "${bad}": expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)`,
      ),
    );
  }
  throws(() => parseUtc(new Date(Number.NaN)), /invalid Date/);
});

Deno.test("resolveOptions() keeps defaults for undefined and throws on an unknown keyword", () => {
  deepEqual(resolveOptions("f", { a: 1, b: "x" }, { a: undefined, b: "y" }), { a: 1, b: "y" });
  deepEqual(resolveOptions("f", { a: 1 }, undefined), { a: 1 });
  throws(
    () => resolveOptions("f", { a: 1, b: 2 }, { c: 3 }),
    new TypeError(`Unknown option "c" of f(): expected one of "a", "b"`),
  );
  throws(
    () => oneOf("f", "facet", "x", [null, "node_type"]),
    new TypeError(`Unknown value "x" of option "facet" of f(): expected one of null, "node_type"`),
  );
});

Deno.test("dayBuckets() cuts days into ISO weeks and months", () => {
  const day = (s: string) => Date.parse(`${s}T00:00:00Z`);
  const weeks = dayBuckets(day("2023-12-30"), day("2024-01-08"), "week");
  deepEqual(weeks.map((b) => [new Date(b.start).toISOString().slice(0, 10), b.days.length]), [
    ["2023-12-25", 2],
    ["2024-01-01", 7],
    ["2024-01-08", 1],
  ]);
  const months = dayBuckets(day("2024-02-28"), day("2024-03-01"), "month");
  deepEqual(months.map((b) => b.days.length), [2, 1]);
});

Deno.test("formatShort() keeps numbers short and signs them like Plot", () => {
  deepEqual([0, 0.25, 9.96, 13.5, 950, 12_345, 1_500_000, -0.5].map(formatShort), [
    "0",
    "0.3",
    "10",
    "14",
    "950",
    "12.3k",
    "1.5M",
    "\u22120.5",
  ]);
});

Deno.test("figureHtml() escapes every text it is given", () => {
  const doc = plotDocument();
  const chart = doc.createElement("svg");
  const html = figureHtml(doc, chart, {
    title: EVIL,
    subtitle: EVIL,
    legend: [{ label: EVIL, color: "#000" }, { label: "x", color: "#111", kind: "dashed" }],
    note: EVIL,
  });
  assertEscaped(html);
  ok(html.includes('stroke-dasharray="4,2"'));
});

Deno.test("mod.ts exports every chart's prepare and render functions", () => {
  for (
    const name of [
      "prepareUsageStack",
      "renderUsageStack",
      "prepareCrossSite",
      "renderCrossSite",
      "prepareLegacyLines",
      "renderLegacyLines",
      "prepareLegacyHeatmap",
      "renderLegacyHeatmap",
      "prepareLegacyTop",
      "renderLegacyTop",
      "prepareAudit",
      "renderAudit",
      "prepareHostTimeline",
      "renderHostTimeline",
      "renderLegacyCaches",
      "plotDocument",
      "seriesStyle",
      "readUsageDaily",
      "readSpans",
    ]
  ) {
    equal(typeof (mod as Record<string, unknown>)[name], "function", name);
  }
});
