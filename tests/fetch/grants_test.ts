import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { loadDemoSql } from "../../lib/demo/load_sql.ts";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import { grantSql } from "../../lib/fetch/grants.ts";
import { demoSite, hasCommand, portOpen, skipUnless } from "../_helpers.ts";
import {
  dropMysqlSite,
  dropPostgresDatabase,
  mysqlRoot,
  quietProgress,
  siteFromUris,
  uniqueName,
} from "./_fetch_helpers.ts";

Deno.test("grantSql() grants exactly the registry's columns, and whole tables for selectAll", () => {
  const sql = grantSql({ dialect: "postgres", user: "reader" });
  ok(sql.includes(`GRANT SELECT ON "chameleon_usage"."node_usage_report_cache" TO "reader";`));
  ok(
    sql.includes(
      `GRANT SELECT ("compute_id") ON "nova"."instances" TO "reader"; -- optional column`,
    ),
  );
  ok(!/GRANT (ALL|INSERT|UPDATE|DELETE)/.test(sql));
  ok(!/GRANT SELECT ON "nova"\."instances"/.test(sql), "nova tables get column-level grants");
});

Deno.test("grantSql() rejects an account name that could smuggle SQL", () => {
  let message = "";
  try {
    grantSql({ user: "x'; DROP TABLE y; --" });
  } catch (e) {
    message = (e as Error).message;
  }
  ok(message.startsWith(`Cannot write grants for user "x'; DROP TABLE y; --"`), message);
});

const mysqlIgnore = skipUnless(await portOpen(3306), "MariaDB at 127.0.0.1:3306") ||
  skipUnless(await hasCommand("mariadb"), "the mariadb client");

Deno.test({
  name: "the MySQL grants let a fresh account fetch every table the site has, and nothing more",
  ignore: mysqlIgnore,
  fn: async () => {
    const { dir: siteDir } = await demoSite("small");
    const prefix = `${uniqueName()}_`;
    const user = uniqueName("ledger_granted");
    const dir = await Deno.makeTempDir();
    const root = await mysqlRoot();
    try {
      const loaded = await loadDemoSql(siteDir, "mysql://root@127.0.0.1:3306", { prefix });
      await root.query(`CREATE USER ?@'127.0.0.1' IDENTIFIED BY 'g-pw'`, [user]);
      await root.query(`CREATE USER ?@'localhost' IDENTIFIED BY 'g-pw'`, [user]);
      const uris = Object.fromEntries(
        Object.entries(loaded.dbUris).map(([k, v]) => [k, v.replace("root@", `${user}:g-pw@`)]),
      );
      const { site } = siteFromUris(uris, join(dir, "in"));
      for (const host of ["127.0.0.1", "localhost"]) {
        const script = grantSql({ site, host });
        const out = await new Deno.Command("mariadb", {
          args: ["-h", "127.0.0.1", "-u", "root", "--force"],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const w = out.stdin.getWriter();
        await w.write(new TextEncoder().encode(script));
        await w.close();
        await out.output();
      }
      const r = await fetchSite(site, { progress: quietProgress().progress });
      deepEqual(r.failures, []);
      const statuses = Object.fromEntries(
        Object.entries(r.manifest!.tables).map(([k, t]) => [k, t.status]),
      );
      equal(Object.values(statuses).filter((s) => s === "ok").length, 18);
      const [rows] = await root.query(
        `SELECT count(*) AS n FROM mysql.tables_priv WHERE User = ? AND Table_priv <> ''
           AND Table_priv <> 'Select'`,
        [user],
      );
      equal(Number((rows as { n: number }[])[0].n), 0, "only SELECT is granted");
    } finally {
      await root.query(`DROP USER IF EXISTS ?@'127.0.0.1', ?@'localhost'`, [user, user]);
      await root.end();
      await dropMysqlSite(prefix);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const pgIgnore = skipUnless(await portOpen(5432), "PostgreSQL at 127.0.0.1:5432");

Deno.test({
  name: "the PostgreSQL grants let a fresh role fetch every table the site has",
  ignore: pgIgnore,
  fn: async () => {
    const { dir: siteDir } = await demoSite("small");
    const database = uniqueName();
    const role = uniqueName("ledger_granted");
    const dir = await Deno.makeTempDir();
    const admin = postgres({
      host: "127.0.0.1",
      user: "postgres",
      database: "postgres",
      onnotice: () => {},
    });
    try {
      await loadDemoSql(siteDir, `postgres://postgres@127.0.0.1:5432/${database}`);
      await admin.unsafe(`CREATE ROLE "${role}" LOGIN`);
      const uri = `postgres://${role}@127.0.0.1:5432/${database}`;
      const { site } = siteFromUris(
        { nova: uri, nova_api: uri, blazar: uri, chameleon_usage: uri },
        join(dir, "in"),
      );
      const sql = postgres({ host: "127.0.0.1", user: "postgres", database, onnotice: () => {} });
      try {
        for (const stmt of grantSql({ site }).split("\n")) {
          if (stmt.startsWith("GRANT")) {
            await sql.unsafe(stmt.replace(/; --.*$/, ";")).catch(() => {});
          }
        }
      } finally {
        await sql.end();
      }
      const r = await fetchSite(site, { progress: quietProgress().progress });
      deepEqual(r.failures, []);
      equal(Object.values(r.manifest!.tables).filter((t) => t.status === "ok").length, 18);
    } finally {
      await dropPostgresDatabase(database);
      await admin.unsafe(`DROP OWNED BY "${role}"`).catch(() => {});
      await admin.unsafe(`DROP ROLE IF EXISTS "${role}"`).catch(() => {});
      await admin.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
