/**
 * The fetch stage (01): snapshots a site's databases into `<input_dir>/<schema>.<table>.<date>.parquet`
 * for every registry table, plus `<input_dir>/manifest.<date>.json` (see `manifest.ts`).
 *
 * 1. Resolve where each table lives (`resolve.ts`) and open one connector per distinct URI.
 * 2. Take `as_of`: a DuckDB source's `main.snapshot_meta.as_of`, else the first reachable server's
 *    UTC clock. The file date is its UTC date.
 * 3. Per table, in registry order: read the columns the source has, plan (`plan.ts`), stream the
 *    rows into parquet (`parquet_writer.ts`). A table that is missing, forbidden or fails is
 *    reported in the manifest and the others are still fetched.
 * 4. Write the manifest (atomically) when at least one table was fetched.
 *
 * Every message that leaves this module went through `maskSecrets`.
 *
 * @module
 */
import { basename, join } from "node:path";
import { maskSecrets, maskUri, requireSecrets, type SiteConfig, siteSecrets } from "../config.ts";
import { atomicWriteText } from "../fs.ts";
import { qualifiedName, REGISTRY, type TableSpec } from "../registry.ts";
import { openConnector } from "./connectors/open.ts";
import type { Connector, ReadTable } from "./connectors/types.ts";
import { errorStatus, errorText, FetchError } from "./errors.ts";
import type { Manifest, ManifestTable, TableStatus } from "./manifest.ts";
import { ParquetWriter, removeLeftovers } from "./parquet_writer.ts";
import { planTable, type TablePlan } from "./plan.ts";
import { Progress } from "./progress.ts";
import { resolveSources, sourceUris, type TableSource } from "./resolve.ts";

/** Options of {@linkcode fetchSite}. */
export interface FetchOptions {
  /** Progress reporter. @default {a `Progress` in the mode of this process} */
  progress?: Progress;
  /** DuckDB memory cap of the writer. @default {"2GB"} */
  memoryLimit?: string;
  /** Packed bytes per parquet part (on disk; see `parquet_writer.ts`). @default {256 MiB} */
  batchBytes?: number;
}

/** What {@linkcode fetchSite} did. */
export interface FetchResult {
  /** The manifest written, or null when no table could be fetched. */
  manifest: Manifest | null;
  manifestPath: string | null;
  /**
   * One masked line per problem that should fail the run: a connection that failed, a table that
   * failed (`error`), a required table that is missing or forbidden. Empty when all went well;
   * optional tables that are missing or forbidden are only reported in the manifest and progress.
   */
  failures: string[];
}

/** The parquet file name of a table on a date. */
export function snapshotFile(spec: TableSpec, date: string): string {
  return `${qualifiedName(spec)}.${date}.parquet`;
}

function emptyEntry(status: TableStatus, message: string | null): ManifestTable {
  return {
    status,
    file: null,
    rows: 0,
    bytes: 0,
    seconds: 0,
    columns: [],
    absent_columns: [],
    zero_dates: {},
    message,
  };
}

/**
 * Fetches one site.
 *
 * @example
 * ```ts ignore
 * const cfg = await loadSitesConfig("etc/sites.yaml");
 * const { manifest, failures } = await fetchSite(selectSite(cfg, "demo"));
 * console.log(manifest?.tables["nova.instances"].rows, failures);
 * ```
 */
export async function fetchSite(
  unresolved: SiteConfig,
  options: FetchOptions = {},
): Promise<FetchResult> {
  const site = requireSecrets(unresolved); // only a command that connects needs the passwords
  const startedAt = new Date();
  const secrets = siteSecrets(site);
  const mask = (text: string) => maskSecrets(text, secrets);
  const progress = options.progress ?? new Progress(site.key);
  const resolution = resolveSources(site);
  const failures: string[] = [];

  await removeLeftovers(site.inputDir);
  await using writer = await ParquetWriter.open(site.inputDir, {
    memoryLimit: options.memoryLimit,
    batchBytes: options.batchBytes,
  });
  const connectors = new Map<string, Connector | FetchError>();
  try {
    for (const uri of sourceUris(resolution)) {
      try {
        connectors.set(uri, await openConnector(uri, writer));
      } catch (e) {
        const err = e instanceof FetchError ? e : new FetchError(errorStatus(e), errorText(e));
        const schemas = [
          ...new Set(
            [...resolution.values()].filter((s) => s?.uri === uri).map((s) => s!.spec.schema),
          ),
        ];
        const message = mask(
          `Cannot connect to "${maskUri(uri)}" for ${
            schemas.join(", ")
          }: ${err.message} (${err.status})`,
        );
        connectors.set(uri, new FetchError(err.status, message));
        failures.push(message);
      }
    }
    const open = [...connectors.values()].filter((c): c is Connector => !(c instanceof FetchError));
    if (open.length === 0) {
      return {
        manifest: null,
        manifestPath: null,
        failures: failures.length > 0 ? failures : [
          `Cannot fetch site "${site.key}": expected at least one schema with a URI, found none`,
        ],
      };
    }
    const asOf = await snapshotInstant(open);
    const date = asOf.asOf.slice(0, 10);

    const tables: Record<string, ManifestTable> = {};
    const record = (spec: TableSpec, entry: ManifestTable, t0: number) => {
      const name = qualifiedName(spec);
      entry.seconds = Math.round(performance.now() - t0) / 1000;
      tables[name] = entry;
      progress.done(name, entry.status, entry.rows, entry.seconds, entry.message);
      // A forbidden table is reported, not fatal: to a restricted MySQL user a table that does
      // not exist looks forbidden too, and optional tables may not exist at a site.
      const failed = entry.status === "error" ||
        ((entry.status === "missing" || entry.status === "permission_denied") && !spec.optional);
      const source = resolution.get(name);
      const viaConnection = source && connectors.get(source.uri) instanceof FetchError;
      if (failed && !viaConnection) {
        failures.push(
          `Cannot fetch "${name}" of site "${site.key}": ${entry.message} (${entry.status})`,
        );
      }
    };
    // Pipeline: tables are read one after the other while DuckDB writes the parquet of up to
    // WRITES_AHEAD tables read before (their rows wait on disk, not in memory). Tables are
    // recorded in registry order.
    const writing: Promise<void>[] = [];
    let recorded: Promise<void> = Promise.resolve();
    for (const spec of REGISTRY) {
      const name = qualifiedName(spec);
      progress.start(name);
      const t0 = performance.now();
      const started = await startTable(spec, resolution.get(name) ?? null, connectors, writer, {
        onRows: (n) => progress.rows(n),
        mask,
      });
      const entry = "status" in started ? Promise.resolve(started) : finishTable(
        started,
        join(site.inputDir, snapshotFile(spec, date)),
        mask,
      );
      recorded = recorded.then(async () => record(spec, await entry, t0));
      writing.push(recorded);
      while (writing.length > WRITES_AHEAD) await writing.shift();
    }
    await recorded;
    const ordered: Record<string, ManifestTable> = {};
    for (const spec of REGISTRY) ordered[qualifiedName(spec)] = tables[qualifiedName(spec)];

    if (!Object.values(tables).some((t) => t.status === "ok")) {
      return { manifest: null, manifestPath: null, failures };
    }
    const manifest: Manifest = {
      site: site.key,
      site_name: site.siteName,
      date,
      as_of: asOf.asOf,
      as_of_source: asOf.source,
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      db_uris: Object.fromEntries(Object.entries(site.dbUris).map(([k, v]) => [k, maskUri(v!)])),
      tables: ordered,
    };
    // An interrupted run must not replace the day's manifest with one of failed tables.
    if (writer.halted) {
      throw new Error(`Cannot fetch site "${site.key}": the fetch was interrupted`);
    }
    const manifestPath = join(site.inputDir, `manifest.${date}.json`);
    await atomicWriteText(manifestPath, mask(JSON.stringify(manifest, null, 2)) + "\n");
    return { manifest, manifestPath, failures };
  } finally {
    for (const c of connectors.values()) if (!(c instanceof FetchError)) await c.close();
  }
}

/** Tables whose parquet may still be being written while the next table is read. */
const WRITES_AHEAD = 3;

/** `as_of`: a DuckDB source's snapshot_meta wins; else the first server's clock. */
async function snapshotInstant(open: Connector[]): Promise<{ asOf: string; source: string }> {
  let first: { asOf: string; source: string } | null = null;
  for (const c of open) {
    const a = await c.asOf();
    if (a.source === "main.snapshot_meta.as_of") return a;
    first ??= a;
  }
  return first!;
}

/** A table whose rows were read, waiting for its parquet file. */
interface Started {
  read: ReadTable;
  plan: TablePlan;
}

async function startTable(
  spec: TableSpec,
  source: TableSource | null,
  connectors: Map<string, Connector | FetchError>,
  writer: ParquetWriter,
  ctx: { onRows: (n: number) => void; mask: (s: string) => string },
): Promise<Started | ManifestTable> {
  if (!source) {
    return emptyEntry("missing", `schema "${spec.schema}" has no URI in the site's configuration`);
  }
  const conn = connectors.get(source.uri)!;
  if (conn instanceof FetchError) return emptyEntry(conn.status, conn.message);
  const where = `"${source.namespace}.${spec.table}"`;
  try {
    const columns = await conn.columns(source.namespace, spec.table);
    if (columns === null) {
      // An optional table a site lacks (the demo has no fork-era extra_capabilities) says so.
      const why = spec.optional
        ? `; it is optional (${spec.doc.replace(/\.$/, "")}): the stages run without it`
        : "";
      return emptyEntry(
        "missing",
        `table ${where} does not exist at "${maskUri(source.uri)}"${why}`,
      );
    }
    const plan = planTable(spec, source.namespace, columns, conn.dialect);
    const read = await conn.read(plan, writer, ctx.onRows);
    return { read, plan };
  } catch (e) {
    return failedEntry(e, where, ctx.mask);
  }
}

async function finishTable(
  started: Started,
  path: string,
  mask: (s: string) => string,
): Promise<ManifestTable> {
  const { read, plan } = started;
  try {
    const r = await read.finish(path);
    return {
      status: "ok",
      file: basename(path),
      rows: r.rows,
      bytes: r.bytes,
      seconds: 0,
      columns: plan.columns.map((c) => ({
        name: c.name,
        type: c.type,
        ...(c.sourceType ? { source_type: c.sourceType } : {}),
      })),
      absent_columns: plan.absent,
      zero_dates: r.zeroDates,
      message: null,
    };
  } catch (e) {
    return failedEntry(e, `"${plan.namespace}.${plan.spec.table}"`, mask);
  }
}

function failedEntry(e: unknown, where: string, mask: (s: string) => string): ManifestTable {
  const status = e instanceof FetchError ? e.status : errorStatus(e);
  const text = e instanceof FetchError ? e.message : errorText(e);
  const message = text.startsWith("Cannot ") ? text : `Cannot read ${where}: ${text}`;
  return emptyEntry(status, mask(message));
}
