/**
 * Site configuration: loading and validating `etc/sites.yaml` (docs/design.md §3).
 *
 * Every error names the file, the line and the key, and says what was expected and what was
 * found. Secrets come only from `${ENV_VAR}` references; {@linkcode maskUri} hides them again
 * wherever a URI is shown.
 *
 * YAML is parsed with `npm:yaml` because JSR (and so `jsr:@std/yaml`) is not reachable from the
 * machines this project runs on.
 *
 * @module
 */
import { isMap, isScalar, LineCounter, type Node as YamlNode, parseDocument } from "yaml";
import {
  checkKeys,
  checkUri,
  ConfigError,
  cpuRatioKey,
  type Ctx,
  dir,
  entries,
  fail,
  fetchKeys,
  lineOf,
  nested,
  opsProjectsKey,
  SITE_KEYS,
  str,
  URI_SCHEMES,
} from "./_config_nodes.ts";
import { isAbsolute, resolve } from "node:path";
import { type SchemaName, SCHEMAS } from "./registry.ts";
import { workingDir } from "./params.ts";

export { ConfigError };

/** How the legacy `node_maintenance` table is read (its schema is not public, docs/design.md §4). */
export type MaintenanceMapping =
  | { layout: "daily"; host: string; date: string; hours?: string }
  | { layout: "windows"; host: string; start: string; end: string };

/** One validated site. */
export interface SiteConfig {
  /** Key of the site in the file (`demo`, `tacc`, ...). */
  readonly key: string;
  /** Display name (`CHI@TACC`). */
  readonly siteName: string;
  /**
   * Database URI per logical schema, secrets resolved when their variables are set (else still
   * `${VAR}`: see {@linkcode requireSecrets}); a schema without a URI is absent at the site and
   * its tables are reported missing; a relative `duckdb:` file is made absolute from the working
   * directory. Never log these: see {@linkcode maskUri}.
   */
  readonly dbUris: Readonly<Partial<Record<SchemaName, string>>>;
  /**
   * `${VAR}` references of `dbUris` whose variable was not set at load time, as
   * `file:line: message`; only a command that connects demands them ({@linkcode requireSecrets}).
   */
  readonly unsetSecrets?: readonly string[];
  /** Absolute directory of the parquet snapshots. */
  readonly inputDir: string;
  /** Absolute directory of the outputs. */
  readonly outputDir: string;
  /** Date before which pool membership is unknown, as `YYYY-MM-DD`, or undefined. */
  readonly blazarCoverageStart?: string;
  /** Column mapping of `chameleon_usage.node_maintenance`. */
  readonly maintenance: MaintenanceMapping;
  /** Projects whose reservations are operator holds (`ops_projects`, docs/design.md §6). */
  readonly opsProjects?: readonly string[];
  /** CPU overcommit of KVM hosts whose own ratio is NULL or 0 (§11); undefined: 16.0. */
  readonly cpuAllocationRatio?: number;
  /** Fetch keys: `as_of` (`YYYY-MM-DDTHH:MM:SS`, docs/design.md §5), `connect_timeout`, `statement_timeout` (s). */
  readonly asOf?: string;
  readonly connectTimeoutS?: number;
  readonly statementTimeoutS?: number;
  /** DuckDB's memory limit in the stages (`1GiB`; spills beyond it, `lib/db/duckdb.ts`). */
  readonly memoryLimit?: string;
  readonly envSecrets?: readonly string[]; // values of `${ENV}` references: always masked
}

/** The whole validated file. */
export interface SitesConfig {
  /** Absolute path of the file that was loaded. */
  readonly path: string;
  /** Sites by key, in file order. */
  readonly sites: ReadonlyMap<string, SiteConfig>;
  /** Line of the `sites:` key (or 1 in the predecessor's shape), for errors about the list. */
  readonly sitesLine?: number;
  /** One-line notes for the user (the predecessor's shape was read, ...). */
  readonly notes?: readonly string[];
}

/** The mapping the demo site's generator writes, used when a site sets none. */
export const DEFAULT_MAINTENANCE: MaintenanceMapping = {
  layout: "daily",
  host: "node_name",
  date: "date",
  hours: "hours",
};

/** Keys of the predecessor tool's site entries: `data_dir` is our `input_dir`; `adapters` is ignored. */
const PREDECESSOR_KEYS = ["data_dir", "adapters"] as const;
const LEGACY_KEYS = ["node_maintenance"] as const;
const DAILY_KEYS = ["layout", "host", "date", "hours"] as const;
const WINDOW_KEYS = ["layout", "host", "start", "end"] as const;
function parseMaintenance(ctx: Ctx, node: YamlNode | null, what: string): MaintenanceMapping {
  const items = entries(ctx, node, what);
  const layoutItem = items.find(([k]) => k === "layout");
  if (!layoutItem) fail(ctx, node, `Cannot load ${what}: missing key "layout" (daily or windows)`);
  const layout = str(ctx, layoutItem[1], `${what} key "layout"`);
  const get = (k: string) => {
    const it = items.find(([key]) => key === k);
    return it ? str(ctx, it[1], `${what} key "${k}"`) : undefined;
  };
  const need = (k: string) => {
    const v = get(k);
    if (v === undefined) fail(ctx, node, `Cannot load ${what}: missing key "${k}"`);
    return v;
  };
  if (layout === "daily") {
    checkKeys(ctx, items, DAILY_KEYS, what);
    const hours = get("hours");
    return { layout, host: need("host"), date: need("date"), ...(hours ? { hours } : {}) };
  }
  if (layout === "windows") {
    checkKeys(ctx, items, WINDOW_KEYS, what);
    return { layout, host: need("host"), start: need("start"), end: need("end") };
  }
  return fail(
    ctx,
    layoutItem[1],
    `Cannot load ${what} key "layout": expected "daily" or "windows", found "${layout}"`,
  );
}

function parseSite(
  ctx: Ctx,
  key: string,
  node: YamlNode | null,
  cwd: string,
  predecessor: boolean,
): SiteConfig {
  const what = `site "${key}"`;
  const items = entries(ctx, node, what);
  checkKeys(ctx, items, predecessor ? [...SITE_KEYS, ...PREDECESSOR_KEYS] : SITE_KEYS, what);
  const secretsBefore = ctx.secrets?.length ?? 0;
  const get = (k: string) => items.find(([key]) => key === k);

  const nameItem = get("site_name");
  if (!nameItem) fail(ctx, node, `Cannot load ${what}: missing key "site_name"`);
  const siteName = str(ctx, nameItem[1], `${what} key "site_name"`);

  const one = get("db_uri");
  const many = get("db_uris");
  if (one && many) {
    fail(ctx, many[2], `Cannot load ${what}: expected "db_uri" or "db_uris", found both`);
  }
  if (!one && !many) fail(ctx, node, `Cannot load ${what}: missing key "db_uri" (or "db_uris")`);
  const dbUris: Partial<Record<SchemaName, string>> = {};
  const unset: string[] = [];
  if (one) {
    const w = `${what} key "db_uri"`;
    const uri = checkUri(ctx, one[1], str(ctx, one[1], w, unset), w, cwd);
    for (const s of SCHEMAS) dbUris[s] = uri;
  } else if (many) {
    const w = `${what} key "db_uris"`;
    const uriItems = entries(ctx, many[1], w);
    checkKeys(ctx, uriItems, SCHEMAS, w);
    for (const [schema, valueNode] of uriItems) {
      const ww = `${what} key "db_uris.${schema}"`;
      dbUris[schema as SchemaName] = checkUri(
        ctx,
        valueNode,
        str(ctx, valueNode, ww, unset),
        ww,
        cwd,
      );
    }
    if (Object.keys(dbUris).length === 0) {
      fail(ctx, many[1], `Cannot load ${w}: expected at least one schema of ${SCHEMAS.join(", ")}`);
    }
  }

  const optStr = (k: string) => {
    const it = get(k);
    return it ? str(ctx, it[1], `${what} key "${k}"`) : undefined;
  };
  const coverage = get("blazar_coverage_start");
  let blazarCoverageStart: string | undefined;
  if (coverage) {
    const v = str(ctx, coverage[1], `${what} key "blazar_coverage_start"`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
      fail(
        ctx,
        coverage[1],
        `Cannot load ${what} key "blazar_coverage_start": expected a date YYYY-MM-DD, found "${v}"`,
      );
    }
    blazarCoverageStart = v;
  }
  let maintenance = DEFAULT_MAINTENANCE;
  const legacy = get("legacy");
  if (legacy) {
    const lw = `${what} key "legacy"`;
    const legacyItems = entries(ctx, legacy[1], lw);
    checkKeys(ctx, legacyItems, LEGACY_KEYS, lw);
    const m = legacyItems.find(([k]) => k === "node_maintenance");
    if (m) maintenance = parseMaintenance(ctx, m[1], `${what} key "legacy.node_maintenance"`);
  }
  const dataDir = get("data_dir");
  const inputItem = get("input_dir");
  if (dataDir && inputItem) {
    fail(ctx, dataDir[2], `Cannot load ${what}: expected "input_dir" or "data_dir", found both`);
  }
  const inputDir = dir(optStr(dataDir ? "data_dir" : "input_dir"), `input/${key}`, cwd);
  const outputDir = dir(optStr("output_dir"), `output/${key}`, cwd);
  const overlap = nested(inputDir, outputDir);
  if (overlap) {
    fail(
      ctx,
      (get("output_dir") ?? dataDir ?? inputItem ?? [null, node])[1],
      `Cannot load ${what}: input_dir "${inputDir}" ${overlap} output_dir "${outputDir}" (a fetch and a pipeline would write into each other's files; give them separate directories)`,
    );
  }
  return {
    key,
    siteName,
    dbUris,
    ...(unset.length ? { unsetSecrets: unset } : {}),
    inputDir,
    outputDir,
    ...(blazarCoverageStart ? { blazarCoverageStart } : {}),
    ...(get("cpu_allocation_ratio") ? { cpuAllocationRatio: cpuRatioKey(ctx, get, what) } : {}),
    maintenance,
    ...opsProjectsKey(ctx, get, what),
    ...fetchKeys(ctx, get, what),
    envSecrets: (ctx.secrets ?? []).slice(secretsBefore),
  };
}

/**
 * Parses and validates the text of a sites file. A file in the predecessor tool's shape (site
 * keys at the top level, `data_dir` for the snapshot directory, `adapters` lists) loads too, with
 * a note in `notes`.
 *
 * @param text The YAML text.
 * @param options `file` names the file in messages; `env` resolves `${VAR}` (default
 * `Deno.env.get`); `cwd` anchors relative directories and `duckdb:` files (default the working
 * directory, `lib/params.ts`).
 * @returns The validated sites.
 *
 * @example
 * ```ts
 * import { equal, match } from "node:assert/strict";
 * import { parseSitesConfig } from "./config.ts";
 * const cfg = parseSitesConfig(
 *   "sites:\n  demo:\n    site_name: Demo\n    db_uri: duckdb:var/demo.duckdb\n",
 *   { cwd: "/srv" },
 * );
 * equal(cfg.sites.get("demo")?.outputDir, "/srv/output/demo");
 * equal(cfg.sites.get("demo")?.dbUris.nova, "duckdb:/srv/var/demo.duckdb");
 * const old = parseSitesConfig("tacc:\n  site_name: T\n  db_uri: duckdb:x\n  data_dir: /d\n", { cwd: "/srv" });
 * equal(old.sites.get("tacc")?.inputDir, "/d");
 * match(old.notes![0], /predecessor/);
 * ```
 */
export function parseSitesConfig(
  text: string,
  options: { file?: string; env?: (name: string) => string | undefined; cwd?: string } = {},
): SitesConfig {
  const file = options.file ?? "sites.yaml";
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx: Ctx = { file, lines, env: options.env ?? ((n) => Deno.env.get(n)) };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw new ConfigError(`${file}:${line}: Cannot parse YAML: ${e.message.split("\n")[0]}`);
  }
  const root = doc.contents as YamlNode | null;
  const top = entries(ctx, root, "the file");
  const sitesItem = top.find(([k]) => k === "sites");
  // The predecessor's shape: no `sites:` key, every top-level value a site mapping.
  const predecessor = !sitesItem && top.length > 0 &&
    top.every(([, v]) =>
      isMap(v) && v.items.some((p) => isScalar(p.key) && p.key.value === "site_name")
    );
  if (!predecessor) checkKeys(ctx, top, ["sites"], "the file");
  if (!sitesItem && !predecessor) fail(ctx, root, `Cannot load the file: missing key "sites"`);
  const cwd = options.cwd ?? workingDir();
  const sites = new Map<string, SiteConfig>();
  const siteEntries = predecessor ? top : entries(ctx, sitesItem![1], `key "sites"`);
  for (const [key, node, keyNode] of siteEntries) {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(key)) {
      fail(ctx, keyNode, `Cannot load site "${key}": expected a key of a-z, 0-9, "_" and "-"`);
    }
    sites.set(key, parseSite(ctx, key, node, cwd, predecessor));
  }
  for (const a of sites.values()) {
    for (const b of sites.values()) {
      const overlap = a === b ? null : nested(a.inputDir, b.outputDir);
      if (overlap) {
        const line = lineOf(ctx, siteEntries.find(([k]) => k === a.key)?.[2]);
        throw new ConfigError(
          `${file}:${line}: Cannot load site "${a.key}": input_dir "${a.inputDir}" ${overlap} output_dir "${b.outputDir}" of site "${b.key}"`,
        );
      }
    }
  }
  const notes = predecessor
    ? [
      `${file}: read in the predecessor tool's shape (sites at the top level, data_dir); move the sites under "sites:" and rename data_dir to input_dir (docs/design.md §3)`,
    ]
    : [];
  return {
    path: file,
    sites,
    sitesLine: predecessor ? 1 : lineOf(ctx, sitesItem![2]),
    ...(notes.length ? { notes } : {}),
  };
}

/**
 * Reads and validates a sites file from disk. A relative `path` is read from `cwd` (default the
 * working directory, `lib/params.ts`), like the relative directories inside the file.
 *
 * @example
 * ```ts ignore
 * const cfg = await loadSitesConfig("etc/sites.yaml");
 * ```
 */
export async function loadSitesConfig(
  path: string,
  options: { env?: (name: string) => string | undefined; cwd?: string } = {},
): Promise<SitesConfig> {
  const cwd = options.cwd ?? workingDir();
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  let text: string;
  try {
    text = await Deno.readTextFile(abs);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw new ConfigError(`${path}: Cannot read the sites file "${abs}": ${why}`);
  }
  return parseSitesConfig(text, { ...options, cwd, file: path });
}

/**
 * The site with every `${VAR}` of its URIs resolved, for a command that connects to its
 * databases (fetch, load-demo): fails naming file, line, key and variable when one is still not
 * set. Other commands (pipeline, report, notebooks) never call it, so they never demand a
 * password.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseSitesConfig, requireSecrets } from "./config.ts";
 * const text = "sites:\n  a:\n    site_name: A\n    db_uri: mysql://u:${A_PW}@h/x\n";
 * const site = parseSitesConfig(text, { file: "s.yaml", env: () => undefined }).sites.get("a")!;
 * throws(() => requireSecrets(site, () => undefined),
 *   /s\.yaml:4: Cannot load site "a" key "db_uri": environment variable "A_PW" is not set/);
 * equal(requireSecrets(site, () => "pw").dbUris.nova, "mysql://u:pw@h/x");
 * ```
 */
export function requireSecrets(
  site: SiteConfig,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): SiteConfig {
  if (!site.unsetSecrets?.length) return site;
  const dbUris: Partial<Record<SchemaName, string>> = {};
  for (const [schema, uri] of Object.entries(site.dbUris)) {
    dbUris[schema as SchemaName] = uri!.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name) => {
      const value = env(name);
      if (value === undefined) {
        throw new ConfigError(
          site.unsetSecrets!.find((m) => m.includes(`"${name}"`)) ?? site.unsetSecrets![0],
        );
      }
      return value;
    });
    if (!URI_SCHEMES.some((s) => dbUris[schema as SchemaName]!.startsWith(s))) {
      throw new ConfigError(
        `Cannot connect to site "${site.key}": the URI of schema "${schema}" is "${
          maskUri(dbUris[schema as SchemaName]!)
        }", expected one starting with ${URI_SCHEMES.join(", ")}`,
      );
    }
  }
  const { unsetSecrets: _, ...rest } = site;
  return { ...rest, dbUris };
}

/**
 * Picks one site of a loaded file; an unknown key lists the known ones.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { parseSitesConfig, selectSite } from "./config.ts";
 * const cfg = parseSitesConfig("sites:\n  demo:\n    site_name: D\n    db_uri: duckdb:x\n");
 * throws(() => selectSite(cfg, "tacc"), /unknown site "tacc"/);
 * ```
 */
export function selectSite(config: SitesConfig, key: string): SiteConfig {
  const site = config.sites.get(key);
  if (!site) {
    throw new ConfigError(
      `${config.path}:${
        config.sitesLine ?? 1
      }: Cannot select site: unknown site "${key}" (expected one of ${
        [...config.sites.keys()].join(", ")
      })`,
    );
  }
  return site;
}

/**
 * A URI with its password (and any `password=` parameter) replaced by `***`, for logs,
 * manifests, errors and notebooks.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { maskUri } from "./config.ts";
 * equal(maskUri("mysql://reader:s3cret@db:3306/nova"), "mysql://reader:***@db:3306/nova");
 * ```
 */
export function maskUri(uri: string): string {
  // Anything that looks like userinfo, a malformed scheme (`mysql:/u:pw@h`) or none included.
  return uri
    .replace(/^([a-z][a-z0-9+.-]*:\/*[^:/@\s]*|[^:/@\s]+(?=:(?!\/))):.*@/i, "$1:***@")
    .replace(/([?&](?:password|pass|pwd)=)[^&]*/gi, "$1***");
}

/**
 * Every secret of a site (passwords inside its URIs), for masking free text such as a driver's
 * error message.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { siteSecrets } from "./config.ts";
 * const uris = { nova: "mysql://u:pw@h/nova", nova_api: "duckdb:x", blazar: "duckdb:x",
 *   chameleon_usage: "duckdb:x" };
 * deepEqual(siteSecrets({ dbUris: uris }), ["pw"]);
 * ```
 */
export function siteSecrets(site: Pick<SiteConfig, "dbUris" | "envSecrets">): string[] {
  const out = new Set<string>(site.envSecrets ?? []);
  for (const uri of Object.values(site.dbUris)) {
    if (uri === undefined) continue;
    const m = /^(?:[a-z][a-z0-9+.-]*:\/*[^:/@\s]*|[^:/@\s]+(?=:(?!\/))):(.*)@/i.exec(uri);
    if (m && m[1]) {
      out.add(m[1]);
      try {
        out.add(decodeURIComponent(m[1]));
      } catch { /* keep the raw form */ }
    }
    for (const p of uri.matchAll(/[?&](?:password|pass|pwd)=([^&]*)/gi)) if (p[1]) out.add(p[1]);
  }
  return [...out];
}

/**
 * Replaces every secret in a text by `***`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { maskSecrets } from "./config.ts";
 * equal(maskSecrets("Access denied (password: hunter2)", ["hunter2"]), "Access denied (password: ***)");
 * ```
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length > 0) out = out.split(s).join("***");
  }
  return out;
}

/**
 * A site as plain data with every URI masked: what notebooks and manifests may show.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parseSitesConfig, publicSite } from "./config.ts";
 * const cfg = parseSitesConfig("sites:\n  a:\n    site_name: A\n    db_uri: mysql://u:pw@h/x\n");
 * equal(publicSite(cfg.sites.get("a")!).db_uris.nova, "mysql://u:***@h/x");
 * ```
 */
export function publicSite(site: SiteConfig): {
  key: string;
  site_name: string;
  db_uris: Record<string, string>;
  input_dir: string;
  output_dir: string;
  blazar_coverage_start: string | null;
  maintenance: MaintenanceMapping;
} {
  return {
    key: site.key,
    site_name: site.siteName,
    db_uris: Object.fromEntries(
      Object.entries(site.dbUris).map(([k, v]) => [k, maskUri(v ?? "")]),
    ),
    input_dir: site.inputDir,
    output_dir: site.outputDir,
    blazar_coverage_start: site.blazarCoverageStart ?? null,
    maintenance: site.maintenance,
  };
}

/** The parts of a database URI. */
export interface DbUriParts {
  /** `mysql`, `postgres` or `duckdb` (`mariadb` and `postgresql` are folded in). */
  scheme: "mysql" | "postgres" | "duckdb";
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  /** Database name (the URI path), or the file of a `duckdb:` URI. */
  database?: string;
  /** Query parameters. */
  params: Record<string, string>;
}

/**
 * Splits a database URI. The password runs to the last `@`, so an unencoded `@` in a password
 * still works; user and password are percent-decoded.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { parseDbUri } from "./config.ts";
 * deepEqual(parseDbUri("mysql://r:p@ss@db:3307/nova?ssl=1"), {
 *   scheme: "mysql", user: "r", password: "p@ss", host: "db", port: 3307, database: "nova",
 *   params: { ssl: "1" },
 * });
 * ```
 */
export function parseDbUri(uri: string): DbUriParts {
  if (uri.startsWith("duckdb:")) {
    return {
      scheme: "duckdb",
      database: uri.slice("duckdb:".length).replace(/^\/\//, ""),
      params: {},
    };
  }
  const m =
    /^([a-z][a-z0-9+.-]*):\/\/(?:([^:/@]*)(?::(.*))?@)?([^/:?]*)(?::(\d+))?(?:\/([^?]*))?(?:\?(.*))?$/i
      .exec(uri);
  if (!m) {
    throw new Error(
      `Cannot parse database URI "${
        maskUri(uri)
      }": expected scheme://user:password@host:port/database`,
    );
  }
  const raw = m[1].toLowerCase();
  const scheme = raw === "mysql" || raw === "mariadb"
    ? "mysql"
    : raw === "postgres" || raw === "postgresql"
    ? "postgres"
    : undefined;
  if (!scheme) {
    throw new Error(`Cannot parse database URI "${maskUri(uri)}": unknown scheme "${raw}"`);
  }
  const dec = (x: string | undefined) => {
    if (x === undefined) return undefined;
    try {
      return decodeURIComponent(x);
    } catch {
      return x;
    }
  };
  const params: Record<string, string> = {};
  for (const kv of (m[7] ?? "").split("&")) {
    if (!kv) continue;
    const i = kv.indexOf("=");
    params[dec(i < 0 ? kv : kv.slice(0, i))!] = dec(i < 0 ? "" : kv.slice(i + 1))!;
  }
  const out: DbUriParts = { scheme, params };
  if (m[2] !== undefined && m[2] !== "") out.user = dec(m[2]);
  if (m[3] !== undefined) out.password = dec(m[3]);
  if (m[4]) out.host = m[4];
  if (m[5]) out.port = Number(m[5]);
  if (m[6]) out.database = dec(m[6]);
  return out;
}
