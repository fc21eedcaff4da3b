/**
 * One fetch per input directory at a time: `<input_dir>/.fetch.lock`, created exclusively, holds
 * the holder's pid, host and start time. A second fetch fails with one line naming the holder. A
 * lock whose process is gone (same host, no such pid) is stale and taken over.
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";

/** The lock file's name inside an input directory. */
export const LOCK_FILE = ".fetch.lock";

interface Holder {
  pid: number;
  host: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the fetch lock of `inputDir` (created if needed); release it with `using` or
 * `[Symbol.dispose]()`. Throws one line naming the holder when another fetch runs.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { lockInputDir } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = lockInputDir(dir);
 * const mine = JSON.parse(Deno.readTextFileSync(`${dir}/.fetch.lock`)).pid;
 * if (mine !== Deno.pid) throw new Error("not mine");
 * // this process holds it: a second take is refused, naming the holder
 * throws(() => lockInputDir(dir), /another fetch holds .* \(pid \d+/);
 * lock[Symbol.dispose]();
 * lockInputDir(dir)[Symbol.dispose]();
 * ```
 */
export function lockInputDir(inputDir: string): Disposable {
  Deno.mkdirSync(inputDir, { recursive: true });
  const path = join(inputDir, LOCK_FILE);
  const me: Holder = { pid: Deno.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0;; attempt++) {
    try {
      const f = Deno.openSync(path, { write: true, createNew: true });
      f.writeSync(new TextEncoder().encode(JSON.stringify(me) + "\n"));
      f.close();
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(Deno.readTextFileSync(path)) as Holder;
      } catch { /* being written, or damaged */ }
      const stale = holder !== null && holder.host === me.host && !alive(holder.pid);
      if (stale && attempt === 0) {
        Deno.removeSync(path);
        continue;
      }
      const who = holder
        ? `pid ${holder.pid} on ${holder.host}, since ${holder.started}`
        : "holder unknown";
      throw new Error(
        `Cannot fetch into "${inputDir}": another fetch holds its lock (${who}; lock file "${path}")`,
      );
    }
  }
  return {
    [Symbol.dispose]() {
      try {
        const holder = JSON.parse(Deno.readTextFileSync(path)) as Holder;
        if (holder.pid === me.pid && holder.started === me.started) Deno.removeSync(path);
      } catch { /* already gone */ }
    },
  };
}
