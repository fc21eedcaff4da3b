/**
 * `deno task fetch [--config etc/sites.yaml] [--site KEY] [--as-of YYYY-MM-DD[THH:MM:SS]]`
 *
 * 01: snapshots a site's databases (every site of the file when `--site` is omitted) into its
 * `input_dir`: one parquet file per registry table and a manifest. Progress goes to stderr, one
 * summary line per site to stdout. Exit status 1 with one line on stderr when a server cannot be
 * reached, a password is wrong, a database is unknown, or a table is forbidden or fails (the
 * other tables are still fetched, but no snapshot is committed: the previous one stays in use).
 * Ctrl-C removes this fetch's staging directory and exits 130. `--as-of` sets the instant the data
 * describes (docs/design.md §5, `lib/fetch/as_of.ts`).
 *
 * @module
 */
import { requireSecrets, selectSite, type SiteConfig } from "../lib/config.ts";
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import { CONFIG_FLAG, fromWorkingDir, parseSiteKey, SITE_FLAG, taskArgs } from "../lib/params.ts";
import { abandonFetchesSync, fetchSite } from "../lib/fetch/fetch.ts";
import { haltWriters } from "../lib/fetch/parquet_writer.ts";
import { normalizeAsOf } from "../lib/fetch/as_of.ts";

/** Flags and help of the task. */
export const FETCH_TASK = {
  name: "fetch",
  summary:
    "01: snapshots a site's databases into its input_dir (one parquet file per registry table and a manifest). Reads the ${VAR} passwords of the site's URIs from the environment.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, defaultText: "every site of the file" },
    "as-of": {
      type: "string",
      value: "YYYY-MM-DD[THH:MM:SS]",
      help: "the moment the data describes (overrides the site's as_of and every other source)",
      defaultText: "site as_of, snapshot_meta, server clock or the newest record",
    },
  },
  example: "TACC_DB_PASSWORD=... deno task fetch --site tacc",
} as const;

await runMain(async () => {
  const { values } = taskArgs(FETCH_TASK);
  const config = await loadTaskConfig(fromWorkingDir(values.config));
  // Only a command that connects resolves the sites' ${VAR} secrets.
  const sites: SiteConfig[] = (values.site
    ? [selectSite(config, parseSiteKey("--site", values.site))]
    : [...config.sites.values()]).map((s) =>
      requireSecrets(s)
    );

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
