/**
 * Classifies driver errors (mysql2, postgres, DuckDB, the network) into the manifest's table
 * statuses, and keeps their messages to one masked line.
 *
 * | status | MySQL / MariaDB | PostgreSQL | network |
 * |---|---|---|---|
 * | `auth_failed` | 1045 access denied | 28P01, 28000 | |
 * | `permission_denied` | 1044, 1142, 1143 | 42501 | |
 * | `missing` | 1146 no such table | 42P01, 3F000 | |
 * | `unreachable` | | | ECONNREFUSED, ETIMEDOUT, ENOTFOUND, EHOSTUNREACH, lost connection |
 * | `error` | anything else (1049 unknown database, ...) | 3D000 unknown database, ... | |
 *
 * @module
 */
import type { TableStatus } from "./manifest.ts";

const MYSQL: Record<number, TableStatus> = {
  1045: "auth_failed",
  1044: "permission_denied",
  1142: "permission_denied",
  1143: "permission_denied",
  1146: "missing",
};
const POSTGRES: Record<string, TableStatus> = {
  "28P01": "auth_failed",
  "28000": "auth_failed",
  "42501": "permission_denied",
  "42P01": "missing",
  "3F000": "missing",
};
const NETWORK = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * The table status a driver error stands for.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { errorStatus } from "./errors.ts";
 * equal(errorStatus(Object.assign(new Error("denied"), { errno: 1045 })), "auth_failed");
 * equal(errorStatus(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), "unreachable");
 * equal(errorStatus(Object.assign(new Error("x"), { code: "42501" })), "permission_denied");
 * equal(errorStatus(new Error("boom")), "error");
 * ```
 */
export function errorStatus(e: unknown): TableStatus {
  const err = e as { errno?: unknown; code?: unknown; sqlState?: unknown };
  if (typeof err?.errno === "number" && MYSQL[err.errno]) return MYSQL[err.errno];
  if (typeof err?.code === "string") {
    if (NETWORK.has(err.code)) return "unreachable";
    if (POSTGRES[err.code]) return POSTGRES[err.code];
  }
  if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.TimedOut) {
    return "unreachable";
  }
  return "error";
}

/**
 * A driver error's message on one line, with a short reason code.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { errorText } from "./errors.ts";
 * const e = Object.assign(new Error("Access denied\nfor user"), { code: "ER_ACCESS_DENIED_ERROR" });
 * equal(errorText(e), "Access denied for user (ER_ACCESS_DENIED_ERROR)");
 * ```
 */
export function errorText(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown };
  const message = String(err?.message ?? e).replace(/\s*\n\s*/g, " ").trim();
  const code = typeof err?.code === "string" && !message.includes(err.code) ? err.code : "";
  const shown = message === "" ? "unknown error" : message;
  return code ? `${shown} (${code})` : shown;
}

/** An error carrying a table status: a connection that failed, a table that cannot be read. */
export class FetchError extends Error {
  readonly status: TableStatus;
  constructor(status: TableStatus, message: string) {
    super(message);
    this.name = "FetchError";
    this.status = status;
  }
}
