/**
 * What to read of one table: the registry's columns by name (or, for `selectAll` tables, every
 * column the server has), each with its parquet type and whether the source has it.
 *
 * - A required registry column the source lacks is an error naming table and column.
 * - An optional registry column the source lacks is written as typed NULLs and listed in the
 *   manifest's `absent_columns`.
 * - Rows are read in key order when the source has the key column.
 *
 * @module
 */
import { duckdbType, qualifiedName, type TableSpec } from "../registry.ts";
import { FetchError } from "./errors.ts";
import { registryType } from "./source_types.ts";

/** A column as the source server describes it. */
export interface SourceColumn {
  name: string;
  /** The server's spelling of the type (`datetime`, `timestamp without time zone`, ...). */
  sourceType: string;
}

/** One output column of a plan. */
export interface PlannedColumn {
  name: string;
  /** DuckDB type in the parquet file. */
  type: string;
  /** The server's type, or null when the column is absent at the source. */
  sourceType: string | null;
  /** Whether the source has the column (else it is written as typed NULLs). */
  present: boolean;
}

/** The read plan of one table. */
export interface TablePlan {
  spec: TableSpec;
  /** MySQL database, PostgreSQL schema or DuckDB schema. */
  namespace: string;
  columns: PlannedColumn[];
  /** Optional registry columns absent at the source. */
  absent: string[];
  /** Column to order rows by, or null. */
  orderBy: string | null;
}

/**
 * Plans the read of a table from the columns the source has.
 *
 * @example
 * ```ts
 * import { deepEqual, equal, throws } from "node:assert/strict";
 * import { tableSpec } from "../registry.ts";
 * import { planTable } from "./plan.ts";
 * const spec = tableSpec("nova.instances");
 * const cols = spec.columns.filter((c) => c.name !== "compute_id")
 *   .map((c) => ({ name: c.name, sourceType: c.type.toLowerCase() }));
 * const plan = planTable(spec, "nova", cols, "mysql");
 * deepEqual(plan.absent, ["compute_id"]);
 * equal(plan.columns.find((c) => c.name === "launched_at")?.type, "TIMESTAMP");
 * throws(() => planTable(spec, "nova", cols.slice(1), "mysql"), /required column "id"/);
 * ```
 */
export function planTable(
  spec: TableSpec,
  namespace: string,
  source: readonly SourceColumn[],
  dialect: "mysql" | "postgres" | "duckdb",
): TablePlan {
  const byName = new Map(source.map((c) => [c.name, c]));
  const hasKey = byName.has(spec.key);
  if (spec.selectAll) {
    return {
      spec,
      namespace,
      columns: source.map((c) => ({
        name: c.name,
        type: duckdbType(registryType(dialect, c.sourceType)),
        sourceType: c.sourceType,
        present: true,
      })),
      absent: [],
      orderBy: hasKey ? spec.key : null,
    };
  }
  const absent: string[] = [];
  const columns = spec.columns.map((c): PlannedColumn => {
    const s = byName.get(c.name);
    if (!s) {
      if (!c.optional) {
        throw new FetchError(
          "error",
          `Cannot fetch "${
            qualifiedName(spec)
          }": required column "${c.name}" is absent at the source (found ${
            source.map((x) => `"${x.name}"`).join(", ") || "no columns"
          })`,
        );
      }
      absent.push(c.name);
    }
    return {
      name: c.name,
      type: duckdbType(c.type),
      sourceType: s?.sourceType ?? null,
      present: s !== undefined,
    };
  });
  return { spec, namespace, columns, absent, orderBy: hasKey ? spec.key : null };
}
