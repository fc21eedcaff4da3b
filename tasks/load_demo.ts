/**
 * `deno task load-demo --target URI [--site-dir DIR] [--prefix P]`
 *
 * Loads a generated demo site into MariaDB/MySQL (one database per schema, `<prefix><schema>`) or
 * PostgreSQL (the URI's database, four schemas), for tests and benchmarks.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadDemoSql } from "../lib/demo/load_sql.ts";
import { runMain } from "../lib/cli.ts";
import { maskSecrets, maskUri } from "../lib/config.ts";
import { parseDbUri } from "../lib/config.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string" },
      "site-dir": { type: "string", default: "var/demo" },
      prefix: { type: "string", default: "" },
    },
    strict: true,
  });
  if (!values.target) {
    throw new Error(
      `Cannot load the demo site: expected --target mysql://... or postgres://..., found nothing`,
    );
  }
  const secret = parseDbUri(values.target).password;
  try {
    const r = await loadDemoSql(values["site-dir"], values.target, { prefix: values.prefix });
    const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
    console.log(
      `loaded ${values["site-dir"]} into ${maskUri(values.target)}: ${rows} rows in ${
        Object.keys(r.rows).length
      } tables, ${r.zeroDates} zero dates, ${r.seconds.toFixed(1)} s`,
    );
  } catch (e) {
    throw new Error(maskSecrets((e as Error).message, secret ? [secret] : []));
  }
});
