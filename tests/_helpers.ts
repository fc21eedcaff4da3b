/**
 * Shared test helpers: loud skips for services that are absent, and cached demo sites.
 *
 * `LEDGER_REQUIRE_SERVICES=1` (set by `.ci/run`) turns every such skip into a failure.
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../lib/fs.ts";
import { generateDemoSite, type GroundTruth } from "../lib/demo/generate.ts";

/** Whether a TCP port answers on this machine. */
export async function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Whether a command runs and exits with status 0 (false when it cannot start). */
export async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether an executable is on the PATH. */
export function hasCommand(name: string): Promise<boolean> {
  return succeeds("sh", ["-c", `command -v ${name}`]);
}

/**
 * Moves a folder built beside its place (`tmp`) into `dir`. When `dir` is there already and
 * `fresh()` says another test process made it up to date meanwhile, `tmp` is dropped and `dir`
 * left alone (a reader of it never loses its files); else `dir` is replaced. Parallel test
 * processes never see half a folder.
 */
export async function renameIntoPlace(
  tmp: string,
  dir: string,
  fresh: () => Promise<boolean> = () => Promise.resolve(false),
): Promise<void> {
  try {
    await Deno.rename(tmp, dir); // fails while dir holds files
    return;
  } catch {
    // dir is there
  }
  if (await fresh().catch(() => false)) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    return;
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    await Deno.rename(tmp, dir);
  } catch {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Decides whether tests needing a service run. When the service is absent it prints a loud
 * reason and returns `true` (ignore), unless `LEDGER_REQUIRE_SERVICES=1`, in which case it throws
 * so the test file fails.
 */
export function skipUnless(available: boolean, what: string): boolean {
  if (available) return false;
  const reason = `SKIPPED: ${what} is not available on this machine`;
  if (Deno.env.get("LEDGER_REQUIRE_SERVICES") === "1") {
    throw new Error(`${reason}, and LEDGER_REQUIRE_SERVICES=1 makes that a failure`);
  }
  console.warn(`\n!!! ${reason} !!!\n`);
  return true;
}

const cache = new Map<string, Promise<{ dir: string; truth: GroundTruth }>>();

/**
 * A generated demo site for tests, made once per profile and era under `var/test-sites/`.
 * Regenerated when the generator's sources are newer than the cached copy.
 */
export function demoSite(
  profile: "small" | "demo" | "kvm" | "edge" = "small",
  era: "name" | "fork" | "property" = "property",
): Promise<{ dir: string; truth: GroundTruth }> {
  const key = `${profile}-${era}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const dir = join("var", "test-sites", key);
      const stamp = join(dir, "ground_truth.json");
      const fresh = async () =>
        await exists(stamp) && (await newestSource()) <= (await Deno.stat(stamp)).mtime!.getTime();
      if (!(await fresh())) {
        // Generate beside, then rename: parallel test processes never see half a site.
        const tmp = `${dir}.${crypto.randomUUID()}.tmp`;
        await generateDemoSite(tmp, { profile, blazarEra: era });
        await renameIntoPlace(tmp, dir, fresh);
      }
      return { dir, truth: JSON.parse(await Deno.readTextFile(stamp)) as GroundTruth };
    })();
    cache.set(key, p);
  }
  return p;
}

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const dir of ["lib/demo", "lib"]) {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".ts")) {
        newest = Math.max(newest, (await Deno.stat(join(dir, e.name))).mtime!.getTime());
      }
    }
  }
  return newest;
}
