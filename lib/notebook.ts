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

/** Something a notebook cell can show: trusted markup (see `lib/report/html.ts`) or plain text. */
export type Showable = { readonly html: string } | string;

/**
 * The MIME bundle of a showable value.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { mimeBundle } from "./notebook.ts";
 * deepEqual(mimeBundle({ html: "<b>hi</b>" }), { "text/html": "<b>hi</b>" });
 * deepEqual(mimeBundle("plain"), { "text/plain": "plain" });
 * ```
 */
export function mimeBundle(value: Showable): Record<string, string> {
  return typeof value === "string" ? { "text/plain": value } : { "text/html": value.html };
}

/**
 * Displays markup (or plain text) in the running Jupyter cell and resolves once the kernel has
 * sent it; outside Jupyter (tests, scripts) it does nothing. Resolves to nothing, so a cell
 * ending in `await show(x);` has no second, textual result.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { show } from "./notebook.ts";
 * equal(await show({ html: "<b>hi</b>" }), undefined);
 * ```
 */
export async function show(value: Showable): Promise<void> {
  let jupyter: { display(b: unknown, o: { raw: boolean }): Promise<void> } | undefined;
  try {
    // The getter throws outside the `deno jupyter` kernel.
    jupyter = (Deno as unknown as { jupyter: typeof jupyter }).jupyter;
  } catch {
    return;
  }
  await jupyter?.display(mimeBundle(value), { raw: true });
}
