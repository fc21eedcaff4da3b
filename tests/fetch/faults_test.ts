/**
 * The fault suite of the fetch stage (issue 15): a server killed or frozen mid-fetch (a TCP proxy
 * in front of the machine's MariaDB), two fetches into one directory, a fetch that finds nothing,
 * bad values, a commit interrupted between its renames, secrets in malformed URIs, and MySQL
 * back-pressure failing.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { parseSitesConfig, type SiteConfig } from "../../lib/config.ts";
import { loadDemoSql } from "../../lib/demo/load_sql.ts";
import { MysqlConnector } from "../../lib/fetch/connectors/mysql.ts";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import { loadSnapshot } from "../../lib/fetch/manifest.ts";
import { ParquetWriter } from "../../lib/fetch/parquet_writer.ts";
import { planTable } from "../../lib/fetch/plan.ts";
import { recoverCommits } from "../../lib/fetch/snapshot_commit.ts";
import { tableSpec } from "../../lib/registry.ts";
import { demoSite, portOpen, skipUnless } from "../_helpers.ts";
import {
  dirBytes,
  dropMysqlSite,
  dropPostgresDatabase,
  mysqlRoot,
  quietProgress,
  runFetchCli,
  uniqueName,
} from "./_fetch_helpers.ts";
import { TcpProxy } from "./_proxy.ts";

const noMysql = skipUnless(await portOpen(3306), "MariaDB at 127.0.0.1:3306");
const noPostgres = skipUnless(await portOpen(5432), "PostgreSQL at 127.0.0.1:5432");

/** A site whose every schema is `<prefix><schema>` behind `port`, with extra YAML keys. */
function site(prefix: string, port: number, inputDir: string, extra = ""): SiteConfig {
  const uris = ["nova", "nova_api", "blazar", "chameleon_usage"]
    .map((s) => `      ${s}: "mysql://root@127.0.0.1:${port}/${prefix}${s}"`).join("\n");
  const yaml =
    `sites:\n  t:\n    site_name: T\n    input_dir: "${inputDir}"\n${extra}    db_uris:\n${uris}\n`;
  return parseSitesConfig(yaml).sites.get("t")!;
}

function yamlOf(prefix: string, port: number, inputDir: string): string {
  const uris = ["nova", "nova_api", "blazar", "chameleon_usage"]
    .map((s) => `      ${s}: "mysql://root@127.0.0.1:${port}/${prefix}${s}"`).join("\n");
  return `sites:\n  t:\n    site_name: T\n    input_dir: "${inputDir}"\n    db_uris:\n${uris}\n`;
}

Deno.test({
  name:
    "fault suite (MariaDB): killed, frozen, locked, empty and hostile sources never degrade a good snapshot",
  ignore: noMysql,
  fn: async (t) => {
    const { dir: siteDir } = await demoSite("small");
    const prefix = `${uniqueName()}_`;
    const dir = await Deno.makeTempDir({ prefix: "ledger-faults-" });
    const inDir = join(dir, "in");
    const root = await mysqlRoot();
    const proxy = TcpProxy.start(3306);
    try {
      await loadDemoSql(siteDir, "mysql://root@127.0.0.1:3306", { prefix });
      const good = await fetchSite(site(prefix, 3306, inDir), {
        progress: quietProgress().progress,
        warn: () => {},
      });
      deepEqual(good.failures, []);
      const before = await dirBytes(inDir);
      const rows = good.manifest!.tables["nova.instances"].rows;

      await t.step(
        "a server killed mid-fetch: exit non-zero, the previous snapshot byte for byte",
        async () => {
          proxy.killAfter(200_000);
          const r = await fetchSite(site(prefix, proxy.port, inDir), {
            progress: quietProgress().progress,
            warn: () => {},
          });
          equal(r.manifest, null);
          ok(r.failures.length >= 1);
          match(r.failures[0], /^Cannot (fetch|connect)/);
          deepEqual(await dirBytes(inDir), before);
          equal((await loadSnapshot(inDir)).tables["nova.instances"].rows, rows);
          await proxy.close();
        },
      );

      await t.step(
        "a frozen server: the statement timeout names the table; nothing committed",
        async () => {
          const frozen = TcpProxy.start(3306);
          try {
            frozen.freezeAfter(60_000);
            const t0 = performance.now();
            const r = await fetchSite(
              site(prefix, frozen.port, inDir, "    statement_timeout: 2\n"),
              { progress: quietProgress().progress, warn: () => {} },
            );
            ok(performance.now() - t0 < 60_000, "the fetch waited too long");
            equal(r.manifest, null);
            match(
              r.failures.join("\n"),
              /^Cannot fetch "[a-z_]+\.[a-z_]+" of site "t": Cannot read "[^"]+": the server sent nothing for 2 s \(statement_timeout/m,
            );
            deepEqual(await dirBytes(inDir), before);
          } finally {
            frozen.close();
          }
        },
      );

      await t.step(
        "two fetches into one input dir: the second fails naming the holder, the first commits",
        async () => {
          const slow = TcpProxy.start(3306);
          try {
            slow.freezeAfter(0);
            const first = fetchSite(site(prefix, slow.port, inDir), {
              progress: quietProgress().progress,
              warn: () => {},
            });
            while (!(await Deno.stat(join(inDir, ".fetch.lock")).then(() => true, () => false))) {
              await new Promise((r) => setTimeout(r, 50));
            }
            const staging = [...Deno.readDirSync(inDir)].filter((e) => e.name.startsWith("."));
            await Deno.writeTextFile(join(dir, "sites.yaml"), yamlOf(prefix, 3306, inDir));
            const second = await runFetchCli(join(dir, "sites.yaml"), "t");
            equal(second.code, 1);
            match(
              second.stderr,
              new RegExp(
                `^error: Cannot fetch into ".*": another fetch holds its lock \\(pid ${Deno.pid} `,
                "m",
              ),
            );
            // The second fetch deleted nothing of the first's.
            for (const e of staging) ok(Deno.statSync(join(inDir, e.name)));
            slow.thaw();
            const r = await first;
            deepEqual(r.failures, []);
            equal((await loadSnapshot(inDir)).tables["nova.instances"].rows, rows);
          } finally {
            slow.close();
          }
        },
      );

      await t.step("a fetch that finds no table fails and commits nothing", async () => {
        const empty = uniqueName("ledger_empty");
        await root.query(`CREATE DATABASE \`${empty}\``);
        try {
          const yaml =
            `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/none"\n    db_uris:\n      nova: "mysql://root@127.0.0.1:3306/${empty}"\n`;
          await Deno.writeTextFile(join(dir, "none.yaml"), yaml);
          const r = await runFetchCli(join(dir, "none.yaml"), "t");
          equal(r.code, 1);
          match(
            r.stderr,
            /^error: Cannot fetch site "t": expected at least one registry table, found none/m,
          );
          deepEqual(await dirBytes(join(dir, "none")), {});
        } finally {
          await root.query(`DROP DATABASE \`${empty}\``);
        }
      });

      await t.step(
        "bad values are rows, not tables: NULL, counted per column, named with the row key",
        async () => {
          await root.query(`SET SESSION sql_mode = ''`);
          const [[first]] = await root.query(
            `SELECT min(id) AS id FROM \`${prefix}nova\`.instances`,
          ) as unknown as [[{ id: number }]];
          await root.query(`ALTER TABLE \`${prefix}nova\`.instances MODIFY vcpus VARCHAR(20)`);
          await root.query(`UPDATE \`${prefix}nova\`.instances SET vcpus = 'twelve' WHERE id = ?`, [
            first.id,
          ]);
          await root.query(
            `UPDATE \`${prefix}nova\`.instances SET launched_at = '2020-00-00 00:00:00' WHERE id = ?`,
            [first.id + 1],
          );
          await root.query(`ALTER TABLE \`${prefix}nova\`.services MODIFY created_at VARCHAR(40)`);
          await root.query(
            `UPDATE \`${prefix}nova\`.services SET created_at = 'yesterday' ORDER BY id LIMIT 1`,
          );
          await root.query(
            `ALTER TABLE \`${prefix}chameleon_usage\`.node_usage ADD COLUMN \`node name\` VARCHAR(20) DEFAULT 'n1'`,
          );
          const warnings: string[] = [];
          const r = await fetchSite(site(prefix, 3306, join(dir, "bad")), {
            progress: quietProgress().progress,
            warn: (l) => warnings.push(l),
          });
          deepEqual(r.failures, []);
          const tables = r.manifest!.tables;
          equal(tables["nova.instances"].rows, rows);
          deepEqual(tables["nova.instances"].unreadable_values, { launched_at: 1, vcpus: 1 });
          deepEqual(tables["nova.services"].unreadable_values, { created_at: 1 });
          ok(tables["chameleon_usage.node_usage"].columns.some((c) => c.name === "node name"));
          ok(
            warnings.some((w) =>
              w.startsWith(
                `nova.instances.vcpus: 1 value(s) cannot be read as INTEGER and are NULL in the snapshot (e.g. "twelve" at id ${first.id}`,
              )
            ),
            warnings.join("\n"),
          );
          ok(
            warnings.some((w) =>
              /^nova\.instances\.launched_at: 1 value\(s\) .*"2020-00-00/.test(w)
            ),
          );
          const snap = await loadSnapshot(join(dir, "bad"));
          ok(
            snap.notes.includes(
              "nova.instances.vcpus: 1 unreadable value(s) are NULL in the snapshot",
            ),
          );
        },
      );
    } finally {
      proxy.close();
      await root.end();
      await dropMysqlSite(prefix);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "fault suite (PostgreSQL): a BC date is one NULL value, not a lost table",
  ignore: noPostgres,
  fn: async () => {
    const database = uniqueName();
    const dir = await Deno.makeTempDir();
    const admin = postgres({
      host: "127.0.0.1",
      user: "postgres",
      database: "postgres",
      onnotice: () => {},
    });
    try {
      await admin.unsafe(`CREATE DATABASE "${database}"`);
      const sql = postgres({ host: "127.0.0.1", user: "postgres", database, onnotice: () => {} });
      try {
        await sql.unsafe(`CREATE SCHEMA blazar`);
        await sql.unsafe(
          `CREATE TABLE blazar.leases (id varchar(36) PRIMARY KEY, created_at timestamp,
          updated_at timestamp, name varchar(80) NOT NULL, user_id text, project_id text,
          start_date timestamp NOT NULL, end_date timestamp NOT NULL, status text, degraded boolean NOT NULL)`,
        );
        await sql.unsafe(`INSERT INTO blazar.leases VALUES
          ('l1', '0044-03-15 00:00:00 BC', NULL, 'n', NULL, 'p', '2024-11-03 01:30:00', '2024-11-04 01:30:00', 'ACTIVE', false),
          ('l2', '2024-03-10 08:30:00', NULL, 'n', NULL, 'p', '2024-11-03 01:30:00', '2024-11-04 01:30:00', 'ACTIVE', false)`);
      } finally {
        await sql.end();
      }
      const yaml =
        `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/in"\n    as_of: "2026-06-01"\n    db_uris:\n      blazar: "postgres://postgres@127.0.0.1:5432/${database}"\n`;
      const s = parseSitesConfig(yaml).sites.get("t")!;
      const warnings: string[] = [];
      const r = await fetchSite(s, {
        progress: quietProgress().progress,
        warn: (l) => warnings.push(l),
      });
      deepEqual(r.failures, []);
      equal(r.manifest!.as_of, "2026-06-01T00:00:00");
      equal(r.manifest!.as_of_source, "site as_of");
      equal(r.manifest!.tables["blazar.leases"].rows, 2);
      deepEqual(r.manifest!.tables["blazar.leases"].unreadable_values, { created_at: 1 });
      ok(
        warnings.some((w) =>
          /^blazar\.leases\.created_at: 1 value\(s\) .*"0044-03-15 00:00:00 BC" at id l1/.test(w)
        ),
        warnings.join("\n"),
      );
    } finally {
      await dropPostgresDatabase(database);
      await admin.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a fetch killed between the renames of its commit: loaders refuse the mixed file, the next fetch completes the commit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const write = (name: string, text: string) => Deno.writeTextFileSync(join(dir, name), text);
    const { fileDigest } = await import("../../lib/fetch/snapshot_commit.ts");
    // The old snapshot.
    write("nova.instances.2026-06-01.parquet", "old rows");
    const oldEntry = {
      status: "ok",
      file: "nova.instances.2026-06-01.parquet",
      rows: 1,
      bytes: 8,
      seconds: 0,
      columns: [],
      absent_columns: [],
      zero_dates: {},
      message: null,
      sha256: await fileDigest(join(dir, "nova.instances.2026-06-01.parquet")),
    };
    const manifest = (e: unknown) =>
      JSON.stringify({
        site: "t",
        site_name: "T",
        date: "2026-06-01",
        as_of: "2026-06-01T00:00:00",
        as_of_source: "test",
        started_at: "",
        finished_at: "",
        db_uris: {},
        tables: { "nova.instances": e },
      });
    write("manifest.2026-06-01.json", manifest(oldEntry));
    // A commit whose first rename happened, then the process died.
    const commit = join(dir, ".commit.0123456789ab");
    Deno.mkdirSync(commit);
    write("nova.instances.2026-06-01.parquet", "new rows");
    Deno.writeTextFileSync(
      join(commit, "manifest.2026-06-01.json"),
      manifest({
        ...oldEntry,
        rows: 2,
        sha256: await fileDigest(join(dir, "nova.instances.2026-06-01.parquet")),
      }),
    );
    Deno.writeTextFileSync(
      join(commit, "commit.json"),
      JSON.stringify({
        files: [{ staged: "nova.instances.parquet", final: "nova.instances.2026-06-01.parquet" }],
        manifest: "manifest.2026-06-01.json",
      }),
    );
    await rejects(
      loadSnapshot(dir),
      /^Error: Cannot load ".*nova\.instances\.2026-06-01\.parquet": its SHA-256 differs .*a fetch was killed while committing/,
    );
    deepEqual(await recoverCommits(dir), [".commit.0123456789ab"]);
    equal((await loadSnapshot(dir)).tables["nova.instances"].rows, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "MySQL back-pressure: a part that fails while the stream is paused fails its table, leaves no chunk, and the connection serves the next query",
  ignore: noMysql,
  fn: async () => {
    const { dir: siteDir } = await demoSite("small");
    const prefix = `${uniqueName()}_`;
    const dir = await Deno.makeTempDir();
    try {
      await loadDemoSql(siteDir, "mysql://root@127.0.0.1:3306", { prefix });
      await using conn = await MysqlConnector.open("mysql://root@127.0.0.1:3306");
      const spec = tableSpec("nova.instance_actions");
      const plan = planTable(
        spec,
        `${prefix}nova`,
        (await conn.columns(`${prefix}nova`, spec.table))!,
        "mysql",
      );
      await using writer = await ParquetWriter.open(dir, { batchBytes: 4096 });
      let conversions = 0;
      const real = writer.runConverting.bind(writer);
      writer.runConverting = async (sql: string) => {
        if (++conversions === 3) {
          await new Promise((r) => setTimeout(r, 200)); // the stream pauses behind it
          throw new Error("No space left on device (os error 28)");
        }
        return await real(sql);
      };
      await rejects(conn.read(plan, writer, () => {}), /No space left on device/);
      ok(conversions >= 3);
      const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        n.endsWith(".tmp") && !n.startsWith(".fetch-staging-")
      );
      deepEqual(left, []);
      match((await conn.asOf()).asOf, /^\d{4}-\d\d-\d\dT/);
    } finally {
      await dropMysqlSite(prefix);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("secrets: a malformed URI never prints the password from ${ENV}; load-demo refuses a password on the command line", async () => {
  const dir = await Deno.makeTempDir();
  const secret = `S3cr3t-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const yaml =
      `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/in"\n    db_uri: "mysql:/root:\${LEDGER_T_PW}@127.0.0.1:1/x"\n`;
    await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
    const r = await runFetchCli(join(dir, "sites.yaml"), "t", { LEDGER_T_PW: secret });
    equal(r.code, 1);
    match(r.stderr, /^error: /m);
    ok(!(r.stdout + r.stderr).includes(secret), r.stderr);
    const cfg = parseSitesConfig(yaml, { env: () => secret });
    ok(!JSON.stringify(cfg.sites.get("t")!.envSecrets).includes("root"));

    const run = async (args: string[], env: Record<string, string> = {}) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", resolve("tasks/load_demo.ts"), ...args],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
      };
    };
    const literal = await run(["--target", `mysql://root:${secret}@127.0.0.1:1`]);
    equal(literal.code, 1);
    match(literal.text, /expected the password from the environment/);
    ok(!literal.text.includes(secret));
    const fromEnv = await run([
      "--target",
      "mysql://root:${LEDGER_T_PW}@127.0.0.1:1",
      "--site-dir",
      dir,
    ], {
      LEDGER_T_PW: secret,
    });
    equal(fromEnv.code, 1);
    ok(!fromEnv.text.includes(secret), fromEnv.text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
