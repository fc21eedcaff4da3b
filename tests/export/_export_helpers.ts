/**
 * Helpers of the export tests: hand-built output sets with known numbers, sites pointing at
 * them, databases made and dropped on the local MariaDB and PostgreSQL, and table dumps that
 * compare across dialects.
 *
 * @module
 */
import { sqlIdent, sqlLiteral } from "../../lib/sql.ts";
import { join } from "node:path";
import mysql from "mysql2/promise";
import postgres from "postgres";
import { DEFAULT_MAINTENANCE, type SiteConfig } from "../../lib/config.ts";
import { Duck } from "../../lib/db/duckdb.ts";
import type { Dialect } from "../../lib/export/schema.ts";

/** One row of a hand-built `usage_daily.parquet` (site comes from the set). */
export interface DailyRow {
  collector_type?: string;
  metric: string;
  resource?: string;
  node_type: string;
  day: string;
  value: number;
}

/**
 * Writes an output set (`usage_daily.parquet`, then `run.json`) for a site into a new temporary
 * directory and returns a site whose `outputDir` is it.
 */
export async function outputSet(
  key: string,
  rows: DailyRow[],
  window = { start: "2025-01-01T00:00:00", end: "2025-01-04T00:00:00" },
  extra: Record<string, unknown> = {},
): Promise<SiteConfig> {
  const dir = await Deno.makeTempDir({ prefix: "ledger-export-" });
  using db = await Duck.open();
  await db.run(
    `CREATE TABLE d (site VARCHAR, collector_type VARCHAR, metric VARCHAR, resource VARCHAR,
       node_type VARCHAR, "timestamp" TIMESTAMP, value DOUBLE)`,
  );
  for (const r of rows) {
    await db.run("INSERT INTO d VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, $7)", [
      key,
      r.collector_type ?? "current",
      r.metric,
      r.resource ?? "nodes",
      r.node_type,
      r.day,
      r.value,
    ]);
  }
  await db.run(`COPY d TO ${sqlLiteral(join(dir, "usage_daily.parquet"))} (FORMAT parquet)`);
  await writeRun(dir, { site: key, window, ...extra });
  return site(key, dir);
}

/** Writes `run.json` as the pipeline does (after the parquet files). */
export async function writeRun(dir: string, fields: Record<string, unknown>): Promise<void> {
  await Deno.writeTextFile(
    join(dir, "run.json"),
    JSON.stringify({ as_of: "2025-01-04T00:00:00", invariants_ok: true, ...fields }, null, 2),
  );
}

/** A site with only a key and an output directory. */
export function site(key: string, outputDir: string): SiteConfig {
  return {
    key,
    siteName: key,
    dbUris: {},
    inputDir: outputDir,
    outputDir,
    maintenance: DEFAULT_MAINTENANCE,
  };
}

/** A unique, identifier-safe database name. */
export function uniqueName(prefix = "ledger_export_test"): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** A fresh database on the local server of a dialect; returns its URI and a dropper. */
export async function freshDatabase(
  dialect: Dialect,
): Promise<{ uri: string; drop: () => Promise<void> }> {
  const name = uniqueName();
  if (dialect === "mysql") {
    const c = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
    await c.query(`CREATE DATABASE ${sqlIdent(name, "mysql")}`);
    await c.end();
    return {
      uri: `mysql://root@127.0.0.1:3306/${name}`,
      drop: async () => {
        const c = await mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
        await c.query(`DROP DATABASE IF EXISTS ${sqlIdent(name, "mysql")}`);
        await c.end();
      },
    };
  }
  if (dialect === "postgres") {
    const admin = () =>
      postgres({
        host: "127.0.0.1",
        port: 5432,
        user: "postgres",
        database: "postgres",
        onnotice: () => {},
      });
    const sql = admin();
    await sql.unsafe(`CREATE DATABASE ${sqlIdent(name, "postgres")}`);
    await sql.end();
    return {
      uri: `postgres://postgres@127.0.0.1:5432/${name}`,
      drop: async () => {
        const sql = admin();
        await sql.unsafe(`DROP DATABASE IF EXISTS ${sqlIdent(name, "postgres")} WITH (FORCE)`);
        await sql.end();
      },
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "ledger-export-db-" });
  return {
    uri: `duckdb:${join(dir, "dash.duckdb")}`,
    drop: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Both tables of a target, every row as a JSON line, sorted (comparable across dialects). */
export async function dumpTables(
  uri: string,
): Promise<{ daily: string[]; wide: string[] }> {
  const daily =
    `SELECT site, collector_type, metric, resource, node_type, day, value FROM usage_daily`;
  const wideCols = `site, resource, total, reservable, committed, occupied_reservation,
    occupied_ondemand, available, idle, maintenance`;
  let d: Record<string, unknown>[];
  let w: Record<string, unknown>[];
  if (uri.startsWith("mysql:")) {
    const name = uri.slice(uri.lastIndexOf("/") + 1);
    const c = await mysql.createConnection({
      host: "127.0.0.1",
      port: 3306,
      user: "root",
      database: name,
      dateStrings: true,
      charset: "UTF8MB4_UNICODE_CI",
    });
    [d] = await c.query(daily) as unknown as [Record<string, unknown>[]];
    [w] = await c.query(
      `SELECT DATE_FORMAT(\`time\`, '%Y-%m-%d %H:%i:%s') AS time, ${wideCols} FROM usage_wide`,
    ) as unknown as [Record<string, unknown>[]];
    await c.end();
  } else if (uri.startsWith("postgres:")) {
    const name = uri.slice(uri.lastIndexOf("/") + 1);
    const sql = postgres({
      host: "127.0.0.1",
      port: 5432,
      user: "postgres",
      database: name,
      onnotice: () => {},
    });
    d = [...await sql.unsafe(daily.replace(" day,", " day::text AS day,"))];
    w = [...await sql.unsafe(`SELECT "time"::text AS time, ${wideCols} FROM usage_wide`)];
    await sql.end();
  } else {
    using db = await Duck.open(uri.slice("duckdb:".length));
    d = await db.rows(daily.replace(" day,", " day::VARCHAR AS day,"));
    w = await db.rows(`SELECT "time"::VARCHAR AS time, ${wideCols} FROM usage_wide`);
  }
  const lines = (rows: Record<string, unknown>[]) =>
    rows.map((r) => JSON.stringify(r, (_k, v) => typeof v === "bigint" ? Number(v) : v)).sort();
  return { daily: lines(d), wide: lines(w) };
}
