/**
 * Source types in each dialect, and the test DDL derived from the registry.
 *
 * @module
 */
import { sqlIdent } from "../sql.ts";
import type { TableSpec } from "./spec.ts";

/** A parsed MySQL type: base name in upper case and its arguments. */
export interface ParsedType {
  readonly base: string;
  readonly args: readonly string[];
}

/**
 * Parses a MySQL type spelling such as `VARCHAR(255)` or `ENUM('owner','admin')`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { parseType } from "../registry.ts";
 * assertEquals(parseType("DECIMAL(10,2)"), { base: "DECIMAL", args: ["10", "2"] });
 * ```
 */
export function parseType(type: string): ParsedType {
  const m = /^([A-Za-z]+)\s*(?:\((.*)\))?$/.exec(type.trim());
  if (!m) throw new Error(`Cannot parse SQL type "${type}": expected NAME or NAME(args)`);
  const args = m[2] === undefined ? [] : m[2].split(",").map((a) => a.trim());
  return { base: m[1].toUpperCase(), args };
}

/**
 * The DuckDB type for a registry (MySQL) type.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { duckdbType } from "../registry.ts";
 * assertEquals(duckdbType("DATETIME"), "TIMESTAMP");
 * assertEquals(duckdbType("TINYINT(1)"), "BOOLEAN");
 * ```
 */
export function duckdbType(type: string): string {
  return mappedType(type, "duckdb");
}

/**
 * The PostgreSQL type for a registry (MySQL) type.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { postgresType } from "../registry.ts";
 * assertEquals(postgresType("DATETIME"), "timestamp without time zone");
 * ```
 */
export function postgresType(type: string): string {
  return mappedType(type, "postgres");
}

/** A MySQL base type in DuckDB and in PostgreSQL, given the type's arguments. */
type TypeMapping = {
  duckdb: (args: readonly string[]) => string;
  postgres: (args: readonly string[]) => string;
};
const same = (duckdb: string, postgres: string): TypeMapping => ({
  duckdb: () => duckdb,
  postgres: () => postgres,
});
const TEXT = same("VARCHAR", "text");
const TIMESTAMP = same("TIMESTAMP", "timestamp without time zone");

/** Every MySQL base type the registry uses. */
const TYPE_MAPPINGS: Readonly<Record<string, TypeMapping>> = {
  INT: same("INTEGER", "integer"),
  BIGINT: same("BIGINT", "bigint"),
  TINYINT: {
    duckdb: (a) => (a[0] === "1" ? "BOOLEAN" : "TINYINT"),
    postgres: (a) => (a[0] === "1" ? "boolean" : "smallint"),
  },
  FLOAT: same("FLOAT", "real"),
  DOUBLE: same("DOUBLE", "double precision"),
  DECIMAL: { duckdb: (a) => `DECIMAL(${a.join(",")})`, postgres: (a) => `numeric(${a.join(",")})` },
  DATETIME: TIMESTAMP,
  TIMESTAMP,
  DATE: same("DATE", "date"),
  VARCHAR: { duckdb: () => "VARCHAR", postgres: (a) => `varchar(${a[0]})` },
  TEXT,
  MEDIUMTEXT: TEXT,
  ENUM: TEXT,
};

function mappedType(type: string, dialect: "duckdb" | "postgres"): string {
  const { base, args } = parseType(type);
  if (!Object.hasOwn(TYPE_MAPPINGS, base)) {
    const name = dialect === "duckdb" ? "DuckDB" : "PostgreSQL";
    throw new Error(`Cannot map SQL type "${type}" to ${name}: unknown base type "${base}"`);
  }
  return TYPE_MAPPINGS[base][dialect](args);
}

/**
 * `CREATE TABLE` statement for a registry table in a dialect: the OpenStack-shaped DDL used by the
 * demo generator and by the tests against MariaDB, PostgreSQL and DuckDB.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { createTableSql, tableSpec } from "../registry.ts";
 * const ddl = createTableSql(tableSpec("nova.services"), "mysql");
 * match(ddl, /`binary` VARCHAR\(255\) NULL/);
 * ```
 */
export function createTableSql(
  spec: TableSpec,
  dialect: "mysql" | "postgres" | "duckdb",
  options: { schema?: string; omitColumns?: readonly string[] } = {},
): string {
  const schema = options.schema ?? spec.schema;
  const omit = new Set(options.omitColumns ?? []);
  const q = (n: string) => sqlIdent(n, dialect);
  const cols = spec.columns.filter((c) => !omit.has(c.name)).map((c) => {
    const type = dialect === "mysql"
      ? c.type
      : dialect === "postgres"
      ? postgresType(c.type)
      : duckdbType(c.type);
    return `${q(c.name)} ${type} ${c.nullable ? "NULL" : "NOT NULL"}`;
  });
  cols.push(`PRIMARY KEY (${q(spec.key)})`);
  return `CREATE TABLE ${q(schema)}.${q(spec.table)} (\n  ${cols.join(",\n  ")}\n)`;
}
