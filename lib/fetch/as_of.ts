/**
 * `as_of`: the moment a snapshot describes (docs/design.md §5), not the moment it was copied.
 *
 * In order: the fetch's `--as-of` flag, the site's `as_of` key, a DuckDB source's
 * `main.snapshot_meta.as_of`, else the server's clock; but when the newest record timestamp of the
 * fetched rows (`created_at`, `updated_at`, `deleted_at`; never schedule dates such as a lease's
 * `end_date`) is more than a day older than the server's clock, the data is a restored dump: then
 * `as_of` is that newest timestamp, with one warning line. The manifest records `as_of_source`.
 *
 * @module
 */

/** Columns whose values are record timestamps (when a row was written), not schedules. */
export const RECORD_TIMESTAMP_COLUMNS = ["created_at", "updated_at", "deleted_at"] as const;

/** How much older than the server's clock the newest record may be before it wins. */
const DUMP_GAP_MS = 24 * 3600 * 1000;

/** What {@linkcode chooseAsOf} decided. */
export interface AsOfChoice {
  /** `YYYY-MM-DDTHH:MM:SS`, UTC. */
  asOf: string;
  /** Where it came from (the manifest's `as_of_source`). */
  source: string;
  /** One warning line when the newest record replaced the server's clock, else null. */
  warning: string | null;
}

/**
 * Chooses `as_of` from what is known.
 *
 * @param input `flag` (`--as-of`), `site` (the site's `as_of` key), `meta` (a DuckDB source's
 * snapshot_meta), `server` (the server's clock and its description), `newestRecord` (the newest
 * record timestamp fetched, and where it was found).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { chooseAsOf } from "./as_of.ts";
 * const server = { asOf: "2026-12-02T18:00:00", source: "server clock" };
 * const newest = { at: "2026-05-31T23:10:00", where: "nova.instances.updated_at" };
 * const dump = chooseAsOf({ server, newestRecord: newest });
 * equal(dump.asOf, "2026-05-31T23:10:00");
 * equal(dump.source, "newest record (nova.instances.updated_at)");
 * equal(chooseAsOf({ flag: "2026-06-01T00:00:00", server, newestRecord: newest }).source, "--as-of");
 * equal(chooseAsOf({ server, newestRecord: { ...newest, at: "2026-12-02T09:00:00" } }).asOf,
 *   "2026-12-02T18:00:00");
 * ```
 */
export function chooseAsOf(input: {
  flag?: string;
  site?: string;
  meta?: { asOf: string; source: string } | null;
  server: { asOf: string; source: string };
  newestRecord?: { at: string; where: string } | null;
}): AsOfChoice {
  if (input.flag) {
    return { asOf: normalizeAsOf(input.flag, "--as-of"), source: "--as-of", warning: null };
  }
  if (input.site) return { asOf: input.site, source: "site as_of", warning: null };
  if (input.meta) return { ...input.meta, warning: null };
  const newest = input.newestRecord;
  if (newest) {
    const gap = Date.parse(`${input.server.asOf}Z`) - Date.parse(`${newest.at}Z`);
    if (gap > DUMP_GAP_MS) {
      return {
        asOf: newest.at,
        source: `newest record (${newest.where})`,
        warning:
          `as_of is ${newest.at}, the newest record timestamp (${newest.where}): the ${input.server.source} says ${input.server.asOf}, ${
            Math.floor(gap / DUMP_GAP_MS)
          } days later, so this looks like a restored dump (set --as-of or the site's as_of to override)`,
      };
    }
  }
  return { ...input.server, warning: null };
}

/**
 * An `as_of` value as `YYYY-MM-DDTHH:MM:SS` (a date alone is its midnight); throws one line naming
 * `what` otherwise.
 *
 * @example
 * ```ts
 * import { equal, throws } from "node:assert/strict";
 * import { normalizeAsOf } from "./as_of.ts";
 * equal(normalizeAsOf("2026-06-01", "--as-of"), "2026-06-01T00:00:00");
 * equal(normalizeAsOf("2026-06-01 12:30:00", "--as-of"), "2026-06-01T12:30:00");
 * throws(() => normalizeAsOf("2026-13-01", "--as-of"), /expected YYYY-MM-DD/);
 * ```
 */
export function normalizeAsOf(value: string, what: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2}))?$/.exec(value.trim());
  const out = m ? `${m[1]}T${m[2] ?? "00:00:00"}` : "";
  const d = new Date(`${out}Z`);
  if (!m || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19) !== out) {
    throw new Error(`Cannot use ${what}: expected YYYY-MM-DD[THH:MM:SS], found "${value}"`);
  }
  return out;
}
