import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { prepareCrossSite, renderCrossSite } from "../../lib/plots/cross_site.ts";
import { SITE_FAMILIES } from "../../lib/plots/series.ts";
import type { UsageRow } from "../../lib/plots/usage_stack.ts";
import { assertEscaped, assertSelfContained, EVIL, pathsOf } from "./_plot_helpers.ts";

const row = (site: string, metric: string, node_type: string, timestamp: string, value: number) =>
  ({
    site,
    collector_type: "current",
    metric,
    resource: "nodes",
    node_type,
    timestamp,
    value,
  }) as UsageRow;

const ROWS: UsageRow[] = [
  row("uc", "available", "a", "2024-01-01", 2),
  row("uc", "available", "b", "2024-01-01", 1),
  row("uc", "occupied_reservation", "a", "2024-01-02", 3),
  row("uc", "committed", "a", "2024-01-02", 3.5),
  row("tacc", "occupied_reservation", "a", "2024-01-01", 4),
  row("tacc", "occupied_ondemand", "a", "2024-01-01", 0.5),
  row("tacc", "committed", "a", "2024-01-01", 9),
  row("tacc", "available", "a", "2024-01-02", 0.25),
  row("tacc", "idle", "a", "2024-01-01", 100), // in neither part
  { ...row("tacc", "available", "a", "2024-01-01", 100), resource: "vcpus" },
  { ...row("tacc", "available", "a", "2024-01-01", 100), collector_type: "legacy" },
];

const values = (c: ReturnType<typeof prepareCrossSite>) =>
  c.points.map((p) => [p.site, p.part, p.date.toISOString().slice(0, 10), p.value]);

Deno.test("prepareCrossSite() sums used and available per site and day, missing days 0", () => {
  const c = prepareCrossSite(ROWS);
  deepEqual(c.sites, ["tacc", "uc"]);
  deepEqual(c.end, new Date("2024-01-03T00:00:00Z"));
  deepEqual(values(c), [
    ["tacc", "used", "2024-01-01", 4.5],
    ["tacc", "used", "2024-01-02", 0],
    ["tacc", "available", "2024-01-01", 0],
    ["tacc", "available", "2024-01-02", 0.25],
    ["uc", "used", "2024-01-01", 0],
    ["uc", "used", "2024-01-02", 3],
    ["uc", "available", "2024-01-01", 3],
    ["uc", "available", "2024-01-02", 0],
  ]);
});

Deno.test("prepareCrossSite() with used: committed counts leases plus on-demand instances", () => {
  const c = prepareCrossSite(ROWS, { used: "committed" });
  deepEqual(c.points.filter((p) => p.part === "used").map((p) => p.value), [9.5, 0, 0, 3.5]);
  throws(
    () => prepareCrossSite(ROWS, { used: "active" as never }),
    /Unknown value "active" of option "used"/,
  );
});

Deno.test("prepareCrossSite() averages weeks and refuses rows without a site", () => {
  const c = prepareCrossSite(ROWS, { bucket: "week" });
  deepEqual(values(c).slice(0, 2), [["tacc", "used", "2024-01-01", 2.25], [
    "tacc",
    "available",
    "2024-01-01",
    0.125,
  ]]);
  throws(
    () => prepareCrossSite([{ ...row("x", "available", "a", "2024-01-01", 1), site: undefined }]),
    /Cannot compare sites: a row of "available" has no site/,
  );
  throws(
    () => prepareCrossSite([row("x", "available", "a", "2024-01-01 12:00:00", 1)]),
    /is not at midnight UTC/,
  );
});

Deno.test("renderCrossSite() is deterministic, one area per site and part, one color family per site", () => {
  const html = renderCrossSite(ROWS, { siteNames: { uc: "CHI@UC" } });
  equal(html, renderCrossSite(ROWS, { siteNames: { uc: "CHI@UC" } }));
  assertSelfContained(html);
  equal(pathsOf(html, "area").length, 4);
  for (const label of ["tacc used", "tacc available", "CHI@UC used", "CHI@UC available"]) {
    ok(html.includes(`>${label}<`), label);
  }
  for (const f of SITE_FAMILIES.slice(0, 2)) {
    ok(html.includes(`fill="${f.dark}"`) && html.includes(`fill="${f.light}"`));
  }
  match(html, /nodes \(daily mean\)/);
  match(html, /used = occupied \(reservation\) \+ occupied \(on-demand\)/);
});

Deno.test("renderCrossSite() shows site names only as escaped text", () => {
  assertEscaped(renderCrossSite([row(EVIL, "available", "a", "2024-01-01", 1)]));
  assertEscaped(
    renderCrossSite([row("s", "available", "a", "2024-01-01", 1)], { siteNames: { s: EVIL } }),
  );
});
