/**
 * The one place SQL text is quoted: string literals and identifiers. Everything else goes to the
 * database as a bound parameter.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { sqlIdent, sqlLiteral } from "./sql.ts";
 * equal(`SELECT ${sqlIdent("end")} FROM t WHERE site = ${sqlLiteral("o'hare")}`,
 *   `SELECT "end" FROM t WHERE site = 'o''hare'`);
 * ```
 *
 * @module
 */

/** The SQL dialects the project writes. */
export type SqlDialect = "mysql" | "postgres" | "duckdb";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A SQL string literal (single quotes doubled), for the places DuckDB takes no bound parameter:
 * file paths in `COPY`, `ATTACH` and `read_parquet`, `ENUM` members, and values inlined into
 * generated queries. The text may come from configuration or from source data (site names,
 * node types, metric names): quoting makes any text safe as a literal, and text with a NUL
 * character, which DuckDB would cut short, is refused.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { sqlLiteral } from "./sql.ts";
 * equal(sqlLiteral("it's"), "'it''s'");
 * equal(sqlLiteral("x'); DROP TABLE y; --"), "'x''); DROP TABLE y; --'");
 * throws(() => sqlLiteral("a\u0000b"), /NUL character/);
 * ```
 */
export function sqlLiteral(text: string): string {
  if (text.includes("\u0000")) {
    throw new Error(`Cannot quote a string with a NUL character: ${JSON.stringify(text)}`);
  }
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * `name` as a quoted identifier of `dialect` (backticks for MySQL, double quotes otherwise);
 * throws unless it is a plain identifier (letters, digits, underscores, not starting with a
 * digit), so no text reaches SQL as anything but a name. Identifiers come from the registry or
 * from the math layer's callers; the check guards against an edit that would smuggle SQL in.
 *
 * @param name The table, schema or column name.
 * @param dialect The SQL dialect.
 * @default {"duckdb"} dialect
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { sqlIdent } from "./sql.ts";
 * equal(sqlIdent("node_type"), '"node_type"');
 * equal(sqlIdent("binary", "mysql"), "`binary`");
 * throws(() => sqlIdent("x; DROP TABLE y", "mysql"), /Cannot quote identifier "x; DROP TABLE y"/);
 * ```
 */
export function sqlIdent(name: string, dialect: SqlDialect = "duckdb"): string {
  if (!IDENT.test(name)) {
    throw new Error(
      `Cannot quote identifier "${name}": expected a plain identifier (letters, digits and underscores)`,
    );
  }
  return dialect === "mysql" ? `\`${name}\`` : `"${name}"`;
}
