/**
 * `deno task fetch [--config etc/sites.yaml] [--site KEY]`
 *
 * 01: snapshots a site's databases (every site of the file when `--site` is omitted) into its
 * `input_dir`: one parquet file per registry table and a manifest. Progress goes to stderr, one
 * summary line per site to stdout. Exit status 1 with one line on stderr when a server cannot be
 * reached, a password is wrong, a database is unknown, or a table is forbidden or fails (the
 * other tables are still fetched and the manifest says what happened). Ctrl-C removes the
 * temporary files of the table being written and exits 130.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadSitesConfig, selectSite, type SiteConfig } from "../lib/config.ts";
import { runMain } from "../lib/cli.ts";
import { fetchSite } from "../lib/fetch/fetch.ts";
import { haltWriters, removeLeftoversSync } from "../lib/fetch/parquet_writer.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string" },
    },
    strict: true,
  });
  const config = await loadSitesConfig(values.config);
  const sites: SiteConfig[] = values.site
    ? [selectSite(config, values.site)]
    : [...config.sites.values()];

  // On Ctrl-C: DuckDB stops writing first, then the temporary files are swept and the process
  // exits. Meanwhile the fetch's own outcome (tables failing as interrupted) is ignored.
  let stopping: Promise<never> | null = null;
  const onSignal = () => {
    stopping ??= (async () => {
      await haltWriters();
      for (const s of sites) removeLeftoversSync(s.inputDir);
      console.error("error: Cannot finish the fetch: interrupted, no partial file was left");
      Deno.exit(130);
    })();
  };
  const unlessStopping = <T>(p: Promise<T>): Promise<T> =>
    p.then((v) => stopping ?? v, (e) => stopping ?? Promise.reject(e));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  const failures: string[] = [];
  for (const site of sites) {
    const r = await unlessStopping(fetchSite(site));
    if (r.manifest) {
      const all = Object.values(r.manifest.tables);
      const ok = all.filter((t) => t.status === "ok");
      const rows = ok.reduce((a, t) => a + t.rows, 0);
      console.log(
        `fetch site=${site.key} as_of=${r.manifest.as_of} tables_ok=${ok.length}/${all.length} rows=${rows} manifest=${r.manifestPath}`,
      );
    }
    failures.push(...r.failures);
  }
  if (failures.length > 0) {
    const more = failures.length > 1
      ? ` (and ${failures.length - 1} more problem(s), see above)`
      : "";
    throw new Error(`${failures[0]}${more}`);
  }
});
