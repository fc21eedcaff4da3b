/**
 * The packed-row text in which fetched rows travel from the driver to DuckDB.
 *
 * A value is its text (UTF-8); fields are separated by U+001F and rows by U+001E; a field that is
 * exactly U+001A is NULL. The six control characters U+001A..U+001F never appear raw inside a
 * value: each is written as U+001B followed by the character 0x20 higher (`:` `;` `<` `=` `>`
 * `?`), and DuckDB undoes that only in rows that hold a U+001B, so ordinary rows cost one split.
 * Rows are packed into chunks of about {@linkcode CHUNK_BYTES}; DuckDB reads a list of chunk files
 * with `read_text` and splits them back ({@linkcode unpackSelect}).
 *
 * Two producers fill the same buffer: {@linkcode PackedBuffer.packValues} takes the JS values a
 * driver parsed, {@linkcode PackedBuffer.packMysqlRow} takes a MySQL text-protocol row packet as
 * bytes, so MariaDB rows never become JS strings. Both turn zero dates (`0000-00-00...`) of date
 * columns into NULL and count them.
 *
 * | value                          | packed as                      |
 * | ------------------------------ | ------------------------------ |
 * | NULL (or undefined)            | U+001A                         |
 * | zero date in a date column     | U+001A, counted                |
 * | text                           | its UTF-8, U+001A..F escaped   |
 * | number, bigint, boolean        | `String(v)` (`NaN`, `Infinity`) |
 * | bytes                          | decoded as UTF-8               |
 * | Date                           | `YYYY-MM-DD HH:MM:SS.mmm` (UTC) |
 * | other object                   | its JSON                       |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { catalogIdent } from "./select_sql.ts";

/** Bytes of packed rows per chunk file (a row larger than this gets a chunk of its own). */
export const CHUNK_BYTES = 2 ** 20;

/** Values shorter than this are copied byte by byte; longer ones up to a reserved byte with one `set`. */
const SHORT_VALUE = 64;
const NULL_MARK = 0x1a;
const ESC = 0x1b;
const ROW_SEP = 0x1e;
const FIELD_SEP = 0x1f;
const NULL_TEXT = "\x1a";
const FIELD_TEXT = "\x1f";
// The format reserves exactly these control characters.
// deno-lint-ignore no-control-regex
const RESERVED = /[\x1a-\x1f]/;
// deno-lint-ignore no-control-regex
const RESERVED_ALL = /[\x1a-\x1f]/g;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * The text DuckDB casts to the column's type, for a value that is neither null nor a string.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { valueText } from "./packed_rows.ts";
 * equal(valueText(0.1), "0.1");
 * equal(valueText(-Infinity), "-Infinity");
 * equal(valueText(2n ** 63n - 1n), "9223372036854775807");
 * equal(valueText(true), "true");
 * equal(valueText(new TextEncoder().encode("é")), "é");
 * equal(valueText(new Date("2020-01-02T03:04:05.678Z")), "2020-01-02 03:04:05.678");
 * equal(valueText({ a: [1, "x"] }), '{"a":[1,"x"]}');
 * ```
 */
export function valueText(v: unknown): string {
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof Uint8Array) return decoder.decode(v);
  if (v instanceof Date) return v.toISOString().replace("T", " ").replace("Z", "");
  return JSON.stringify(v);
}

function escapeText(s: string): string {
  return s.replace(RESERVED_ALL, (c) => "\x1b" + String.fromCharCode(c.charCodeAt(0) + 0x20));
}

function isZeroDate(s: string): boolean {
  return s.charCodeAt(0) === 48 && s.startsWith("0000-00-00");
}

/** `0000-00-00` at `b[i]`. */
function isZeroDateAt(b: Uint8Array, i: number, len: number): boolean {
  return len >= 10 && b[i] === 48 && b[i + 1] === 48 && b[i + 2] === 48 && b[i + 3] === 48 &&
    b[i + 4] === 45 && b[i + 5] === 48 && b[i + 6] === 48 && b[i + 7] === 45 &&
    b[i + 8] === 48 && b[i + 9] === 48;
}

/**
 * A buffer of packed rows for a table of `columns` values per row. `dateColumns[i]` marks the
 * columns whose zero dates become NULL; `zeroDates[i]` counts them. Take full chunks with
 * {@linkcode PackedBuffer.take} when {@linkcode PackedBuffer.full}, and the rest at the end.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { PackedBuffer } from "./packed_rows.ts";
 * const p = new PackedBuffer([false, true]);
 * p.packValues(["a\x1fb", "0000-00-00 00:00:00"]);
 * p.packValues([null, "2020-01-02"]);
 * equal(new TextDecoder().decode(p.take()!), "a\x1b?b\x1f\x1a\x1e\x1a\x1f2020-01-02");
 * equal(p.zeroDates[1], 1);
 * ```
 */
export class PackedBuffer {
  readonly columns: number;
  readonly zeroDates: number[];
  readonly #dateCols: boolean[];
  #buf = new Uint8Array(CHUNK_BYTES + 64 * 1024);
  #pos = 0;
  #rows = 0;

  constructor(dateColumns: readonly boolean[]) {
    this.columns = dateColumns.length;
    this.#dateCols = [...dateColumns];
    this.zeroDates = dateColumns.map(() => 0);
  }

  /** Rows in the buffer. */
  get rows(): number {
    return this.#rows;
  }

  /** Bytes in the buffer. */
  get bytes(): number {
    return this.#pos;
  }

  /** True once the buffer holds a chunk's worth of rows. */
  get full(): boolean {
    return this.#pos >= CHUNK_BYTES;
  }

  /**
   * Packs one row of JS values (the array may be modified); returns its bytes.
   * Throws when the row does not have {@linkcode PackedBuffer.columns} values.
   */
  packValues(row: unknown[]): number {
    const n = this.columns;
    if (row.length !== n) {
      throw new Error(`Cannot append a row: expected ${n} values, found ${row.length}`);
    }
    for (let i = 0; i < n; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        row[i] = NULL_TEXT;
        continue;
      }
      let s = typeof v === "string" ? v : valueText(v);
      if (this.#dateCols[i] && isZeroDate(s)) {
        this.zeroDates[i]++;
        row[i] = NULL_TEXT;
        continue;
      }
      if (RESERVED.test(s)) s = escapeText(s);
      row[i] = s;
    }
    const text = n === 1 ? row[0] as string : row.join(FIELD_TEXT);
    this.#reserve(text.length * 3 + 1);
    const start = this.#pos;
    if (this.#rows > 0) this.#buf[this.#pos++] = ROW_SEP;
    this.#pos += encoder.encodeInto(text, this.#buf.subarray(this.#pos)).written;
    this.#rows++;
    return this.#pos - start;
  }

  /**
   * Packs one MySQL text-protocol row: the packet payload `b[start..end)`, one length-encoded
   * string (or 0xFB for NULL) per column. Returns the row's bytes; throws on a malformed packet.
   */
  packMysqlRow(b: Uint8Array, start: number, end: number): number {
    this.#reserve(2 * (end - start) + 1);
    const buf = this.#buf;
    const dateCols = this.#dateCols;
    const n = this.columns;
    let pos = this.#pos;
    const first = pos;
    if (this.#rows > 0) buf[pos++] = ROW_SEP;
    let off = start;
    let i = 0;
    for (; i < n && off < end; i++) {
      if (i > 0) buf[pos++] = FIELD_SEP;
      let len = b[off++];
      if (len >= 0xfb) {
        if (len === 0xfb) {
          buf[pos++] = NULL_MARK;
          continue;
        } else if (len === 0xfc) {
          len = b[off] | (b[off + 1] << 8);
          off += 2;
        } else if (len === 0xfd) {
          len = b[off] | (b[off + 1] << 8) | (b[off + 2] << 16);
          off += 3;
        } else if (len === 0xfe) {
          len = (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16)) + b[off + 3] * 2 ** 24 +
            (b[off + 4] | (b[off + 5] << 8) | (b[off + 6] << 16)) * 2 ** 32 + b[off + 7] * 2 ** 56;
          off += 8;
        } else {
          break; // 0xFF is no length
        }
      }
      const e = off + len;
      if (e > end) break;
      if (dateCols[i] && isZeroDateAt(b, off, len)) {
        this.zeroDates[i]++;
        buf[pos++] = NULL_MARK;
        off = e;
        continue;
      }
      let j = off;
      if (len >= SHORT_VALUE) {
        // A long value: the run before its first reserved byte is copied with one `set` (for a
        // short one, a subarray costs more than copying byte by byte).
        while (j < e && (b[j] < 0x1a || b[j] > 0x1f)) j++;
        buf.set(b.subarray(off, j), pos);
        pos += j - off;
      }
      for (; j < e; j++) {
        const x = b[j];
        if (x >= 0x1a && x <= 0x1f) {
          buf[pos++] = ESC;
          buf[pos++] = x + 0x20;
        } else {
          buf[pos++] = x;
        }
      }
      off = e;
    }
    if (i !== n || off !== end) {
      throw new Error(
        `Cannot read a MySQL row: expected ${n} values in ${end - start} bytes, ${
          off > end ? "found a value past the end" : `found ${i} values and ${end - off} bytes left`
        }`,
      );
    }
    this.#pos = pos;
    this.#rows++;
    return pos - first;
  }

  /**
   * Removes and returns the rows packed so far as one chunk (or null when there are none). The
   * bytes stay valid until the next row is packed.
   */
  take(): Uint8Array | null {
    if (this.#rows === 0) return null;
    const chunk = this.#buf.subarray(0, this.#pos);
    this.#pos = 0;
    this.#rows = 0;
    return chunk;
  }

  /** Makes room for `bytes` more. */
  #reserve(bytes: number): void {
    if (this.#pos + bytes <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + bytes + 1));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}

/** The SQL that undoes the escapes of {@linkcode PackedBuffer} in a field `x`. */
function unescapeSql(x: string): string {
  let sql = x;
  for (const [code, byte] of [[":", 0x1a], ["<", 0x1c], ["=", 0x1d], [">", 0x1e], ["?", 0x1f]]) {
    sql = `replace(${sql}, '\x1b${code}', chr(${byte}))`;
  }
  return `replace(${sql}, '\x1b;', chr(27))`;
}

/** A column of the unpacked rows: its name, DuckDB type, and whether the source has it. */
export interface PackedColumn {
  name: string;
  type: string;
  present: boolean;
}

/**
 * The `SELECT` that reads packed chunk files back as rows of `columns` (present columns in
 * order, one field each; absent columns as typed NULLs), each value cast from text to its type.
 * With `tolerant`, a value that cannot be read as its type is NULL (`TRY_CAST`) instead of failing
 * the statement: {@linkcode unreadableSql} counts those.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { unpackSelect } from "./packed_rows.ts";
 * const sql = unpackSelect([
 *   { name: "id", type: "INTEGER", present: true },
 *   { name: "gone", type: "BIGINT", present: false },
 * ], ["/in/a.rows"]);
 * match(sql, /CAST\(.* AS INTEGER\) AS "id", CAST\(NULL AS BIGINT\) AS "gone"/);
 * match(sql, /read_text\(\['\/in\/a\.rows'\]\)/);
 * ```
 */
export function unpackSelect(
  columns: readonly PackedColumn[],
  files: readonly string[],
  options: { tolerant?: boolean } = {},
): string {
  const cast = options.tolerant ? "TRY_CAST" : "CAST";
  const select = columns.map((c, i) => {
    const name = catalogIdent(c.name, "duckdb");
    if (!c.present) return `CAST(NULL AS ${c.type}) AS ${name}`;
    const text = textField(columns, i);
    return c.type === "VARCHAR" ? `${text} AS ${name}` : `${cast}(${text} AS ${c.type}) AS ${name}`;
  });
  return `SELECT ${select.join(", ")} FROM ${unpackFrom(files)}`;
}

/** The text of present column `i` (NULL for the NULL marker, unescaped where needed). */
function textField(columns: readonly PackedColumn[], i: number): string {
  const f = `l[${columns.slice(0, i + 1).filter((c) => c.present).length}]`;
  return `CASE WHEN ${f} = chr(26) THEN NULL WHEN e THEN ${unescapeSql(f)} ELSE ${f} END`;
}

function unpackFrom(files: readonly string[]): string {
  return files.length === 0
    ? "(SELECT CAST(NULL AS VARCHAR[]) AS l, false AS e) WHERE false"
    : `(SELECT string_split(r, chr(31)) AS l, contains(r, chr(27)) AS e FROM (SELECT unnest(string_split(content, chr(30))) AS r FROM read_text([${
      files.map(sqlLiteral).join(", ")
    }])))`;
}

/**
 * The query that finds, per typed column, the values of packed chunk files that cannot be read as
 * the column's type: one row per such column with `name`, `n` (how many), `key` (the smallest
 * value of the `key` column among those rows, as text, or NULL) and `value` (one such value).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { unreadableSql } from "./packed_rows.ts";
 * const sql = unreadableSql([
 *   { name: "id", type: "INTEGER", present: true },
 *   { name: "at", type: "TIMESTAMP", present: true },
 * ], ["/in/a.rows"], "id");
 * match(sql, /TRY_CAST\(t2 AS TIMESTAMP\) IS NULL/);
 * ```
 */
export function unreadableSql(
  columns: readonly PackedColumn[],
  files: readonly string[],
  key: string | null,
): string {
  const texts = columns.map((c, i) => c.present ? `${textField(columns, i)} AS t${i + 1}` : null)
    .filter((x) => x !== null);
  const k = key ? columns.findIndex((c) => c.name === key && c.present) : -1;
  const keyText = k >= 0 ? `t${k + 1}` : "NULL";
  const checks = columns.flatMap((c, i) => {
    if (!c.present || c.type === "VARCHAR") return [];
    const t = `t${i + 1}`;
    const bad = `${t} IS NOT NULL AND TRY_CAST(${t} AS ${c.type}) IS NULL`;
    return [
      `SELECT ${
        sqlLiteral(c.name)
      } AS name, count(*) AS n, min(${keyText}) AS key, min(${t}) AS value FROM rows WHERE ${bad}`,
    ];
  });
  if (checks.length === 0) {
    return "SELECT NULL AS name, 0 AS n, NULL AS key, NULL AS value WHERE false";
  }
  return `WITH rows AS (SELECT ${texts.join(", ")} FROM ${unpackFrom(files)}) SELECT * FROM (${
    checks.join(" UNION ALL ")
  }) WHERE n > 0 ORDER BY name`;
}
