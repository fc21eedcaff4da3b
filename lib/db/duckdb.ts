/**
 * A thin, disposable wrapper around `npm:@duckdb/node-api`: the engine for parquet I/O, joins,
 * the sweepline and resampling.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { dirname } from "node:path";
import { sqlLiteral } from "../sql.ts";

/**
 * Whether statement times are traced: `LEDGER_SQL_TRACE=1` prints one line per statement to
 * stderr (`sql <ms> <MiB DuckDB's buffers hold after it> <MiB resident> <its first 160
 * characters>`), which is how the stages' profiles in
 * docs/decisions/0008-stage-performance.md are taken. Off without the variable, or without the
 * permission to read it.
 */
const TRACE = (() => {
  try {
    return Deno.env.get("LEDGER_SQL_TRACE") === "1";
  } catch {
    return false;
  }
})();

/**
 * Runs `f`, printing its time, the memory DuckDB's buffer manager holds after it and the
 * process's resident set (MiB) and the statement's head when tracing.
 */
async function traced<T>(
  conn: DuckDBConnection,
  sql: string,
  f: () => Promise<T>,
): Promise<T> {
  if (!TRACE) return await f();
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    const ms = (performance.now() - t0).toFixed(0).padStart(7);
    const used = await conn.runAndReadAll(
      "SELECT (sum(memory_usage_bytes) / 1048576)::INTEGER FROM duckdb_memory()",
    ).then((r) => String(r.getRowsJS()[0]?.[0] ?? "?"), () => "?");
    const rss = String(Math.round(Deno.memoryUsage().rss / 2 ** 20)).padStart(5);
    const head = sql.replace(/\s+/g, " ").trim().slice(0, 160);
    console.error(`sql ${ms} ${used.padStart(5)} ${rss} ${head}`);
  }
}

/** Bound parameters: positional (`$1`) or named (`$name`). */
export type Params = DuckDBValue[] | Record<string, DuckDBValue>;

/**
 * An open DuckDB database with one connection. Close it with `using` or {@linkcode close}.
 * {@linkcode connect} adds a connection to the same database, for statements that run at the
 * same time as this one's.
 */
export class Duck implements Disposable {
  readonly instance: DuckDBInstance;
  readonly conn: DuckDBConnection;
  #closed = false;
  #onClose: (() => void)[] = [];
  /** Whether closing this also closes the database (false for {@linkcode connect}'s). */
  #ownsInstance: boolean;

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, ownsInstance = true) {
    this.instance = instance;
    this.conn = conn;
    this.#ownsInstance = ownsInstance;
  }

  /**
   * Opens a database file (or `:memory:`).
   *
   * @example
   * ```ts
   * import { equal } from "node:assert/strict";
   * import { Duck } from "./duckdb.ts";
   * using db = await Duck.open();
   * equal(await db.value("SELECT 6 * 7"), 42);
   * ```
   */
  static async open(path = ":memory:", config: Record<string, string> = {}): Promise<Duck> {
    const instance = await DuckDBInstance.create(path, config);
    const conn = await instance.connect();
    return new Duck(instance, conn);
  }

  /**
   * Another connection to the same database: it sees the same tables (not this connection's
   * TEMP ones) and runs its statements while this one runs others, on DuckDB's shared threads.
   * Closing it closes only the connection; close it before the database.
   *
   * @example
   * ```ts
   * import { equal } from "node:assert/strict";
   * import { Duck } from "./duckdb.ts";
   * using db = await Duck.open();
   * using other = await db.connect();
   * await Promise.all([db.run("CREATE TABLE a AS SELECT 1 AS x"), other.run("CREATE TABLE b AS SELECT 2 AS x")]);
   * equal(await other.value("SELECT sum(x) FROM (FROM a UNION ALL FROM b)"), 3n);
   * ```
   */
  async connect(): Promise<Duck> {
    return new Duck(this.instance, await this.instance.connect(), false);
  }

  /** Calls `f` after the database is closed (once). */
  onClose(f: () => void): void {
    this.#onClose.push(f);
  }

  /** Runs statements; nothing is returned. */
  async run(sql: string, params?: Params): Promise<void> {
    await traced(this.conn, sql, () => this.conn.run(sql, params));
  }

  /** Rows as JS objects (BIGINT as bigint, TIMESTAMP and DATE as Date). */
  async rows<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    const reader = await traced(this.conn, sql, () => this.conn.runAndReadAll(sql, params));
    return reader.getRowObjectsJS() as T[];
  }

  /** Rows as JSON-safe objects (BIGINT and DECIMAL as strings, TIMESTAMP as text). */
  async json<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]> {
    const reader = await traced(this.conn, sql, () => this.conn.runAndReadAll(sql, params));
    return reader.getRowObjectsJson() as T[];
  }

  /** The first column of the first row, as JS (undefined when there is no row). */
  async value<T = unknown>(sql: string, params?: Params): Promise<T> {
    const reader = await traced(this.conn, sql, () => this.conn.runAndReadAll(sql, params));
    const rows = reader.getRowsJS();
    return (rows[0]?.[0] ?? undefined) as T;
  }

  /** Closes the connection and (unless it came from {@linkcode connect}) the database; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.conn.closeSync();
    if (this.#ownsInstance) this.instance.closeSync();
    for (const f of this.#onClose) f();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** DuckDB's memory limit for the stages when the site sets none (`memory_limit` in sites.yaml). */
export const DEFAULT_MEMORY_LIMIT = "1GiB";

/** The units of a memory size as DuckDB takes and prints it, in bytes. */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/**
 * Checks a memory size as DuckDB's `memory_limit` takes it (`1GiB`, `1.5GB`, `800MB`) and returns
 * it; throws naming `what` otherwise.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { memoryLimit } from "./duckdb.ts";
 * equal(memoryLimit("1.5GiB"), "1.5GiB");
 * throws(() => memoryLimit("lots", "key \"memory_limit\""), /key "memory_limit": expected a size such as 1GiB or 800MB, found "lots"/);
 * ```
 */
export function memoryLimit(text: string, what = "memory limit"): string {
  const m = /^\d+(\.\d+)?\s*([A-Za-z]+)$/.exec(text);
  if (!m || !Object.hasOwn(SIZE_UNITS, m[2])) {
    throw new Error(`Cannot read ${what}: expected a size such as 1GiB or 800MB, found "${text}"`);
  }
  return text;
}

/**
 * DuckDB's memory limit of a database, in bytes (as `current_setting('memory_limit')` says it:
 * `1.0 GiB`, `256.0 MiB`).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { memoryLimitBytes, stageDb } from "./duckdb.ts";
 * const db = await stageDb({ tempDir: `${await Deno.makeTempDir()}/.duckdb-1.tmp`, limit: "256MiB" });
 * equal(await memoryLimitBytes(db), 256 * 2 ** 20);
 * db.close();
 * ```
 */
export async function memoryLimitBytes(db: Duck): Promise<number> {
  const text = await db.value<string>("SELECT current_setting('memory_limit')");
  const m = /^([\d.]+)\s*([A-Za-z]+)$/.exec(String(text).trim());
  const unit = m?.[2] === "bytes" ? 1 : m && Object.hasOwn(SIZE_UNITS, m[2]) ? SIZE_UNITS[m[2]] : 0;
  if (!m || unit === 0) {
    throw new Error(`Cannot read DuckDB's memory limit: expected a size, found "${text}"`);
  }
  return Number(m[1]) * unit;
}

/**
 * Opens the in-memory database of a stage with a memory limit and a spill directory: DuckDB keeps
 * its buffers under `limit` and writes what does not fit to `tempDir` (made when needed; DuckDB
 * removes its files when it closes, `close()` removes the directory). Rows may change order
 * between steps (`preserve_insertion_order = false`) unless `preserveOrder`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { stageDb } from "./duckdb.ts";
 * const tmp = `${await Deno.makeTempDir()}/out/.duckdb-1.tmp`; // out/ is made when missing
 * const db = await stageDb({ tempDir: tmp, limit: "256MiB" });
 * equal(await db.value("SELECT current_setting('memory_limit')"), "256.0 MiB");
 * db.close();
 * ```
 */
export async function stageDb(options: {
  tempDir: string;
  limit?: string;
  preserveOrder?: boolean;
}): Promise<Duck> {
  // DuckDB makes the directory itself, but not its parent (an output directory not made yet).
  await Deno.mkdir(dirname(options.tempDir), { recursive: true });
  const db = await Duck.open(":memory:", {
    preserve_insertion_order: options.preserveOrder ? "true" : "false",
    memory_limit: memoryLimit(options.limit ?? DEFAULT_MEMORY_LIMIT),
    temp_directory: options.tempDir,
  });
  db.onClose(() => {
    try {
      Deno.removeSync(options.tempDir, { recursive: true });
    } catch {
      // Never made (nothing spilled) or already gone.
    }
  });
  return db;
}

/**
 * An `ENUM` type of the given values (duplicates dropped), sorted in byte order (UTF-8, which is
 * code point order): values of the type then sort as the same values as `VARCHAR` do. With no
 * value, `VARCHAR`. Small string domains travel as ENUMs (one byte per value): they hash and sort
 * as integers, and the parquet writer takes their dictionary as it is instead of hashing every
 * string; read back from parquet they are `VARCHAR` again.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { enumType } from "./duckdb.ts";
 * equal(enumType(["b", "a", "b"]), "ENUM('a', 'b')");
 * equal(enumType([]), "VARCHAR");
 * ```
 */
export function enumType(values: Iterable<string>): string {
  const distinct = [...new Set(values)].sort(byCodePoint);
  return distinct.length > 0 ? `ENUM(${distinct.map(sqlLiteral).join(", ")})` : "VARCHAR";
}

/**
 * SQL: the constant `text` as a value of its own one-value ENUM ({@linkcode enumType}), for a
 * column that holds the same string on every row (a site key, a collector type).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { enumConstant } from "./duckdb.ts";
 * equal(enumConstant("tacc"), "CAST('tacc' AS ENUM('tacc'))");
 * ```
 */
export function enumConstant(text: string): string {
  return `CAST(${sqlLiteral(text)} AS ${enumType([text])})`;
}

/**
 * SQL: a `BIGINT` constant computed in TypeScript (an instant in microseconds, a count), for
 * statements that take no parameters (several statements in one call, DDL). Only a `bigint` is
 * accepted, so no text reaches the statement.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { sqlBigint } from "./duckdb.ts";
 * equal(sqlBigint(1767225600000000n), "1767225600000000::BIGINT");
 * ```
 */
export function sqlBigint(value: bigint): string {
  if (typeof value !== "bigint") throw new Error(`Expected a bigint, found ${typeof value}`);
  return `${value}::BIGINT`;
}

/** Compares strings by code point (UTF-8 byte order), not by UTF-16 code unit. */
function byCodePoint(a: string, b: string): number {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
