/**
 * `deno task export --site KEY [--config F] --target URI [--start D --end D] [--resource R]`
 * (or `--all` for every site of the file)
 *
 * Publishes a site's daily series into a dashboard database: tables `usage_daily` (long) and
 * `usage_wide` (one row per day and site), created if missing, the site's rows of the run's
 * window replaced in one transaction. One summary line per site on stdout; exit status 1 with
 * one line on stderr when the output set is incomplete, of another window, or the target fails.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadSitesConfig, selectSite, type SiteConfig } from "../lib/config.ts";
import { checkDateFlags, runMain } from "../lib/cli.ts";
import { exportSite } from "../lib/export/export.ts";
import { resolveTarget } from "../lib/export/target.ts";

const HELP = `deno task export --site KEY --target URI [options]

Publishes a site's daily series (its newest pipeline run) into MySQL/MariaDB, PostgreSQL or DuckDB:
tables usage_daily (long) and usage_wide (one row per day and site), created if missing; the
site's rows of the run's window are replaced in one transaction, so running it twice changes nothing.

  --site KEY        the site (a key of the config file)
  --all             every site of the config file instead of --site
  --config FILE     the sites file (default etc/sites.yaml)
  --target URI      mysql://user:\${PW}@host:3306/db, postgres://user:\${PW}@host:5432/db or
                    duckdb:FILE; \${NAME} is read from the environment (quote the URI in single
                    quotes so the password never appears on the command line or in ps)
  --start D --end D the window (YYYY-MM-DD); must be the window of the site's run (default: it)
  --resource R      the resource of usage_wide (default: devices at Edge sites, vcpus at KVM
                    sites, else nodes)
  --help            this text`;

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "etc/sites.yaml" },
      site: { type: "string" },
      all: { type: "boolean", default: false },
      target: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      resource: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.target) throw new Error("Cannot export: expected --target URI (see --help)");
  if (!values.site === !values.all) {
    throw new Error("Cannot export: expected either --site KEY or --all (see --help)");
  }
  checkDateFlags("export", { start: values.start, end: values.end });
  const target = resolveTarget(values.target);
  const config = await loadSitesConfig(values.config);
  const sites: SiteConfig[] = values.site
    ? [selectSite(config, values.site)]
    : [...config.sites.values()];
  const failures: string[] = [];
  for (const site of sites) {
    try {
      const r = await exportSite(site, target, {
        start: values.start,
        end: values.end,
        resource: values.resource,
      });
      console.log(
        `export site=${r.site} target=${r.target} window=${r.window.start}..${r.window.end} resource=${r.resource} daily_rows=${r.inserted.daily} wide_rows=${r.inserted.wide} replaced_daily=${r.deleted.daily} replaced_wide=${r.deleted.wide} read_s=${r.seconds.read} write_s=${r.seconds.write}`,
      );
    } catch (e) {
      const line = (e as Error).message.split("\n")[0];
      if (sites.length > 1) console.error(`error: ${line}`);
      failures.push(line);
    }
  }
  if (failures.length > 0) {
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more, see above)` : "";
    throw new Error(`${failures[0]}${more}`);
  }
});
