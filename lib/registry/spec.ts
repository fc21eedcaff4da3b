/**
 * The shapes of the source-table registry: schemas, tables, columns, and the column helpers the
 * per-schema table lists are written with.
 *
 * @module
 */

/** The logical schemas a site holds; a `db_uris` entry names one of them. */
export const SCHEMAS = ["nova", "nova_api", "blazar", "chameleon_usage", "zun"] as const;
/** One logical schema. */
export type SchemaName = typeof SCHEMAS[number];

/** One column of a source table. */
export interface ColumnSpec {
  /** Column name as OpenStack spells it. */
  readonly name: string;
  /** MySQL type, e.g. `VARCHAR(255)`, `DATETIME`, `TINYINT(1)`, `MEDIUMTEXT`. */
  readonly type: string;
  /** Whether the column accepts NULL. */
  readonly nullable: boolean;
  /** Absent at some deployments or schema eras; fetched as NULL when absent. */
  readonly optional?: boolean;
}

/** One source table. */
export interface TableSpec {
  /** Logical schema. */
  readonly schema: SchemaName;
  /** Table name. */
  readonly table: string;
  /** Row-id column: what the audit calls `source_row_id`. */
  readonly key: string;
  /** Whether a site may lack the table. */
  readonly optional: boolean;
  /** Fetch every column the server has (legacy tables whose schema is not public). */
  readonly selectAll?: boolean;
  /** Columns the stages read (for `selectAll` tables: the demo's layout). */
  readonly columns: readonly ColumnSpec[];
  /** One line on what the project uses the table for. */
  readonly doc: string;
}

/** A registry table's qualified name, `schema.table`. */
export type TableName = `${SchemaName}.${string}`;

/**
 * One column; `optional` columns are absent at some deployments or eras.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { col } from "./spec.ts";
 * deepStrictEqual(col("id", "INT", false), { name: "id", type: "INT", nullable: false });
 * ```
 */
export function col(name: string, type: string, nullable = true, optional = false): ColumnSpec {
  return optional ? { name, type, nullable, optional } : { name, type, nullable };
}
/** A `DATETIME` column. */
export const ts = (name: string, nullable = true) => col(name, "DATETIME", nullable);
/** A `VARCHAR(36)` column (UUIDs). */
export const v36 = (name: string, nullable = true) => col(name, "VARCHAR(36)", nullable);
/** A `VARCHAR(255)` column. */
export const v255 = (name: string, nullable = true) => col(name, "VARCHAR(255)", nullable);
/** Chameleon's Blazar fork soft-deletes; upstream Blazar has neither column. */
export const ccSoftDelete = [
  col("deleted", "VARCHAR(36)", true, true),
  col("deleted_at", "DATETIME", true, true),
];
/** Nova soft-deletes: `deleted_at`, and `deleted` (0, or the row id once deleted). */
export const novaSoftDelete = [ts("deleted_at"), col("deleted", "INT")];
