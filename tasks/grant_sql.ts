/**
 * `deno task grant-sql [--config F --site K] [--dialect mysql|postgres] [--user U] [--host H]`
 *
 * Prints least-privilege GRANT statements for the registry tables (see `lib/fetch/grants.ts`).
 * With a site, database and schema names come from its URIs, and dialect and user default to
 * theirs. Nothing connects to a server; no password is printed.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadSitesConfig, selectSite } from "../lib/config.ts";
import { runMain } from "../lib/cli.ts";
import { grantSql } from "../lib/fetch/grants.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string" },
      site: { type: "string" },
      dialect: { type: "string" },
      user: { type: "string" },
      host: { type: "string" },
    },
    strict: true,
  });
  const dialect = values.dialect;
  if (dialect !== undefined && dialect !== "mysql" && dialect !== "postgres") {
    throw new Error(
      `Cannot write grants: expected --dialect mysql or postgres, found "${dialect}"`,
    );
  }
  let site;
  if (values.site) {
    site = selectSite(await loadSitesConfig(values.config ?? "etc/sites.yaml"), values.site);
  }
  console.log(grantSql({ dialect, user: values.user, host: values.host, site }).trimEnd());
});
