/**
 * The source-table registry: the single source of truth for every table the project reads.
 *
 * Fetch selects exactly these columns, the loaders check them, the demo generator writes them and
 * the test DDL for MariaDB, PostgreSQL and DuckDB is derived from them. Column names and types
 * follow `../shared/SCHEMAS.md` (OpenStack's own migrations); types are spelled as MySQL spells
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

/** The logical schemas a site holds; a `db_uris` entry names one of them. */
export const SCHEMAS = ["nova", "nova_api", "blazar", "chameleon_usage"] as const;
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

function col(name: string, type: string, nullable = true, optional = false): ColumnSpec {
  return optional ? { name, type, nullable, optional } : { name, type, nullable };
}
const ts = (name: string, nullable = true) => col(name, "DATETIME", nullable);
const v36 = (name: string, nullable = true) => col(name, "VARCHAR(36)", nullable);
const v255 = (name: string, nullable = true) => col(name, "VARCHAR(255)", nullable);
/** Chameleon's Blazar fork soft-deletes; upstream Blazar has neither column. */
const ccSoftDelete = [
  col("deleted", "VARCHAR(36)", true, true),
  col("deleted_at", "DATETIME", true, true),
];
const novaSoftDelete = [ts("deleted_at"), col("deleted", "INT")];

/** Every source table, in pipeline order. */
export const REGISTRY: readonly TableSpec[] = [
  {
    schema: "nova",
    table: "compute_nodes",
    key: "id",
    optional: true,
    doc: "One row per registration of a hypervisor: the spine of host existence (total).",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      col("service_id", "INT"),
      col("host", "VARCHAR(255)"),
      v255("hypervisor_hostname"),
      col("hypervisor_type", "MEDIUMTEXT", false),
      col("vcpus", "INT", false),
      col("memory_mb", "INT", false),
      col("local_gb", "INT", false),
      col("cpu_allocation_ratio", "FLOAT"),
      col("ram_allocation_ratio", "FLOAT"),
      v36("uuid"),
    ],
  },
  {
    schema: "nova",
    table: "services",
    key: "id",
    optional: true,
    doc: "nova-compute services: when a compute host (or an Ironic conductor) existed.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      v255("host"),
      v255("binary"),
      v255("topic"),
      col("report_count", "INT", false),
      col("disabled", "TINYINT(1)"),
      v255("disabled_reason"),
      ts("last_seen_up"),
      col("forced_down", "TINYINT(1)"),
      v36("uuid"),
    ],
  },
  {
    schema: "nova",
    table: "instances",
    key: "id",
    optional: true,
    doc: "Instances: occupied spans from launch to termination.",
    columns: [
      col("id", "INT", false),
      col("uuid", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      ts("launched_at"),
      ts("terminated_at"),
      v255("user_id"),
      v255("project_id"),
      v255("host"),
      v255("node"),
      col("vcpus", "INT"),
      col("memory_mb", "INT"),
      col("root_gb", "INT"),
      col("ephemeral_gb", "INT"),
      v255("vm_state"),
      col("power_state", "INT"),
      v255("task_state"),
      v255("reservation_id"),
      v255("display_name"),
      v255("availability_zone"),
      col("locked_by", "ENUM('owner','admin')"),
      col("compute_id", "BIGINT", true, true),
    ],
  },
  {
    schema: "nova",
    table: "instance_actions",
    key: "id",
    optional: true,
    doc: "User and system actions on instances (create, stop, start, shelve, delete, ...).",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      v255("action"),
      v36("instance_uuid"),
      v255("request_id"),
      v255("project_id"),
      ts("start_time"),
      ts("finish_time"),
      v255("message"),
    ],
  },
  {
    schema: "nova",
    table: "instance_actions_events",
    key: "id",
    optional: true,
    doc: "Events of each action: their host, times and result give the life of an instance.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      v255("event"),
      col("action_id", "INT"),
      ts("start_time"),
      ts("finish_time"),
      v255("result"),
      v255("host"),
    ],
  },
  {
    schema: "nova_api",
    table: "request_specs",
    key: "id",
    optional: true,
    doc: "Scheduling requests: the Blazar reservation of an instance (hint or flavor name).",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      col("instance_uuid", "VARCHAR(36)", false),
      col("spec", "MEDIUMTEXT", false),
    ],
  },
  {
    schema: "blazar",
    table: "leases",
    key: "id",
    optional: true,
    doc: "Leases: the time frame of every reservation.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("name", "VARCHAR(80)", false),
      v255("user_id"),
      v255("project_id"),
      ts("start_date", false),
      ts("end_date", false),
      v255("status"),
      col("degraded", "TINYINT(1)", false),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "reservations",
    key: "id",
    optional: true,
    doc: "Reservations of a lease, by resource type (physical:host, flavor:instance, ...).",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("lease_id", "VARCHAR(36)", false),
      v36("resource_id"),
      col("resource_type", "VARCHAR(66)"),
      col("status", "VARCHAR(13)"),
      col("missing_resources", "TINYINT(1)", false),
      col("resources_changed", "TINYINT(1)", false),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "computehosts",
    key: "id",
    optional: true,
    doc: "Hosts enrolled in Blazar: the reservable pool.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v255("hypervisor_hostname"),
      col("hypervisor_type", "MEDIUMTEXT", false),
      col("vcpus", "INT", false),
      col("memory_mb", "INT", false),
      col("local_gb", "INT", false),
      v255("service_name"),
      col("status", "VARCHAR(13)"),
      col("reservable", "TINYINT(1)", false),
      col("availability_zone", "VARCHAR(255)", false),
      ...ccSoftDelete,
      col("disabled", "TINYINT(1)", true, true),
    ],
  },
  {
    schema: "blazar",
    table: "computehost_allocations",
    key: "id",
    optional: true,
    doc: "Allocations of hosts to reservations: committed spans.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("compute_host_id"),
      v36("reservation_id"),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "computehost_extra_capabilities",
    key: "id",
    optional: true,
    doc: "Per-host key/value capabilities; the key `node_type` gives the node type.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("computehost_id"),
      col("capability_value", "MEDIUMTEXT", false),
      // The key column of the three schema eras: inline name, fork FK, renamed FK.
      col("capability_name", "VARCHAR(64)", true, true),
      col("capability_id", "VARCHAR(255)", true, true),
      col("property_id", "VARCHAR(255)", true, true),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "extra_capabilities",
    key: "id",
    optional: true,
    doc: "Capability names of the fork's 2020-2024 era (capability_id -> capability_name).",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("resource_type", "VARCHAR(255)", false),
      col("capability_name", "VARCHAR(255)", false),
    ],
  },
  {
    schema: "blazar",
    table: "resource_properties",
    key: "id",
    optional: true,
    doc: "Capability names of the current era (property_id -> property_name).",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("resource_type", "VARCHAR(255)", false),
      col("property_name", "VARCHAR(255)"),
    ],
  },
  {
    schema: "blazar",
    table: "instance_reservations",
    key: "id",
    optional: true,
    doc: "Flavor sizes of flavor:instance and virtual:instance reservations.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("reservation_id"),
      col("vcpus", "INT", false),
      col("memory_mb", "INT", false),
      col("disk_gb", "INT", false),
      col("amount", "INT", false),
      col("affinity", "TINYINT(1)"),
      v36("flavor_id"),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_usage_report_cache",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy hours per day per node type (total, maintenance, reserved, used, idle).",
    columns: [
      col("id", "INT", false),
      col("date", "DATE", false),
      v255("node_type"),
      col("total_hours", "DOUBLE"),
      col("maint_hours", "DOUBLE"),
      col("reserved_hours", "DOUBLE"),
      col("used_hours", "DOUBLE"),
      col("idle_hours", "DOUBLE"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_count_cache",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy node count per day per node type.",
    columns: [
      col("id", "INT", false),
      col("date", "DATE", false),
      v255("node_type"),
      col("cnt", "INT"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_maintenance",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy maintenance of nodes over time; columns mapped per site (DESIGN §4).",
    columns: [
      col("id", "INT", false),
      v255("node_name"),
      col("date", "DATE", false),
      col("hours", "DOUBLE"),
      v255("reason"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_usage",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy per-node daily usage; fetched for the record, not read by the stages.",
    columns: [
      col("id", "INT", false),
      v255("node_name"),
      col("date", "DATE", false),
      col("reserved_hours", "DOUBLE"),
      col("used_hours", "DOUBLE"),
      v255("project_id"),
    ],
  },
];

/** A registry table's qualified name, `schema.table`. */
export type TableName = `${SchemaName}.${string}`;

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
 * import { parseType } from "./registry.ts";
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
 * import { duckdbType } from "./registry.ts";
 * assertEquals(duckdbType("DATETIME"), "TIMESTAMP");
 * assertEquals(duckdbType("TINYINT(1)"), "BOOLEAN");
 * ```
 */
export function duckdbType(type: string): string {
  const { base, args } = parseType(type);
  switch (base) {
    case "INT":
      return "INTEGER";
    case "BIGINT":
      return "BIGINT";
    case "TINYINT":
      return args[0] === "1" ? "BOOLEAN" : "TINYINT";
    case "FLOAT":
      return "FLOAT";
    case "DOUBLE":
      return "DOUBLE";
    case "DECIMAL":
      return `DECIMAL(${args.join(",")})`;
    case "DATETIME":
    case "TIMESTAMP":
      return "TIMESTAMP";
    case "DATE":
      return "DATE";
    case "VARCHAR":
    case "TEXT":
    case "MEDIUMTEXT":
    case "ENUM":
      return "VARCHAR";
    default:
      throw new Error(`Cannot map SQL type "${type}" to DuckDB: unknown base type "${base}"`);
  }
}

/**
 * The PostgreSQL type for a registry (MySQL) type.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { postgresType } from "./registry.ts";
 * assertEquals(postgresType("DATETIME"), "timestamp without time zone");
 * ```
 */
export function postgresType(type: string): string {
  const { base, args } = parseType(type);
  switch (base) {
    case "INT":
      return "integer";
    case "BIGINT":
      return "bigint";
    case "TINYINT":
      return args[0] === "1" ? "boolean" : "smallint";
    case "FLOAT":
      return "real";
    case "DOUBLE":
      return "double precision";
    case "DECIMAL":
      return `numeric(${args.join(",")})`;
    case "DATETIME":
    case "TIMESTAMP":
      return "timestamp without time zone";
    case "DATE":
      return "date";
    case "VARCHAR":
      return `varchar(${args[0]})`;
    case "TEXT":
    case "MEDIUMTEXT":
    case "ENUM":
      return "text";
    default:
      throw new Error(`Cannot map SQL type "${type}" to PostgreSQL: unknown base type "${base}"`);
  }
}

/**
 * Quotes an identifier for a SQL dialect after checking it is a plain identifier.
 *
 * Identifiers only ever come from this registry; the check guards against a registry edit
 * that would smuggle SQL in.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert/strict";
 * import { quoteIdent } from "./registry.ts";
 * assertEquals(quoteIdent("binary", "mysql"), "`binary`");
 * assertEquals(quoteIdent("end", "duckdb"), '"end"');
 * ```
 */
export function quoteIdent(name: string, dialect: "mysql" | "postgres" | "duckdb"): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`Cannot quote identifier "${name}": expected letters, digits and underscores`);
  }
  return dialect === "mysql" ? `\`${name}\`` : `"${name}"`;
}

/**
 * `CREATE TABLE` statement for a registry table in a dialect: the OpenStack-shaped DDL used by the
 * demo generator and by the tests against MariaDB, PostgreSQL and DuckDB.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { createTableSql, tableSpec } from "./registry.ts";
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
  const q = (n: string) => quoteIdent(n, dialect);
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
