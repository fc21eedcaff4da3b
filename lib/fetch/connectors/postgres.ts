/**
 * PostgreSQL source through `npm:postgres`: rows are read through a server-side cursor in batches
 * and appended to the writer, so memory stays bounded. Timestamps, dates and numerics are read as
 * text (see `select_sql.ts`); the session runs in UTC.
 *
 * @module
 */
import postgres from "postgres";
import { parseDbUri } from "../../config.ts";
import { postgresOptions } from "../../db/postgres.ts";
import { sqlIdent } from "../../sql.ts";
import { errorStatus, errorText, FetchError } from "../errors.ts";
import type { ParquetWriter } from "../parquet_writer.ts";
import type { SourceColumn, TablePlan } from "../plan.ts";
import { selectSql } from "../select_sql.ts";
import type { Connector, ReadTable } from "./types.ts";

/** Rows per cursor batch. */
const BATCH = 4096;

/**
 * `pg_catalog` query for a table's columns, in server order. Unlike `information_schema`, the
 * catalog lists a table the user may not read, so such a table is reported as forbidden rather
 * than missing. Bound values: schema, table.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { columnsSql } from "./postgres.ts";
 * match(columnsSql(), /n\.nspname = \$1 AND c\.relname = \$2/);
 * ```
 */
export function columnsSql(): string {
  return `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
      AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum`;
}

/** The server's UTC clock as `YYYY-MM-DDTHH:MM:SS`. */
export const AS_OF_SQL = `SELECT to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD"T"HH24:MI:SS') AS t`;

/** A PostgreSQL connector; open with {@linkcode PostgresConnector.open}. */
export class PostgresConnector implements Connector {
  readonly dialect = "postgres" as const;
  readonly #sql: postgres.Sql;
  #closed = false;

  private constructor(sql: postgres.Sql) {
    this.#sql = sql;
  }

  /**
   * Connects (and runs one query to prove it); throws a `FetchError` on failure.
   *
   * @example
   * ```ts ignore
   * await using c = await PostgresConnector.open("postgres://postgres@127.0.0.1:5432/openstack");
   * console.log(await c.asOf());
   * ```
   */
  static async open(
    uri: string,
    options: { connectTimeoutS?: number } = {},
  ): Promise<PostgresConnector> {
    const sql = postgres(
      postgresOptions(parseDbUri(uri), { connectTimeoutS: options.connectTimeoutS }),
    );
    try {
      await sql.unsafe("SELECT 1");
    } catch (e) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw new FetchError(errorStatus(e), errorText(e));
    }
    return new PostgresConnector(sql);
  }

  async #query<T>(text: string, values: (string | number)[] = []): Promise<T[]> {
    try {
      return (await this.#sql.unsafe(text, values)) as unknown as T[];
    } catch (e) {
      throw new FetchError(errorStatus(e), errorText(e));
    }
  }

  async asOf(): Promise<{ asOf: string; source: string }> {
    const [row] = await this.#query<{ t: string }>(AS_OF_SQL);
    return { asOf: row.t, source: "server clock (now() at time zone 'utc')" };
  }

  async columns(namespace: string, table: string): Promise<SourceColumn[] | null> {
    const rows = await this.#query<{ name: string; type: string }>(columnsSql(), [
      namespace,
      table,
    ]);
    if (rows.length === 0) return null;
    // The catalog lists tables the user may not read: prove access before planning.
    await this.#query(
      `SELECT 1 FROM ${sqlIdent(namespace, "postgres")}.${sqlIdent(table, "postgres")} LIMIT 0`,
    );
    return rows.map((r) => ({ name: r.name, sourceType: r.type }));
  }

  async read(
    plan: TablePlan,
    writer: ParquetWriter,
    onRows: (rows: number) => void,
  ): Promise<ReadTable> {
    const table = await writer.begin(plan.columns, { key: plan.orderBy });
    try {
      const cursor = this.#sql.unsafe(selectSql(plan, "postgres")).values().cursor(BATCH);
      for await (const rows of cursor) {
        for (const row of rows) table.append(row);
        onRows(table.rows);
        if (table.backlog > 1) await table.drain();
      }
    } catch (e) {
      await table.abort();
      if (e instanceof FetchError) throw e;
      throw new FetchError(errorStatus(e), errorText(e));
    }
    return table;
  }

  destroy(): void {
    this.#closed = true;
    this.#sql.end({ timeout: 0 }).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
