import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { ALL_METRICS, LEAF_METRICS } from "../../lib/metrics.ts";
import { REASONS } from "../../lib/spans/reasons.ts";
import {
  REASON_COLORS,
  reasonColors,
  RESOURCE_LABEL,
  resourceLabel,
  SERIES_STYLE,
  seriesStyle,
  SITE_FAMILIES,
  sortSeries,
} from "../../lib/plots/series.ts";

/** Hue (degrees) and saturation (0-1) of a `#rrggbb` color. */
function hsl(hex: string): { h: number; s: number } {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  if (d === 0) return { h: 0, s: 0 };
  const l = (max + min) / 2;
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return { h: (h * 60 + 360) % 360, s };
}

Deno.test("SERIES_STYLE covers every metric of ALL_METRICS and nothing else", () => {
  deepEqual(Object.keys(SERIES_STYLE).sort(), [...ALL_METRICS].sort());
  const orders = Object.values(SERIES_STYLE).map((s) => s.order);
  equal(new Set(orders).size, orders.length, "orders are distinct");
  const labels = Object.values(SERIES_STYLE).map((s) => s.label);
  equal(new Set(labels).size, labels.length, "labels are distinct");
});

Deno.test("leaf states have distinct colors, by family", () => {
  const colors = LEAF_METRICS.map((m) => seriesStyle(m).color);
  equal(new Set(colors).size, colors.length);
  for (const m of ["active_reservation", "stopped_reservation", "idle", "available"]) {
    const { h } = hsl(seriesStyle(m).color);
    ok(h >= 195 && h <= 225, `${m} is blue: hue ${h}`);
  }
  for (const m of ["active_ondemand", "stopped_ondemand", "available_ondemand"]) {
    const { h } = hsl(seriesStyle(m).color);
    ok(h >= 15 && h <= 40, `${m} is orange: hue ${h}`);
  }
  equal(hsl(seriesStyle("pool_unknown").color).s, 0, "pool_unknown is grey");
  const maint = hsl(seriesStyle("maintenance").color);
  ok(maint.h < 12 && maint.s > 0.5, `maintenance is red: hue ${maint.h}`);
  equal(seriesStyle("total").color, "#000000");
});

Deno.test("seriesStyle() names the unknown series and every expected one", () => {
  throws(
    () => seriesStyle("toString"),
    new Error(
      `Unknown series "toString": expected one of ${ALL_METRICS.map((m) => `"${m}"`).join(", ")}`,
    ),
  );
});

Deno.test("sortSeries() follows the stack's tree order, unknown names last by name", () => {
  deepEqual(sortSeries(["node_count", "available", "idle", "a", "total", "reservable"]), [
    "total",
    "reservable",
    "idle",
    "available",
    "a",
    "node_count",
  ]);
});

Deno.test("every audit reason has its own color; new reasons get spare colors in sorted order", () => {
  deepEqual(Object.keys(REASON_COLORS).sort(), Object.keys(REASONS).sort());
  const all = reasonColors([...Object.keys(REASONS), "b_new", "a_new"]);
  equal(new Set(all.values()).size, all.size);
  deepEqual([all.get("a_new"), all.get("b_new")], ["#17becf", "#bcbd22"]);
});

Deno.test("resourceLabel() names each resource's unit", () => {
  deepEqual(RESOURCE_LABEL, {
    nodes: "nodes",
    vcpus: "vCPUs",
    memory_mb: "MB of memory",
    disk_gb: "GB of disk",
    vcpus_overcommit: "vCPUs (overcommitted)",
    devices: "devices",
  });
  throws(() => resourceLabel("ram"), /Unknown resource "ram": expected one of "nodes", "vcpus"/);
  ok(SITE_FAMILIES.every((f) => f.dark !== f.light));
});
