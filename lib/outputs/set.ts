/**
 * Output sets (docs/decisions/0011-output-sets.md): a run writes every file into a temporary
 * directory `sets/.tmp-<run>/` inside the output directory, and one atomic step (renaming a new
 * `current` symlink over the old one) makes the whole set visible. The documented paths
 * (`<output_dir>/spans.parquet`, ...) are fixed symlinks through `current`, so a reader of the
 * contract finds every file directly in the output directory, and a reader that opens the set
 * with {@linkcode openOutputSet} reads all files of one run, verified against the digests in its
 * `run.json`, or fails with one line.
 *
 * | path in the output directory | what it is |
 * |---|---|
 * | `sets/<run>/` | a complete set (the current one and the one before it, for readers still on it) |
 * | `sets/.tmp-<run>/` | a run in progress; removed by the next run when its writer died |
 * | `current` | symlink to `sets/<run>` |
 * | `spans.parquet`, ... | symlinks to `current/<file>`; dangling when the set has no such file |
 * | `failed/` | the files of the last run that failed, for its audit |
 * | `explore/<label>/` | an exploration's own output directory, laid out the same way |
 * | `.lock` | held (flock) by the pipeline writing here |
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { atomicWriteText, exists } from "../fs.ts";
import { DIGESTED_FILES, OUTPUT_FILES, OUTPUTS } from "./files.ts";
import type { RunRecord } from "./run.ts";

/** Folder of the sets inside an output directory. */
export const SETS_DIR = "sets";
/** The symlink to the current set. */
export const CURRENT = "current";
/** Folder with the files of the last failed run. */
export const FAILED_DIR = "failed";
/** Folder of the explorations. */
export const EXPLORE_DIR = "explore";
const TMP_PREFIX = ".tmp-";

/** A set being written. */
export interface PendingSet {
  /** The run's id, also the set's folder name once published. */
  id: string;
  /** The temporary folder the stages write into. */
  dir: string;
  /** The output directory. */
  outputDir: string;
}

/**
 * A new run id: UTC time to the second and 4 random hex digits.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { newRunId } from "./set.ts";
 * match(newRunId(new Date("2026-06-01T12:00:00Z")), /^20260601T120000Z-[0-9a-f]{4}$/);
 * ```
 */
export function newRunId(now: Date = new Date()): string {
  const t = now.toISOString().slice(0, 19).replaceAll("-", "").replaceAll(":", "");
  const hex = [...crypto.getRandomValues(new Uint8Array(2))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${t}Z-${hex}`;
}

/**
 * Removes what killed runs left in an output directory: temporary sets, temporary files of
 * atomic writes and temporary links. Call it holding the directory's lock.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { removeStale } from "./set.ts";
 * const out = await Deno.makeTempDir();
 * await Deno.mkdir(`${out}/sets/.tmp-x`, { recursive: true });
 * await Deno.writeTextFile(`${out}/.run.json.0a1b.tmp`, "");
 * equal(await removeStale(out), 2);
 * ```
 */
export async function removeStale(outputDir: string): Promise<number> {
  let removed = 0;
  const sweep = async (dir: string, match: (name: string) => boolean) => {
    if (!(await exists(dir))) return;
    for await (const e of Deno.readDir(dir)) {
      if (match(e.name)) {
        await Deno.remove(join(dir, e.name), { recursive: true });
        removed++;
      }
    }
  };
  await sweep(join(outputDir, SETS_DIR), (n) => n.startsWith(TMP_PREFIX));
  await sweep(outputDir, (n) => n.startsWith(".") && n.endsWith(".tmp"));
  return removed;
}

/**
 * Starts a set: a new temporary folder `sets/.tmp-<run>/` in the output directory.
 *
 * @example
 * ```ts ignore
 * const pending = await beginSet("output/demo");
 * ```
 */
export async function beginSet(outputDir: string, id: string = newRunId()): Promise<PendingSet> {
  const dir = join(outputDir, SETS_DIR, `${TMP_PREFIX}${id}`);
  await Deno.mkdir(dir, { recursive: true });
  return { id, dir, outputDir };
}

async function replaceLink(path: string, target: string): Promise<void> {
  try {
    if ((await Deno.readLink(path)) === target) return;
  } catch { /* absent, or a plain file of the layout before output sets */ }
  const tmp = `${join(path, "..")}/.${path.split("/").at(-1)}.${
    [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16)).join("")
  }.tmp`;
  await Deno.symlink(target, tmp);
  await Deno.rename(tmp, path);
}

/**
 * Publishes a set: renames its folder to `sets/<run>`, swaps `current` to it in one rename, makes
 * sure every documented file of the output directory is a link through `current`, and removes
 * the sets older than the one it replaced (and the last failed run's folder).
 *
 * @example
 * ```ts ignore
 * await publishSet(pending);
 * ```
 */
export async function publishSet(pending: PendingSet): Promise<string> {
  const out = pending.outputDir;
  const final = join(out, SETS_DIR, pending.id);
  await Deno.rename(pending.dir, final);
  const current = join(out, CURRENT);
  let previous: string | null = null;
  try {
    previous = await Deno.readLink(current);
  } catch { /* first set */ }
  await replaceLink(current, relative(out, final));
  for (const file of Object.values(OUTPUT_FILES)) {
    await replaceLink(join(out, file), `${CURRENT}/${file}`);
  }
  const keep = new Set([pending.id, previous?.split("/").at(-1)]);
  for await (const e of Deno.readDir(join(out, SETS_DIR))) {
    if (!keep.has(e.name) && !e.name.startsWith(TMP_PREFIX)) {
      await Deno.remove(join(out, SETS_DIR, e.name), { recursive: true });
    }
  }
  await Deno.remove(join(out, FAILED_DIR), { recursive: true }).catch(() => {});
  return final;
}

/**
 * Keeps the files of a failed run as `failed/` (replacing the last one) for their audit; the
 * current set is untouched. Returns the folder.
 *
 * @example
 * ```ts ignore
 * const where = await keepFailedSet(pending);
 * ```
 */
export async function keepFailedSet(pending: PendingSet): Promise<string> {
  const failed = join(pending.outputDir, FAILED_DIR);
  await Deno.remove(failed, { recursive: true }).catch(() => {});
  await Deno.rename(pending.dir, failed);
  return failed;
}

/**
 * The SHA-256 of a file, hex, read in chunks.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { digestFile } from "./set.ts";
 * const f = await Deno.makeTempFile();
 * await Deno.writeTextFile(f, "abc");
 * equal(await digestFile(f), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
 * ```
 */
export async function digestFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using f = await Deno.open(path);
  for await (const chunk of f.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** One file of a set as `run.json` lists it. */
export interface SetFile {
  bytes: number;
  sha256: string;
}

/**
 * The digest and size of every file of a set folder that `run.json` lists (all documented
 * files present but `run.json` and `report.html`), by file name.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { digestSet } from "./set.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/invariants.json`, "abc");
 * await Deno.writeTextFile(`${dir}/notes.txt`, "not an output");
 * deepEqual(await digestSet(dir), { "invariants.json": { bytes: 3,
 *   sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" } });
 * ```
 */
export async function digestSet(dir: string): Promise<Record<string, SetFile>> {
  const files: Record<string, SetFile> = {};
  for (const file of DIGESTED_FILES) {
    const path = join(dir, file);
    if (!(await exists(path))) continue;
    files[file] = { bytes: (await Deno.stat(path)).size, sha256: await digestFile(path) };
  }
  return files;
}

/** A verified set to read from. */
export interface OutputSet {
  /** The folder holding the set's files (a `sets/<run>` folder, or the output directory itself). */
  dir: string;
  run: RunRecord;
  /** Path of one of the set's files. */
  path(file: string): string;
}

/**
 * Opens the current set of an output directory for reading: resolves `current` once (so every
 * file read comes from one run), reads its `run.json` and checks every file against it: each
 * listed file present with its digest, no documented file unlisted. Fails with one line naming
 * the file otherwise.
 *
 * @example
 * ```ts ignore
 * const set = await openOutputSet("output/demo");
 * console.log(set.run.window, set.path("usage_daily.parquet"));
 * ```
 */
export async function openOutputSet(
  outputDir: string,
  options: { verify?: boolean } = {},
): Promise<OutputSet> {
  let dir = outputDir;
  try {
    dir = await Deno.realPath(join(outputDir, CURRENT));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const runPath = join(dir, OUTPUTS.run.file);
  if (!(await exists(runPath))) {
    throw new Error(
      `Cannot read the outputs in "${outputDir}": no complete run ("run.json" is missing; run the pipeline first)`,
    );
  }
  let run: RunRecord;
  try {
    run = JSON.parse(await Deno.readTextFile(runPath)) as RunRecord;
  } catch (e) {
    throw new Error(`Cannot read "${runPath}": expected JSON, found ${(e as Error).message}`);
  }
  if (!run.files || !run.run_id) {
    throw new Error(
      `Cannot read the outputs in "${outputDir}": "run.json" lists no file digests (written before output sets); run the pipeline again`,
    );
  }
  if (options.verify ?? true) {
    const found = await digestSet(dir);
    const mixed = (file: string, why: string) =>
      new Error(
        `Cannot read the outputs in "${outputDir}": "${file}" ${why} run ${run.run_id}: the set is mixed or damaged; run the pipeline again`,
      );
    for (const [file, want] of Object.entries(run.files)) {
      const got = found[file];
      if (!got) throw mixed(file, "is missing from");
      if (got.sha256 !== want.sha256 || got.bytes !== want.bytes) {
        throw mixed(file, "does not match the digest in run.json of");
      }
    }
    for (const file of Object.keys(found)) {
      if (!(file in run.files)) throw mixed(file, "is not listed in run.json of");
    }
  }
  return { dir, run, path: (file: string) => join(dir, file) };
}

/**
 * Writes `run.json` into a set folder with the digest of every file already there.
 *
 * @example
 * ```ts ignore
 * await writeRunRecord(pending.dir, run);
 * ```
 */
export async function writeRunRecord(
  dir: string,
  run: Omit<RunRecord, "files">,
): Promise<RunRecord> {
  const full = { ...run, files: await digestSet(dir) } as RunRecord;
  await atomicWriteText(join(dir, OUTPUTS.run.file), JSON.stringify(full, null, 2) + "\n");
  return full;
}
