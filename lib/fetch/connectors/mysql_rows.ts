/**
 * Raw rows from a `mysql2` query: each row of a text-protocol result set is handed over as the
 * bytes of its packet instead of being parsed into JS values, so no value becomes a JS string
 * (the writer packs the bytes as they are; see `packed_rows.ts`).
 *
 * This hooks one internal of `mysql2` (pinned in `deno.json`): a query is a state machine whose
 * row state is the method `row(packet, connection)`, looked up on the query object after the
 * column definitions; a packet holds its payload in `buffer[offset..end)`. The MariaDB tests
 * compare every value of every registry table with the server, so a change there fails loudly.
 *
 * | result set                                        | rows arrive as                      |
 * | ------------------------------------------------- | ----------------------------------- |
 * | every column numeric, temporal, JSON or text      | raw packets (`onRaw`)               |
 * | a binary string, BLOB, BIT or GEOMETRY column     | mysql2's parsed values (`result`)   |
 * | end of rows, or a further result set              | left to mysql2                      |
 *
 * @module
 */

/** A mysql2 packet: the payload is `buffer[offset..end)`. */
interface Packet {
  buffer: Uint8Array;
  offset: number;
  end: number;
  isEOF(): boolean;
}

/** A state of mysql2's query state machine. */
type State = (this: unknown, packet: Packet, connection: unknown) => unknown;

/** A column definition as mysql2 reports it in the `fields` event. */
export interface MysqlField {
  columnType: number;
  characterSet: number;
}

/** mysql2's character set number of binary strings. */
const BINARY_CHARSET = 63;
/** Column types whose values the server sends as ASCII text whatever the character set. */
const TEXT_TYPES = new Set([
  0, // DECIMAL
  1, // TINY
  2, // SHORT
  3, // LONG
  4, // FLOAT
  5, // DOUBLE
  6, // NULL
  7, // TIMESTAMP
  8, // LONGLONG
  9, // INT24
  10, // DATE
  11, // TIME
  12, // DATETIME
  13, // YEAR
  14, // NEWDATE
  17, // TIMESTAMP2
  18, // DATETIME2
  19, // TIME2
  245, // JSON (UTF-8)
  246, // NEWDECIMAL
]);
/** String types: text unless their character set is binary. */
const STRING_TYPES = new Set([15, 247, 248, 249, 250, 251, 252, 253, 254]);

/**
 * True when a column's values arrive as UTF-8 text (on a utf8mb4 connection): numbers, dates and
 * times, JSON, and strings of a non-binary character set.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isTextField } from "./mysql_rows.ts";
 * equal(isTextField({ columnType: 3, characterSet: 63 }), true); // INT
 * equal(isTextField({ columnType: 253, characterSet: 224 }), true); // VARCHAR utf8mb4
 * equal(isTextField({ columnType: 252, characterSet: 63 }), false); // BLOB
 * equal(isTextField({ columnType: 16, characterSet: 63 }), false); // BIT
 * ```
 */
export function isTextField(field: MysqlField): boolean {
  if (TEXT_TYPES.has(field.columnType)) return true;
  return STRING_TYPES.has(field.columnType) && field.characterSet !== BINARY_CHARSET;
}

/**
 * Makes `query` (from `connection.query()`) hand its rows to `onRaw(bytes, start, end)` as raw
 * packets when every column is text ({@linkcode isTextField}); otherwise its rows keep arriving
 * parsed, as `result` events. `onRaw` must not throw. Call before the query's first packet
 * arrives (right after `query()`).
 *
 * @example
 * ```ts ignore
 * const q = conn.query({ sql: "SELECT id, name FROM t", rowsAsArray: true });
 * rawTextRows(q, (bytes, start, end) => sink.appendMysqlRow(bytes, start, end));
 * q.on("result", (row) => sink.append(row)); // tables with binary columns
 * ```
 */
export function rawTextRows(
  query: unknown,
  onRaw: (bytes: Uint8Array, start: number, end: number) => void,
): void {
  const q = query as { row: State; on(event: "fields", f: (fields: MysqlField[]) => void): void };
  const parsed = Object.getPrototypeOf(q).row as State | undefined;
  if (typeof parsed !== "function" || typeof q.on !== "function") {
    throw new Error(
      "Cannot read MySQL rows: expected a mysql2 query with a row(packet) state, found none",
    );
  }
  let raw = false;
  q.on("fields", (fields) => {
    raw = fields.every(isTextField);
  });
  const state: State = function (this: unknown, packet, connection) {
    if (!raw || packet.isEOF()) return parsed.call(this, packet, connection);
    onRaw(packet.buffer, packet.offset, packet.end);
    return state;
  };
  q.row = state;
}
