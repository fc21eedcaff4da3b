/**
 * `deno task load-demo --target URI [--site-dir DIR] [--prefix P]`
 *
 * Loads a generated demo site into MariaDB/MySQL (one database per schema, `<prefix><schema>`) or
 * PostgreSQL (the URI's database, four schemas), for tests and benchmarks.
 *
 * @module
 */
import { loadDemoSql } from "../lib/demo/load_sql.ts";
import { runMain } from "../lib/cli.ts";
import { maskSecrets, maskUri } from "../lib/config.ts";
import { parseDbUri } from "../lib/config.ts";
import { taskArgs } from "../lib/params.ts";

/** Flags and help of the task. */
export const LOAD_DEMO_TASK = {
  name: "load-demo",
  summary:
    "Loads a generated demo site into MariaDB/MySQL (one database per schema, <prefix><schema>) or PostgreSQL (the URI's database, four schemas), for tests and benchmarks.",
  flags: {
    target: {
      type: "string",
      value: "URI",
      help: "mysql://user@host:port/ or postgres://user@host:port/db",
      required: true,
    },
    "site-dir": {
      type: "string",
      value: "DIR",
      default: "var/demo",
      help: "the generated site (deno task generate)",
    },
    prefix: { type: "string", value: "P", default: "", help: "prefix of the MySQL database names" },
  },
  example: "deno task load-demo --target mysql://root@127.0.0.1:3306/ --prefix demo_",
} as const;

await runMain(async () => {
  const { values } = taskArgs(LOAD_DEMO_TASK);
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
