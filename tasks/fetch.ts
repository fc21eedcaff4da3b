/**
 * `deno task fetch [--config etc/sites.yaml] [--site KEY] [--as-of YYYY-MM-DD[THH:MM:SS]]`
 *
 * 01: snapshots a site's databases (every site of the file when `--site` is omitted) into its
 * `input_dir`: one parquet file per registry table and a manifest. Progress goes to stderr, one
 * summary line per site to stdout. Exit status 1 with one line on stderr when a server cannot be
 * reached, a password is wrong, a database is unknown, or a table is forbidden or fails (the
 * other tables are still fetched, but no snapshot is committed: the previous one stays in use).
 * Ctrl-C removes this fetch's staging directory and exits 130. `--as-of` sets the instant the data
 * describes (DESIGN §5, `lib/fetch/as_of.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadSitesConfig, selectSite, type SiteConfig } from "../lib/config.ts";
import { runMain } from "../lib/cli.ts";
import { abandonFetchesSync, fetchSite } from "../lib/fetch/fetch.ts";
import { haltWriters } from "../lib/fetch/parquet_writer.ts";
import { normalizeAsOf } from "../lib/fetch/as_of.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string" },
      "as-of": { type: "string" },
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
      abandonFetchesSync();
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
    const asOf = values["as-of"] ? normalizeAsOf(values["as-of"], "--as-of") : undefined;
    const r = await unlessStopping(fetchSite(site, { asOf }));
    if (r.manifest) {
      const all = Object.values(r.manifest.tables);
      const ok = all.filter((t) => t.status === "ok");
      const rows = ok.reduce((a, t) => a + t.rows, 0);
      console.log(
        `fetch site=${site.key} as_of=${r.manifest.as_of} tables_ok=${ok.length}/${all.length} rows=${rows} manifest=${r.manifestPath} as_of_source="${r.manifest.as_of_source}"`,
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
