/**
 * Writes fetched tables to parquet with bounded memory.
 *
 * Rows from a server are handed over one by one as the driver parses them. Each row becomes one
 * JSON line of a temporary part file beside the snapshots (`JSON.stringify` escapes every string
 * exactly); once a part holds about `batchBytes`, DuckDB converts it to a parquet part on a
 * background connection while rows keep coming. `finish` renames a single part into place, or
 * merges several; the final rename is atomic ({@linkcode atomicWrite}), so a reader never sees half
 * a file, an interrupted run leaves no parquet behind, and a rerun replaces files whole. Memory
 * holds one block of lines and DuckDB's streaming buffers, whatever the table size.
 *
 * Value rules, whatever the driver hands over (every value reaches DuckDB as text and is cast to
 * the column's parquet type, so the cast is exact):
 * - TIMESTAMP and DATE arrive as text (`YYYY-MM-DD HH:MM:SS[.ffffff]`): no zone shift, microseconds
 *   survive; a zero date (`0000-00-00...`) becomes NULL and is counted per column.
 * - DECIMAL and BIGINT arrive as text or bigint; floats as numbers (shortest round-trip text);
 *   non-finite floats as `NaN` / `Infinity`.
 * - BOOLEAN accepts booleans and 0/1 (MySQL's TINYINT(1)).
 * - Text accepts strings, byte arrays (decoded as UTF-8) and objects (as JSON).
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import { Duck, sqlLiteral } from "../db/duckdb.ts";
import { atomicWrite, tempPathFor } from "../fs.ts";
import { quoteIdent } from "../registry.ts";

/** One output column. */
export interface WriterColumn {
  name: string;
  /** DuckDB type in the parquet file (from `duckdbType()`). */
  type: string;
  /** False for an optional column the source lacks: written as typed NULLs. */
  present: boolean;
}

/** What writing one table produced. */
export interface WriteResult {
  rows: number;
  bytes: number;
  /** Zero dates turned to NULL, per column (only columns that had any). */
  zeroDates: Record<string, number>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** Lines buffered before a write to the part file. */
const LINES_PER_WRITE = 2048;
/** Raw bytes per parquet row group: bounds the parquet writer's buffers for wide rows. */
const ROW_GROUP_BYTES = 32 * 2 ** 20;

/**
 * Parquet options for rows of about `rowBytes` each: zstd, and row groups of about 32 MiB
 * (between 16,384 and 122,880 rows).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { parquetOptions } from "./parquet_writer.ts";
 * equal(parquetOptions(100), "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880");
 * equal(parquetOptions(1300), "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 25811");
 * ```
 */
export function parquetOptions(rowBytes: number): string {
  const rows = Math.floor(ROW_GROUP_BYTES / Math.max(1, rowBytes));
  return `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${
    Math.min(122_880, Math.max(16_384, rows))
  }`;
}

function isZeroDate(s: string): boolean {
  return s.charCodeAt(0) === 48 && s.startsWith("0000-00-00");
}

/** A value JSON can carry exactly, or its text. */
function jsonSafe(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return String(v);
  if (v instanceof Uint8Array) return decoder.decode(v);
  if (v instanceof Date) return v.toISOString().replace("T", " ").replace("Z", "");
  return JSON.stringify(v);
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** A part being filled: its JSON-lines file. */
interface Part {
  jsonPath: string;
  file: Deno.FsFile;
  rows: number;
  chars: number;
  maxLine: number;
}

/**
 * Receives one table's rows. Get one from {@linkcode ParquetWriter.begin}, call
 * {@linkcode TableSink.append} per row, then {@linkcode TableSink.finish} (or
 * {@linkcode TableSink.abort}). A caller that outruns the background conversions waits on
 * {@linkcode TableSink.drain} when {@linkcode TableSink.backlog} exceeds 1.
 */
export class TableSink {
  readonly #writer: ParquetWriter;
  readonly #columns: readonly WriterColumn[];
  readonly #present: readonly WriterColumn[];
  readonly #dateCols: boolean[];
  readonly #zero: number[];
  readonly #batchBytes: number;
  readonly #parts: string[] = [];
  readonly #jsonFiles: string[] = [];
  #part: Part;
  #lines: string[] = [];
  #pending: Promise<void> = Promise.resolve();
  #backlog = 0;
  #failure: unknown = null;
  #rows = 0;
  #chars = 0;
  #done = false;

  /** @internal */
  constructor(writer: ParquetWriter, columns: readonly WriterColumn[], batchBytes: number) {
    this.#writer = writer;
    this.#columns = columns;
    this.#present = columns.filter((c) => c.present);
    this.#dateCols = this.#present.map((c) => c.type === "TIMESTAMP" || c.type === "DATE");
    this.#zero = this.#present.map(() => 0);
    this.#batchBytes = batchBytes;
    this.#part = this.#openPart();
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Parts being converted in the background. */
  get backlog(): number {
    return this.#backlog;
  }

  /** Waits until the background conversions are done. */
  async drain(): Promise<void> {
    await this.#pending;
    if (this.#failure !== null) throw this.#failure;
  }

  /**
   * Appends one row: the values of the present columns, in order. The array may be modified.
   *
   * @example
   * ```ts
   * import { equal } from "node:assert/strict";
   * import { ParquetWriter } from "./parquet_writer.ts";
   * const dir = await Deno.makeTempDir();
   * await using w = await ParquetWriter.open(dir);
   * const t = await w.begin([{ name: "at", type: "TIMESTAMP", present: true }]);
   * t.append(["0000-00-00 00:00:00"]);
   * t.append(["2020-01-02 03:04:05.000006"]);
   * const r = await t.finish(`${dir}/t.parquet`);
   * equal(r.rows, 2);
   * equal(r.zeroDates.at, 1);
   * ```
   */
  append(row: unknown[]): void {
    const n = this.#dateCols.length;
    if (row.length !== n) {
      throw new Error(`Cannot append a row: expected ${n} values, found ${row.length}`);
    }
    for (let i = 0; i < n; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        row[i] = null;
      } else if (typeof v === "string") {
        if (this.#dateCols[i] && isZeroDate(v)) {
          this.#zero[i]++;
          row[i] = null;
        }
      } else if (typeof v !== "boolean" && (typeof v !== "number" || !Number.isFinite(v))) {
        row[i] = jsonSafe(v);
      }
    }
    const line = JSON.stringify(row);
    this.#lines.push(line);
    const part = this.#part;
    part.rows++;
    part.chars += line.length + 1;
    this.#chars += line.length + 1;
    if (line.length > part.maxLine) part.maxLine = line.length;
    this.#rows++;
    if (this.#lines.length >= LINES_PER_WRITE) this.#flushLines();
    if (part.chars >= this.#batchBytes) this.#rotate();
  }

  /** Converts the last part, renames or merges the parts into `path` (atomically). */
  async finish(path: string): Promise<WriteResult> {
    if (this.#done) throw new Error(`Cannot finish "${path}": the table was already finished`);
    this.#done = true;
    try {
      if (this.#part.rows > 0 || this.#parts.length === 0) this.#closePart(path);
      else this.#discardPart();
      await this.drain();
      let rows: number;
      if (this.#parts.length === 1) {
        rows = await this.#writer.countRows(this.#parts[0]);
        await Deno.rename(this.#parts[0], path);
      } else {
        const list = this.#parts.map(sqlLiteral).join(", ");
        rows = (await this.#writer.copyQuery(`SELECT * FROM read_parquet([${list}])`, path, {
          rowBytes: this.#chars / Math.max(1, this.#rows),
        })).rows;
      }
      if (rows !== this.#rows) {
        throw new Error(
          `Cannot write "${path}": expected ${this.#rows} rows in the parquet file, found ${rows}`,
        );
      }
      const zeroDates: Record<string, number> = {};
      this.#present.forEach((c, i) => {
        if (this.#zero[i] > 0) zeroDates[c.name] = this.#zero[i];
      });
      return { rows, bytes: (await Deno.stat(path)).size, zeroDates };
    } finally {
      await this.#cleanup();
    }
  }

  /** Drops everything written so far; no file is left. */
  async abort(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      this.#discardPart();
    }
    await this.#pending.catch(() => {});
    await this.#cleanup();
  }

  async #cleanup(): Promise<void> {
    await this.#pending.catch(() => {});
    for (const p of [...this.#parts, ...this.#jsonFiles]) await Deno.remove(p).catch(() => {});
  }

  #openPart(): Part {
    const jsonPath = tempPathFor(join(this.#writer.dir, "part.json"));
    this.#jsonFiles.push(jsonPath);
    const file = Deno.openSync(jsonPath, { write: true, createNew: true });
    return { jsonPath, file, rows: 0, chars: 0, maxLine: 0 };
  }

  #flushLines(): void {
    if (this.#lines.length === 0) return;
    writeAllSync(this.#part.file, encoder.encode(this.#lines.join("\n") + "\n"));
    this.#lines = [];
  }

  #discardPart(): void {
    this.#lines = [];
    this.#part.file.close();
  }

  #rotate(): void {
    this.#closePart(null);
    this.#part = this.#openPart();
  }

  /** Closes the current part's file and queues its conversion after the parts before it. */
  #closePart(finalPath: string | null): void {
    this.#flushLines();
    const part = this.#part;
    part.file.close();
    const parquet = tempPathFor(finalPath ?? join(this.#writer.dir, "part.parquet"));
    this.#parts.push(parquet);
    this.#backlog++;
    const sql = convertSql(this.#columns, part.jsonPath, parquet, {
      maxLine: part.maxLine,
      rowBytes: part.rows > 0 ? part.chars / part.rows : 1,
    });
    this.#pending = this.#pending.then(async () => {
      try {
        if (this.#failure === null) await this.#writer.runBackground(sql);
      } catch (e) {
        this.#failure ??= e;
      } finally {
        this.#backlog--;
        await Deno.remove(part.jsonPath).catch(() => {});
      }
    });
  }
}

/**
 * The `COPY` that converts a JSON-lines part (one array of values per line, present columns
 * only) to parquet: each value cast from text to its column type, absent columns as typed NULLs.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { convertSql } from "./parquet_writer.ts";
 * const sql = convertSql([
 *   { name: "id", type: "INTEGER", present: true },
 *   { name: "compute_id", type: "BIGINT", present: false },
 * ], "/in/p.json", "/in/p.parquet", { maxLine: 100, rowBytes: 80 });
 * match(sql, /CAST\(r\[1\] AS INTEGER\) AS "id", CAST\(NULL AS BIGINT\) AS "compute_id"/);
 * ```
 */
export function convertSql(
  columns: readonly WriterColumn[],
  jsonPath: string,
  parquetPath: string,
  sizes: { maxLine: number; rowBytes: number },
): string {
  let i = 0;
  const select = columns.map((c) => {
    const name = quoteIdent(c.name, "duckdb");
    if (!c.present) return `CAST(NULL AS ${c.type}) AS ${name}`;
    i++;
    return c.type === "VARCHAR" ? `r[${i}] AS ${name}` : `CAST(r[${i}] AS ${c.type}) AS ${name}`;
  });
  const maxObject = Math.max(16 * 2 ** 20, 2 * sizes.maxLine + 1024);
  return `COPY (SELECT ${select.join(", ")} FROM read_json(${sqlLiteral(jsonPath)},
      format = 'newline_delimited', records = false, columns = {r: 'VARCHAR[]'},
      maximum_object_size = ${maxObject})) TO ${sqlLiteral(parquetPath)} (${
    parquetOptions(sizes.rowBytes)
  })`;
}

/**
 * An in-memory DuckDB that converts parts and writes parquet into a snapshot directory; DuckDB
 * may spill to a temporary folder there, removed on close.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { ParquetWriter } from "./parquet_writer.ts";
 * const dir = await Deno.makeTempDir();
 * {
 *   await using w = await ParquetWriter.open(dir);
 *   const r = await w.copyQuery("SELECT 42 AS answer", `${dir}/a.parquet`);
 *   equal(r.rows, 1);
 * }
 * equal([...Deno.readDirSync(dir)].map((e) => e.name).join(), "a.parquet");
 * ```
 */
export class ParquetWriter implements AsyncDisposable {
  readonly duck: Duck;
  /** The snapshot directory. */
  readonly dir: string;
  readonly #spill: string;
  readonly #background: DuckDBConnection;
  readonly #batchBytes: number;

  private constructor(
    duck: Duck,
    dir: string,
    spill: string,
    background: DuckDBConnection,
    batchBytes: number,
  ) {
    this.duck = duck;
    this.dir = dir;
    this.#spill = spill;
    this.#background = background;
    this.#batchBytes = batchBytes;
  }

  /**
   * Opens a writer for `dir`. `batchBytes` is the size of a part (@default {256 MiB} of JSON
   * text, on disk, not in memory); `memoryLimit` caps DuckDB's memory (@default {"1GB"});
   * `threads` are DuckDB's (@default {1}: conversions run beside the JS thread that reads rows,
   * and one thread keeps the parquet writer's buffers small).
   */
  static async open(
    dir: string,
    options: { memoryLimit?: string; threads?: number; batchBytes?: number } = {},
  ): Promise<ParquetWriter> {
    await Deno.mkdir(dir, { recursive: true });
    const spill = join(dir, `${STAGING_PREFIX}${crypto.randomUUID().slice(0, 8)}.tmp`);
    const duck = await Duck.open(":memory:", {
      memory_limit: options.memoryLimit ?? "1GB",
      threads: String(options.threads ?? 1),
      preserve_insertion_order: "true",
      temp_directory: spill,
    });
    const background = await duck.instance.connect();
    return new ParquetWriter(duck, dir, spill, background, options.batchBytes ?? 256 * 2 ** 20);
  }

  /** Starts a table. */
  begin(columns: readonly WriterColumn[]): Promise<TableSink> {
    return Promise.resolve(new TableSink(this, columns, this.#batchBytes));
  }

  /** @internal Runs a statement on the background connection. */
  async runBackground(sql: string): Promise<void> {
    await this.#background.run(sql);
  }

  /** Rows of a parquet file (from its metadata). */
  async countRows(path: string): Promise<number> {
    return Number(await this.duck.value(`SELECT count(*) FROM read_parquet(${sqlLiteral(path)})`));
  }

  /**
   * Writes a query's result to `path` as parquet, atomically; returns rows and bytes. `rowBytes`
   * (the rows' typical size) sizes the row groups.
   */
  async copyQuery(
    select: string,
    path: string,
    options: { rowBytes?: number } = {},
  ): Promise<{ rows: number; bytes: number }> {
    let rows = 0;
    await atomicWrite(path, async (tmp) => {
      await this.duck.run(
        `COPY (${select}) TO ${sqlLiteral(tmp)} (${parquetOptions(options.rowBytes ?? 256)})`,
      );
      rows = await this.countRows(tmp);
    });
    const bytes = (await Deno.stat(path)).size;
    return { rows, bytes };
  }

  /** Closes DuckDB and removes its spill folder. */
  async close(): Promise<void> {
    this.#background.closeSync();
    this.duck.close();
    await Deno.remove(this.#spill, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** File-name prefix of the writer's DuckDB spill folders. */
export const STAGING_PREFIX = ".fetch-staging-";

/**
 * Removes what an interrupted run left in a snapshot directory: temporary parquet files
 * and JSON-lines parts (`.<name>.<hex>.tmp`) and DuckDB spill folders. Returns the names removed.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { removeLeftovers } from "./parquet_writer.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.nova.instances.2026-06-01.parquet.0a1b2c3d4e5f.tmp`, "x");
 * await Deno.writeTextFile(`${dir}/nova.instances.2026-06-01.parquet`, "kept");
 * deepEqual(await removeLeftovers(dir), [".nova.instances.2026-06-01.parquet.0a1b2c3d4e5f.tmp"]);
 * ```
 */
export function removeLeftovers(dir: string): Promise<string[]> {
  return Promise.resolve(removeLeftoversSync(dir));
}

/** {@linkcode removeLeftovers}, synchronously: safe to call from a signal handler. */
export function removeLeftoversSync(dir: string): string[] {
  const removed: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (isLeftover(e.name)) {
        Deno.removeSync(join(dir, e.name), { recursive: true });
        removed.push(e.name);
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return removed.sort();
}

function isLeftover(name: string): boolean {
  return /^\..+\.(parquet|json)\.[0-9a-f]{12}\.tmp$/.test(name) || name.startsWith(STAGING_PREFIX);
}
