/**
 * Hand-built snapshots for tests: rows per registry table (missing columns are NULL), written as
 * parquet with a manifest, exactly as the fetch stage lays them out.
 *
 * @module
 */
import { join } from "node:path";
import { Duck } from "../lib/db/duckdb.ts";
import { sqlIdent, sqlLiteral } from "../lib/sql.ts";
import { loadSnapshot, type Snapshot } from "../lib/fetch/manifest.ts";
import { duckdbType, tableSpec } from "../lib/registry.ts";

/** Rows per qualified table name; a table not listed is absent from the snapshot. */
export type Tables = Record<string, Record<string, unknown>[]>;

/**
 * Writes the tables as a snapshot into a new temporary directory and loads it.
 * Timestamps are given as `YYYY-MM-DD HH:MM:SS` strings.
 */
export async function snapshotOf(tables: Tables, asOf = "2026-01-01T00:00:00"): Promise<Snapshot> {
  const dir = await Deno.makeTempDir({ prefix: "ledger-snap-" });
  const date = asOf.slice(0, 10);
  const manifestTables: Record<string, unknown> = {};
  using db = await Duck.open();
  for (const [name, rows] of Object.entries(tables)) {
    const spec = tableSpec(name);
    const cols = spec.columns;
    const extra = new Set<string>();
    for (const r of rows) {
      for (const k of Object.keys(r)) if (!cols.some((c) => c.name === k)) extra.add(k);
    }
    if (extra.size > 0 && !spec.selectAll) {
      throw new Error(
        `Test fixture: columns ${[...extra].join(", ")} are not in the registry for ${name}`,
      );
    }
    const allCols = [
      ...cols.map((c) => ({ name: c.name, type: duckdbType(c.type) })),
      ...[...extra].map((name) => ({ name, type: "VARCHAR" })),
    ];
    const ddl = allCols.map((c) => `${sqlIdent(c.name, "duckdb")} ${c.type}`).join(", ");
    await db.run(`CREATE OR REPLACE TABLE t (${ddl})`);
    for (const r of rows) {
      const values = allCols.map((c) => (r[c.name] ?? null) as never);
      await db.run(
        `INSERT INTO t VALUES (${allCols.map((_, i) => `$${i + 1}`).join(", ")})`,
        values,
      );
    }
    const file = `${name}.${date}.parquet`;
    await db.run(`COPY t TO ${sqlLiteral(join(dir, file))} (FORMAT parquet)`);
    manifestTables[name] = {
      status: "ok",
      file,
      rows: rows.length,
      bytes: 0,
      seconds: 0,
      columns: allCols,
      absent_columns: [],
      zero_dates: {},
      message: null,
    };
  }
  await Deno.writeTextFile(
    join(dir, `manifest.${date}.json`),
    JSON.stringify({
      site: "test",
      site_name: "Test",
      date,
      as_of: asOf,
      as_of_source: "test",
      started_at: asOf,
      finished_at: asOf,
      db_uris: {},
      tables: manifestTables,
    }),
  );
  return await loadSnapshot(dir);
}

/** Seconds between two `YYYY-MM-DD HH:MM:SS` times. */
export function secs(a: string, b: string): number {
  return (Date.parse(`${b.replace(" ", "T")}Z`) - Date.parse(`${a.replace(" ", "T")}Z`)) / 1000;
}
