/**
 * `deno task grant-sql [--config F --site K] [--dialect mysql|postgres] [--user U] [--host H]`
 *
 * Prints least-privilege GRANT statements for the registry tables (see `lib/fetch/grants.ts`).
 * With a site, database and schema names come from its URIs, and dialect and user default to
 * theirs. Nothing connects to a server; no password is printed.
 *
 * @module
 */
import { selectSite } from "../lib/config.ts";
import { loadTaskConfig, runMain } from "../lib/cli.ts";
import { grantSql } from "../lib/fetch/grants.ts";
import { CONFIG_FLAG, fromWorkingDir, parseSiteKey, SITE_FLAG, taskArgs } from "../lib/params.ts";

/** Flags and help of the task. */
export const GRANT_SQL_TASK = {
  name: "grant-sql",
  summary:
    "Prints least-privilege GRANT statements (column-level SELECT) for the registry tables. Connects to nothing and prints no password; with --site, database names, dialect and user come from the site's URIs.",
  flags: {
    config: CONFIG_FLAG,
    site: { ...SITE_FLAG, defaultText: "none: generic names" },
    dialect: {
      type: "string",
      value: "mysql|postgres",
      help: "SQL dialect",
      defaultText: "the site's, else mysql",
    },
    user: { type: "string", value: "U", help: "the reading account", defaultText: "the site's" },
    host: { type: "string", value: "H", help: "MySQL host part of the account", defaultText: "%" },
  },
  example: "deno task grant-sql --site tacc --user usage_reader",
} as const;

await runMain(async () => {
  const { values } = taskArgs(GRANT_SQL_TASK);
  const dialect = values.dialect;
  if (dialect !== undefined && dialect !== "mysql" && dialect !== "postgres") {
    throw new Error(
      `Cannot write grants: expected --dialect mysql or postgres, found "${dialect}"`,
    );
  }
  let site;
  if (values.site) {
    const config = await loadTaskConfig(fromWorkingDir(values.config));
    site = selectSite(config, parseSiteKey("--site", values.site));
  }
  console.log(grantSql({ dialect, user: values.user, host: values.host, site }).trimEnd());
});
