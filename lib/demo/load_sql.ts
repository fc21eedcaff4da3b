/**
 * Loads a generated demo site (its `source.duckdb`) into MariaDB/MySQL or PostgreSQL through
 * OpenStack-shaped DDL derived from the registry, for tests and benchmarks.
 *
 * - Columns are those present in the demo file, so a site's schema era (an omitted optional
 *   column, a table the era lacks) carries over.
 * - MySQL: one database per schema, named `<prefix><schema>`; the `zero_dates` cells of
 *   `ground_truth.json` are set to `0000-00-00 00:00:00` (the session's `sql_mode` allows it).
 * - PostgreSQL: one database (the URI's path) with the four schemas.
 * - Bulk load: DuckDB writes each table as CSV, then `LOAD DATA LOCAL INFILE` (MySQL) or
 *   `COPY ... FROM STDIN` (PostgreSQL) reads it.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import mysql from "mysql2/promise";
import postgres from "postgres";
import { Duck } from "../db/duckdb.ts";
import { sqlIdent, sqlLiteral } from "../sql.ts";
import { mysqlOptions } from "../db/mysql.ts";
import { postgresOptions } from "../db/postgres.ts";
import { parseDbUri } from "../config.ts";
import {
  createTableSql,
  duckdbType,
  qualifiedName,
  REGISTRY,
  type SchemaName,
  SCHEMAS,
  type TableSpec,
} from "../registry.ts";
import type { GroundTruth } from "./generate.ts";

/** Options of {@linkcode loadDemoSql}. */
export interface LoadOptions {
  /** MySQL only: prefix of the database names (`<prefix>nova`, ...). @default {""} */
  prefix?: string;
  /** Drop the databases (MySQL) or schemas (PostgreSQL) first. @default {true} */
  replace?: boolean;
}

/** What {@linkcode loadDemoSql} loaded. */
export interface LoadResult {
  /** Rows per qualified table name. */
  rows: Record<string, number>;
  /** Zero dates written (MySQL only). */
  zeroDates: number;
  /**
   * A `db_uris` map for a sites file that reads the loaded data back (secrets included); MySQL:
   * only the schemas the site has.
   */
  dbUris: Partial<Record<SchemaName, string>>;
  seconds: number;
}

/** One table of the demo file with the registry columns it holds. */
interface SourceTable {
  spec: TableSpec;
  columns: string[];
}

/**
 * The registry tables present in a demo DuckDB file, each with the registry columns it holds
 * (in registry order).
 *
 * @example
 * ```ts ignore
 * using db = await Duck.open("var/demo/source.duckdb", { access_mode: "READ_ONLY" });
 * const tables = await demoTables(db);
 * ```
 */
export async function demoTables(db: Duck, catalog?: string): Promise<SourceTable[]> {
  const rows = await db.rows<{ schema_name: string; table_name: string; column_name: string }>(
    `SELECT schema_name, table_name, column_name FROM duckdb_columns()
      WHERE ($1::VARCHAR IS NULL OR database_name = $1)`,
    [catalog ?? null],
  );
  const present = new Map<string, Set<string>>();
  for (const r of rows) {
    const k = `${r.schema_name}.${r.table_name}`;
    if (!present.has(k)) present.set(k, new Set());
    present.get(k)!.add(r.column_name);
  }
  const out: SourceTable[] = [];
  for (const spec of REGISTRY) {
    const cols = present.get(qualifiedName(spec));
    if (!cols) continue;
    out.push({ spec, columns: spec.columns.filter((c) => cols.has(c.name)).map((c) => c.name) });
  }
  return out;
}

/**
 * Writes one demo table as CSV for a bulk load: every value quoted, NULL as bare `NULL`,
 * quotes doubled, booleans as 0/1 for MySQL.
 */
async function exportCsv(
  db: Duck,
  table: SourceTable,
  path: string,
  dialect: "mysql" | "postgres",
): Promise<void> {
  const q = (n: string) => sqlIdent(n, "duckdb");
  const select = table.columns.map((name) => {
    const type = duckdbType(table.spec.columns.find((c) => c.name === name)!.type);
    return dialect === "mysql" && type === "BOOLEAN" ? `CAST(${q(name)} AS INTEGER)` : q(name);
  });
  await db.run(
    `COPY (SELECT ${select.join(", ")} FROM ${q(table.spec.schema)}.${q(table.spec.table)}
       ORDER BY ${q(table.spec.key)})
     TO ${sqlLiteral(path)}
     (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '"', ESCAPE '"', NULLSTR 'NULL', FORCE_QUOTE *)`,
  );
}

/**
 * Loads a demo site into a server. `target` is `mysql://user:pw@host:port` (databases
 * `<prefix>nova`, ...) or `postgres://user:pw@host:port/<database>` (created if missing).
 *
 * @example
 * ```ts ignore
 * const r = await loadDemoSql("var/demo", "mysql://root@127.0.0.1:3306", { prefix: "demo_" });
 * console.log(r.rows["nova.instances"], r.dbUris.nova);
 * ```
 */
export async function loadDemoSql(
  siteDir: string,
  target: string,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const started = performance.now();
  const parts = parseDbUri(target);
  const source = join(siteDir, "source.duckdb");
  const truth = JSON.parse(
    await Deno.readTextFile(join(siteDir, "ground_truth.json")),
  ) as GroundTruth;
  using db = await Duck.open(source, { access_mode: "READ_ONLY", threads: "2" });
  const tables = await demoTables(db);
  const tmpDir = await Deno.makeTempDir({ prefix: "ledger-load-" });
  try {
    let result: Omit<LoadResult, "seconds">;
    if (parts.scheme === "mysql") {
      result = await loadMysql(db, tables, truth, target, tmpDir, options);
    } else if (parts.scheme === "postgres") {
      result = await loadPostgres(db, tables, target, tmpDir, options);
    } else {
      throw new Error(
        `Cannot load the demo site into "${target}": expected a mysql:// or postgres:// URI`,
      );
    }
    return { ...result, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Deno.remove(tmpDir, { recursive: true });
  }
}

/** The URI of one MySQL database beside `target` (same server and credentials). */
function withPath(target: string, database: string): string {
  const m = /^([a-z]+:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/i.exec(target);
  if (!m) throw new Error(`Cannot build a URI for database "${database}": unexpected target`);
  return `${m[1]}/${database}${m[2] ?? ""}`;
}

async function loadMysql(
  db: Duck,
  tables: SourceTable[],
  truth: GroundTruth,
  target: string,
  tmpDir: string,
  options: LoadOptions,
): Promise<Omit<LoadResult, "seconds">> {
  const prefix = options.prefix ?? "";
  const dbName = (s: string) => `${prefix}${s}`;
  let csvPath = "";
  const conn = await mysql.createConnection({
    ...mysqlOptions(parseDbUri(target), { database: null }),
    infileStreamFactory: () => createReadStream(csvPath),
  } as mysql.ConnectionOptions);
  const rows: Record<string, number> = {};
  const used = new Set(tables.map((t) => t.spec.schema));
  let zeroDates = 0;
  try {
    // Zero dates need a permissive mode; the checks are pointless for a bulk load.
    await conn.query("SET SESSION sql_mode = '', unique_checks = 0, foreign_key_checks = 0");
    for (const schema of SCHEMAS) {
      const q = sqlIdent(dbName(schema), "mysql");
      if (options.replace ?? true) await conn.query(`DROP DATABASE IF EXISTS ${q}`);
      // Only the schemas the site has (a bare-metal site has no `zun`): a database of another
      // schema would be one a least-privilege account cannot open.
      if (!used.has(schema)) continue;
      await conn.query(
        `CREATE DATABASE IF NOT EXISTS ${q} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    }
    for (const t of tables) {
      const name = qualifiedName(t.spec);
      const omit = t.spec.columns.map((c) => c.name).filter((c) => !t.columns.includes(c));
      await conn.query(
        createTableSql(t.spec, "mysql", { schema: dbName(t.spec.schema), omitColumns: omit }),
      );
      csvPath = join(tmpDir, `${name}.csv`);
      await exportCsv(db, t, csvPath, "mysql");
      const cols = t.columns.map((c) => sqlIdent(c, "mysql")).join(", ");
      const [res] = await conn.query({
        sql: `LOAD DATA LOCAL INFILE 'demo.csv' INTO TABLE ${
          sqlIdent(dbName(t.spec.schema), "mysql")
        }.${sqlIdent(t.spec.table, "mysql")} CHARACTER SET utf8mb4
          FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''
          LINES TERMINATED BY '\\n' (${cols})`,
      });
      const { affectedRows, warningStatus } = res as {
        affectedRows: number;
        warningStatus: number;
      };
      if (warningStatus > 0) {
        const [warnings] = await conn.query("SHOW WARNINGS LIMIT 1");
        const w = (warnings as { Message: string }[])[0]?.Message ?? "";
        throw new Error(
          `Cannot load "${name}" into MySQL: expected no warnings, found ${warningStatus} (first: ${w})`,
        );
      }
      rows[name] = affectedRows;
      await Deno.remove(csvPath);
    }
    for (const z of truth.zero_dates) {
      const t = tables.find((t) => qualifiedName(t.spec) === z.table);
      if (!t) continue;
      const [res] = await conn.query(
        `UPDATE ${sqlIdent(dbName(t.spec.schema), "mysql")}.${
          sqlIdent(t.spec.table, "mysql")
        } SET ${sqlIdent(z.column, "mysql")} = '0000-00-00 00:00:00' WHERE ${
          sqlIdent(t.spec.key, "mysql")
        } = ?`,
        [z.row_id],
      );
      zeroDates += (res as { affectedRows: number }).affectedRows;
    }
  } finally {
    await conn.end();
  }
  const dbUris = Object.fromEntries(
    SCHEMAS.filter((s) => used.has(s)).map((s) => [s, withPath(target, dbName(s))]),
  ) as Partial<Record<SchemaName, string>>;
  return { rows, zeroDates, dbUris };
}

async function loadPostgres(
  db: Duck,
  tables: SourceTable[],
  target: string,
  tmpDir: string,
  options: LoadOptions,
): Promise<Omit<LoadResult, "seconds">> {
  const parts = parseDbUri(target);
  const database = parts.database ?? "ledger_demo";
  {
    const admin = postgres(postgresOptions(parts, { database: "postgres" }));
    try {
      const found = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
      if (found.length === 0) {
        await admin.unsafe(`CREATE DATABASE ${sqlIdent(database, "postgres")}`);
      }
    } finally {
      await admin.end();
    }
  }
  const sql = postgres(postgresOptions(parts, { database }));
  const rows: Record<string, number> = {};
  try {
    for (const schema of SCHEMAS) {
      const q = sqlIdent(schema, "postgres");
      if (options.replace ?? true) await sql.unsafe(`DROP SCHEMA IF EXISTS ${q} CASCADE`);
      await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    }
    for (const t of tables) {
      const name = qualifiedName(t.spec);
      const omit = t.spec.columns.map((c) => c.name).filter((c) => !t.columns.includes(c));
      await sql.unsafe(createTableSql(t.spec, "postgres", { omitColumns: omit }));
      const csvPath = join(tmpDir, `${name}.csv`);
      await exportCsv(db, t, csvPath, "postgres");
      const cols = t.columns.map((c) => sqlIdent(c, "postgres")).join(", ");
      const writable = await sql.unsafe(
        `COPY ${sqlIdent(t.spec.schema, "postgres")}.${
          sqlIdent(t.spec.table, "postgres")
        } (${cols}) FROM STDIN WITH (FORMAT csv, NULL 'NULL', ENCODING 'UTF8')`,
      ).writable();
      await pipeline(createReadStream(csvPath), writable);
      const [{ n }] = await sql.unsafe(
        `SELECT count(*)::int AS n FROM ${sqlIdent(t.spec.schema, "postgres")}.${
          sqlIdent(t.spec.table, "postgres")
        }`,
      );
      rows[name] = n;
      await Deno.remove(csvPath);
    }
  } finally {
    await sql.end();
  }
  const dbUris = Object.fromEntries(
    SCHEMAS.map((s) => [s, withPath(target, database)]),
  ) as Record<SchemaName, string>;
  return { rows, zeroDates: 0, dbUris };
}
