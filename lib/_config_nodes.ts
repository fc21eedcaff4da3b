/**
 * Reading the YAML nodes of the sites file (`lib/config.ts`) with errors that start with
 * `file:line:` (the line of the node at fault) and say what was expected and what was found.
 *
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";
import { isMap, isScalar, isSeq, type LineCounter, type Node as YamlNode } from "yaml";
import { maskSecrets, maskUri, type SiteConfig } from "./config.ts";
import { memoryLimit } from "./db/duckdb.ts";

/** A configuration error; its message starts with `file:line:`. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The URI schemes a site may use. */
export const URI_SCHEMES = ["mysql:", "mariadb:", "postgres:", "postgresql:", "duckdb:"];

export interface Ctx {
  file: string;
  lines: LineCounter;
  env: (name: string) => string | undefined;
  /** Values resolved from `${ENV}` so far: masked in every message. */
  secrets?: string[];
}

export function lineOf(ctx: Ctx, node: YamlNode | null | undefined): number {
  const offset = node?.range?.[0] ?? 0;
  return ctx.lines.linePos(offset).line;
}

export function fail(ctx: Ctx, node: YamlNode | null | undefined, message: string): never {
  throw new ConfigError(
    maskSecrets(`${ctx.file}:${lineOf(ctx, node)}: ${message}`, ctx.secrets ?? []),
  );
}

export function entries(
  ctx: Ctx,
  node: YamlNode | null | undefined,
  what: string,
): [string, YamlNode | null, YamlNode][] {
  if (!isMap(node)) fail(ctx, node, `Cannot read ${what}: expected a mapping, found ${kind(node)}`);
  return node.items.map((pair) => {
    const k = pair.key as YamlNode;
    if (!isScalar(k) || typeof k.value !== "string") {
      fail(ctx, k, `Cannot read ${what}: expected string keys, found ${kind(k)}`);
    }
    return [k.value, (pair.value ?? null) as YamlNode | null, k];
  });
}

export function kind(node: YamlNode | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isScalar(node)) {
    const v = node.value;
    return v === null ? "null" : `${typeof v} ${JSON.stringify(v)}`;
  }
  return "a list";
}

export function checkKeys(
  ctx: Ctx,
  items: [string, YamlNode | null, YamlNode][],
  allowed: readonly string[],
  what: string,
) {
  for (const [k, , keyNode] of items) {
    if (!allowed.includes(k)) {
      fail(
        ctx,
        keyNode,
        `Cannot load ${what}: unknown key "${k}" (expected one of ${allowed.join(", ")})`,
      );
    }
  }
}

export function interpolate(
  ctx: Ctx,
  node: YamlNode,
  raw: string,
  what: string,
  unset?: string[],
): string {
  return raw.replace(/\$\{([^}]*)\}/g, (m, name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      fail(
        ctx,
        node,
        `Cannot load ${what}: "\${${name}}" is not a valid environment variable name`,
      );
    }
    const value = ctx.env(name);
    if (value === undefined) {
      const message = `Cannot load ${what}: environment variable "${name}" is not set`;
      if (!unset) fail(ctx, node, message);
      // A secret of a URI: demanded only by a command that connects (requireSecrets).
      unset.push(`${ctx.file}:${lineOf(ctx, node)}: ${message}`);
      return m;
    }
    (ctx.secrets ??= []).push(value);
    return value;
  });
}

export function str(ctx: Ctx, node: YamlNode | null, what: string, unset?: string[]): string {
  if (!isScalar(node) || typeof node.value !== "string" || node.value === "") {
    fail(ctx, node, `Cannot load ${what}: expected a non-empty string, found ${kind(node)}`);
  }
  return interpolate(ctx, node, node.value, what, unset);
}

export function checkUri(
  ctx: Ctx,
  node: YamlNode | null,
  uri: string,
  what: string,
  cwd: string,
): string {
  // A URI that is one unset variable is checked when a command connects.
  if (/^\$\{[^}]*\}/.test(uri)) return uri;
  if (uri.startsWith("duckdb:")) {
    const file = uri.slice("duckdb:".length).replace(/^\/\//, "");
    if (file !== "" && file !== ":memory:" && !isAbsolute(file)) {
      return `duckdb:${resolve(cwd, file)}`;
    }
    return uri;
  }
  if (!URI_SCHEMES.some((s) => uri.startsWith(s))) {
    fail(
      ctx,
      node,
      `Cannot load ${what}: expected a URI starting with ${URI_SCHEMES.join(", ")}, found "${
        maskUri(uri)
      }"`,
    );
  }
  return uri;
}

/** A directory: absolute as given (normalized), relative from `cwd`; `fallback` when unset. */
export function dir(value: string | undefined, fallback: string, cwd: string): string {
  return resolve(cwd, value ?? fallback); // absolute as given (normalized), relative from cwd
}

/** How `a` lies to `b`: "is", "is inside", "holds", or null when they are apart. */
export function nested(a: string, b: string): string | null {
  if (a === b) return "is the same directory as";
  const inside = (x: string, y: string) => {
    const r = relative(y, x);
    return r !== "" && !r.startsWith("..") && !isAbsolute(r);
  };
  if (inside(a, b)) return "is inside";
  if (inside(b, a)) return "holds";
  return null;
}

/**
 * The fetch's site keys: `as_of` (a date or `YYYY-MM-DDTHH:MM:SS`), timeouts in seconds; and the
 * stages' `memory_limit` (DuckDB's, e.g. `1GiB`).
 */
export function fetchKeys(
  ctx: Ctx,
  get: (k: string) => [string, YamlNode | null, YamlNode] | undefined,
  what: string,
): Pick<SiteConfig, "asOf" | "connectTimeoutS" | "statementTimeoutS" | "memoryLimit"> {
  const out: Record<string, string | number> = {};
  const asOf = get("as_of");
  if (asOf) {
    const v = String(isScalar(asOf[1]) ? asOf[1].value : "");
    const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2}))?$/.exec(v);
    if (!m || Number.isNaN(Date.parse(`${m[1]}T${m[2] ?? "00:00:00"}Z`))) {
      fail(
        ctx,
        asOf[1],
        `Cannot load ${what} key "as_of": expected YYYY-MM-DD[THH:MM:SS], found "${v}"`,
      );
    }
    out.asOf = `${m[1]}T${m[2] ?? "00:00:00"}`;
  }
  const timeouts = { connect_timeout: "connectTimeoutS", statement_timeout: "statementTimeoutS" };
  for (const [k, field] of Object.entries(timeouts)) {
    const it = get(k);
    const v = it && isScalar(it[1]) ? Number(it[1].value) : NaN;
    if (it && !(v > 0)) fail(ctx, it[1], `Cannot load ${what} key "${k}": expected seconds > 0`);
    if (it) out[field] = v;
  }
  const limit = get("memory_limit");
  if (limit) {
    const v = String(isScalar(limit[1]) ? limit[1].value : "");
    try {
      out.memoryLimit = memoryLimit(v, `${what} key "memory_limit"`);
    } catch (e) {
      fail(ctx, limit[1], (e as Error).message);
    }
  }
  return out;
}

/**
 * The site key `ops_projects`: a list of project ids whose reservations are operator holds
 * (docs/design.md §6, `0016`); absent: none.
 */
export function opsProjectsKey(
  ctx: Ctx,
  get: (k: string) => [string, YamlNode | null, YamlNode] | undefined,
  what: string,
): Pick<SiteConfig, "opsProjects"> {
  const it = get("ops_projects");
  if (!it || it[1] === null) return {};
  const w = `${what} key "ops_projects"`;
  if (!isSeq(it[1])) {
    fail(ctx, it[1], `Cannot load ${w}: expected a list of project ids, found ${kind(it[1])}`);
  }
  const ids = it[1].items.map((n) => {
    const v = isScalar(n) ? String(n.value ?? "").trim() : "";
    if (v === "") {
      fail(
        ctx,
        n as YamlNode,
        `Cannot load ${w}: expected a non-empty project id, found ${kind(n as YamlNode)}`,
      );
    }
    return v;
  });
  return ids.length ? { opsProjects: [...new Set(ids)].sort() } : {};
}

/**
 * The site key `cpu_allocation_ratio` (docs/design.md §11): a number > 0, or undefined when
 * absent.
 */
export function cpuRatioKey(
  ctx: Ctx,
  get: (k: string) => [string, YamlNode | null, YamlNode] | undefined,
  what: string,
): number | undefined {
  const it = get("cpu_allocation_ratio");
  if (!it) return undefined;
  const v = isScalar(it[1]) ? Number(it[1].value) : NaN;
  if (!(v > 0) || !Number.isFinite(v)) {
    fail(
      ctx,
      it[1],
      `Cannot load ${what} key "cpu_allocation_ratio": expected a number > 0, found "${
        String(isScalar(it[1]) ? it[1].value : "")
      }"`,
    );
  }
  return v;
}

/** The keys a site entry of sites.yaml may have (docs/design.md §3). */
export const SITE_KEYS = [
  "site_name",
  "db_uri",
  "db_uris",
  "input_dir",
  "output_dir",
  "blazar_coverage_start",
  "cpu_allocation_ratio",
  "legacy",
  "as_of",
  "connect_timeout",
  "statement_timeout",
  "ops_projects",
  "memory_limit",
] as const;
