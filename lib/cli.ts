/**
 * Shared entry point of the command-line tasks: any error, expected or not, ends the task with
 * one line on stderr (the first line of its message) and exit status 1; the stack trace only
 * with `LEDGER_DEBUG=1`.
 *
 * @module
 */
import { loadSitesConfig, type SitesConfig } from "./config.ts";
import { parseDate } from "./params.ts";

/**
 * Runs a task's main function; on any error (a bad flag, a missing table, a violated invariant
 * or a bug alike: errors carry no class that tells them apart) prints the first line of its
 * message to stderr and exits with status 1. Set `LEDGER_DEBUG=1` to see the stack as well.
 *
 * @example
 * ```ts ignore
 * await runMain(async () => { console.log("work"); });
 * ```
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const err = e as Error;
    const line = (err?.message ?? String(e)).split("\n")[0];
    console.error(`error: ${line}`);
    if (Deno.env.get("LEDGER_DEBUG")) console.error(err?.stack);
    Deno.exit(1);
  }
}

/**
 * Loads the sites file of a task and prints its notes (the predecessor's shape was read, ...)
 * on stderr, one line each.
 *
 * @example
 * ```ts ignore
 * const config = await loadTaskConfig("/abs/etc/sites.yaml");
 * ```
 */
export async function loadTaskConfig(path: string): Promise<SitesConfig> {
  const config = await loadSitesConfig(path);
  for (const n of config.notes ?? []) console.error(`note: ${n}`);
  return config;
}

/**
 * Checks date flags of a task: each given value must be `YYYY-MM-DD`; `action` names what the
 * task could not do.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { checkDateFlags } from "./cli.ts";
 * checkDateFlags("run the pipeline", { start: "2025-01-01", end: undefined });
 * throws(() => checkDateFlags("run the pipeline", { end: "2025-1-1" }),
 *   /Cannot run the pipeline: expected --end YYYY-MM-DD, found "2025-1-1"/);
 * ```
 */
export function checkDateFlags(action: string, flags: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(flags)) {
    try {
      parseDate(`--${k}`, v);
    } catch {
      throw new Error(`Cannot ${action}: expected --${k} YYYY-MM-DD, found "${v}"`);
    }
  }
}
