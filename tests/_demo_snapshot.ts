/**
 * A snapshot of a generated demo site for tests of the later stages, fetched with the real fetch
 * stage from the embedded DuckDB source into `var/test-sites/<site>/snapshot` (cached).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { exists } from "../lib/fs.ts";
import { loadSnapshot, type Snapshot } from "../lib/fetch/manifest.ts";
import { fetchSite } from "../lib/fetch/fetch.ts";
import { Progress } from "../lib/fetch/progress.ts";
import { parseSitesConfig } from "../lib/config.ts";
import { demoSite, renameIntoPlace } from "./_helpers.ts";

/** Snapshot of the cached demo site of a profile (generated and fetched if needed). */
export async function demoSnapshot(
  profile: "small" | "demo" | "kvm" | "edge" = "small",
): Promise<{ snapshot: Snapshot; dir: string }> {
  const { dir } = await demoSite(profile);
  const snapDir = join(dir, "snapshot");
  const source = join(dir, "source.duckdb");
  const manifest = join(snapDir, "manifest.2026-06-01.json");
  const fresh = async () =>
    await exists(manifest) &&
    (await Deno.stat(source)).mtime!.getTime() <= (await Deno.stat(manifest)).mtime!.getTime();
  if (!(await fresh())) {
    // Fetch beside, then rename: parallel test processes never see half a snapshot.
    const tmp = `${snapDir}.${crypto.randomUUID()}.tmp`;
    const config = parseSitesConfig(
      `sites:\n  t:\n    site_name: T\n    db_uri: duckdb:${resolve(source)}\n    input_dir: ${
        resolve(tmp)
      }\n`,
    );
    const result = await fetchSite(config.sites.get("t")!, {
      progress: new Progress("t", "quiet", { write: () => {} }),
    });
    if (result.failures.length > 0) throw new Error(result.failures[0]);
    await renameIntoPlace(tmp, snapDir, fresh);
  }
  return { snapshot: await loadSnapshot(snapDir), dir };
}
