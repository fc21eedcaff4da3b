/**
 * Least-privilege grants for the fetch stage: `SELECT` on exactly the registry's tables, column by
 * column where the dialect allows it (every column for `selectAll` tables, whose columns are not
 * known in advance), plus what the catalog lookups need.
 *
 * - MySQL/MariaDB: `information_schema.COLUMNS` shows a user exactly the columns it may read, and
 *   `UTC_TIMESTAMP()` needs no privilege, so nothing else is granted. A column-level grant on a
 *   column or table the deployment lacks fails with "Unknown column" / "doesn't exist": optional
 *   columns get a statement of their own; run the script with `mariadb --force`.
 * - PostgreSQL: `CONNECT` on the database and `USAGE` on each schema; `pg_catalog` is readable by
 *   every role.
 *
 * Identifiers come only from the registry and the site configuration and are quoted.
 *
 * @module
 */
import { parseDbUri, type SiteConfig } from "../config.ts";
import { qualifiedName, REGISTRY } from "../registry.ts";
import { sqlIdent } from "../sql.ts";
import { resolveSources } from "./resolve.ts";

/** Options of {@linkcode grantSql}. */
export interface GrantOptions {
  /** `mysql` or `postgres`. @default {the site's URIs' dialect, else "mysql"} */
  dialect?: "mysql" | "postgres";
  /** Account to grant to. @default {the user of the site's URIs, else "usage_reader"} */
  user?: string;
  /** MySQL host part of the account. @default {"%"} */
  host?: string;
  /** A site: its URIs give database and schema names (else the logical schema names). */
  site?: Pick<SiteConfig, "dbUris" | "key">;
}

function checkName(what: string, value: string): string {
  if (!/^[A-Za-z0-9_.%-]+$/.test(value)) {
    throw new Error(
      `Cannot write grants for ${what} "${value}": expected letters, digits, "_", ".", "-" or "%"`,
    );
  }
  return value;
}

/**
 * The grant script, one statement per line, with comments.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { grantSql } from "./grants.ts";
 * const sql = grantSql({ dialect: "mysql", user: "reader" });
 * match(sql, /GRANT SELECT \(`id`, `uuid`, `created_at`, .*\) ON `nova`\.`instances` TO 'reader'@'%';/);
 * match(sql, /GRANT SELECT \(`compute_id`\) ON `nova`\.`instances` TO 'reader'@'%';/);
 * match(sql, /GRANT SELECT ON `chameleon_usage`\.`node_usage` TO 'reader'@'%';/);
 * ```
 */
export function grantSql(options: GrantOptions = {}): string {
  const resolution = options.site ? resolveSources(options.site) : null;
  const firstUri = options.site
    ? Object.values(options.site.dbUris).find((u) => u && !u.startsWith("duckdb:"))
    : undefined;
  const parts = firstUri ? parseDbUri(firstUri) : undefined;
  const dialect = options.dialect ??
    (parts?.scheme === "postgres" ? "postgres" : "mysql");
  const user = checkName("user", options.user ?? parts?.user ?? "usage_reader");
  const host = checkName("host", options.host ?? "%");
  const q = (n: string) => sqlIdent(n, dialect);
  const grantee = dialect === "mysql" ? `'${user}'@'${host}'` : q(user);
  const out: string[] = [
    `-- Least-privilege grants for the usage ledger's fetch stage (${dialect})${
      options.site ? `, site "${options.site.key}"` : ""
    }.`,
    `-- Generated from the source-table registry: SELECT on exactly the tables and columns it reads.`,
  ];
  if (dialect === "mysql") {
    out.push(
      `-- Create the account first, e.g.: CREATE USER ${grantee} IDENTIFIED BY '<password>';`,
      `-- information_schema needs no grant (it shows a user the columns it may read).`,
      `-- Optional tables and columns that a deployment lacks make their statement fail with`,
      `-- "Unknown column" or "doesn't exist": run with \`mariadb --force\` and ignore those.`,
    );
  } else {
    out.push(
      `-- Create the role first, e.g.: CREATE ROLE ${grantee} LOGIN PASSWORD '<password>';`,
      `-- pg_catalog is readable by every role; CONNECT and USAGE let the role reach the tables.`,
      `-- Statements on optional tables or columns a deployment lacks fail: run with`,
      `-- \`psql -v ON_ERROR_STOP=0\` (the default) and ignore those.`,
    );
    const databases = new Set<string>();
    const schemas = new Set<string>();
    for (const spec of REGISTRY) {
      const src = resolution?.get(qualifiedName(spec));
      if (resolution && !src) continue;
      schemas.add(src?.namespace ?? spec.schema);
      const db = src ? parseDbUri(src.uri).database : undefined;
      if (db) databases.add(db);
    }
    for (const db of databases) out.push(`GRANT CONNECT ON DATABASE ${q(db)} TO ${grantee};`);
    for (const s of schemas) out.push(`GRANT USAGE ON SCHEMA ${q(s)} TO ${grantee};`);
  }
  for (const spec of REGISTRY) {
    const name = qualifiedName(spec);
    const src = resolution?.get(name);
    if (resolution && !src) {
      out.push(`-- ${name}: schema "${spec.schema}" has no URI at this site`);
      continue;
    }
    const table = `${q(src?.namespace ?? spec.schema)}.${q(spec.table)}`;
    out.push(`-- ${name}${spec.optional ? " (optional table)" : ""}: ${spec.doc}`);
    if (spec.selectAll) {
      out.push(`GRANT SELECT ON ${table} TO ${grantee};`);
      continue;
    }
    const required = spec.columns.filter((c) => !c.optional).map((c) => q(c.name));
    out.push(`GRANT SELECT (${required.join(", ")}) ON ${table} TO ${grantee};`);
    for (const c of spec.columns.filter((c) => c.optional)) {
      out.push(`GRANT SELECT (${q(c.name)}) ON ${table} TO ${grantee}; -- optional column`);
    }
  }
  return out.join("\n") + "\n";
}
