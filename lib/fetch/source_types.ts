/**
 * Types as a source server spells them, mapped to the registry's MySQL spelling (and so, through
 * `duckdbType()`, to a parquet type). Used for `selectAll` tables, whose columns come from the
 * server rather than the registry. A type this module does not know becomes text: nothing is
 * dropped, and the manifest keeps the server's spelling in `source_type`.
 *
 * @module
 */

/**
 * The registry spelling of a MySQL/MariaDB `COLUMN_TYPE`, PostgreSQL `format_type()` or DuckDB
 * `data_type`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { registryType } from "./source_types.ts";
 * equal(registryType("mysql", "int(11)"), "INT");
 * equal(registryType("mysql", "tinyint(1)"), "TINYINT(1)");
 * equal(registryType("postgres", "timestamp without time zone"), "DATETIME");
 * equal(registryType("duckdb", "DECIMAL(10,2)"), "DECIMAL(10,2)");
 * ```
 */
export function registryType(dialect: "mysql" | "postgres" | "duckdb", sourceType: string): string {
  const t = sourceType.trim().toLowerCase();
  const m =
    /^([a-z ]+?)\s*(?:\(([^)]*)\))?(?:\s+(unsigned|zerofill|with time zone|without time zone).*)?$/
      .exec(t);
  const base = (m?.[1] ?? t).trim();
  const args = m?.[2];
  const unsigned = /\bunsigned\b/.test(t);
  if (base === "tinyint" && args === "1" && dialect === "mysql") return "TINYINT(1)";
  switch (base) {
    case "boolean":
    case "bool":
      return "TINYINT(1)";
    case "tinyint":
    case "smallint":
    case "mediumint":
    case "int2":
    case "utinyint":
    case "usmallint":
      return "INT";
    case "int":
    case "integer":
    case "int4":
      return unsigned ? "BIGINT" : "INT";
    case "bigint":
    case "int8":
    case "uinteger":
      return "BIGINT";
    case "float":
    case "real":
    case "float4":
      return "FLOAT";
    case "double":
    case "double precision":
    case "float8":
      return "DOUBLE";
    case "decimal":
    case "numeric":
      return args ? `DECIMAL(${args.replace(/\s+/g, "")})` : "DECIMAL(38,10)";
    case "datetime":
    case "timestamp":
    case "timestamp without time zone":
    case "timestamp with time zone":
    case "timestamptz":
      return "DATETIME";
    case "date":
      return "DATE";
    default:
      return "TEXT";
  }
}
