/**
 * The tables `deno task export` writes, one DDL per dialect, and the fixed statements that
 * replace one site's window. Every identifier here is a constant of this file; user input only
 * ever travels as a bound value.
 *
 * - `usage_daily`: the daily series, long. Key `(site, collector_type, metric, resource,
 *   node_type, day)`.
 * - `usage_wide`: one row per day and site in the site's headline resource. Key `(site, time)`.
 *
 * MySQL key columns use the binary collation `utf8mb4_bin`: node types that differ only in case
 * or accents are different keys, as they are in the parquet files.
 *
 * @module
 */
import { WIDE_METRICS } from "./wide.ts";

/** A target database's SQL dialect. */
export type Dialect = "mysql" | "postgres" | "duckdb";

/** Columns of `usage_daily`, in table order. */
export const DAILY_COLUMNS = [
  "site",
  "collector_type",
  "metric",
  "resource",
  "node_type",
  "day",
  "value",
] as const;

/** Columns of `usage_wide`, in table order. */
export const WIDE_COLUMNS = ["time", "site", "resource", ...WIDE_METRICS] as const;

/** Longest text a key column holds (characters); longer values are refused before writing. */
export const TEXT_LIMITS = {
  site: 128,
  collector_type: 16,
  metric: 64,
  resource: 32,
  node_type: 191,
} as const;

/**
 * `CREATE TABLE IF NOT EXISTS` statements of both tables for a dialect.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { createTablesSql } from "./schema.ts";
 * match(createTablesSql("postgres")[0], /PRIMARY KEY \(site, collector_type, metric, resource, node_type, day\)/);
 * match(createTablesSql("mysql")[1], /`time` DATETIME NOT NULL/);
 * ```
 */
export function createTablesSql(dialect: Dialect): [daily: string, wide: string] {
  const q = (name: string) => quote(name, dialect);
  const text = (n: number) =>
    dialect === "mysql"
      ? `VARCHAR(${n}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL`
      : dialect === "postgres"
      ? `VARCHAR(${n}) NOT NULL`
      : "VARCHAR NOT NULL";
  const double = dialect === "postgres" ? "DOUBLE PRECISION" : "DOUBLE";
  const time = dialect === "mysql" ? "DATETIME" : "TIMESTAMP";
  const tail = dialect === "mysql" ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" : "";
  const L = TEXT_LIMITS;
  const daily = `CREATE TABLE IF NOT EXISTS ${q("usage_daily")} (
  site ${text(L.site)},
  collector_type ${text(L.collector_type)},
  metric ${text(L.metric)},
  resource ${text(L.resource)},
  node_type ${text(L.node_type)},
  day DATE NOT NULL,
  ${q("value")} ${double} NOT NULL,
  PRIMARY KEY (site, collector_type, metric, resource, node_type, day)
)${tail}`;
  const wide = `CREATE TABLE IF NOT EXISTS ${q("usage_wide")} (
  ${q("time")} ${time} NOT NULL,
  site ${text(L.site)},
  resource ${text(L.resource)},
${WIDE_METRICS.map((m) => `  ${m} ${double},`).join("\n")}
  PRIMARY KEY (site, ${q("time")})
)${tail}`;
  return [daily, wide];
}

/**
 * The statements that delete one site's rows of a day window, with their placeholders
 * (`?` for MySQL, `$1` for PostgreSQL and DuckDB). Bound values: site, first day, end day
 * (exclusive).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { deleteWindowSql } from "./schema.ts";
 * equal(deleteWindowSql("mysql")[1],
 *   "DELETE FROM `usage_wide` WHERE site = ? AND `time` >= ? AND `time` < ?");
 * ```
 */
export function deleteWindowSql(dialect: Dialect): [daily: string, wide: string] {
  const q = (name: string) => quote(name, dialect);
  const [p1, p2, p3] = dialect === "mysql" ? ["?", "?", "?"] : ["$1", "$2", "$3"];
  const cast = dialect === "mysql" ? "" : "::DATE";
  const tcast = dialect === "mysql" ? "" : "::TIMESTAMP";
  return [
    `DELETE FROM ${
      q("usage_daily")
    } WHERE site = ${p1} AND day >= ${p2}${cast} AND day < ${p3}${cast}`,
    `DELETE FROM ${q("usage_wide")} WHERE site = ${p1} AND ${q("time")} >= ${p2}${tcast} AND ${
      q("time")
    } < ${p3}${tcast}`,
  ];
}

/**
 * `INSERT INTO table (columns)` of a table, without the values part (each dialect's writer adds
 * its own batch form).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { insertHeadSql } from "./schema.ts";
 * equal(insertHeadSql("postgres", "usage_wide").slice(0, 41), 'INSERT INTO "usage_wide" ("time", site, r');
 * ```
 */
export function insertHeadSql(dialect: Dialect, table: "usage_daily" | "usage_wide"): string {
  const cols = table === "usage_daily" ? DAILY_COLUMNS : WIDE_COLUMNS;
  const q = (name: string) => quote(name, dialect);
  return `INSERT INTO ${q(table)} (${cols.map((c) => QUOTED.has(c) ? q(c) : c).join(", ")})`;
}

/** Column names that are reserved or keywords somewhere and so are always quoted. */
const QUOTED = new Set(["time", "value"]);

/** Quotes one of this file's constant identifiers. */
function quote(name: string, dialect: Dialect): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`Not a constant identifier: "${name}"`);
  return dialect === "mysql" ? `\`${name}\`` : `"${name}"`;
}
