/**
 * Shared by the benchmarks: a command timed in a subprocess under `/usr/bin/time` (wall seconds
 * and maximum resident set size) and the median of runs.
 *
 * @module
 */

/** One measured run. */
export interface Measure {
  seconds: number;
  peakRssMb: number;
}

/**
 * The median of numbers.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { median } from "./_measure.ts";
 * equal(median([5, 1, 3]), 3);
 * equal(median([4, 1, 3, 2]), 2.5);
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("Cannot take the median: expected values, found none");
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A string quoted for `sh`. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Runs a command under `/usr/bin/time` and returns its wall seconds and peak RSS (MiB). Its
 * stdout goes to `stdoutFile` (or nowhere). A command that fails throws one line naming `label`
 * (default: the command), how it ended and the command's last line of error output; no number
 * is returned for a failed run.
 */
export async function timed(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; stdoutFile?: string; label?: string } = {},
): Promise<Measure> {
  const marker = "LEDGER_TIME";
  const script = options.stdoutFile
    ? `exec "$0" "$@" > ${shellQuote(options.stdoutFile)}`
    : `exec "$0" "$@" > /dev/null`;
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", `${marker} %e %M`, "sh", "-c", script, cmd, ...args],
    env: options.env,
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  const m = new RegExp(`${marker} ([\\d.]+) (\\d+)`).exec(err);
  if (!out.success || !m) {
    const lines = err.trim().split("\n").filter((l) => l.trim() !== "" && !l.startsWith(marker));
    const ended = lines.filter((l) => /^Command (exited|terminated)/.test(l)).join(", ") ||
      `exit status ${out.code}`;
    const last = lines.filter((l) => !/^Command (exited|terminated)/.test(l)).at(-1) ??
      "no error output";
    throw new Error(
      `Cannot benchmark ${options.label ?? `"${cmd}"`}: it failed (${ended}): ${last.trim()}`,
    );
  }
  return { seconds: Number(m[1]), peakRssMb: Number(m[2]) / 1024 };
}
