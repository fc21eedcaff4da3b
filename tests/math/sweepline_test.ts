import { deepEqual, equal, ok } from "node:assert/strict";
import { Duck } from "../../lib/db/duckdb.ts";
import { deltasToSteps, intervalsToDeltas } from "../../lib/math/sweepline.ts";
import { type Bucket, resampleSteps } from "../../lib/math/resample.ts";
import { Rng } from "../../lib/demo/rng.ts";

/** {@linkcode resampleSteps} over the table `st` (group `g`, value `v`) into `output` (`r`). */
function resampleSt(
  db: Duck,
  bucket: Bucket,
  from: bigint,
  to: bigint,
  more: { output?: string; fill?: boolean } = {},
): Promise<void> {
  const { output = "r", ...rest } = more;
  return resampleSteps(db, {
    steps: "st",
    groups: ["g"],
    values: ["v"],
    bucket,
    from,
    to,
    output,
    ...rest,
  });
}

const H = 3_600_000_000n;
const D = 24n * H;

async function steps(db: Duck, rows: [string, number, number | null, number][]) {
  await db.run("CREATE OR REPLACE TABLE iv (g VARCHAR, s BIGINT, e BIGINT, v DOUBLE)");
  for (const r of rows) await db.run("INSERT INTO iv VALUES ($1, $2, $3, $4)", r);
  await intervalsToDeltas(db, { input: "iv", groups: ["g"], values: ["v"], output: "d" });
  await deltasToSteps(db, { deltas: "d", groups: ["g"], values: ["v"], output: "st" });
  return await db.json<{ g: string; t: number; v: number }>("SELECT g, t, v FROM st ORDER BY g, t");
}

Deno.test("intervalsToDeltas() and deltasToSteps() stack overlapping intervals into counts", async () => {
  using db = await Duck.open();
  const s = await steps(db, [
    ["a", 0, 10, 1],
    ["a", 5, 15, 1],
    ["a", 10, 20, 2], // ends and starts at 10: no dip, no spike
    ["a", 30, null, 1], // open
    ["b", 0, 0, 5], // zero length: nothing
  ]);
  deepEqual(s, [
    { g: "a", t: 0, v: 1 },
    { g: "a", t: 5, v: 2 },
    { g: "a", t: 10, v: 3 },
    { g: "a", t: 15, v: 2 },
    { g: "a", t: 20, v: 0 },
    { g: "a", t: 30, v: 1 },
  ]);
});

Deno.test("deltasToSteps() makes no step where one span ends as another starts", async () => {
  using db = await Duck.open();
  const s = await steps(db, [["a", 0, 10, 1], ["a", 10, 20, 1], ["a", 20, 30, 1]]);
  deepEqual(s.map((x) => [x.t, x.v]), [[0, 1], [30, 0]]);
});

Deno.test("property: the integral of the step function equals the sum of span durations", async () => {
  using db = await Duck.open();
  for (let seed = 1; seed <= 20; seed++) {
    const r = new Rng(seed, "property");
    const rows: [string, number, number | null, number][] = [];
    let expected = 0;
    const end = 1_000_000;
    for (let i = 0; i < 200; i++) {
      const s = r.int(0, end - 1);
      const open = r.chance(0.1);
      const e = open ? null : s + r.int(0, 50_000);
      const v = r.pick([1, 2, 48, 0.5]);
      rows.push(["a", s, e, v]);
      expected += v * (Math.min(e ?? end, end) - Math.min(s, end));
    }
    await steps(db, rows);
    const integral = await db.value<number>(`
      SELECT sum(v * (least(coalesce(nt, ${end}), ${end}) - t)) FROM (
        SELECT t, v, lead(t) OVER (ORDER BY t) AS nt FROM st) WHERE t < ${end}`);
    ok(Math.abs(integral - expected) < 1e-6, `seed ${seed}: ${integral} vs ${expected}`);
  }
});

Deno.test("resampleSteps() gives exact time-weighted means: mean x length = integral", async () => {
  using db = await Duck.open();
  // A step on a bucket edge (day 1 00:00), a day with no event (day 2), an open last step,
  // and a step that starts before the window.
  await db.run(`CREATE OR REPLACE TABLE st AS SELECT * FROM (VALUES
    ('a', ${-6n * H}, 4.0), ('a', ${6n * H}, 2.0), ('a', ${D}, 6.0), ('a', ${
    D + 12n * H
  }, 0.0), ('a', ${3n * D + 18n * H}, 8.0)
  ) t(g, t, v)`);
  await resampleSt(db, "day", 0n, 4n * D);
  const days = await db.json<{ seconds: number; integral_v: number; mean_v: number }>(
    "SELECT seconds, integral_v, mean_v FROM r ORDER BY bucket_start",
  );
  deepEqual(days.map((d) => d.integral_v), [
    6 * 3600 * 4 + 18 * 3600 * 2, // starts inside a step that began before the window
    12 * 3600 * 6, // a step on the bucket edge
    0, // no event all day
    6 * 3600 * 8, // the open last step
  ]);
  for (const d of days) equal(d.mean_v * d.seconds, d.integral_v);
  // Hours: the day of 12 h at 6 then 0.
  await resampleSt(db, "hour", D + 11n * H, D + 13n * H, { output: "h" });
  deepEqual(await db.json("SELECT mean_v FROM h ORDER BY bucket_start"), [{ mean_v: 6 }, {
    mean_v: 0,
  }]);
  // A window that starts inside a step, in the middle of an hour: partial first bucket.
  await resampleSt(db, "day", D + 6n * H, 2n * D, { output: "p" });
  deepEqual(await db.json("SELECT seconds, mean_v FROM p"), [{ seconds: 18 * 3600, mean_v: 2 }]);
});

Deno.test("resampleSteps() sums days into weeks, months and years exactly", async () => {
  using db = await Duck.open();
  const jan1 = BigInt(Date.UTC(2024, 0, 1)) * 1000n; // a Monday
  await db.run(
    `CREATE OR REPLACE TABLE st AS SELECT * FROM (VALUES ('a', ${jan1}, 3.0), ('a', ${
      jan1 + 40n * D
    }, 1.0)) t(g, t, v)`,
  );
  const to = BigInt(Date.UTC(2025, 0, 1)) * 1000n;
  for (const bucket of ["week", "month", "year"] as const) {
    await resampleSt(db, bucket, jan1, to);
    const total = await db.value<number>("SELECT sum(integral_v) FROM r");
    equal(total, (40 * 3 + 326) * 86400, bucket);
  }
  const [year] = await db.json<{ y: string; mean_v: number; seconds: number }>(
    "SELECT strftime(bucket_start, '%Y') AS y, mean_v, seconds FROM r",
  );
  equal(year.y, "2024");
  equal(year.seconds, 366 * 86400);
  ok(Math.abs(year.mean_v - 446 / 366) < 1e-12);
});

Deno.test("resampleSteps() with fill gives every group every bucket, 0 before its first step", async () => {
  using db = await Duck.open();
  // Group a starts at noon of day 1; b holds 3 from before the window; c starts after it ends.
  await db.run(`CREATE TABLE st AS SELECT * FROM (VALUES
    ('a', ${D + 12n * H}, 2.0), ('b', ${-H}, 3.0), ('c', ${5n * D}, 1.0)) t(g, t, v)`);
  for (const [bucket, n] of [["day", 3], ["week", 1]] as const) {
    await resampleSt(db, bucket, 0n, 3n * D, { fill: true });
    const rows = await db.json<{ g: string; n: number; sum: number; seconds: number }>(
      "SELECT g, count(*)::INTEGER AS n, sum(integral_v) AS sum, sum(seconds) AS seconds FROM r GROUP BY g ORDER BY g",
    );
    deepEqual(rows, [
      { g: "a", n, sum: 2 * 36 * 3600, seconds: 3 * 86400 },
      { g: "b", n, sum: 3 * 72 * 3600, seconds: 3 * 86400 },
    ]);
  }
  // Day 0 of group a: a row with integral and mean 0, not a missing row; without fill, none.
  for (const fill of [true, false]) {
    await resampleSt(db, "day", 0n, 3n * D, { fill });
    deepEqual(
      await db.json(
        "SELECT integral_v, mean_v FROM r WHERE g = 'a' AND bucket_start = make_timestamp(0)",
      ),
      fill ? [{ integral_v: 0, mean_v: 0 }] : [],
    );
  }
});
