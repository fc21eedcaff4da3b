/**
 * Helpers of the fetch tests: demo sites loaded into the real MariaDB and PostgreSQL, the fetch
 * run in-process or as the CLI, and the comparison of a snapshot with its demo source.
 *
 * @module
 */
import { deepEqual, equal } from "node:assert/strict";
import { join, resolve } from "node:path";
import mysql from "mysql2/promise";
import postgres from "postgres";
import { parseSitesConfig, type SiteConfig } from "../../lib/config.ts";
import { Duck } from "../../lib/db/duckdb.ts";
import { sqlIdent, sqlLiteral } from "../../lib/sql.ts";
import { demoTables } from "../../lib/demo/load_sql.ts";
import type { Manifest } from "../../lib/fetch/manifest.ts";
import { Progress } from "../../lib/fetch/progress.ts";
import { qualifiedName, SCHEMAS } from "../../lib/registry.ts";

/** A unique, identifier-safe name for this test run. */
export function uniqueName(prefix = "ledger_test"): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** A root connection to the local MariaDB. */
export function mysqlRoot(): Promise<mysql.Connection> {
  return mysql.createConnection({ host: "127.0.0.1", port: 3306, user: "root" });
}

/** Drops the databases `<prefix><schema>` of a loaded demo site. */
export async function dropMysqlSite(prefix: string): Promise<void> {
  const c = await mysqlRoot();
  try {
    for (const s of SCHEMAS) {
      await c.query(`DROP DATABASE IF EXISTS ${sqlIdent(prefix + s, "mysql")}`);
    }
  } finally {
    await c.end();
  }
}

/** Drops a PostgreSQL database (and its connections). */
export async function dropPostgresDatabase(name: string): Promise<void> {
  const sql = postgres({
    host: "127.0.0.1",
    port: 5432,
    user: "postgres",
    database: "postgres",
    onnotice: () => {},
  });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${sqlIdent(name, "postgres")} WITH (FORCE)`);
  } finally {
    await sql.end();
  }
}

/** A site config from db_uris (values may hold `${VAR}` references resolved from `env`). */
export function siteFromUris(
  dbUris: Record<string, string>,
  inputDir: string,
  env: Record<string, string> = {},
): { site: SiteConfig; yaml: string } {
  const lines = Object.entries(dbUris).map(([k, v]) => `      ${k}: "${v}"`);
  const yaml = `sites:\n  t:\n    site_name: Test\n    input_dir: "${inputDir}"\n    db_uris:\n${
    lines.join("\n")
  }\n`;
  const cfg = parseSitesConfig(yaml, { env: (n) => env[n] ?? Deno.env.get(n) });
  return { site: cfg.sites.get("t")!, yaml };
}

/** A progress reporter that keeps its lines. */
export function quietProgress(): { progress: Progress; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    progress: new Progress("t", "quiet", { write: (t) => lines.push(...t.trimEnd().split("\n")) }),
  };
}

/** Runs `deno task fetch`'s script in a subprocess. */
export async function runFetchCli(
  configPath: string,
  site: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", resolve("tasks/fetch.ts"), "--config", configPath, "--site", site],
    env: { CI: "true", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Reads a snapshot's manifest. */
export async function readManifest(inputDir: string, date: string): Promise<Manifest> {
  return JSON.parse(await Deno.readTextFile(join(inputDir, `manifest.${date}.json`)));
}

/**
 * Asserts a snapshot equals its demo source: for every table of the source, the parquet file has
 * the same rows (as a multiset), the source's column types, and typed NULLs for absent optional
 * columns. Returns the number of tables compared.
 */
export async function assertSnapshotEqualsSource(
  inputDir: string,
  manifest: Manifest,
  sourceDb: string,
): Promise<number> {
  using db = await Duck.open(":memory:");
  await db.run(`ATTACH ${sqlLiteral(sourceDb)} AS src (READ_ONLY)`);
  const tables = await demoTables(db, "src");
  for (const t of tables) {
    const name = qualifiedName(t.spec);
    const entry = manifest.tables[name];
    equal(entry?.status, "ok", `${name}: ${entry?.message}`);
    const file = sqlLiteral(join(inputDir, entry.file!));
    const q = (n: string) => sqlIdent(n, "duckdb");
    const srcTypes = await db.rows<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM duckdb_columns()
        WHERE database_name = 'src' AND schema_name = $1 AND table_name = $2`,
      [t.spec.schema, t.spec.table],
    );
    const pq = await db.rows<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet(${file})`,
    );
    const pqTypes = Object.fromEntries(pq.map((c) => [c.column_name, c.column_type]));
    for (const c of srcTypes) {
      equal(pqTypes[c.column_name], c.data_type, `${name}.${c.column_name}`);
    }
    for (const absent of entry.absent_columns) {
      equal(
        Number(await db.value(`SELECT count(${q(absent)}) FROM read_parquet(${file})`)),
        0,
        `${name}.${absent} is absent at the source and must be NULL`,
      );
    }
    const cols = t.columns.map(q).join(", ");
    const source = `SELECT ${cols} FROM src.${q(t.spec.schema)}.${q(t.spec.table)}`;
    const snap = `SELECT ${cols} FROM read_parquet(${file})`;
    const n = Number(await db.value(`SELECT count(*) FROM (${source})`));
    equal(entry.rows, n, `${name} rows`);
    equal(Number(await db.value(`SELECT count(*) FROM (${snap})`)), n, `${name} parquet rows`);
    deepEqual(
      [
        Number(await db.value(`SELECT count(*) FROM (${source} EXCEPT ALL ${snap})`)),
        Number(await db.value(`SELECT count(*) FROM (${snap} EXCEPT ALL ${source})`)),
      ],
      [0, 0],
      `${name}: rows differ between source and parquet`,
    );
  }
  return tables.length;
}

/** Every entry of a directory (hidden ones too): a file's SHA-256, `dir` for a directory. */
export async function dirBytes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile) {
      out[e.name] = "dir";
      continue;
    }
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(join(dir, e.name)));
    out[e.name] = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  return out;
}
