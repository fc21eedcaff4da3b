/**
 * Embedded DuckDB source (`duckdb:<path>`, relative paths from the working directory): the file
 * is attached read-only to the writer's database and each table is copied to parquet by DuckDB
 * itself, which streams in vectors, so memory stays bounded. The demo site is such a file; its
 * `main.snapshot_meta.as_of` is the snapshot instant.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseDbUri } from "../../config.ts";
import { sqlIdent, sqlLiteral } from "../../sql.ts";
import { exists } from "../../fs.ts";
import { errorText, FetchError } from "../errors.ts";
import type { ParquetWriter, WriteResult } from "../parquet_writer.ts";
import type { SourceColumn, TablePlan } from "../plan.ts";
import { catalogIdent } from "../select_sql.ts";
import type { Connector, ReadTable } from "./types.ts";

let attached = 0;

/**
 * The `SELECT` that copies a planned table from an attached catalog: present columns cast to
 * their parquet type, absent optional columns as typed NULLs, in plan order.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { tableSpec } from "../../registry.ts";
 * import { planTable } from "../plan.ts";
 * import { copySelectSql } from "./duckdb.ts";
 * const plan = planTable(tableSpec("chameleon_usage.node_count_cache"), "chameleon_usage", [
 *   { name: "id", sourceType: "INTEGER" },
 * ], "duckdb");
 * equal(
 *   copySelectSql("src", plan),
 *   'SELECT CAST("id" AS INTEGER) AS "id" FROM "src"."chameleon_usage"."node_count_cache" ORDER BY "id"',
 * );
 * ```
 */
export function copySelectSql(catalog: string, plan: TablePlan): string {
  const q = (n: string) => sqlIdent(n, "duckdb");
  const c_ = (n: string) => catalogIdent(n, "duckdb");
  const cols = plan.columns.map((c) =>
    c.present
      ? `CAST(${c_(c.name)} AS ${c.type}) AS ${c_(c.name)}`
      : `CAST(NULL AS ${c.type}) AS ${c_(c.name)}`
  );
  const order = plan.orderBy ? ` ORDER BY ${q(plan.orderBy)}` : "";
  return `SELECT ${cols.join(", ")} FROM ${q(catalog)}.${q(plan.namespace)}.${
    q(plan.spec.table)
  }${order}`;
}

/** A DuckDB-file connector; open with {@linkcode DuckdbConnector.open}. */
export class DuckdbConnector implements Connector {
  readonly dialect = "duckdb" as const;
  readonly #writer: ParquetWriter;
  readonly #catalog: string;
  #closed = false;

  private constructor(writer: ParquetWriter, catalog: string) {
    this.#writer = writer;
    this.#catalog = catalog;
  }

  /**
   * Attaches the file read-only to the writer's database.
   *
   * @example
   * ```ts ignore
   * await using c = await DuckdbConnector.open("duckdb:var/demo/source.duckdb", writer);
   * ```
   */
  static async open(uri: string, writer: ParquetWriter): Promise<DuckdbConnector> {
    const file = resolve(parseDbUri(uri).database ?? "");
    if (!(await exists(file))) {
      throw new FetchError("error", `Cannot open DuckDB file "${file}": it does not exist`);
    }
    const catalog = `src_${++attached}`;
    try {
      await writer.duck.run(
        `ATTACH ${sqlLiteral(file)} AS ${sqlIdent(catalog, "duckdb")} (READ_ONLY)`,
      );
    } catch (e) {
      throw new FetchError("error", `Cannot open DuckDB file "${file}": ${errorText(e)}`);
    }
    return new DuckdbConnector(writer, catalog);
  }

  async asOf(): Promise<{ asOf: string; source: string }> {
    const meta = await this.#writer.duck.value<bigint>(
      `SELECT count(*) FROM duckdb_tables()
        WHERE database_name = $1 AND schema_name = 'main' AND table_name = 'snapshot_meta'`,
      [this.#catalog],
    );
    if (Number(meta) > 0) {
      const asOf = await this.#writer.duck.value<string | null>(
        `SELECT strftime(max(as_of)::TIMESTAMP, '%Y-%m-%dT%H:%M:%S')
           FROM ${sqlIdent(this.#catalog, "duckdb")}.main.snapshot_meta`,
      );
      if (asOf) return { asOf, source: "main.snapshot_meta.as_of" };
    }
    return { asOf: new Date().toISOString().slice(0, 19), source: "local clock (embedded DuckDB)" };
  }

  async columns(namespace: string, table: string): Promise<SourceColumn[] | null> {
    const rows = await this.#writer.duck.rows<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM duckdb_columns()
        WHERE database_name = $1 AND schema_name = $2 AND table_name = $3
        ORDER BY column_index`,
      [this.#catalog, namespace, table],
    );
    return rows.length === 0 ? null : rows.map((r) => ({ name: r.name, sourceType: r.type }));
  }

  async read(
    plan: TablePlan,
    writer: ParquetWriter,
    onRows: (rows: number) => void,
  ): Promise<ReadTable> {
    const select = copySelectSql(this.#catalog, plan);
    return await Promise.resolve({
      finish: async (path: string): Promise<WriteResult> => {
        const r = await writer.copyQuery(select, path);
        onRows(r.rows);
        return { ...r, zeroDates: {}, unreadable: {}, unreadableSamples: {} };
      },
      abort: () => Promise.resolve(),
    });
  }

  destroy(): void {
    // An embedded file does not freeze like a server; statements end with the writer.
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.duck.run(`DETACH ${sqlIdent(this.#catalog, "duckdb")}`).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
