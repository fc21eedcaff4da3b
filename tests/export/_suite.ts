/**
 * The export tests every target dialect runs: create, re-export, a second site, a failure
 * mid-way, hostile strings, exact values.
 *
 * @module
 */
import { deepEqual, equal, match, notDeepEqual, ok, rejects } from "node:assert/strict";
import { exportSite } from "../../lib/export/export.ts";
import type { Dialect } from "../../lib/export/schema.ts";
import { resolveTarget } from "../../lib/export/target.ts";
import { type DailyRow, dumpTables, freshDatabase, outputSet } from "./_export_helpers.ts";

/** Site A: two node types over three days, a legacy row, a day without committed rows. */
export const SITE_A: DailyRow[] = [
  ...["2025-01-01", "2025-01-02", "2025-01-03"].flatMap((day, k) => [
    { metric: "total", node_type: "gpu", day, value: 4 },
    { metric: "total", node_type: "compute", day, value: 10 + k },
    { metric: "total", resource: "vcpus", node_type: "compute", day, value: 480 },
    { metric: "reservable", node_type: "gpu", day, value: 3.5 },
    { metric: "reservable", node_type: "compute", day, value: 9 },
    { metric: "maintenance", node_type: "compute", day, value: 0 },
    { collector_type: "legacy", metric: "total", node_type: "gpu", day, value: 99 },
  ]),
  { metric: "committed", node_type: "gpu", day: "2025-01-02", value: 1.25 },
  { metric: "committed", node_type: "compute", day: "2025-01-02", value: 2 },
  { metric: "occupied_reservation", node_type: "compute", day: "2025-01-02", value: 0.1 + 0.2 },
];

/** Runs the suite for one dialect as steps of a test. */
export async function exportSuite(t: Deno.TestContext, dialect: Dialect): Promise<void> {
  const db = await freshDatabase(dialect);
  const target = resolveTarget(db.uri);
  try {
    const a = await outputSet("site_a", SITE_A);

    await t.step("creates both tables and writes the known numbers", async () => {
      const r = await exportSite(a, target);
      deepEqual(r.inserted, { daily: SITE_A.length, wide: 3 });
      deepEqual(r.deleted, { daily: 0, wide: 0 });
      equal(r.resource, "nodes");
      const dump = await dumpTables(db.uri);
      equal(dump.daily.length, SITE_A.length);
      const wide = dump.wide.map((l) => JSON.parse(l));
      deepEqual(wide[1], {
        time: "2025-01-02 00:00:00",
        site: "site_a",
        resource: "nodes",
        total: 15,
        reservable: 12.5,
        committed: 3.25,
        occupied_reservation: 0.30000000000000004,
        occupied_ondemand: null,
        available: null,
        idle: null,
        maintenance: 0,
      });
      equal(wide[0].total, 14);
      equal(wide[0].committed, null);
      ok(
        dump.daily.some((l) => l.includes('"value":0.30000000000000004')),
        "a double travels exactly",
      );
    });

    await t.step("a second export changes nothing", async () => {
      const before = await dumpTables(db.uri);
      const r = await exportSite(a, target);
      deepEqual(r.deleted, { daily: SITE_A.length, wide: 3 });
      deepEqual(await dumpTables(db.uri), before);
    });

    await t.step("a second site is written beside the first, which stays untouched", async () => {
      const before = await dumpTables(db.uri);
      const b = await outputSet("site_b", [
        { metric: "total", node_type: "gpu", day: "2025-01-01", value: 7 },
        { metric: "committed", node_type: "gpu", day: "2025-01-01", value: 7 },
      ]);
      const r = await exportSite(b, target);
      deepEqual(r.deleted, { daily: 0, wide: 0 });
      const after = await dumpTables(db.uri);
      deepEqual(after.daily.filter((l) => l.includes('"site":"site_a"')), before.daily);
      deepEqual(after.wide.filter((l) => l.includes('"site":"site_a"')), before.wide);
      equal(after.daily.length, before.daily.length + 2);
      // Re-exporting A now leaves B alone too.
      await exportSite(a, target);
      deepEqual(await dumpTables(db.uri), after);
    });

    await t.step("a failure after the delete leaves the previous rows", async () => {
      const before = await dumpTables(db.uri);
      const changed = await outputSet(
        "site_a",
        SITE_A.map((r) => ({ ...r, value: r.value + 1 })),
      );
      await rejects(
        exportSite(changed, target, {
          hooks: {
            afterDelete: () => {
              throw new Error("injected failure");
            },
          },
        }),
        new RegExp(`Cannot export site "site_a" to ".*": injected failure`),
      );
      deepEqual(await dumpTables(db.uri), before);
      // The same set without the failure does replace them.
      await exportSite(changed, target);
      notDeepEqual(await dumpTables(db.uri), before);
      await exportSite(a, target);
      deepEqual(await dumpTables(db.uri), before);
    });

    await t.step("hostile strings round-trip as data", async () => {
      const key = `o'r"<b>é😀\\;--`;
      const types = [`a'b"c<d>\\n`, "GPU", "gpu", "ñode ☃", "x`y", "tab\there\nnl\r\\N"];
      const rows: DailyRow[] = types.map((node_type, i) => ({
        metric: "total",
        node_type,
        day: "2025-01-01",
        value: i + 1,
      }));
      const h = await outputSet(key, rows);
      const r = await exportSite(h, target);
      equal(r.inserted.daily, 6);
      const dump = await dumpTables(db.uri);
      const mine = dump.daily.map((l) => JSON.parse(l)).filter((x) => x.site === key);
      deepEqual(mine.map((x) => x.node_type).sort(), [...types].sort());
      deepEqual(
        dump.wide.map((l) => JSON.parse(l)).filter((x) => x.site === key).map((x) => x.total),
        [21],
      );
      await exportSite(h, target);
      deepEqual(await dumpTables(db.uri), dump);
    });

    await t.step("a text longer than its column is refused before writing", async () => {
      const before = await dumpTables(db.uri);
      const long = await outputSet("site_a", [
        { metric: "total", node_type: "n".repeat(192), day: "2025-01-01", value: 1 },
      ]);
      await rejects(exportSite(long, target), /node_type "n+" has 192 characters.*at most 191/);
      deepEqual(await dumpTables(db.uri), before);
    });
  } finally {
    await db.drop();
  }
  match(target.masked, /^(mysql|postgres|duckdb):/);
}
