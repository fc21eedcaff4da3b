/**
 * The one reading of time text: every timestamp and date the project handles is UTC, written
 * `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (also with `T`, and a trailing `Z`), never
 * local time. These functions read such text into milliseconds, microseconds (the unit of span
 * bounds in DuckDB, `epoch_us`) or seconds (the demo generator's unit), and write instants back
 * as `YYYY-MM-DDTHH:MM:SS`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isoOfUs, utcUs } from "./time.ts";
 * equal(isoOfUs(utcUs("2024-03-31 02:30:00")), "2024-03-31T02:30:00");
 * ```
 *
 * @module
 */

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?Z?$/;

/**
 * Milliseconds since the epoch of UTC text; throws on text it cannot read or a date that does
 * not exist (`2024-02-30`).
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { utcMs } from "./time.ts";
 * equal(utcMs("1970-01-02"), 86_400_000);
 * equal(utcMs("1970-01-01T00:00:01.5Z"), 1_500);
 * throws(() => utcMs("2024-13-01"), /Cannot read timestamp "2024-13-01"/);
 * ```
 */
export function utcMs(text: string): number {
  const m = TIME.exec(text);
  if (m) {
    // Field by field, without arrays: charts read tens of thousands of timestamps.
    const y = +m[1], mo = +m[2], d = +m[3];
    const h = m[4] === undefined ? 0 : +m[4], mi = m[5] === undefined ? 0 : +m[5];
    const sec = m[6] === undefined ? 0 : +m[6];
    const ms = m[7] === undefined ? 0 : Math.floor(Number(m[7].padEnd(6, "0")) / 1000);
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, sec, ms));
    // Date.UTC rolls over (2024-13-01 is 2025-01-01): only an exact round trip is a valid time
    if (
      date.getUTCFullYear() === y && date.getUTCMonth() + 1 === mo && date.getUTCDate() === d &&
      date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === sec
    ) return date.getTime();
  }
  throw new RangeError(
    `Cannot read timestamp "${text}": expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)`,
  );
}

/**
 * Microseconds since the epoch of UTC text (millisecond precision), as DuckDB's `epoch_us`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { utcUs } from "./time.ts";
 * equal(utcUs("1970-01-02"), 86_400_000_000n);
 * equal(utcUs("1970-01-01 00:00:01"), 1_000_000n);
 * ```
 */
export function utcUs(text: string): bigint {
  return BigInt(utcMs(text)) * 1000n;
}

/**
 * Seconds since the epoch of UTC text.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { utcSeconds } from "./time.ts";
 * equal(utcSeconds("2024-01-01"), 1_704_067_200);
 * ```
 */
export function utcSeconds(text: string): number {
  return utcMs(text) / 1000;
}

/**
 * A UTC timestamp as a `Date`: a `Date` (copied) or text read by {@linkcode utcMs}.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { parseUtc } from "./time.ts";
 * equal(parseUtc("2024-03-31 02:30:00").toISOString(), "2024-03-31T02:30:00.000Z");
 * throws(() => parseUtc(new Date(Number.NaN)), /invalid Date/);
 * ```
 */
export function parseUtc(value: Date | string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError(`Cannot read timestamp: invalid Date`);
    return new Date(value.getTime());
  }
  return new Date(utcMs(String(value)));
}

/**
 * `YYYY-MM-DDTHH:MM:SS` (UTC, no zone) of milliseconds since the epoch.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isoOfMs } from "./time.ts";
 * equal(isoOfMs(1_500), "1970-01-01T00:00:01");
 * ```
 */
export function isoOfMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * `YYYY-MM-DDTHH:MM:SS` (UTC, no zone) of microseconds since the epoch.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { isoOfUs } from "./time.ts";
 * equal(isoOfUs(86_400_000_000n), "1970-01-02T00:00:00");
 * ```
 */
export function isoOfUs(us: bigint): string {
  return isoOfMs(Number(us / 1000n));
}
