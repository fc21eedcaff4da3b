/**
 * A snapshot is a unit (decision 0012): fetch writes every file into a private staging directory
 * `<input_dir>/.staging.<id>/` and makes the snapshot visible only when all of it is good.
 *
 * Commit, in order:
 * 1. the staging directory is renamed to `<input_dir>/.commit.<id>/` (one atomic step: from now on
 *    the snapshot is decided, and a later fetch completes it if this one dies);
 * 2. each parquet file is renamed into `<input_dir>` under its contract name
 *    `<schema>.<table>.<YYYY-MM-DD>.parquet`;
 * 3. the manifest is renamed to `<input_dir>/manifest.<YYYY-MM-DD>.json`: the moment loaders see the
 *    new snapshot;
 * 4. the empty commit directory is removed.
 *
 * A fetch that fails before step 1 leaves the input directory as it was, byte for byte (its staging
 * directory is removed, or swept by the next fetch). Only a process killed inside steps 2-3 (a few
 * renames) can leave new parquet files beside the old manifest: loaders then refuse the file whose
 * digest differs, and the next fetch completes the commit before it starts ({@linkcode recoverCommits}).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** Prefix of staging directories (being written, not yet decided). */
export const STAGING_DIR_PREFIX = ".staging.";
/** Prefix of commit directories (decided, being moved into place). */
export const COMMIT_DIR_PREFIX = ".commit.";

/**
 * A new, empty staging directory inside `inputDir`.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { createStaging } from "./snapshot_commit.ts";
 * const dir = await Deno.makeTempDir();
 * match(await createStaging(dir), /\/\.staging\.[0-9a-f]{12}$/);
 * ```
 */
export async function createStaging(inputDir: string): Promise<string> {
  await Deno.mkdir(inputDir, { recursive: true });
  const path = join(
    inputDir,
    `${STAGING_DIR_PREFIX}${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`,
  );
  await Deno.mkdir(path);
  return path;
}

/**
 * The SHA-256 of a file, as lowercase hex, read in 1 MiB blocks.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { fileDigest } from "./snapshot_commit.ts";
 * const f = await Deno.makeTempFile();
 * await Deno.writeTextFile(f, "abc");
 * equal(
 *   await fileDigest(f),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(2 ** 20);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

/** One file to move at commit: its name in the staging directory and in the input directory. */
export interface CommitFile {
  staged: string;
  final: string;
}

/**
 * Commits a staging directory (steps 1-4 above). `files` are the parquet files; `manifest` is the
 * manifest's name in both directories and is moved last.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { commitStaging, createStaging } from "./snapshot_commit.ts";
 * const dir = await Deno.makeTempDir();
 * const st = await createStaging(dir);
 * await Deno.writeTextFile(`${st}/a.parquet`, "a");
 * await Deno.writeTextFile(`${st}/manifest.2026-01-01.json`, "{}");
 * await commitStaging(st, [{ staged: "a.parquet", final: "a.2026-01-01.parquet" }],
 *   "manifest.2026-01-01.json");
 * deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(),
 *   ["a.2026-01-01.parquet", "manifest.2026-01-01.json"]);
 * ```
 */
export async function commitStaging(
  staging: string,
  files: readonly CommitFile[],
  manifest: string,
): Promise<void> {
  const inputDir = join(staging, "..");
  const id = staging.slice(staging.lastIndexOf(STAGING_DIR_PREFIX) + STAGING_DIR_PREFIX.length);
  const commit = join(inputDir, `${COMMIT_DIR_PREFIX}${id}`);
  // The plan of the move travels with the files, so that a later fetch can complete it.
  await Deno.writeTextFile(
    join(staging, "commit.json"),
    JSON.stringify({ files, manifest }) + "\n",
  );
  await Deno.rename(staging, commit);
  await completeCommit(commit);
}

/** Steps 2-4 for a commit directory; idempotent (a file already moved is skipped). */
async function completeCommit(commit: string): Promise<void> {
  const inputDir = join(commit, "..");
  const plan = JSON.parse(await Deno.readTextFile(join(commit, "commit.json"))) as {
    files: CommitFile[];
    manifest: string;
  };
  for (const f of [...plan.files, { staged: plan.manifest, final: plan.manifest }]) {
    try {
      await Deno.rename(join(commit, f.staged), join(inputDir, f.final));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  await Deno.remove(commit, { recursive: true });
}

/**
 * Completes the commits a killed fetch left (`.commit.*`) and removes its staging directories
 * (`.staging.*`). Call only while holding the input directory's lock (`lock.ts`). Returns the
 * names handled.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { createStaging, recoverCommits } from "./snapshot_commit.ts";
 * const dir = await Deno.makeTempDir();
 * const st = await createStaging(dir);
 * deepEqual(await recoverCommits(dir), [st.slice(dir.length + 1)]);
 * ```
 */
export async function recoverCommits(inputDir: string): Promise<string[]> {
  const done: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(inputDir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return done;
    throw e;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory) continue;
    const path = join(inputDir, e.name);
    if (e.name.startsWith(COMMIT_DIR_PREFIX)) {
      await completeCommit(path);
      done.push(e.name);
    } else if (e.name.startsWith(STAGING_DIR_PREFIX)) {
      await Deno.remove(path, { recursive: true });
      done.push(e.name);
    }
  }
  return done;
}

/**
 * Whether a commit of a killed fetch is waiting in `inputDir` (loaders name it in their refusal).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { pendingCommit } from "./snapshot_commit.ts";
 * equal(await pendingCommit(await Deno.makeTempDir()), false);
 * ```
 */
export async function pendingCommit(inputDir: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(inputDir)) {
      if (e.isDirectory && e.name.startsWith(COMMIT_DIR_PREFIX)) return true;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return false;
}
