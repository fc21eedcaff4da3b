/**
 * The one identifier rule of the math layer: its functions take table and column names from
 * their callers and quote them here.
 *
 * @module
 */

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `name` as a quoted DuckDB identifier; throws unless it is a plain identifier (letters, digits,
 * underscores, not starting with a digit), so no caller's text reaches SQL as anything else.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { sqlIdent } from "./sql_ident.ts";
 * equal(sqlIdent("node_type"), '"node_type"');
 * throws(() => sqlIdent("x; DROP TABLE y"), /expected a plain identifier/);
 * ```
 */
export function sqlIdent(name: string): string {
  if (!IDENT.test(name)) {
    throw new Error(`Cannot use "${name}" as a table or column name: expected a plain identifier`);
  }
  return `"${name}"`;
}
