/**
 * One pipeline per output directory at a time: an exclusive `flock` on `<output_dir>/.lock`,
 * which the kernel releases when its holder exits, killed or not (no stale lock to clean up).
 * The holder writes who it is into the file; a second pipeline says whom it waits for, then
 * waits (or, with `wait: false`, fails naming the holder).
 *
 * @module
 */
import { join } from "node:path";

/** The lock file in an output directory. */
export const LOCK_FILE = ".lock";

/** Options of {@linkcode lockOutputDir}. */
export interface LockOptions {
  /** What holds the lock, written into it, e.g. `deno task pipeline --site demo`. */
  holder: string;
  /** Wait for the holder (true) or fail naming it. @default {true} */
  wait?: boolean;
  /** Where the one line "waiting for ..." goes. @default {console.error} */
  notice?: (line: string) => void;
}

/**
 * Takes the output directory's lock; dispose of the result to release it.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { lockOutputDir } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * using _held = await lockOutputDir(dir, { holder: "test" });
 * await rejects(lockOutputDir(dir, { holder: "second", wait: false }), /in use by pid \d+ \(test/);
 * ```
 */
export async function lockOutputDir(dir: string, options: LockOptions): Promise<Disposable> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const file = await Deno.open(path, { create: true, read: true, write: true });
  try {
    if (!(await file.tryLock(true))) {
      const holder = (await Deno.readTextFile(path)).trim() || "another process";
      if (options.wait === false) {
        throw new Error(`Cannot write into "${dir}": it is in use by ${holder}`);
      }
      (options.notice ?? console.error)(`waiting: "${dir}" is in use by ${holder}`);
      await file.lock(true);
    }
    await file.truncate(0);
    await file.write(
      new TextEncoder().encode(
        `pid ${Deno.pid} (${options.holder}, since ${new Date().toISOString().slice(0, 19)}Z)\n`,
      ),
    );
  } catch (e) {
    file.close();
    throw e;
  }
  return {
    [Symbol.dispose]() {
      try {
        file.truncateSync(0);
      } finally {
        file.close();
      }
    },
  };
}
