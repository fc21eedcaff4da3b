/**
 * File helpers: existence checks and atomic writes (temporary file in the same directory, then
 * rename), so a reader never sees half a file and a rerun replaces files whole.
 *
 * @module
 */
import { dirname, join } from "node:path";

/**
 * Whether a path exists.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { exists } from "./fs.ts";
 * equal(await exists("/definitely/not/here"), false);
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * A temporary path beside `path` (same directory, so the final rename is atomic).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { tempPathFor } from "./fs.ts";
 * match(tempPathFor("/out/spans.parquet"), /^\/out\/\.spans\.parquet\.[0-9a-f]+\.tmp$/);
 * ```
 */
export function tempPathFor(path: string): string {
  const rand = crypto.getRandomValues(new Uint8Array(6));
  const hex = [...rand].map((b) => b.toString(16).padStart(2, "0")).join("");
  const base = path.slice(dirname(path).length + 1);
  return join(dirname(path), `.${base}.${hex}.tmp`);
}

/**
 * Writes a file atomically: `write` fills a temporary path, which is then renamed over `path`.
 * On failure the temporary file is removed and `path` is left as it was.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { atomicWrite } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicWrite(`${dir}/a.txt`, (tmp) => Deno.writeTextFile(tmp, "hi"));
 * equal(await Deno.readTextFile(`${dir}/a.txt`), "hi");
 * ```
 */
export async function atomicWrite(
  path: string,
  write: (tmpPath: string) => Promise<void>,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Writes text atomically.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { atomicWriteText } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicWriteText(`${dir}/b.json`, "{}");
 * equal(await Deno.readTextFile(`${dir}/b.json`), "{}");
 * ```
 */
export async function atomicWriteText(path: string, text: string): Promise<void> {
  await atomicWrite(path, (tmp) => Deno.writeTextFile(tmp, text));
}
