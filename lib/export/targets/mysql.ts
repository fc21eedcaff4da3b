/**
 * The MySQL/MariaDB writer of the export (`npm:mysql2`): creates the tables if missing, then in
 * one transaction deletes the site's rows of the window and inserts the new ones in multi-row
 * batches whose values are escaped by the driver (never spliced by hand).
 *
 * @module
 */
import mysql from "mysql2/promise";
import type { DbUriParts } from "../../config.ts";
import { mysqlOptions } from "../../db/mysql.ts";
import { createTablesSql, deleteWindowSql, insertHeadSql } from "../schema.ts";
import { dailyRow, type SiteRows, wideRow, type WriteHooks, type WriteResult } from "./types.ts";

/** Rows per INSERT statement (about 1 MB of SQL, far below `max_allowed_packet`). */
export const MYSQL_BATCH_ROWS = 10_000;

/**
 * Replaces one site's rows of the window in a MySQL/MariaDB database (the URI's database).
 *
 * @example
 * ```ts ignore
 * await writeMysql(parseDbUri("mysql://root@127.0.0.1:3306/dash"), rows);
 * ```
 */
export async function writeMysql(
  parts: DbUriParts,
  rows: SiteRows,
  hooks: WriteHooks = {},
): Promise<WriteResult> {
  const conn = await mysql.createConnection(mysqlOptions(parts));
  conn.on("error", () => {});
  try {
    for (const ddl of createTablesSql("mysql")) await conn.query(ddl);
    await conn.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    await conn.beginTransaction();
    try {
      const window = [rows.site, rows.window.start, rows.window.end];
      const [delDaily, delWide] = deleteWindowSql("mysql");
      const [d] = await conn.query(delDaily, window) as unknown as [{ affectedRows: number }];
      const [w] = await conn.query(delWide, window) as unknown as [{ affectedRows: number }];
      await hooks.afterDelete?.();
      const nDaily = rows.daily.day.length;
      const nWide = rows.wide.day.length;
      await insertBatches(
        conn,
        insertHeadSql("mysql", "usage_daily"),
        nDaily,
        (i) => dailyRow(rows, i),
      );
      await insertBatches(
        conn,
        insertHeadSql("mysql", "usage_wide"),
        nWide,
        (i) => wideRow(rows, i),
      );
      await conn.commit();
      return {
        deleted: { daily: d.affectedRows, wide: w.affectedRows },
        inserted: { daily: nDaily, wide: nWide },
      };
    } catch (e) {
      await conn.rollback().catch(() => {});
      throw e;
    }
  } finally {
    await conn.end().catch(() => {});
  }
}

async function insertBatches(
  conn: mysql.Connection,
  head: string,
  n: number,
  row: (i: number) => unknown[],
): Promise<void> {
  for (let from = 0; from < n; from += MYSQL_BATCH_ROWS) {
    const batch: unknown[][] = [];
    for (let i = from; i < Math.min(n, from + MYSQL_BATCH_ROWS); i++) batch.push(row(i));
    // `VALUES ?` with an array of arrays: mysql2 escapes every value as a literal.
    await conn.query(`${head} VALUES ?`, [batch]);
  }
}
