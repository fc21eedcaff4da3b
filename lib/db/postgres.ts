/**
 * Connection options for PostgreSQL (`npm:postgres`) from a parsed database URI. The session
 * runs in UTC with ISO dates; the project's own `schema` URI parameter is not sent to the server.
 *
 * @module
 */
import type { DbUriParts } from "../config.ts";

/** The subset of `postgres` options the project sets. */
export interface PostgresOptions {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  max: number;
  connect_timeout: number;
  idle_timeout: number;
  onnotice: () => void;
  connection: Record<string, string>;
  ssl?: "require" | "prefer" | "allow" | false;
}

/**
 * `postgres` options for a `postgres://` URI; `database` overrides the URI's path.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parseDbUri } from "../config.ts";
 * import { postgresOptions } from "./postgres.ts";
 * const o = postgresOptions(parseDbUri("postgres://r:pw@pg:5433/openstack?schema=nova"));
 * equal(o.database, "openstack");
 * equal(o.connection.TimeZone, "UTC");
 * ```
 */
export function postgresOptions(
  parts: DbUriParts,
  options: { database?: string; connectTimeoutS?: number } = {},
): PostgresOptions {
  if (parts.scheme !== "postgres") {
    throw new Error(
      `Cannot build PostgreSQL options for a "${parts.scheme}" URI: expected postgres://`,
    );
  }
  const sslmode = parts.params.sslmode;
  return {
    host: parts.host ?? "127.0.0.1",
    port: parts.port ?? 5432,
    ...(parts.user !== undefined ? { user: parts.user } : {}),
    ...(parts.password !== undefined ? { password: parts.password } : {}),
    database: options.database ?? parts.database ?? "postgres",
    max: 1,
    connect_timeout: options.connectTimeoutS ?? 10,
    idle_timeout: 0,
    onnotice: () => {},
    connection: { TimeZone: "UTC", DateStyle: "ISO, YMD", application_name: "ledger-fetch" },
    ...(sslmode === "require" || sslmode === "prefer" || sslmode === "allow"
      ? { ssl: sslmode }
      : {}),
  };
}
