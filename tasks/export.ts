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
import { selectSite, type SiteConfig } from "../lib/config.ts";
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import {
  CONFIG_FLAG,
  fromWorkingDir,
  parseDate,
  parseSiteKey,
  SITE_FLAG,
  taskArgs,
} from "../lib/params.ts";
import { exportSite } from "../lib/export/export.ts";
import { resolveTarget } from "../lib/export/target.ts";

/** Flags and help of the task. */
export const EXPORT_TASK = {
  name: "export",
  summary:
    "Publishes a site's daily series (its newest pipeline run) into MySQL/MariaDB, PostgreSQL or DuckDB: tables usage_daily (long) and usage_wide (one row per day and site), created if missing; the site's rows of the run's window are replaced in one transaction, so running it twice changes nothing.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, help: "the site to export (this or --all)" },
    all: { type: "boolean", help: "every site of the config file instead of --site" },
    target: {
      type: "string",
      value: "URI",
      help:
        "mysql://user:${PW}@host:3306/db, postgres://user:${PW}@host:5432/db or duckdb:FILE; ${NAME} is read from the environment (single-quote the URI so no password reaches ps)",
      required: true,
    },
    start: {
      type: "string",
      value: "YYYY-MM-DD",
      help: "first day; must be the run's window",
      defaultText: "the run's window",
    },
    end: {
      type: "string",
      value: "YYYY-MM-DD",
      help: "day after the window; must be the run's window",
      defaultText: "the run's window",
    },
    resource: {
      type: "string",
      value: "R",
      help: "the resource of usage_wide",
      defaultText: "devices at Edge sites, vcpus at KVM sites, else nodes",
    },
  },
  example:
    "PW=... deno task export --site demo --target 'mysql://ledger:${PW}@127.0.0.1:3306/dash'",
} as const;

await runMain(async () => {
  const { values } = taskArgs(EXPORT_TASK);
  if (!values.target) throw new Error("Cannot export: expected --target URI (see --help)");
  if (!values.site === !values.all) {
    throw new Error("Cannot export: expected either --site KEY or --all (see --help)");
  }
  parseDate("--start", values.start);
  parseDate("--end", values.end);
  const target = resolveTarget(values.target);
  const config = await loadTaskConfig(fromWorkingDir(values.config));
  const sites: SiteConfig[] = values.site
    ? [selectSite(config, parseSiteKey("--site", values.site))]
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
