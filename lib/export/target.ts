/**
 * The `--target` URI of the export: `${ENV_VAR}` references resolved from the environment (so
 * the password need not be on the command line, where `ps` shows it), parsed with the config
 * module's {@linkcode parseDbUri}, and masked for every message.
 *
 * @module
 */
import { type DbUriParts, maskSecrets, maskUri, parseDbUri } from "../config.ts";

/** A resolved export target. */
export interface ExportTarget {
  /** The URI with secrets resolved: never print it, print {@linkcode ExportTarget.masked}. */
  uri: string;
  /** The URI with its password shown as `***`. */
  masked: string;
  parts: DbUriParts;
  /** Secret strings (the password, raw and decoded) to mask in driver messages. */
  secrets: string[];
}

/**
 * Resolves a target URI. Every `${NAME}` is replaced by the environment variable `NAME`; an
 * unset one is an error. MySQL and PostgreSQL targets must name a database.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { resolveTarget } from "./target.ts";
 * const t = resolveTarget("mysql://dash:${PW}@db:3306/usage", (n) => n === "PW" ? "s3cret" : undefined);
 * equal(t.parts.password, "s3cret");
 * equal(t.masked, "mysql://dash:***@db:3306/usage");
 * ```
 */
export function resolveTarget(
  raw: string,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): ExportTarget {
  const uri = raw.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(
        `Cannot resolve --target: "\${${name}}" is not a valid environment variable name`,
      );
    }
    const value = env(name);
    if (value === undefined) {
      throw new Error(`Cannot resolve --target: environment variable "${name}" is not set`);
    }
    return value;
  });
  const masked = maskUri(uri);
  const parts = parseDbUri(uri);
  if (parts.scheme !== "duckdb" && !parts.database) {
    throw new Error(
      `Cannot export to "${masked}": expected a database name in the URI path (${parts.scheme}://user@host:port/DATABASE)`,
    );
  }
  if (parts.scheme === "duckdb" && !parts.database) {
    throw new Error(`Cannot export to "${masked}": expected duckdb:<file>`);
  }
  const secrets: string[] = [];
  if (parts.password) secrets.push(parts.password, encodeURIComponent(parts.password));
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@/i.exec(uri);
  if (m?.[1]) secrets.push(m[1]);
  return { uri, masked, parts, secrets };
}

/**
 * A driver's message with the target's secrets masked, on one line.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { resolveTarget, targetMessage } from "./target.ts";
 * const t = resolveTarget("postgres://u:pw9@h/db");
 * equal(targetMessage(t, new Error("bad pw9\nmore")), "bad ***");
 * ```
 */
export function targetMessage(target: ExportTarget, e: unknown): string {
  const err = e as { message?: string; code?: string };
  const text = err?.message || err?.code || String(e);
  return maskSecrets(text.split("\n")[0], target.secrets);
}
