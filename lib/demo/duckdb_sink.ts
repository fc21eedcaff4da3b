/**
 * Writes the demo generator's rows into an embedded DuckDB file shaped like the OpenStack
 * databases: one schema per logical schema, tables and column types from the registry.
 *
 * @module
 */
import { type DuckDBAppender, DuckDBDateValue, DuckDBTimestampValue } from "@duckdb/node-api";
import { Duck } from "../db/duckdb.ts";
import {
  createTableSql,
  parseType,
  qualifiedName,
  REGISTRY,
  SCHEMAS,
  type TableSpec,
} from "../registry.ts";
import { sqlIdent } from "../sql.ts";
import type { Sink } from "./world.ts";

type Append = (a: DuckDBAppender, v: unknown) => void;

function appenderFor(type: string): Append {
  const { base, args } = parseType(type);
  switch (base) {
    case "INT":
      return (a, v) => a.appendInteger(v as number);
    case "BIGINT":
      return (a, v) => a.appendBigInt(BigInt(v as number));
    case "TINYINT":
      return args[0] === "1"
        ? (a, v) => a.appendBoolean(Boolean(v))
        : (a, v) => a.appendTinyInt(v as number);
    case "FLOAT":
      return (a, v) => a.appendFloat(v as number);
    case "DOUBLE":
      return (a, v) => a.appendDouble(v as number);
    case "DATETIME":
    case "TIMESTAMP":
      return (a, v) => a.appendTimestamp(new DuckDBTimestampValue(BigInt(v as number) * 1000000n));
    case "DATE":
      return (a, v) => a.appendDate(new DuckDBDateValue(v as number));
    default:
      return (a, v) => a.appendVarchar(String(v));
  }
}

interface Open {
  appender: DuckDBAppender;
  columns: { name: string; append: Append }[];
}

/** The columns a table lacks at a site of this era (optional columns of other eras). */
export type Omissions = Readonly<Record<string, readonly string[]>>;

/** A sink that appends rows to a DuckDB file; call {@linkcode DuckDBSink.finish} at the end. */
export class DuckDBSink implements Sink {
  readonly db: Duck;
  readonly #open = new Map<string, Open>();
  readonly #tables: Map<string, TableSpec>;
  readonly #omit: Omissions;

  private constructor(db: Duck, tables: Map<string, TableSpec>, omit: Omissions) {
    this.db = db;
    this.#tables = tables;
    this.#omit = omit;
  }

  /**
   * Creates the schemas and the registry's tables (less `skipTables`, less `omit` columns) in a
   * new database file.
   */
  static async create(
    path: string,
    options: { skipTables?: readonly string[]; omit?: Omissions } = {},
  ): Promise<DuckDBSink> {
    const db = await Duck.open(path, { threads: "1" });
    const skip = new Set(options.skipTables ?? []);
    const omit = options.omit ?? {};
    const tables = new Map<string, TableSpec>();
    for (const s of SCHEMAS) await db.run(`CREATE SCHEMA ${sqlIdent(s, "duckdb")}`);
    for (const spec of REGISTRY) {
      const name = qualifiedName(spec);
      if (skip.has(name)) continue;
      tables.set(name, spec);
      await db.run(createTableSql(spec, "duckdb", { omitColumns: omit[name] ?? [] }));
    }
    return new DuckDBSink(db, tables, omit);
  }

  /** Opens an appender for every table; rows can then be written synchronously. */
  async prepare(): Promise<void> {
    for (const [name, spec] of this.#tables) {
      const omit = new Set(this.#omit[name] ?? []);
      const appender = await this.db.conn.createAppender(spec.table, spec.schema);
      const columns = spec.columns.filter((c) => !omit.has(c.name)).map((c) => ({
        name: c.name,
        append: appenderFor(c.type),
      }));
      this.#open.set(name, { appender, columns });
    }
  }

  row(table: string, values: Record<string, unknown>): void {
    const open = this.#open.get(table);
    if (!open) throw new Error(`Cannot write rows of "${table}": no appender is open for it`);
    const a = open.appender;
    for (const c of open.columns) {
      const v = values[c.name];
      if (v === null || v === undefined) a.appendNull();
      else c.append(a, v);
    }
    a.endRow();
  }

  /** Flushes and closes the appenders, applies updates, and closes the database. */
  async finish(
    patches: readonly { table: string; id: number | string; set: Record<string, unknown> }[] = [],
  ): Promise<void> {
    for (const { appender } of this.#open.values()) appender.closeSync();
    this.#open.clear();
    for (const p of patches) {
      const spec = this.#tables.get(p.table)!;
      const cols = Object.keys(p.set);
      const assignments = cols.map((c, i) => `${sqlIdent(c, "duckdb")} = $${i + 2}`).join(", ");
      const values = cols.map((c) => toDuck(spec, c, p.set[c]));
      await this.db.run(
        `UPDATE ${sqlIdent(spec.schema, "duckdb")}.${
          sqlIdent(spec.table, "duckdb")
        } SET ${assignments} WHERE ${sqlIdent(spec.key, "duckdb")} = $1`,
        [typeof p.id === "number" ? p.id : String(p.id), ...values] as never,
      );
    }
    await this.db.run("CHECKPOINT");
    this.db.close();
  }
}

function toDuck(spec: TableSpec, column: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const c = spec.columns.find((c) => c.name === column)!;
  const { base } = parseType(c.type);
  if (base === "DATETIME") return new DuckDBTimestampValue(BigInt(v as number) * 1000000n);
  return v;
}
