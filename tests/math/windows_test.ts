import { deepEqual } from "node:assert/strict";
import { Duck } from "../../lib/db/duckdb.ts";
import { mergeWindows, splitByWindows } from "../../lib/math/windows.ts";
import { intersect, type Interval, normalize, subtract } from "../../lib/math/intervals.ts";
import { Rng } from "../../lib/demo/rng.ts";

type Row = [key: string, s: number, e: number];

/** Random intervals on a small grid: nested, touching, equal and empty ones are frequent. */
function randomRows(rng: Rng, n: number, keys: string[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const s = rng.int(0, 40);
    rows.push([keys[rng.int(0, keys.length - 1)], s, s + rng.int(0, 12)]);
  }
  return rows;
}

async function load(db: Duck, table: string, rows: Row[], pid = false): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE ${table} (pid BIGINT, k VARCHAR, s BIGINT, e BIGINT)`);
  for (const [i, r] of rows.entries()) {
    await db.run(`INSERT INTO ${table} VALUES ($1, $2, $3, $4)`, [pid ? i + 1 : null, ...r]);
  }
}

function byKey(rows: Row[], key: string): Interval[] {
  return rows.filter((r) => r[0] === key).map((r) => [r[1], r[2]] as const);
}

Deno.test("mergeWindows() gives the union of each key's intervals, as the reference does", async () => {
  using db = await Duck.open(":memory:", { preserve_insertion_order: "false" });
  const rng = new Rng(7);
  for (let round = 0; round < 25; round++) {
    const keys = ["a", "b", "c"];
    const rows = randomRows(rng, rng.int(1, 30), keys);
    await load(db, "iv", rows);
    await mergeWindows(db, { input: "iv", output: "m", key: "k" });
    for (const k of keys) {
      const got = await db.json<{ s: number; e: number }>(
        "SELECT s::INTEGER AS s, e::INTEGER AS e FROM m WHERE k = $1 ORDER BY s",
        [k],
      );
      deepEqual(got.map((w) => [w.s, w.e]), normalize(byKey(rows, k)), `round ${round}, key ${k}`);
    }
  }
});

Deno.test("splitByWindows() cuts each child into the reference intersection and difference", async () => {
  using db = await Duck.open(":memory:", { preserve_insertion_order: "false" });
  const rng = new Rng(11);
  for (let round = 0; round < 25; round++) {
    const keys = ["a", "b"];
    const children = randomRows(rng, rng.int(1, 12), keys).filter((r) => r[2] > r[1]);
    const windows = randomRows(rng, rng.int(0, 12), keys);
    await load(db, "c", children, true);
    await load(db, "w", windows);
    await splitByWindows(db, { children: "c", windows: "w", key: "k", inside: "i", outside: "o" });
    for (const [n, [k, s, e]] of children.entries()) {
      const pid = n + 1;
      const inside = await db.json<{ s: number; e: number }>(
        "SELECT s::INTEGER AS s, e::INTEGER AS e FROM i WHERE pid = $1 ORDER BY s",
        [pid],
      );
      const outside = await db.json<{ s: number; e: number }>(
        "SELECT s::INTEGER AS s, e::INTEGER AS e FROM o WHERE pid = $1 ORDER BY s",
        [pid],
      );
      const cover = byKey(windows, k);
      const label = `round ${round}, child ${pid}`;
      deepEqual(inside.map((x) => [x.s, x.e]), intersect([[s, e]], cover), label);
      deepEqual(outside.map((x) => [x.s, x.e]), subtract([[s, e]], cover), label);
    }
  }
});
