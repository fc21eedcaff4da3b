/**
 * Connection options for MariaDB/MySQL (`npm:mysql2`) from a parsed database URI, set so that
 * values arrive exactly: dates as text (no zone shift under any `TZ`), BIGINT and DECIMAL as
 * text when a JS number would round, utf8mb4 on the wire.
 *
 * @module
 */
import type { DbUriParts } from "../config.ts";

/** The subset of `mysql2` connection options the project sets. */
export interface MysqlOptions {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  charset: string;
  dateStrings: true;
  timezone: "Z";
  supportBigNumbers: true;
  bigNumberStrings: true;
  decimalNumbers: false;
  connectTimeout: number;
  multipleStatements: false;
}

/**
 * `mysql2` options for a `mysql://` URI. `database` overrides the URI's path (`null` connects
 * without a default database).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parseDbUri } from "../config.ts";
 * import { mysqlOptions } from "./mysql.ts";
 * const o = mysqlOptions(parseDbUri("mysql://reader:pw@db:3307/nova"));
 * equal(o.port, 3307);
 * equal(o.dateStrings, true);
 * ```
 */
export function mysqlOptions(
  parts: DbUriParts,
  options: { database?: string | null; connectTimeoutMs?: number } = {},
): MysqlOptions {
  if (parts.scheme !== "mysql") {
    throw new Error(`Cannot build MySQL options for a "${parts.scheme}" URI: expected mysql://`);
  }
  const database = options.database === null
    ? undefined
    : (options.database ?? parts.database ?? undefined);
  return {
    host: parts.host ?? "127.0.0.1",
    port: parts.port ?? 3306,
    ...(parts.user !== undefined ? { user: parts.user } : {}),
    ...(parts.password !== undefined ? { password: parts.password } : {}),
    ...(database ? { database } : {}),
    charset: "UTF8MB4_UNICODE_CI",
    dateStrings: true,
    timezone: "Z",
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    multipleStatements: false,
  };
}
