/**
 * The one `SELECT` each dialect runs to read a table: identifiers only from the plan (registry
 * or server catalog), always quoted; no values, so no parameters.
 *
 * PostgreSQL values that its driver would turn into JS objects are read as text instead, so they
 * reach DuckDB exactly: timestamps (`timestamptz` converted to UTC first) and dates, numerics,
 * JSON and any non-text type destined for a text column.
 *
 * @module
 */
import { sqlIdent } from "../sql.ts";
import type { TablePlan } from "./plan.ts";

/**
 * The `SELECT` of a plan's present columns, in plan order.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { tableSpec } from "../registry.ts";
 * import { planTable } from "./plan.ts";
 * import { selectSql } from "./select_sql.ts";
 * const spec = tableSpec("chameleon_usage.node_count_cache");
 * const plan = planTable(spec, "cu", [
 *   { name: "id", sourceType: "integer" },
 *   { name: "date", sourceType: "date" },
 * ], "postgres");
 * equal(selectSql(plan, "postgres"), 'SELECT "id", "date"::text FROM "cu"."node_count_cache" ORDER BY "id"');
 * ```
 */
export function selectSql(plan: TablePlan, dialect: "mysql" | "postgres" | "duckdb"): string {
  const q = (n: string) => sqlIdent(n, dialect);
  const cols = plan.columns.filter((c) => c.present).map((c) => {
    if (dialect !== "postgres") return q(c.name);
    return postgresExpr(q(c.name), c.type, c.sourceType ?? "");
  });
  const order = plan.orderBy ? ` ORDER BY ${q(plan.orderBy)}` : "";
  return `SELECT ${cols.join(", ")} FROM ${q(plan.namespace)}.${q(plan.spec.table)}${order}`;
}

const PG_TEXT = /^(text|character varying|varchar|character|char|bpchar)\b/;

function postgresExpr(col: string, type: string, sourceType: string): string {
  const st = sourceType.toLowerCase();
  if (st.startsWith("timestamp") && st.includes("with time zone")) {
    return `(${col} AT TIME ZONE 'UTC')::text`;
  }
  if (type === "TIMESTAMP" || type === "DATE" || type.startsWith("DECIMAL")) return `${col}::text`;
  if (type === "VARCHAR" && !PG_TEXT.test(st)) return `${col}::text`;
  return col;
}
