import { deepEqual, equal, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlLiteral } from "../../lib/sql.ts";
import { ALL_NODE_TYPES, readLegacyComparison, readUsageDaily } from "../../lib/outputs/read.ts";
import { readLegacyDailySums, readUsageBuckets } from "../../lib/outputs/read_buckets.ts";
import { prepareUsageStack } from "../../lib/plots/usage_stack.ts";
import { prepareLegacyLines } from "../../lib/plots/legacy_comparison.ts";

// 40 days from Thursday 2024-01-04 (a week and a month cut at both ends), two node types with
// fractional values whose sums depend on the order of the additions, gaps, a negative leaf.
const DAILY = `SELECT 's' AS site, 'current' AS collector_type, m AS metric, 'nodes' AS resource,
    n AS node_type, TIMESTAMP '2024-01-04' + INTERVAL (d) DAY AS "timestamp",
    CASE WHEN m = 'idle' AND d = 9 THEN -1000.25 ELSE (d * 7 + len(n)) / 3.0 + 0.1 END AS value
  FROM (VALUES ('total'), ('idle'), ('available')) m(m), (VALUES ('a'), ('bb')) n(n), range(40) d(d)
  WHERE NOT (n = 'bb' AND d % 5 = 0) AND NOT (m = 'available' AND d BETWEEN 12 AND 20)`;

async function withFiles(f: (db: Duck, dir: string) => Promise<void>) {
  using db = await Duck.open();
  const dir = await Deno.makeTempDir();
  try {
    await db.run(
      `COPY (${DAILY}) TO ${sqlLiteral(join(dir, "usage_daily.parquet"))} (FORMAT parquet)`,
    );
    await f(db, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const bucket of ["day", "week", "month"] as const) {
  for (const byNodeType of [false, true]) {
    Deno.test(`readUsageBuckets() gives the stack's exact ${bucket} means (byNodeType ${byNodeType})`, () =>
      withFiles(async (db, dir) => {
        const path = join(dir, "usage_daily.parquet");
        const daily = await readUsageDaily(path, {
          resource: "nodes",
          sumNodeTypes: !byNodeType,
          db,
        });
        const means = await readUsageBuckets(path, {
          resource: "nodes",
          sumNodeTypes: !byNodeType,
          bucket,
          db,
        });
        const before = prepareUsageStack(daily, { bucket, byNodeType });
        const after = prepareUsageStack(means, { bucket, byNodeType, bucketed: true });
        // The same points to the last bit (deepEqual compares numbers with Object.is).
        deepEqual(after, before);
        equal(before.leaves.some((p) => p.value < 0), true);
      }));
  }
}

Deno.test("readUsageBuckets() divides a cut week by the days of the data in it", () =>
  withFiles(async (db, dir) => {
    const rows = await readUsageBuckets(join(dir, "usage_daily.parquet"), {
      resource: "nodes",
      metrics: ["total"],
      nodeType: "a",
      bucket: "week",
      db,
    });
    // Thursday 2024-01-04 to Sunday 2024-01-07: days 0-3, values (0..3 * 7 + 1) / 3 + 0.1
    equal(rows[0].timestamp, "2024-01-01 00:00:00");
    const first = [0, 1, 2, 3].reduce((s, d) => s + ((d * 7 + 1) / 3 + 0.1), 0) / 4;
    equal(Math.abs(rows[0].value - first) < 1e-12, true);
    equal(rows.length, 7); // 2024-01-01 .. 2024-02-12 (the last day is Monday 2024-02-12)
    equal(rows.at(-1)!.timestamp, "2024-02-12 00:00:00");
    await rejects(
      readUsageBuckets(join(dir, "usage_daily.parquet"), { bucket: "year" as "day", db }),
      /Unknown bucket "year": expected "day", "week" or "month"/,
    );
  }));

Deno.test("prepareUsageStack() with bucketed rows refuses a row inside a bucket", () => {
  throws(
    () =>
      prepareUsageStack([{
        metric: "total",
        resource: "nodes",
        node_type: "a",
        timestamp: "2024-01-03",
        value: 1,
      }], { bucket: "week", bucketed: true }),
    /not at the start of a week: expected the means of readUsageBuckets\(\)/,
  );
});

Deno.test("readLegacyDailySums() sums like the legacy lines: in node type order, NULL when none", async () => {
  using db = await Duck.open();
  const dir = await Deno.makeTempDir();
  const path = join(dir, "legacy_comparison.parquet");
  await db.run(
    `COPY (SELECT DATE '2024-01-01' + INTERVAL (d) DAY AS "date", m AS metric, n AS node_type,
      CASE WHEN d = 2 THEN NULL ELSE d / 3.0 + len(n) * 0.1 END AS legacy,
      CASE WHEN n = 'a' AND d = 1 THEN NULL ELSE d / 7.0 + 0.3 END AS current,
      NULL::DOUBLE AS diff, NULL::DOUBLE AS rel_diff, 'both' AS flag,
      CASE m WHEN 'reservable' THEN 'admittable' ELSE m END AS current_metric
    FROM (VALUES ('reservable'), ('idle')) m(m), (VALUES ('a'), ('bb'), ('ccc')) n(n), range(4) d(d))
    TO ${sqlLiteral(path)} (FORMAT parquet)`,
  );
  try {
    const sums = await readLegacyDailySums(path, { db });
    equal(sums.length, 8);
    equal(sums[0].node_type, ALL_NODE_TYPES);
    deepEqual(
      prepareLegacyLines(sums),
      prepareLegacyLines(await readLegacyComparison(path, { db })),
    );
    const day2 = sums.find((r) => r.date === "2024-01-03" && r.metric === "idle")!;
    equal(day2.legacy, null);
    equal(sums.find((r) => r.metric === "reservable")!.current_metric, "admittable");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
