import { deepEqual, equal } from "node:assert/strict";
import { sqlLiteral } from "../../lib/sql.ts";
import { join } from "node:path";
import { Duck } from "../../lib/db/duckdb.ts";
import { busiestHost, spansBySource } from "../../lib/spans/summary.ts";

async function spansFile(rows: [string | null, string, string, string, string | null][]) {
  const dir = await Deno.makeTempDir({ prefix: "ledger-summary-" });
  const path = join(dir, "spans.parquet");
  using db = await Duck.open();
  await db.run(
    `CREATE TABLE s (hypervisor_hostname VARCHAR, metric VARCHAR, source VARCHAR, start TIMESTAMP, "end" TIMESTAMP, nodes DOUBLE)`,
  );
  for (const r of rows) await db.run("INSERT INTO s VALUES ($1, $2, $3, $4, $5, 1)", r);
  await db.run(`COPY s TO ${sqlLiteral(path)} (FORMAT parquet)`);
  return { dir, path };
}

Deno.test("busiestHost() prefers most layers, then most spans, then the smallest name", async () => {
  using db = await Duck.open();
  const t = "2024-01-01 00:00:00", u = "2024-01-02 00:00:00";
  const cases: [[string | null, string][], string | null][] = [
    [[["b", "total"], ["a", "total"]], "a"],
    [[["a", "total"], ["b", "total"], ["b", "total"]], "b"],
    [[["a", "total"], ["a", "total"], ["a", "total"], ["b", "total"], ["b", "committed"]], "b"],
    [[[null, "total"]], null],
  ];
  for (const [rows, want] of cases) {
    const { dir, path } = await spansFile(rows.map(([h, m]) => [h, m, "x", t, u]));
    equal(await busiestHost(db, path), want);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spansBySource() counts spans and node-hours per source, open spans to as_of", async () => {
  using db = await Duck.open();
  const { dir, path } = await spansFile([
    ["a", "total", "nova.compute_nodes", "2024-01-01 00:00:00", "2024-01-02 00:00:00"],
    ["a", "total", "evidence.instance", "2024-01-03 00:00:00", null],
    ["b", "total", "nova.compute_nodes", "2024-01-01 00:00:00", "2024-01-01 12:00:00"],
  ]);
  deepEqual(await spansBySource(db, path, "2024-01-04T00:00:00"), [
    { source: "nova.compute_nodes", metric: "total", spans: 2, open: 0, node_hours: 36 },
    { source: "evidence.instance", metric: "total", spans: 1, open: 1, node_hours: 24 },
  ]);
  await Deno.remove(dir, { recursive: true });
});
