/**
 * `deno task load-demo --target URI [--site-dir DIR] [--prefix P]`
 *
 * The target's password comes from the environment, never from the command line (it would show in
 * `ps` and in Deno's task banner): write `--target 'mysql://u:${VAR}@host'` (quoted, so the shell
 * does not expand it) or set `LOAD_DEMO_PASSWORD`; a literal password in `--target` is refused.
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
  const target = targetFromEnv(values.target);
  const secret = parseDbUri(target).password;
  try {
    const r = await loadDemoSql(values["site-dir"], target, { prefix: values.prefix });
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

/**
 * The target URI with `${VAR}` references (and else `LOAD_DEMO_PASSWORD`) resolved from the
 * environment; a literal password on the command line is refused.
 */
function targetFromEnv(raw: string): string {
  if (!/\$\{/.test(raw) && parseDbUri(raw).password !== undefined) {
    throw new Error(
      `Cannot use --target "${
        maskUri(raw)
      }": expected the password from the environment (\${VAR} in the URI, or LOAD_DEMO_PASSWORD), found it on the command line`,
    );
  }
  const uri = raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = Deno.env.get(name);
    if (v === undefined) {
      throw new Error(`Cannot use --target: environment variable "${name}" is not set`);
    }
    return encodeURIComponent(v);
  });
  const pw = Deno.env.get("LOAD_DEMO_PASSWORD");
  if (pw && parseDbUri(uri).password === undefined) {
    return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:/@]*)@/i, `$1$2:${encodeURIComponent(pw)}@`);
  }
  return uri;
}
