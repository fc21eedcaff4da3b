/**
 * Staging: one table per source table, 1:1 with the snapshot's parquet files: select the
 * registry's columns by name and cast them to the registry's types. No joins, no rules.
 *
 * Host-name columns ({@linkcode HOSTNAME_COLUMNS}) are normalised here, once: trimmed, and blank
 * is NULL; no later query trims a host name again.
 *
 * Staged tables are views named `stg_<schema>_<table>`, one row per key: a row whose key an
 * earlier row of the file has is set apart (duplicates.ts). A table absent from the snapshot is staged
 * empty (same columns), so every later query runs, and is listed as absent. A parquet file that
 * cannot be read, or lacks a registry column, fails with one line naming the file and the column.
 *
 * @module
 */
import { sqlIdent, sqlLiteral } from "../sql.ts";
import type { Duck } from "../db/duckdb.ts";
import type { Snapshot } from "../fetch/manifest.ts";
import {
  createSetApart,
  type KeyedFile,
  setApartDuplicates,
  tablesWithRepeatedKeys,
} from "./duplicates.ts";
import { duckdbType, qualifiedName, REGISTRY, type TableSpec, tableSpec } from "../registry.ts";

/**
 * The columns that hold a host name (hypervisor or service host), per table: staged trimmed, with
 * blank as NULL. The legacy maintenance table's host column is mapped per site and normalised by
 * its plan (maintenance.ts).
 */
export const HOSTNAME_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  "nova.compute_nodes": ["hypervisor_hostname", "host"],
  "nova.services": ["host"],
  "nova.instances": ["node", "host"],
  "nova.instance_actions_events": ["host"],
  "blazar.computehosts": ["hypervisor_hostname"],
  "blazar.devices": ["name"],
  "zun.container": ["host"],
};

/**
 * SQL: a host name normalised (trimmed, blank as NULL) from a column expression.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { normalHostname } from "./staging.ts";
 * equal(normalHostname('"host"'), "nullif(trim(CAST(\"host\" AS VARCHAR)), '')");
 * ```
 */
export function normalHostname(column: string): string {
  return `nullif(trim(CAST(${column} AS VARCHAR)), '')`;
}

/** What staging found. */
export interface Staged {
  /** Qualified names of the tables that have rows or at least a file. */
  present: Set<string>;
  /** Qualified names of the tables with no file in the snapshot. */
  absent: string[];
  /** Parquet file per present table. */
  files: Record<string, string>;
  /** Whether some table repeated a key (rows set apart, duplicates.ts). */
  duplicateKeys: boolean;
}

/**
 * The staging table name of a registry table.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { stagingName } from "./staging.ts";
 * equal(stagingName("nova.compute_nodes"), "stg_nova_compute_nodes");
 * ```
 */
export function stagingName(table: string): string {
  return `stg_${table.replace(".", "_")}`;
}

/** Columns of a parquet file, or an error naming the file. */
async function parquetColumns(db: Duck, path: string): Promise<Map<string, string>> {
  try {
    const rows = await db.rows<{ column_name: string; column_type: string }>(
      `DESCRIBE SELECT * FROM read_parquet(${sqlLiteral(path)})`,
    );
    return new Map(rows.map((r) => [r.column_name, r.column_type]));
  } catch (e) {
    throw new Error(`Cannot read parquet file "${path}": ${firstLine(e)}`);
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

/**
 * Stages one table (leaving out the rows `unique` filters away, see duplicates.ts); true when its
 * file has the key column.
 */
async function stageOne(
  db: Duck,
  spec: TableSpec,
  path: string | null,
  unique: string | null = null,
): Promise<boolean> {
  const name = qualifiedName(spec);
  const target = sqlIdent(stagingName(name), "duckdb");
  if (path === null) {
    const cols = spec.columns.map((c) =>
      `CAST(NULL AS ${duckdbType(c.type)}) AS ${sqlIdent(c.name, "duckdb")}`
    );
    await db.run(`CREATE OR REPLACE TABLE ${target} AS SELECT ${cols.join(", ")} LIMIT 0`);
    return false;
  }
  const have = await parquetColumns(db, path);
  let select: string;
  if (spec.selectAll) {
    select = "*";
    for (const c of spec.columns.filter((c) => c.name === spec.key)) {
      if (!have.has(c.name)) {
        throw new Error(`Cannot stage "${name}" from "${path}": column "${c.name}" is missing`);
      }
    }
  } else {
    const missing = spec.columns.find((c) => !have.has(c.name));
    if (missing) {
      throw new Error(
        `Cannot stage "${name}" from "${path}": column "${missing.name}" is missing (expected the registry's columns: fetch writes absent optional columns as NULL)`,
      );
    }
    const hosts = HOSTNAME_COLUMNS[name] ?? [];
    select = spec.columns.map((c) => {
      const q = sqlIdent(c.name, "duckdb");
      return hosts.includes(c.name)
        ? `${normalHostname(q)} AS ${q}`
        : `CAST(${q} AS ${duckdbType(c.type)}) AS ${q}`;
    }).join(", ");
  }
  const from = unique === null
    ? `read_parquet(${sqlLiteral(path)})`
    : `read_parquet(${sqlLiteral(path)}, file_row_number = true) WHERE ${unique}`;
  if (unique !== null && select === "*") select = "* EXCLUDE (file_row_number)";
  try {
    // A view: DuckDB reads only the columns and row groups each query needs.
    await db.run(`CREATE OR REPLACE VIEW ${target} AS SELECT ${select} FROM ${from}`);
    await db.run(`SELECT * FROM ${target} LIMIT 0`);
  } catch (e) {
    throw new Error(`Cannot stage "${name}" from "${path}": ${firstLine(e)}`);
  }
  return have.has(spec.key);
}

/**
 * Stages every registry table of a snapshot into `stg_*` tables.
 *
 * @example
 * ```ts ignore
 * const staged = await stageSnapshot(db, await loadSnapshot("input/demo"));
 * console.log(staged.absent);
 * ```
 */
export async function stageSnapshot(db: Duck, snapshot: Snapshot): Promise<Staged> {
  const present = new Set<string>();
  const absent: string[] = [];
  const files: Record<string, string> = {};
  const keyed: KeyedFile[] = [];
  for (const spec of REGISTRY) {
    const name = qualifiedName(spec);
    const path = snapshot.tables[name]?.path ?? null;
    if (await stageOne(db, spec, path)) keyed.push({ table: name, key: spec.key, path: path! });
    if (path === null) absent.push(name);
    else {
      present.add(name);
      files[name] = path;
    }
  }
  // Rows whose key an earlier row already has are left out of the views (duplicates.ts).
  await createSetApart(db);
  const repeated = await tablesWithRepeatedKeys(db, keyed);
  for (const f of keyed.filter((f) => repeated.includes(f.table))) {
    const unique = await setApartDuplicates(db, f.table, f.key, f.path);
    await stageOne(db, tableSpec(f.table), f.path, unique);
  }
  return { present, absent, files, duplicateKeys: repeated.length > 0 };
}
