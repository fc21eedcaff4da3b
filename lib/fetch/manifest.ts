/**
 * The snapshot manifest (`<input_dir>/manifest.<YYYY-MM-DD>.json`) and the loader that finds a
 * site's snapshot files: the contract between the fetch stage and every later stage.
 *
 * Loaders take the newest snapshot, or the one of a given date, and refuse what is not a whole
 * snapshot (decision 0012): a file whose size or SHA-256 differs from the manifest's (a mixed or
 * damaged snapshot), a table that failed to fetch (never a silent absence). A table is absent only
 * when it does not exist at the source (`missing`); the notes say so. For manifests written before
 * digests existed (no `sha256`), only the file's existence is checked.
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../fs.ts";
import { fileDigest, pendingCommit } from "./snapshot_commit.ts";

/** Outcome of fetching one table. */
export type TableStatus =
  | "ok"
  | "missing"
  | "permission_denied"
  | "auth_failed"
  | "unreachable"
  | "error";

/** One column as written to parquet. */
export interface ManifestColumn {
  name: string;
  /** DuckDB type in the parquet file. */
  type: string;
  /** The source database's type, when known. */
  source_type?: string;
}

/** One table of a manifest. */
export interface ManifestTable {
  status: TableStatus;
  /** File name within the input directory (only when `status` is `ok`). */
  file: string | null;
  rows: number;
  bytes: number;
  seconds: number;
  columns: ManifestColumn[];
  /** Optional registry columns the source lacks, written as typed NULLs. */
  absent_columns: string[];
  /** Zero dates (`0000-00-00 00:00:00`) turned to NULL, per column. */
  zero_dates: Record<string, number>;
  /**
   * Values that could not be read as their column's type (text in a DATETIME, `2020-00-00`, a BC
   * date), NULL in the file, per column. Absent in manifests of earlier versions.
   */
  unreadable_values?: Record<string, number>;
  /** SHA-256 of the file, lowercase hex (absent in manifests of earlier versions). */
  sha256?: string;
  /** What went wrong, secrets masked. */
  message: string | null;
}

/** A whole manifest. */
export interface Manifest {
  site: string;
  site_name: string;
  /** Snapshot date, `YYYY-MM-DD` (UTC date of `as_of`). */
  date: string;
  /** The instant open records are measured to, UTC, `YYYY-MM-DDTHH:MM:SS`. */
  as_of: string;
  /**
   * Where `as_of` came from: `--as-of`, `site as_of`, `main.snapshot_meta.as_of`, a server clock,
   * or `newest record (<table>.<column>)` for a restored dump (see `as_of.ts`).
   */
  as_of_source: string;
  started_at: string;
  finished_at: string;
  /** Masked URIs per schema. */
  db_uris: Record<string, string>;
  tables: Record<string, ManifestTable>;
}

/** One table as a loader sees it. */
export interface SnapshotTable {
  /** Qualified name, `schema.table`. */
  table: string;
  /** Absolute parquet path, or null when no snapshot of the table exists. */
  path: string | null;
  /** Date of the file used (the snapshot's), or null when the table is absent. */
  date: string | null;
  status: TableStatus;
  rows: number;
  columns: ManifestColumn[];
  message: string | null;
}

/** A site's snapshot, ready for the stages. */
export interface Snapshot {
  inputDir: string;
  date: string;
  asOf: string;
  manifest: Manifest;
  manifestPath: string;
  tables: Record<string, SnapshotTable>;
  /** Human-readable notes: tables absent at the source, unreadable values made NULL. */
  notes: string[];
}

/**
 * Lists the snapshot dates present in an input directory, newest first.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { snapshotDates } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/manifest.2026-01-02.json`, "{}");
 * await Deno.writeTextFile(`${dir}/manifest.2025-12-31.json`, "{}");
 * deepEqual(await snapshotDates(dir), ["2026-01-02", "2025-12-31"]);
 * ```
 */
export async function snapshotDates(inputDir: string): Promise<string[]> {
  const dates: string[] = [];
  if (!(await exists(inputDir))) return dates;
  for await (const e of Deno.readDir(inputDir)) {
    const m = /^manifest\.(\d{4}-\d{2}-\d{2})\.json$/.exec(e.name);
    if (e.isFile && m) dates.push(m[1]);
  }
  return dates.sort().reverse();
}

/**
 * Loads a site's snapshot: the newest manifest (or the one of `date`) and, per registry table, the
 * parquet file to read.
 *
 * @example
 * ```ts ignore
 * const snap = await loadSnapshot("input/demo");
 * console.log(snap.asOf, snap.tables["nova.instances"].path);
 * ```
 */
export async function loadSnapshot(
  inputDir: string,
  options: { date?: string } = {},
): Promise<Snapshot> {
  const dates = await snapshotDates(inputDir);
  if (dates.length === 0) {
    throw new Error(
      `Cannot load a snapshot from "${inputDir}": no manifest.<YYYY-MM-DD>.json found (run the fetch stage first)`,
    );
  }
  const date = options.date ?? dates[0];
  if (!dates.includes(date)) {
    throw new Error(
      `Cannot load the snapshot of ${date} from "${inputDir}": expected one of ${dates.join(", ")}`,
    );
  }
  const manifestPath = join(inputDir, `manifest.${date}.json`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(manifestPath)) as Manifest;
  } catch (e) {
    throw new Error(`Cannot read manifest "${manifestPath}": ${(e as Error).message}`);
  }
  if (typeof manifest.as_of !== "string" || typeof manifest.tables !== "object") {
    throw new Error(`Cannot read manifest "${manifestPath}": expected keys "as_of" and "tables"`);
  }
  const tables: Record<string, SnapshotTable> = {};
  const notes: string[] = [];
  for (const [name, t] of Object.entries(manifest.tables)) {
    if (t.status === "ok" && t.file) {
      const path = join(inputDir, t.file);
      await verifyFile(path, t, manifestPath);
      tables[name] = {
        table: name,
        path,
        date,
        status: t.status,
        rows: t.rows,
        columns: t.columns,
        message: null,
      };
      for (const [column, n] of Object.entries(t.unreadable_values ?? {})) {
        notes.push(`${name}.${column}: ${n} unreadable value(s) are NULL in the snapshot`);
      }
      continue;
    }
    if (t.status === "permission_denied") {
      notes.push(
        `${name}: absent (not visible to the fetch account: absent at the source or not granted)`,
      );
    } else if (t.status !== "missing") {
      throw new Error(
        `Cannot load "${name}" from "${manifestPath}": its fetch failed (${t.status}: ${t.message}); expected a whole snapshot (fetch again)`,
      );
    } else {
      notes.push(`${name}: absent (does not exist at the source)`);
    }
    tables[name] = {
      table: name,
      path: null,
      date: null,
      status: t.status,
      rows: 0,
      columns: [],
      message: t.message,
    };
  }
  return { inputDir, date, asOf: manifest.as_of, manifest, manifestPath, tables, notes };
}

/** Checks a listed file against its manifest entry: exists, same size, same SHA-256. */
async function verifyFile(path: string, t: ManifestTable, manifestPath: string): Promise<void> {
  const hint = (await pendingCommit(join(path, "..")))
    ? " (a fetch was killed while committing: run the fetch again to complete it)"
    : " (a mixed or damaged snapshot: run the fetch again)";
  let size: number;
  try {
    size = (await Deno.stat(path)).size;
  } catch {
    throw new Error(
      `Cannot load "${path}": manifest "${manifestPath}" lists it, but it does not exist${hint}`,
    );
  }
  if (!t.sha256) return; // a manifest of an earlier version: existence only
  if (size !== t.bytes) {
    throw new Error(
      `Cannot load "${path}": expected ${t.bytes} bytes as manifest "${manifestPath}" says, found ${size}${hint}`,
    );
  }
  if ((await fileDigest(path)) !== t.sha256) {
    throw new Error(
      `Cannot load "${path}": its SHA-256 differs from manifest "${manifestPath}"${hint}`,
    );
  }
}
