/**
 * Progress of a fetch, one table at a time, on stderr.
 *
 * - `tty` (stderr is a terminal): one live line per table with rows done, rows/s and status,
 *   rewritten in place and closed by the table's summary.
 * - `plain` (no terminal): parseable `key=value` lines, a `status=running` line every few
 *   seconds for a long table, then the summary line.
 * - `quiet` (`CI=true`): the per-table summary lines only.
 *
 * A summary line reads `fetch site=demo table=nova.instances status=ok rows=19062 seconds=0.21`;
 * a failed table adds `message="..."` (JSON-quoted, secrets already masked by the caller).
 *
 * @module
 */
import type { TableStatus } from "./manifest.ts";

/** How progress is shown. */
export type ProgressMode = "tty" | "plain" | "quiet";

/**
 * The mode for this process: `quiet` when `CI=true`, `tty` when stderr is a terminal, else
 * `plain`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { progressMode } from "./progress.ts";
 * equal(progressMode({ ci: "true", terminal: true }), "quiet");
 * equal(progressMode({ ci: undefined, terminal: false }), "plain");
 * ```
 */
export function progressMode(
  options: { ci?: string; terminal?: boolean } = {},
): ProgressMode {
  const ci = "ci" in options ? options.ci : Deno.env.get("CI");
  if (ci === "true" || ci === "1") return "quiet";
  const terminal = options.terminal ?? Deno.stderr.isTerminal();
  return terminal ? "tty" : "plain";
}

/** Fields of a summary line. */
export interface SummaryFields {
  site: string;
  table: string;
  status: TableStatus | "running";
  rows: number;
  seconds: number;
  message?: string | null;
}

/**
 * A parseable progress line.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { summaryLine } from "./progress.ts";
 * equal(
 *   summaryLine({ site: "demo", table: "nova.instances", status: "ok", rows: 19062, seconds: 0.214 }),
 *   "fetch site=demo table=nova.instances status=ok rows=19062 seconds=0.21",
 * );
 * ```
 */
export function summaryLine(f: SummaryFields): string {
  const parts = [
    `fetch site=${f.site}`,
    `table=${f.table}`,
    `status=${f.status}`,
    `rows=${f.rows}`,
    `seconds=${f.seconds.toFixed(2)}`,
  ];
  if (f.status === "running" && f.seconds > 0) {
    parts.push(`rows_per_s=${Math.round(f.rows / f.seconds)}`);
  }
  if (f.message) parts.push(`message=${JSON.stringify(f.message)}`);
  return parts.join(" ");
}

/** Reports a fetch's progress; `write` defaults to stderr. */
export class Progress {
  readonly site: string;
  readonly mode: ProgressMode;
  readonly #write: (text: string) => void;
  readonly #plainEveryMs: number;
  #table = "";
  #started = 0;
  #lastShown = 0;

  /**
   * @example
   * ```ts
   * import { match } from "node:assert/strict";
   * import { Progress } from "./progress.ts";
   * let out = "";
   * const p = new Progress("demo", "quiet", { write: (t) => out += t });
   * p.start("nova.services");
   * p.rows(12);
   * p.done("nova.services", "ok", 12, 0.5);
   * match(out, /^fetch site=demo table=nova.services status=ok rows=12 seconds=0.50\n$/);
   * ```
   */
  constructor(
    site: string,
    mode: ProgressMode = progressMode(),
    options: { write?: (text: string) => void; plainEveryMs?: number } = {},
  ) {
    this.site = site;
    this.mode = mode;
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
    this.#plainEveryMs = options.plainEveryMs ?? 5000;
  }

  /** A table starts. */
  start(table: string): void {
    this.#table = table;
    this.#started = performance.now();
    this.#lastShown = this.#started;
    if (this.mode === "tty") this.#live(0, "running");
  }

  /** Rows done so far in the current table (cheap to call often). */
  rows(rows: number): void {
    if (this.mode === "quiet") return;
    const now = performance.now();
    const every = this.mode === "tty" ? 100 : this.#plainEveryMs;
    if (now - this.#lastShown < every) return;
    this.#lastShown = now;
    if (this.mode === "tty") this.#live(rows, "running");
    else {
      this.#write(
        summaryLine({
          site: this.site,
          table: this.#table,
          status: "running",
          rows,
          seconds: (now - this.#started) / 1000,
        }) + "\n",
      );
    }
  }

  /** A table is done (possibly after the next one started): its summary line. */
  done(
    table: string,
    status: TableStatus,
    rows: number,
    seconds: number,
    message: string | null = null,
  ): void {
    const line = summaryLine({ site: this.site, table, status, rows, seconds, message });
    this.#write(this.mode === "tty" ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  #live(rows: number, status: string): void {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    this.#write(
      `\r\x1b[2K${this.#table.padEnd(48)} ${String(rows).padStart(10)} rows ${
        String(rate).padStart(9)
      } rows/s  ${status}`,
    );
  }
}
