/**
 * MariaDB/MySQL source through `npm:mysql2`: rows stream from the server and are appended to the
 * writer as they arrive (no result set is held in memory): as raw text-protocol packets when
 * every column is text (`mysql_rows.ts`), else as the values mysql2 parses. Dates arrive as text,
 * so no local time zone can shift them; `0000-00-00 00:00:00` becomes NULL in the writer.
 *
 * @module
 */
import mysql from "mysql2";
import { parseDbUri } from "../../config.ts";
import { mysqlOptions } from "../../db/mysql.ts";
import { sqlIdent } from "../../sql.ts";
import { errorStatus, errorText, FetchError } from "../errors.ts";
import type { ParquetWriter } from "../parquet_writer.ts";
import type { SourceColumn, TablePlan } from "../plan.ts";
import { selectSql } from "../select_sql.ts";
import { rawTextRows } from "./mysql_rows.ts";
import type { Connector, ReadTable } from "./types.ts";

type Conn = ReturnType<typeof mysql.createConnection>;

/** Progress is reported every this many rows. */
const PROGRESS_EVERY = 8192;

/**
 * `information_schema` query for a table's columns, in server order. Bound values: database,
 * table.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { columnsSql } from "./mysql.ts";
 * match(columnsSql(), /TABLE_SCHEMA = \? AND TABLE_NAME = \?/);
 * ```
 */
export function columnsSql(): string {
  return `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`;
}

/** The server's UTC clock as `YYYY-MM-DDTHH:MM:SS`. */
export const AS_OF_SQL = "SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%s') AS t";

/** A MySQL/MariaDB connector; open with {@linkcode MysqlConnector.open}. */
export class MysqlConnector implements Connector {
  readonly dialect = "mysql" as const;
  readonly #conn: Conn;
  #closed = false;

  readonly #lost: { fail: ((e: unknown) => void) | null };

  private constructor(conn: Conn, lost: { fail: ((e: unknown) => void) | null }) {
    this.#conn = conn;
    this.#lost = lost;
  }

  /**
   * Connects; throws a `FetchError` (`auth_failed`, `unreachable`, `error`) on failure.
   *
   * @example
   * ```ts ignore
   * await using c = await MysqlConnector.open("mysql://root@127.0.0.1:3306");
   * console.log(await c.asOf());
   * ```
   */
  static async open(
    uri: string,
    options: { connectTimeoutS?: number } = {},
  ): Promise<MysqlConnector> {
    const conn = mysql.createConnection(
      mysqlOptions(parseDbUri(uri), {
        connectTimeoutMs: options.connectTimeoutS ? options.connectTimeoutS * 1000 : undefined,
      }),
    );
    // A server that goes away later must fail the current query, not crash the process.
    const lost: { fail: ((e: unknown) => void) | null } = { fail: null };
    conn.on("error", (e: unknown) => lost.fail?.(e));
    try {
      await new Promise<void>((resolve, reject) =>
        conn.connect((err: unknown) => err ? reject(err) : resolve())
      );
    } catch (e) {
      conn.destroy();
      throw new FetchError(errorStatus(e), errorText(e));
    }
    return new MysqlConnector(conn, lost);
  }

  #query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) =>
      this.#conn.query(sql, values, (err: unknown, rows: unknown) => {
        if (err) reject(new FetchError(errorStatus(err), errorText(err)));
        else resolve(rows as T[]);
      })
    );
  }

  async asOf(): Promise<{ asOf: string; source: string }> {
    const [row] = await this.#query<{ t: string }>(AS_OF_SQL);
    return { asOf: row.t, source: "server clock (UTC_TIMESTAMP())" };
  }

  async columns(namespace: string, table: string): Promise<SourceColumn[] | null> {
    const rows = await this.#query<{ name: string; type: string }>(columnsSql(), [
      namespace,
      table,
    ]);
    if (rows.length > 0) return rows.map((r) => ({ name: r.name, sourceType: r.type }));
    // information_schema hides tables the user may not read: probe to tell missing from forbidden.
    try {
      await this.#query(
        `SELECT 1 FROM ${sqlIdent(namespace, "mysql")}.${sqlIdent(table, "mysql")} LIMIT 0`,
      );
    } catch (e) {
      if (e instanceof FetchError && e.status === "missing") return null;
      throw e;
    }
    throw new FetchError(
      "permission_denied",
      `no column of "${namespace}.${table}" is visible to this user`,
    );
  }

  async read(
    plan: TablePlan,
    writer: ParquetWriter,
    onRows: (rows: number) => void,
  ): Promise<ReadTable> {
    const table = await writer.begin(plan.columns, { key: plan.orderBy });
    let failure: unknown = null;
    try {
      await new Promise<void>((resolve, reject) => {
        // A connection lost mid-stream fails the read at once (the row parser may not hear it).
        this.#lost.fail = (err) => reject(new FetchError(errorStatus(err), errorText(err)));
        const q = this.#conn.query({ sql: selectSql(plan, "mysql"), rowsAsArray: true });
        let paused = false;
        const added = () => {
          if (table.rows % PROGRESS_EVERY === 0) onRows(table.rows);
          // Parquet parts are written behind the stream; wait when they fall behind.
          if (table.backlog > 1 && !paused) {
            paused = true;
            this.#conn.pause();
            table.drain().catch((e) => failure ??= e).finally(() => {
              paused = false;
              onRows(table.rows); // waiting for DuckDB is not a silent server
              this.#conn.resume();
            });
          }
        };
        // Text columns arrive as raw packets; a table with binary columns arrives parsed.
        rawTextRows(q, (bytes, start, end) => {
          if (failure !== null) return;
          try {
            table.appendMysqlRow(bytes, start, end);
          } catch (e) {
            failure = e; // keep draining: the connection stays usable for the next table
          }
          added();
        });
        q.on("result", (row: unknown) => {
          if (failure !== null) return;
          try {
            table.append(row as unknown[]);
          } catch (e) {
            failure = e;
          }
          added();
        });
        q.on("error", (err: unknown) => reject(new FetchError(errorStatus(err), errorText(err))));
        q.on("end", () => resolve());
      });
      if (failure !== null) throw failure;
    } catch (e) {
      this.#lost.fail = null;
      await table.abort();
      throw e;
    }
    this.#lost.fail = null;
    onRows(table.rows);
    return table;
  }

  destroy(): void {
    this.#closed = true;
    this.#conn.destroy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A connection the server dropped may never call back: give it a moment, then destroy it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#conn.end(() => resolve())),
      new Promise<void>((resolve) => timer = setTimeout(resolve, 2000)),
    ]);
    clearTimeout(timer);
    this.#conn.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
