/**
 * Writes fetched tables to parquet with bounded memory.
 *
 * Rows (parsed values or raw MySQL row packets) are packed as text (`packed_rows.ts`) into chunk
 * files of about 1 MiB; once a part holds about `batchBytes`, DuckDB casts it and writes a parquet
 * part in the background. `finish` renames or merges the parts into place atomically. Memory holds
 * one chunk; the disk the chunks of at most two parts (decision 0009). Every value reaches DuckDB as text and is cast to its parquet type exactly: dates without zone
 * shift (zero dates NULL and counted), DECIMAL/BIGINT as text, floats as shortest round-trip text,
 * BOOLEAN from 0/1, text from strings, bytes (UTF-8) or objects (JSON). A value that cannot be cast
 * is NULL and counted per column (`unreadable`).
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import { Duck } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { atomicWrite, tempPathFor } from "../fs.ts";
import { PackedBuffer, unpackSelect, unreadableSql } from "./packed_rows.ts";

export { valueText } from "./packed_rows.ts";

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
  /** Values that could not be read as their column's type, NULL in the file, per column. */
  unreadable: Record<string, number>;
  /** One such value per column and the smallest key of its rows (when the table has a key). */
  unreadableSamples: Record<string, { key: string | null; value: string }>;
}

/** Part conversions that run at once (each on one DuckDB thread, beside the JS thread). */
const CONVERSIONS = 2;
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

/** A part being filled: its chunk files. */
interface Part {
  chunks: string[];
  rows: number;
  bytes: number;
}

/**
 * Receives one table's rows. Get one from {@linkcode ParquetWriter.begin}, call
 * {@linkcode TableSink.append} (or {@linkcode TableSink.appendMysqlRow}) per row, then
 * {@linkcode TableSink.finish} (or {@linkcode TableSink.abort}). A caller that outruns the
 * background conversions waits on {@linkcode TableSink.drain} when {@linkcode TableSink.backlog}
 * exceeds 1.
 */
export class TableSink {
  readonly #writer: ParquetWriter;
  readonly #columns: readonly WriterColumn[];
  readonly #present: readonly WriterColumn[];
  readonly #packed: PackedBuffer;
  readonly #batchBytes: number;
  readonly #key: string | null;
  readonly #unreadable: Record<string, number> = {};
  readonly #samples: Record<string, { key: string | null; value: string }> = {};
  readonly #parts: string[] = [];
  readonly #chunks = new Set<string>();
  #part: Part = { chunks: [], rows: 0, bytes: 0 };
  #pending: Promise<void> = Promise.resolve();
  #backlog = 0;
  #failure: unknown = null;
  #rows = 0;
  #bytes = 0;
  #done = false;

  /** @internal */
  constructor(
    writer: ParquetWriter,
    columns: readonly WriterColumn[],
    batchBytes: number,
    key: string | null = null,
  ) {
    this.#writer = writer;
    this.#key = key;
    this.#columns = columns;
    this.#present = columns.filter((c) => c.present);
    this.#packed = new PackedBuffer(
      this.#present.map((c) => c.type === "TIMESTAMP" || c.type === "DATE"),
    );
    this.#batchBytes = batchBytes;
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
    this.#check();
    this.#added(this.#packed.packValues(row));
  }

  /**
   * Appends one MySQL text-protocol row: the payload `bytes[start..end)` of a row packet of a
   * result set whose columns are the present columns, in order, all sent as UTF-8 text.
   *
   * @example
   * ```ts
   * import { equal } from "node:assert/strict";
   * import { ParquetWriter } from "./parquet_writer.ts";
   * const dir = await Deno.makeTempDir();
   * await using w = await ParquetWriter.open(dir);
   * const t = await w.begin([
   *   { name: "id", type: "INTEGER", present: true },
   *   { name: "name", type: "VARCHAR", present: true },
   * ]);
   * t.appendMysqlRow(new Uint8Array([1, 0x37, 0xfb]), 0, 3); // 7, NULL
   * const r = await t.finish(`${dir}/t.parquet`);
   * equal(r.rows, 1);
   * ```
   */
  appendMysqlRow(bytes: Uint8Array, start: number, end: number): void {
    this.#check();
    this.#added(this.#packed.packMysqlRow(bytes, start, end));
  }

  #check(): void {
    if (this.#done) throw new Error("Cannot append a row: the table was already finished");
  }

  #added(bytes: number): void {
    const part = this.#part;
    part.rows++;
    part.bytes += bytes;
    this.#bytes += bytes;
    this.#rows++;
    if (this.#packed.full) this.#writeChunk();
    if (part.bytes >= this.#batchBytes) {
      this.#closePart(null);
      this.#part = { chunks: [], rows: 0, bytes: 0 };
    }
  }

  /** Writes the packed rows to a new chunk file of the current part. */
  #writeChunk(): void {
    const chunk = this.#packed.take();
    if (chunk === null) return;
    const path = this.#writer.chunkPath();
    this.#chunks.add(path);
    this.#part.chunks.push(path);
    Deno.writeFileSync(path, chunk);
  }

  /** Converts the last part, renames or merges the parts into `path` (atomically). */
  async finish(path: string): Promise<WriteResult> {
    if (this.#done) throw new Error(`Cannot finish "${path}": the table was already finished`);
    this.#done = true;
    try {
      if (this.#part.rows > 0 || this.#parts.length === 0) this.#closePart(path);
      await this.drain();
      let rows: number;
      if (this.#parts.length === 1) {
        rows = await this.#writer.countRows(this.#parts[0]);
        await Deno.rename(this.#parts[0], path);
      } else {
        const list = this.#parts.map(sqlLiteral).join(", ");
        rows = (await this.#writer.copyQuery(`SELECT * FROM read_parquet([${list}])`, path, {
          rowBytes: this.#bytes / Math.max(1, this.#rows),
        })).rows;
      }
      if (rows !== this.#rows) {
        throw new Error(
          `Cannot write "${path}": expected ${this.#rows} rows in the parquet file, found ${rows}`,
        );
      }
      const zeroDates: Record<string, number> = {};
      this.#present.forEach((c, i) => {
        const n = this.#packed.zeroDates[i];
        if (n > 0) zeroDates[c.name] = n;
      });
      return {
        rows,
        bytes: (await Deno.stat(path)).size,
        zeroDates,
        unreadable: { ...this.#unreadable },
        unreadableSamples: { ...this.#samples },
      };
    } finally {
      await this.#cleanup();
    }
  }

  /** Drops everything written so far; no file is left. */
  async abort(): Promise<void> {
    this.#done = true;
    this.#packed.take();
    await this.#cleanup();
  }

  async #cleanup(): Promise<void> {
    await this.#pending.catch(() => {});
    for (const p of [...this.#parts, ...this.#chunks]) await Deno.remove(p).catch(() => {});
    this.#chunks.clear();
  }

  /** Writes the current part's last chunk and queues its conversion after the parts before it. */
  #closePart(finalPath: string | null): void {
    this.#writeChunk();
    const part = this.#part;
    const parquet = tempPathFor(finalPath ?? join(this.#writer.dir, "part.parquet"));
    this.#parts.push(parquet);
    this.#backlog++;
    const sql = convertSql(this.#columns, part.chunks, parquet, {
      rowBytes: part.rows > 0 ? part.bytes / part.rows : 1,
    });
    this.#pending = this.#pending.then(async () => {
      try {
        if (this.#failure === null) {
          try {
            await this.#writer.runConverting(sql);
          } catch (e) {
            // Bad values are rows, not tables: find the values that cannot be read as their
            // column's type, count them, and convert again with those values as NULL.
            if (this.#writer.halted) throw e;
            const bad = await this.#writer.unreadable(
              unreadableSql(this.#columns, part.chunks, this.#key),
            );
            if (bad.length === 0) throw e;
            for (const b of bad) {
              this.#unreadable[b.name] = (this.#unreadable[b.name] ?? 0) + b.n;
              this.#samples[b.name] ??= { key: b.key, value: b.value };
            }
            await this.#writer.runConverting(
              convertSql(this.#columns, part.chunks, parquet, {
                rowBytes: part.rows > 0 ? part.bytes / part.rows : 1,
                tolerant: true,
              }),
            );
          }
        }
      } catch (e) {
        this.#failure ??= e;
      } finally {
        this.#backlog--;
        for (const c of part.chunks) {
          this.#chunks.delete(c);
          await Deno.remove(c).catch(() => {});
        }
      }
    });
  }
}

/**
 * The `COPY` that converts a part's chunk files of packed rows (present columns only) to
 * parquet: each value cast from text to its column type, absent columns as typed NULLs.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { convertSql } from "./parquet_writer.ts";
 * const sql = convertSql([
 *   { name: "id", type: "INTEGER", present: true },
 *   { name: "compute_id", type: "BIGINT", present: false },
 * ], ["/in/c1.rows"], "/in/p.parquet", { rowBytes: 80 });
 * match(sql, /^COPY \(SELECT .* AS "id", CAST\(NULL AS BIGINT\) AS "compute_id" FROM /);
 * match(sql, /TO '\/in\/p\.parquet' \(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880\)$/);
 * ```
 */
export function convertSql(
  columns: readonly WriterColumn[],
  chunks: readonly string[],
  parquetPath: string,
  sizes: { rowBytes: number; tolerant?: boolean },
): string {
  return `COPY (${unpackSelect(columns, chunks, { tolerant: sizes.tolerant })}) TO ${
    sqlLiteral(parquetPath)
  } (${parquetOptions(sizes.rowBytes)})`;
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
  readonly #batchBytes: number;
  /** Statements running (conversions and merges). */
  #running = 0;
  /** Conversions running or connecting. */
  #converting = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #active = new Set<DuckDBConnection>();
  #halted = false;
  #closed = false;
  #chunkSeq = 0;

  private constructor(duck: Duck, dir: string, spill: string, batchBytes: number) {
    this.duck = duck;
    this.dir = dir;
    this.#spill = spill;
    this.#batchBytes = batchBytes;
  }

  /**
   * Opens a writer for `dir`. `batchBytes` is the packed text of a part (@default {256 MiB}, in
   * chunk files on disk, not in memory); `memoryLimit` caps DuckDB's memory
   * (@default {"1GB"}); `threads` are DuckDB's (@default {1}: conversions run beside the JS
   * thread that reads rows, and one thread keeps the parquet writer's buffers small).
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
    const writer = new ParquetWriter(duck, dir, spill, options.batchBytes ?? 256 * 2 ** 20);
    OPEN_WRITERS.add(writer);
    return writer;
  }

  /** Starts a table; `key` names the column that identifies a row in messages. */
  begin(
    columns: readonly WriterColumn[],
    options: { key?: string | null } = {},
  ): Promise<TableSink> {
    return Promise.resolve(new TableSink(this, columns, this.#batchBytes, options.key ?? null));
  }

  /** @internal Runs an {@linkcode unreadableSql} query on a connection of its own. */
  async unreadable(
    sql: string,
  ): Promise<{ name: string; n: number; key: string | null; value: string }[]> {
    const conn = await this.duck.instance.connect();
    try {
      const reader = await conn.runAndReadAll(sql);
      return (reader.getRowObjectsJS() as {
        name: string;
        n: bigint;
        key: string | null;
        value: string;
      }[])
        .map((r) => ({ name: r.name, n: Number(r.n), key: r.key, value: r.value }));
    } finally {
      conn.closeSync();
    }
  }

  /** @internal A new chunk file's temporary path in the snapshot directory. */
  chunkPath(): string {
    this.#refuseIfHalted("write rows");
    return tempPathFor(join(this.dir, `chunk${++this.#chunkSeq}.rows`));
  }

  /** True once {@linkcode ParquetWriter.halt} was called: the writer makes no more files. */
  get halted(): boolean {
    return this.#halted;
  }

  /**
   * Stops writing: running statements are interrupted, and no chunk, part or file is started
   * again. Resolves once DuckDB no longer runs any statement of the writer, so that a sweep of the
   * temporary files ({@linkcode removeLeftoversSync}) afterwards finds them all.
   */
  async halt(): Promise<void> {
    this.#halted = true;
    for (const conn of this.#active) conn.interrupt();
    while (this.#running > 0) await new Promise<void>((r) => this.#waiting.push(r));
  }

  #refuseIfHalted(what: string): void {
    if (this.#halted) throw new Error(`Cannot ${what}: the fetch was interrupted`);
  }

  /** Runs `sql` on `conn`, counted as running and interruptible by {@linkcode halt}. */
  async #runTracked(conn: DuckDBConnection, sql: string): Promise<void> {
    this.#refuseIfHalted("write parquet");
    this.#running++;
    this.#active.add(conn);
    try {
      await conn.run(sql);
    } finally {
      this.#active.delete(conn);
      this.#running--;
      for (const wake of this.#waiting.splice(0)) wake();
    }
  }

  /**
   * @internal Runs a statement on a connection of its own once fewer than
   * {@linkcode CONVERSIONS} others run: a table's parts are queued one after the other by its
   * sink, so parts of different tables run side by side, each on one thread.
   */
  async runConverting(sql: string): Promise<void> {
    while (this.#converting >= CONVERSIONS) {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    this.#converting++;
    try {
      const conn = await this.duck.instance.connect();
      try {
        await this.#runTracked(conn, sql);
      } finally {
        conn.closeSync();
      }
    } finally {
      this.#converting--;
      for (const wake of this.#waiting.splice(0)) wake();
    }
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
    this.#refuseIfHalted("write parquet");
    await atomicWrite(path, async (tmp) => {
      await this.#runTracked(
        this.duck.conn,
        `COPY (${select}) TO ${sqlLiteral(tmp)} (${parquetOptions(options.rowBytes ?? 256)})`,
      );
      rows = await this.countRows(tmp);
    });
    const bytes = (await Deno.stat(path)).size;
    return { rows, bytes };
  }

  /** Closes DuckDB and removes its spill folder. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#converting > 0 || this.#running > 0) {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    OPEN_WRITERS.delete(this);
    this.duck.close();
    await Deno.remove(this.#spill, { recursive: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The writers open in this process (for {@linkcode haltWriters}). */
const OPEN_WRITERS = new Set<ParquetWriter>();

/**
 * Halts every open writer ({@linkcode ParquetWriter.halt}): on Ctrl-C, before the temporary files
 * are swept, so that DuckDB starts none after the sweep.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { haltWriters, ParquetWriter } from "./parquet_writer.ts";
 * await using w = await ParquetWriter.open(await Deno.makeTempDir());
 * await haltWriters();
 * equal(w.halted, true);
 * ```
 */
export async function haltWriters(): Promise<void> {
  await Promise.all([...OPEN_WRITERS].map((w) => w.halt()));
}

/** File-name prefix of the writer's DuckDB spill folders. */
export const STAGING_PREFIX = ".fetch-staging-";

/**
 * Removes what an interrupted run left in a snapshot directory: temporary parquet files and
 * chunks of packed rows (`.<name>.<hex>.tmp`; JSON-lines parts of earlier versions too) and DuckDB
 * spill folders. Returns the names removed.
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
  let names: string[];
  try {
    // Listed first, then removed one by one: a file that a sink removes meanwhile (its cleanup
    // runs asynchronously) must not stop the sweep.
    names = [...Deno.readDirSync(dir)].map((e) => e.name).filter(isLeftover);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    try {
      Deno.removeSync(join(dir, name), { recursive: true });
      removed.push(name);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return removed.sort();
}

function isLeftover(name: string): boolean {
  return /^\..+\.(parquet|json|rows)\.[0-9a-f]{12}\.tmp$/.test(name) ||
    name.startsWith(STAGING_PREFIX);
}
