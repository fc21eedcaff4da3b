/**
 * The fetch stage (01): snapshots a site's databases into `<input_dir>/<schema>.<table>.<date>.parquet`
 * for every registry table, plus `<input_dir>/manifest.<date>.json` (see `manifest.ts`). A snapshot
 * is a unit (decision 0012).
 *
 * 1. Take the input directory's lock (`lock.ts`); complete a commit a killed fetch left and remove
 *    its staging directories (`snapshot_commit.ts`); write everything into a staging directory.
 * 2. Resolve where each table lives (`resolve.ts`) and open one connector per distinct URI
 *    (`connect_timeout`).
 * 3. Per table, in registry order: read the columns the source has, plan (`plan.ts`), stream the
 *    rows into parquet (`parquet_writer.ts`). A server that sends nothing for `statement_timeout`
 *    seconds is dropped and the table named. A value that cannot be read as its column's type is
 *    NULL and counted (`unreadable_values`), the rest of the table is kept.
 * 4. Choose `as_of` (`as_of.ts`); the file date is its UTC date.
 * 5. Only when every table is `ok` or `missing` (does not exist at the source), at least one is
 *    `ok`, and each file's row count matches: write the manifest with each file's SHA-256 and
 *    commit. Otherwise nothing in the input directory changes and the failures are returned.
 *
 * Every message that leaves this module went through `maskSecrets`.
 *
 * @module
 */
import { sqlIdent, sqlLiteral } from "../sql.ts";
import { join } from "node:path";
import { maskSecrets, maskUri, requireSecrets, type SiteConfig, siteSecrets } from "../config.ts";
import { qualifiedName, REGISTRY, type TableSpec } from "../registry.ts";
import { chooseAsOf, RECORD_TIMESTAMP_COLUMNS } from "./as_of.ts";
import { openConnector } from "./connectors/open.ts";
import type { Connector, ReadTable } from "./connectors/types.ts";
import { errorStatus, errorText, FetchError } from "./errors.ts";
import { lockInputDir } from "./lock.ts";
import { type Manifest, type ManifestTable, snapshotDates, type TableStatus } from "./manifest.ts";
import { ParquetWriter, removeLeftovers } from "./parquet_writer.ts";
import { planTable, type TablePlan } from "./plan.ts";
import { Progress } from "./progress.ts";
import { resolveSources, sourceUris, type TableSource } from "./resolve.ts";
import { commitStaging, createStaging, fileDigest, recoverCommits } from "./snapshot_commit.ts";

/** Seconds to wait for a connection. */
export const DEFAULT_CONNECT_TIMEOUT_S = 10;
/** Seconds a statement may go without the server sending anything. */
export const DEFAULT_STATEMENT_TIMEOUT_S = 600;

/** Options of {@linkcode fetchSite}. */
export interface FetchOptions {
  /** Progress reporter. @default {a `Progress` in the mode of this process} */
  progress?: Progress;
  /** DuckDB memory cap of the writer. @default {"2GB"} */
  memoryLimit?: string;
  /** Packed bytes per parquet part (on disk; see `parquet_writer.ts`). @default {256 MiB} */
  batchBytes?: number;
  /** `--as-of`: the instant the data describes (wins over everything, `as_of.ts`). */
  asOf?: string;
  /** One line per warning (as_of from the newest record, unreadable values). @default {stderr} */
  warn?: (line: string) => void;
}

/** What {@linkcode fetchSite} did. */
export interface FetchResult {
  /** The manifest committed, or null when the snapshot was not committed. */
  manifest: Manifest | null;
  manifestPath: string | null;
  /**
   * One masked line per problem that failed the run: a connection that failed, a table that
   * exists but failed, no table found. Empty when the snapshot was committed.
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
    unreadable_values: {},
    message,
  };
}

/** Staging directories and locks of this process's running fetches (for {@linkcode abandonFetchesSync}). */
const RUNNING = new Map<string, Disposable>();

/**
 * On Ctrl-C: removes this process's staging directories and releases its locks, synchronously.
 * Touches nothing of another process.
 *
 * @example
 * ```ts
 * import { abandonFetchesSync } from "./fetch.ts";
 * abandonFetchesSync();
 * ```
 */
export function abandonFetchesSync(): void {
  for (const [staging, lock] of RUNNING) {
    try {
      Deno.removeSync(staging, { recursive: true });
    } catch { /* committed or gone */ }
    lock[Symbol.dispose]();
  }
  RUNNING.clear();
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
  const secrets = siteSecrets(site);
  const mask = (text: string) => maskSecrets(text, secrets);
  using lock = lockInputDir(site.inputDir);
  await recoverCommits(site.inputDir);
  await removeLeftovers(site.inputDir);
  const staging = await createStaging(site.inputDir);
  RUNNING.set(staging, lock);
  try {
    return await fetchInto(site, staging, mask, options);
  } finally {
    RUNNING.delete(staging);
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

async function fetchInto(
  site: SiteConfig,
  staging: string,
  mask: (s: string) => string,
  options: FetchOptions,
): Promise<FetchResult> {
  const startedAt = new Date();
  const warn = options.warn ?? ((line: string) => console.error(`warning: ${line}`));
  const progress = options.progress ?? new Progress(site.key);
  const resolution = resolveSources(site);
  const failures: string[] = [];
  const statementMs = (site.statementTimeoutS ?? DEFAULT_STATEMENT_TIMEOUT_S) * 1000;

  await using writer = await ParquetWriter.open(staging, {
    memoryLimit: options.memoryLimit,
    batchBytes: options.batchBytes,
  });
  const connectors = new Map<string, Connector | FetchError>();
  /** URIs whose connection failed at open: their tables' failure is that one line. */
  const openFailed = new Set<string>();
  try {
    for (const uri of sourceUris(resolution)) {
      try {
        connectors.set(
          uri,
          await openConnector(uri, writer, {
            connectTimeoutS: site.connectTimeoutS ?? DEFAULT_CONNECT_TIMEOUT_S,
          }),
        );
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
        openFailed.add(uri);
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
    const clock = await snapshotInstant(open, statementMs);

    const previousOk = await previousTables(site.inputDir);
    const tables: Record<string, ManifestTable> = {};
    let newest: { at: string; where: string } | null = null;
    const record = (spec: TableSpec, done: Finished, t0: number) => {
      const name = qualifiedName(spec);
      const entry = done.entry;
      entry.seconds = Math.round(performance.now() - t0) / 1000;
      tables[name] = entry;
      progress.done(name, entry.status, entry.rows, entry.seconds, entry.message);
      for (const [column, n] of Object.entries(entry.unreadable_values ?? {})) {
        const sample = done.samples[column];
        warn(mask(
          `${name}.${column}: ${n} value(s) cannot be read as ${
            entry.columns.find((c) => c.name === column)?.type ?? "its type"
          } and are NULL in the snapshot (e.g. "${sample?.value.slice(0, 40)}"${
            sample?.key !== null && sample?.key !== undefined ? ` at ${spec.key} ${sample.key}` : ""
          }; unreadable_value)`,
        ));
      }
      if (done.newest && (!newest || done.newest.at > newest.at)) newest = done.newest;
      // Only a table that does not exist at the source may be absent; everything else fails. To a
      // MySQL account with table grants, a table that does not exist looks forbidden: that is
      // absent too, unless the previous snapshot had the table (then the account lost access).
      const invisible = entry.status === "permission_denied" && spec.optional &&
        resolution.get(name)?.dialect === "mysql" && !previousOk.has(name);
      if (invisible) {
        warn(mask(
          `${name}: not visible to the fetch account (absent at the source or not granted), recorded as absent: ${entry.message}`,
        ));
      }
      const failed = entry.status !== "ok" && entry.status !== "missing" && !invisible;
      const source = resolution.get(name);
      const viaConnection = source !== null && source !== undefined && openFailed.has(source.uri);
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
        statementMs,
      });
      const done = "status" in started
        ? Promise.resolve({ entry: started, samples: {}, newest: null })
        : finishTable(started, join(staging, `${name}.parquet`), writer, mask);
      recorded = recorded.then(async () => record(spec, await done, t0));
      writing.push(recorded);
      while (writing.length > WRITES_AHEAD) await writing.shift();
    }
    await recorded;
    const ordered: Record<string, ManifestTable> = {};
    for (const spec of REGISTRY) ordered[qualifiedName(spec)] = tables[qualifiedName(spec)];

    if (writer.halted) {
      throw new Error(`Cannot fetch site "${site.key}": the fetch was interrupted`);
    }
    if (failures.length > 0) return { manifest: null, manifestPath: null, failures };
    if (!Object.values(tables).some((t) => t.status === "ok")) {
      return {
        manifest: null,
        manifestPath: null,
        failures: [
          `Cannot fetch site "${site.key}": expected at least one registry table, found none (${
            sourceUris(resolution).map((u) => `"${maskUri(u)}"`).join(", ")
          }: check the URI's database and ?schema=)`,
        ],
      };
    }
    const asOf = chooseAsOf({
      flag: options.asOf,
      site: site.asOf,
      meta: clock.meta,
      server: clock.server,
      newestRecord: newest,
    });
    if (asOf.warning) warn(mask(asOf.warning));
    const date = asOf.asOf.slice(0, 10);

    // Verify before commit: each file's rows (parquet metadata) against the count written, and
    // its digest for the loaders.
    const files: { staged: string; final: string }[] = [];
    for (const spec of REGISTRY) {
      const t = ordered[qualifiedName(spec)];
      if (t.status !== "ok" || !t.file) continue;
      const path = join(staging, t.file);
      const rows = await writer.countRows(path);
      if (rows !== t.rows) {
        return {
          manifest: null,
          manifestPath: null,
          failures: [
            `Cannot commit the snapshot of site "${site.key}": "${t.file}" holds ${rows} rows, expected ${t.rows}`,
          ],
        };
      }
      t.sha256 = await fileDigest(path);
      const final = snapshotFile(spec, date);
      files.push({ staged: t.file, final });
      t.file = final;
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
    const manifestName = `manifest.${date}.json`;
    await Deno.writeTextFile(
      join(staging, manifestName),
      mask(JSON.stringify(manifest, null, 2)) + "\n",
    );
    for (const c of connectors.values()) if (!(c instanceof FetchError)) await c.close();
    await writer.close();
    await commitStaging(staging, files, manifestName);
    return { manifest, manifestPath: join(site.inputDir, manifestName), failures };
  } finally {
    for (const c of connectors.values()) if (!(c instanceof FetchError)) await c.close();
  }
}

/** The tables the newest committed snapshot of `inputDir` holds (`ok`), by qualified name. */
async function previousTables(inputDir: string): Promise<Set<string>> {
  const [date] = await snapshotDates(inputDir);
  if (!date) return new Set();
  try {
    const m = JSON.parse(
      await Deno.readTextFile(join(inputDir, `manifest.${date}.json`)),
    ) as Manifest;
    return new Set(Object.entries(m.tables).filter(([, t]) => t.status === "ok").map(([n]) => n));
  } catch {
    return new Set();
  }
}

/** Tables whose parquet may still be being written while the next table is read. */
const WRITES_AHEAD = 3;

/** The clocks: a DuckDB source's snapshot_meta (if any) and the first server's clock. */
async function snapshotInstant(
  open: Connector[],
  statementMs: number,
): Promise<
  { meta: { asOf: string; source: string } | null; server: { asOf: string; source: string } }
> {
  let server: { asOf: string; source: string } | null = null;
  for (const c of open) {
    const a = await withTimeout(c, statementMs, () => c.asOf(), "the server's clock");
    if (a.source === "main.snapshot_meta.as_of") return { meta: a, server: server ?? a };
    server ??= a;
  }
  return { meta: null, server: server! };
}

/**
 * Runs `work` on a connector; when the server sends nothing for `ms` (no row reported through
 * the returned `touch`), drops the connection and fails naming `what`.
 */
async function withTimeout<T>(
  conn: Connector,
  ms: number,
  work: (touch: () => void) => Promise<T>,
  what: string,
): Promise<T> {
  let over = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A dropped connection may leave the driver's promise pending for ever: race it.
  const timedOut = Promise.withResolvers<never>();
  const arm = () => {
    clearTimeout(timer);
    if (over) return; // progress reported after the statement (a DuckDB copy) arms nothing
    timer = setTimeout(() => {
      conn.destroy();
      timedOut.reject(
        new FetchError(
          "unreachable",
          `Cannot read ${what}: the server sent nothing for ${
            ms / 1000
          } s (statement_timeout; the connection was dropped)`,
        ),
      );
    }, ms);
  };
  arm();
  try {
    const running = work(arm);
    running.catch(() => {}); // settles after the race was lost, if ever
    return await Promise.race([running, timedOut.promise]);
  } finally {
    over = true;
    clearTimeout(timer);
  }
}

/** A table whose rows were read, waiting for its parquet file. */
interface Started {
  read: ReadTable;
  plan: TablePlan;
}

/** A table's manifest entry, one unreadable value per column, and its newest record timestamp. */
interface Finished {
  entry: ManifestTable;
  samples: Record<string, { key: string | null; value: string }>;
  newest: { at: string; where: string } | null;
}

async function startTable(
  spec: TableSpec,
  source: TableSource | null,
  connectors: Map<string, Connector | FetchError>,
  writer: ParquetWriter,
  ctx: { onRows: (n: number) => void; mask: (s: string) => string; statementMs: number },
): Promise<Started | ManifestTable> {
  if (!source) {
    return emptyEntry("missing", `schema "${spec.schema}" has no URI in the site's configuration`);
  }
  const conn = connectors.get(source.uri)!;
  if (conn instanceof FetchError) return emptyEntry(conn.status, conn.message);
  const where = `"${source.namespace}.${spec.table}"`;
  try {
    return await withTimeout(conn, ctx.statementMs, async (touch) => {
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
      touch();
      const plan = planTable(spec, source.namespace, columns, conn.dialect);
      const read = await conn.read(plan, writer, (n) => {
        touch();
        ctx.onRows(n);
      });
      return { read, plan };
    }, where);
  } catch (e) {
    // A dropped connection fails every later table of its URI with the same cause.
    if (e instanceof FetchError && /statement_timeout/.test(e.message)) {
      connectors.set(source.uri, new FetchError(e.status, ctx.mask(e.message)));
    }
    return failedEntry(e, where, ctx.mask);
  }
}

async function finishTable(
  started: Started,
  path: string,
  writer: ParquetWriter,
  mask: (s: string) => string,
): Promise<Finished> {
  const { read, plan } = started;
  try {
    const r = await read.finish(path);
    const entry: ManifestTable = {
      status: "ok",
      file: path.slice(path.lastIndexOf("/") + 1),
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
      unreadable_values: r.unreadable,
      message: null,
    };
    return { entry, samples: r.unreadableSamples, newest: await newestRecord(writer, path, plan) };
  } catch (e) {
    return {
      entry: failedEntry(e, `"${plan.namespace}.${plan.spec.table}"`, mask),
      samples: {},
      newest: null,
    };
  }
}

/** The newest record timestamp (`created_at`, `updated_at`, `deleted_at`) of a written table. */
async function newestRecord(
  writer: ParquetWriter,
  path: string,
  plan: TablePlan,
): Promise<{ at: string; where: string } | null> {
  const cols = plan.columns.filter((c) =>
    c.present && c.type === "TIMESTAMP" &&
    (RECORD_TIMESTAMP_COLUMNS as readonly string[]).includes(c.name)
  );
  if (cols.length === 0) return null;
  const q = (n: string) => sqlIdent(n, "duckdb");
  const rows = await writer.duck.rows<{ at: string | null; col: string }>(
    cols.map((c) =>
      `SELECT strftime(max(${q(c.name)}), '%Y-%m-%dT%H:%M:%S') AS at, ${
        sqlLiteral(c.name)
      } AS col FROM read_parquet(${sqlLiteral(path)})`
    ).join(" UNION ALL "),
  );
  let best: { at: string; where: string } | null = null;
  for (const r of rows) {
    if (r.at && (!best || r.at > best.at)) {
      best = { at: r.at, where: `${qualifiedName(plan.spec)}.${r.col}` };
    }
  }
  return best;
}

function failedEntry(e: unknown, where: string, mask: (s: string) => string): ManifestTable {
  const status = e instanceof FetchError ? e.status : errorStatus(e);
  const text = e instanceof FetchError ? e.message : errorText(e);
  const message = text.startsWith("Cannot ") ? text : `Cannot read ${where}: ${text}`;
  return emptyEntry(status, mask(message));
}
