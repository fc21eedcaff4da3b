/**
 * A hostile demo site for the escaping tests: the `small` demo site with markup in the strings
 * that come from databases (a hypervisor hostname, every node type, the site name), fetched and
 * run through the pipeline and the report. Cached under `var/test-sites/hostile`.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { Duck } from "../lib/db/duckdb.ts";
import { sqlLiteral } from "../lib/sql.ts";
import { exists } from "../lib/fs.ts";
import { parseSitesConfig, type SiteConfig, type SitesConfig } from "../lib/config.ts";
import { fetchSite } from "../lib/fetch/fetch.ts";
import { Progress } from "../lib/fetch/progress.ts";
import { runPipeline } from "../lib/pipeline.ts";
import { writeSiteReport } from "../lib/report/site_report.ts";
import { demoSite, renameIntoPlace } from "./_helpers.ts";

/** The hostname one host gets. */
export const HOSTILE_HOST = "<script>alert('host')</script>";
/** Replaces `compute_` in every node type. */
export const HOSTILE_TYPE = "<img src=x onerror=alert(1)>";
/** The site's display name. */
export const HOSTILE_NAME = "<b onmouseover=alert(3)>CHI@Hostile</b>";

function configText(dir: string): string {
  return `sites:\n  hostile:\n    site_name: ${JSON.stringify(HOSTILE_NAME)}\n    db_uri: duckdb:${
    join(dir, "source.duckdb")
  }\n    input_dir: ${join(dir, "input")}\n    output_dir: ${join(dir, "output")}\n`;
}

/** The hostile site: its folder, config file and site. */
export interface HostileSite {
  dir: string;
  configPath: string;
  config: SitesConfig;
  site: SiteConfig;
}

let made: Promise<HostileSite> | null = null;

/**
 * The hostile site, with its snapshot, pipeline outputs and `report.html` (made once, then
 * cached until the small demo site is regenerated).
 *
 * @example
 * ```ts ignore
 * const { site } = await hostileSite();
 * ```
 */
export function hostileSite(): Promise<HostileSite> {
  made ??= (async () => {
    const { dir: small } = await demoSite("small");
    const dir = resolve("var", "test-sites", "hostile");
    const configPath = join(dir, "sites.yaml");
    const fresh = async () =>
      await exists(join(dir, "output", "report.html")) &&
      (await Deno.stat(join(dir, "output", "report.html"))).mtime!.getTime() >
        (await Deno.stat(join(small, "ground_truth.json"))).mtime!.getTime();
    if (!(await fresh())) {
      // Build beside, then rename: parallel test processes never see half a site.
      const tmp = `${dir}.${crypto.randomUUID()}.tmp`;
      await Deno.mkdir(tmp, { recursive: true });
      await Deno.copyFile(join(small, "source.duckdb"), join(tmp, "source.duckdb"));
      await makeHostile(join(tmp, "source.duckdb"));
      const site = parseSitesConfig(configText(tmp)).sites.get("hostile")!;
      const fetched = await fetchSite(site, {
        progress: new Progress("hostile", "quiet", { write: () => {} }),
      });
      if (fetched.failures.length > 0) throw new Error(fetched.failures[0]);
      await runPipeline(site);
      await writeSiteReport(site);
      await Deno.writeTextFile(join(tmp, "sites.yaml"), configText(dir));
      await renameIntoPlace(tmp, dir, fresh);
    }
    const config = parseSitesConfig(await Deno.readTextFile(configPath), { file: configPath });
    return { dir, configPath, config, site: config.sites.get("hostile")! };
  })();
  return made;
}

/** Puts markup into one hostname (everywhere it appears) and into every node type. */
async function makeHostile(source: string): Promise<void> {
  using db = await Duck.open(source);
  const host = await db.value<string>(
    "SELECT min(hypervisor_hostname) FROM nova.compute_nodes WHERE hypervisor_hostname IS NOT NULL",
  );
  const cols = await db.json<{ s: string; t: string; c: string }>(`
    SELECT table_schema AS s, table_name AS t, column_name AS c FROM information_schema.columns
    WHERE data_type = 'VARCHAR' AND table_schema IN ('nova', 'nova_api', 'blazar', 'chameleon_usage')`);
  for (const { s, t, c } of cols) {
    const q = `"${s}"."${t}"`, col = `"${c}"`;
    await db.run(
      `UPDATE ${q} SET ${col} = ${sqlLiteral(HOSTILE_HOST)} WHERE ${col} = ${sqlLiteral(host)}`,
    );
    if (c === "capability_value" || c === "node_type") {
      await db.run(
        `UPDATE ${q} SET ${col} = replace(${col}, 'compute_', ${sqlLiteral(HOSTILE_TYPE)})`,
      );
    }
  }
}
