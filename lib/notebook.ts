/**
 * Helpers for the notebooks, which run with the working directory `notebooks/` under nbconvert
 * and the repository root elsewhere.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";

/**
 * The repository root: `LEDGER_ROOT` when set, else the nearest folder at or above `from`
 * (default: the working directory) that holds `deno.json`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { repoRoot } from "./notebook.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/notebooks`);
 * await Deno.writeTextFile(`${dir}/deno.json`, "{}");
 * equal(repoRoot({ from: `${dir}/notebooks`, env: {} }), dir);
 * ```
 */
export function repoRoot(
  options: { from?: string; env?: Record<string, string | undefined> } = {},
): string {
  const fromEnv = options.env ? options.env.LEDGER_ROOT : Deno.env.get("LEDGER_ROOT");
  if (fromEnv) return resolve(fromEnv);
  const start = resolve(options.from ?? Deno.cwd());
  for (let dir = start;; dir = dirname(dir)) {
    try {
      if (Deno.statSync(join(dir, "deno.json")).isFile) return dir;
    } catch { /* keep walking up */ }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`Cannot find the repository root from "${start}": expected a deno.json above it`);
}
