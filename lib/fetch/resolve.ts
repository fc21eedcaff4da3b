/**
 * Schema resolution: where each registry table of a site lives.
 *
 * | site config | MySQL / MariaDB | PostgreSQL | DuckDB file |
 * |---|---|---|---|
 * | one `db_uri` (every schema has the same URI) | database named like the logical schema (`nova`, ...); the URI's path is only the connection's default database | schema of that name inside the URI's database | schema of that name in the file |
 * | `db_uris.<schema>` | the database the URI's path names (the logical name when the path is empty) | schema of the logical name inside the URI's database, or `?schema=` | schema of the logical name in the file |
 * | schema without a URI | its tables are `missing` | | |
 *
 * @module
 */
import { parseDbUri, type SiteConfig } from "../config.ts";
import { qualifiedName, REGISTRY, type SchemaName, SCHEMAS, type TableSpec } from "../registry.ts";

/** Where one table is read from. */
export interface TableSource {
  spec: TableSpec;
  /** The URI (secrets included: never log it, see `maskUri`). */
  uri: string;
  dialect: "mysql" | "postgres" | "duckdb";
  /** MySQL database, PostgreSQL schema or DuckDB schema holding the table. */
  namespace: string;
}

/** The resolution of every registry table: its source, or null when its schema has no URI. */
export type Resolution = Map<string, TableSource | null>;

/**
 * Resolves every registry table of a site to a URI and a namespace (database or schema).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { resolveSources } from "./resolve.ts";
 * const one = "mysql://r:pw@db:3306";
 * const r = resolveSources({
 *   dbUris: { nova: one, nova_api: one, blazar: one, chameleon_usage: one },
 * });
 * equal(r.get("blazar.leases")?.namespace, "blazar");
 * const many = resolveSources({
 *   dbUris: { nova: "mysql://r@db/site1_nova", blazar: "postgres://r@pg/os?schema=bz" },
 * });
 * equal(many.get("nova.instances")?.namespace, "site1_nova");
 * equal(many.get("blazar.leases")?.namespace, "bz");
 * equal(many.get("nova_api.request_specs"), null);
 * ```
 */
export function resolveSources(site: Pick<SiteConfig, "dbUris">): Resolution {
  const uris = SCHEMAS.map((s) => site.dbUris[s]);
  const single = uris.every((u) => u !== undefined && u === uris[0]);
  const out: Resolution = new Map();
  for (const spec of REGISTRY) {
    const uri = site.dbUris[spec.schema];
    if (uri === undefined) {
      out.set(qualifiedName(spec), null);
      continue;
    }
    const parts = parseDbUri(uri);
    out.set(qualifiedName(spec), {
      spec,
      uri,
      dialect: parts.scheme,
      namespace: namespaceOf(spec.schema, parts, single),
    });
  }
  return out;
}

function namespaceOf(
  schema: SchemaName,
  parts: ReturnType<typeof parseDbUri>,
  single: boolean,
): string {
  if (parts.params.schema) return parts.params.schema;
  if (parts.scheme === "mysql" && !single && parts.database) return parts.database;
  return schema;
}

/**
 * The distinct URIs of a resolution, in registry order: one connection each.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { resolveSources, sourceUris } from "./resolve.ts";
 * const u = "duckdb:var/demo/source.duckdb";
 * deepEqual(sourceUris(resolveSources({ dbUris: { nova: u, blazar: u } })), [u]);
 * ```
 */
export function sourceUris(resolution: Resolution): string[] {
  const out: string[] = [];
  for (const s of resolution.values()) if (s && !out.includes(s.uri)) out.push(s.uri);
  return out;
}
