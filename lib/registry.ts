/**
 * The source-table registry: the single source of truth for every table the project reads.
 *
 * Fetch selects exactly these columns, the loaders check them, the demo generator writes them and
 * the test DDL for MariaDB, PostgreSQL and DuckDB is derived from them. Column names and types
 * follow OpenStack's own migrations (docs/design.md §4); types are spelled as MySQL spells
 * them and translated by {@linkcode duckdbType} and {@linkcode postgresType}.
 *
 * - `optional` on a table: a site may not have it (KVM@TACC has no `chameleon_usage`); the stages
 *   run without it and say which series are therefore absent.
 * - `optional` on a column: some deployments or eras lack it (Blazar's soft-delete columns exist
 *   only in Chameleon's fork; `instances.compute_id` only from nova 2023.2). Fetch writes a missing
 *   optional column as typed NULLs and records it in the manifest, so parquet shapes are stable.
 * - `selectAll` on a table: the legacy `chameleon_usage` schema is not public, so fetch takes every
 *   column the server has, and the loaders map columns through site configuration.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { tableSpec } from "./registry.ts";
 * assertEquals(tableSpec("nova.instances").key, "id");
 * ```
 *
 * @module
 */
import {
  BLAZAR_TABLES,
  CHAMELEON_USAGE_TABLES,
  NOVA_API_TABLES,
  NOVA_TABLES,
  ZUN_TABLES,
} from "./registry/tables.ts";
import type { ColumnSpec, TableName, TableSpec } from "./registry/spec.ts";

export {
  type ColumnSpec,
  type SchemaName,
  SCHEMAS,
  type TableName,
  type TableSpec,
} from "./registry/spec.ts";
export {
  createTableSql,
  duckdbType,
  type ParsedType,
  parseType,
  postgresType,
} from "./registry/ddl.ts";
/** Every source table, in pipeline order: one list per schema, in `registry/tables.ts`. */
export const REGISTRY: readonly TableSpec[] = [
  ...NOVA_TABLES,
  ...NOVA_API_TABLES,
  ...BLAZAR_TABLES,
  ...CHAMELEON_USAGE_TABLES,
  ...ZUN_TABLES,
];

/**
 * The qualified name of a table spec.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { qualifiedName, REGISTRY } from "./registry.ts";
 * assertEquals(qualifiedName(REGISTRY[0]), "nova.compute_nodes");
 * ```
 */
export function qualifiedName(spec: TableSpec): TableName {
  return `${spec.schema}.${spec.table}`;
}

const BY_NAME = new Map(REGISTRY.map((t) => [qualifiedName(t), t]));

/**
 * Looks a table up by its qualified name; throws on a name the registry does not hold.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { tableSpec } from "./registry.ts";
 * assertEquals(tableSpec("blazar.leases").schema, "blazar");
 * ```
 */
export function tableSpec(name: string): TableSpec {
  const spec = BY_NAME.get(name as TableName);
  if (!spec) {
    throw new Error(
      `Cannot find table "${name}" in the source-table registry: expected one of ${
        [...BY_NAME.keys()].join(", ")
      }`,
    );
  }
  return spec;
}

/**
 * Looks a column of a table up; throws naming table and column when it is not registered.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { columnSpec } from "./registry.ts";
 * assertEquals(columnSpec("nova.instances", "launched_at").type, "DATETIME");
 * ```
 */
export function columnSpec(table: string, column: string): ColumnSpec {
  const c = tableSpec(table).columns.find((c) => c.name === column);
  if (!c) throw new Error(`Cannot find column "${column}" of "${table}" in the registry`);
  return c;
}
