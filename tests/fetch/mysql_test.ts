import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadDemoSql } from "../../lib/demo/load_sql.ts";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import { loadSnapshot } from "../../lib/fetch/manifest.ts";
import { REGISTRY } from "../../lib/registry.ts";
import { demoSite, portOpen, skipUnless } from "../_helpers.ts";
import {
  assertSnapshotEqualsSource,
  dirBytes,
  dropMysqlSite,
  mysqlRoot,
  quietProgress,
  readManifest,
  runFetchCli,
  siteFromUris,
  uniqueName,
} from "./_fetch_helpers.ts";

const ignore = skipUnless(await portOpen(3306), "MariaDB at 127.0.0.1:3306");

/** Loads the small demo site under a unique prefix; `fn` gets its db_uris and a temp dir. */
async function withLoadedSite(
  fn: (
    ctx: { prefix: string; dbUris: Record<string, string>; dir: string; source: string },
  ) => Promise<void>,
): Promise<void> {
  const { dir: siteDir } = await demoSite("small");
  const prefix = `${uniqueName()}_`;
  const dir = await Deno.makeTempDir({ prefix: "ledger-fetch-" });
  try {
    const r = await loadDemoSql(siteDir, "mysql://root@127.0.0.1:3306", { prefix });
    await fn({ prefix, dbUris: r.dbUris, dir, source: join(siteDir, "source.duckdb") });
  } finally {
    await dropMysqlSite(prefix);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "fetch from MariaDB writes every table equal to the demo source under TZ=America/Chicago, password never shown",
  ignore,
  fn: () =>
    withLoadedSite(async ({ prefix, dbUris, dir, source }) => {
      const user = uniqueName("ledger_reader");
      const password = `Pw-${crypto.randomUUID()}`;
      const root = await mysqlRoot();
      try {
        await root.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
        for (const s of Object.keys(dbUris)) {
          await root.query(`GRANT SELECT ON \`${prefix}${s}\`.* TO ?@'%'`, [user]);
        }
        const uris = Object.fromEntries(
          Object.entries(dbUris).map((
            [k, v],
          ) => [k, v.replace("root@", `${user}:\${LEDGER_TEST_PW}@`)]),
        );
        const { yaml } = siteFromUris(uris, join(dir, "in"), { LEDGER_TEST_PW: password });
        await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
        const r = await runFetchCli(join(dir, "sites.yaml"), "t", {
          TZ: "America/Chicago",
          LEDGER_TEST_PW: password,
        });
        equal(r.code, 0, r.stderr);
        match(r.stdout, /fetch site=t as_of=\S+ tables_ok=18\/26 rows=\d+/);
        match(r.stderr, /^fetch site=t table=nova\.instances status=ok rows=\d+ seconds=/m);
        // The demo loaded into MariaDB is a restored dump: as_of is its newest record (the demo's
        // as_of is 2026-06-01T00:00:00), not the server clock, with one warning line.
        match(r.stdout, /as_of=2026-05-31T\S+ .*as_of_source="newest record \(/);
        equal(r.stderr.split("\n").filter((l) => l.startsWith("warning: as_of is ")).length, 1);
        const manifest = await readManifest(join(dir, "in"), "2026-05-31");
        equal(await assertSnapshotEqualsSource(join(dir, "in"), manifest, source), 18);
        equal(manifest.tables["blazar.extra_capabilities"].status, "missing");
        match(manifest.as_of, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        match(manifest.db_uris.nova, /:\*\*\*@/);
        const text = r.stdout + r.stderr + JSON.stringify(manifest);
        ok(!text.includes(password), "the password leaked into stdout, stderr or the manifest");
      } finally {
        await root.query(`DROP USER IF EXISTS ?@'%'`, [user]);
        await root.end();
      }
    }),
});

Deno.test({
  name: "fetch from MariaDB turns 0000-00-00 00:00:00 into NULL and counts it per column",
  ignore,
  fn: () =>
    withLoadedSite(async ({ dbUris, dir }) => {
      const { truth } = await demoSite("small");
      const { site } = siteFromUris(dbUris, dir);
      const r = await fetchSite(site, { progress: quietProgress().progress });
      deepEqual(r.failures, []);
      const expected: Record<string, Record<string, number>> = {};
      for (const z of truth.zero_dates) {
        expected[z.table] ??= {};
        expected[z.table][z.column] = (expected[z.table][z.column] ?? 0) + 1;
      }
      ok(truth.zero_dates.length > 0, "the demo site must hold zero dates");
      for (const [table, cols] of Object.entries(expected)) {
        deepEqual(r.manifest!.tables[table].zero_dates, cols, table);
      }
      equal(r.manifest!.tables["nova.services"].zero_dates.deleted_at, undefined);
    }),
});

Deno.test({
  name:
    "fetch from MariaDB keeps DATETIME(6), TINYINT(1), ENUM, DECIMAL, FLOAT, BIGINT, multi-MB text and utf8mb4 exact",
  ignore,
  fn: async () => {
    const db = uniqueName();
    const dir = await Deno.makeTempDir();
    const root = await mysqlRoot();
    const spec = JSON.stringify({
      "nova_object.data": { note: '<img src=x onerror=alert(1)> 😀 "q" \\ \n' },
      pad: "é".repeat(3_000_000),
    });
    try {
      await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
      await root.query(`CREATE TABLE \`${db}\`.request_specs (
        id INT NOT NULL PRIMARY KEY, created_at DATETIME(6) NULL, updated_at DATETIME NULL,
        instance_uuid VARCHAR(36) NOT NULL, spec MEDIUMTEXT NOT NULL)`);
      await root.query(
        `INSERT INTO \`${db}\`.request_specs VALUES
          (1, '2021-03-14 01:59:26.535897', '2038-01-19 03:14:08', 'u-1', ?),
          (2, NULL, '1970-01-01 00:00:00', 'u-2', '🦆 <script>x</script>')`,
        [spec],
      );
      await root.query(`CREATE TABLE \`${db}\`.node_usage_report_cache (
        id INT NOT NULL PRIMARY KEY, date DATE NOT NULL, node_type VARCHAR(255),
        total_hours DOUBLE, price DECIMAL(14,4), ratio FLOAT, big BIGINT, flag TINYINT(1),
        kind ENUM('owner','admin'), seen_at DATETIME(6))`);
      await root.query(
        `INSERT INTO \`${db}\`.node_usage_report_cache VALUES
          (1, '2020-02-29', 'compute_skylake', 24.5, 1234567890.1234, 0.1, 9007199254740993, 1,
           'admin', '2020-03-08 02:30:00.000001'),
          (2, '2020-03-01', NULL, NULL, -0.0001, 3.4e38, -9223372036854775808, 0, 'owner', NULL)`,
      );
      const uri = `mysql://root@127.0.0.1:3306/${db}`;
      const { site } = siteFromUris({ nova_api: uri, chameleon_usage: uri }, dir);
      await Deno.writeTextFile(
        join(dir, "sites.yaml"),
        siteFromUris({ nova_api: uri, chameleon_usage: uri }, dir).yaml,
      );
      const r = await runFetchCli(join(dir, "sites.yaml"), "t", { TZ: "America/Chicago" });
      equal(r.code, 0, r.stderr);
      const snap = await loadSnapshot(site.inputDir);
      const { Duck } = await import("../../lib/db/duckdb.ts");
      using duck = await Duck.open();
      const rs = await duck.json<Record<string, unknown>>(
        `SELECT id, strftime(created_at, '%Y-%m-%d %H:%M:%S.%f') AS c, updated_at::VARCHAR AS u,
                spec, typeof(created_at) AS t FROM read_parquet('${
          snap.tables["nova_api.request_specs"].path
        }') ORDER BY id`,
      );
      equal(rs[0].c, "2021-03-14 01:59:26.535897");
      equal(rs[0].u, "2038-01-19 03:14:08");
      equal(rs[0].t, "TIMESTAMP");
      equal(rs[0].spec, spec);
      equal(rs[1].c, null);
      equal(rs[1].u, "1970-01-01 00:00:00");
      equal(rs[1].spec, "🦆 <script>x</script>");
      const nu = await duck.json<Record<string, unknown>>(
        `SELECT *, typeof(price) tp, typeof(ratio) tr, typeof(big) tb, typeof(flag) tf,
                typeof(kind) tk, typeof(seen_at) ta, typeof(date) td, seen_at::VARCHAR AS at_text
           FROM read_parquet('${
          snap.tables["chameleon_usage.node_usage_report_cache"].path
        }') ORDER BY id`,
      );
      deepEqual(
        [nu[0].tp, nu[0].tr, nu[0].tb, nu[0].tf, nu[0].tk, nu[0].ta, nu[0].td],
        ["DECIMAL(14,4)", "FLOAT", "BIGINT", "BOOLEAN", "VARCHAR", "TIMESTAMP", "DATE"],
      );
      equal(nu[0].price, "1234567890.1234");
      equal(nu[0].big, "9007199254740993");
      equal(nu[1].big, "-9223372036854775808");
      equal(nu[0].flag, true);
      equal(nu[1].flag, false);
      equal(nu[0].kind, "admin");
      equal(nu[0].at_text, "2020-03-08 02:30:00.000001");
      equal(nu[0].date, "2020-02-29");
      equal(nu[1].price, "-0.0001");
      equal(
        Number(
          await duck.value(
            `SELECT count(*) FROM read_parquet('${
              snap.tables["chameleon_usage.node_usage_report_cache"].path
            }') WHERE ratio = 0.1::FLOAT AND id = 1`,
          ),
        ),
        1,
      );
      equal(
        Number(
          await duck.value(
            `SELECT count(*) FROM read_parquet('${
              snap.tables["chameleon_usage.node_usage_report_cache"].path
            }') WHERE ratio = 3.4e38::FLOAT AND id = 2`,
          ),
        ),
        1,
      );
    } finally {
      await root.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await root.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "fetch: an account that lost SELECT fails and keeps the previous snapshot byte for byte; a first fetch records an invisible table as absent",
  ignore,
  fn: () =>
    withLoadedSite(async ({ prefix, dbUris, dir }) => {
      const user = uniqueName("ledger_limited");
      const root = await mysqlRoot();
      try {
        // A good snapshot first (root).
        const inDir = join(dir, "in");
        const good = await fetchSite(siteFromUris(dbUris, inDir).site, {
          progress: quietProgress().progress,
        });
        deepEqual(good.failures, []);
        const before = await dirBytes(inDir);
        await root.query(`CREATE USER ?@'%' IDENTIFIED BY 'limited-pw'`, [user]);
        for (const spec of REGISTRY) {
          if (spec.schema === "nova" && spec.table === "instances") continue;
          await root.query(
            `GRANT SELECT ON \`${prefix}${spec.schema}\`.\`${spec.table}\` TO ?@'%'`,
            [user],
          ).catch(() => {}); // tables of another era do not exist
        }
        // Dropped after the grant: the user may read it, so MySQL says "no such table".
        await root.query(`DROP TABLE \`${prefix}blazar\`.leases`);
        const uris = Object.fromEntries(
          Object.entries(dbUris).map(([k, v]) => [k, v.replace("root@", `${user}:limited-pw@`)]),
        );
        const { site, yaml } = siteFromUris(uris, inDir);
        const warnings: string[] = [];
        const r = await fetchSite(site, {
          progress: quietProgress().progress,
          warn: (l) => warnings.push(l),
        });
        // The same-day re-fetch lost nova.instances: it fails and commits nothing.
        equal(r.manifest, null);
        equal(r.failures.length, 1);
        match(r.failures[0], /^Cannot fetch "nova\.instances" .*denied.*\(permission_denied\)$/);
        deepEqual(await dirBytes(inDir), before);
        await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
        const cli = await runFetchCli(join(dir, "sites.yaml"), "t");
        equal(cli.code, 1, cli.stderr);
        match(cli.stderr, /^error: Cannot fetch "nova\.instances" /m);
        match(cli.stderr, /^fetch site=t table=blazar\.leases status=missing rows=0 /m);
        ok(!(cli.stdout + cli.stderr).includes("limited-pw"));
        deepEqual(await dirBytes(inDir), before);
        const snap = await loadSnapshot(inDir);
        equal(snap.tables["nova.instances"].rows, good.manifest!.tables["nova.instances"].rows);

        // A first fetch into a new directory: a table the account cannot see is absent, said so.
        const fresh = await fetchSite(siteFromUris(uris, join(dir, "fresh")).site, {
          progress: quietProgress().progress,
          warn: (l) => warnings.push(l),
        });
        deepEqual(fresh.failures, []);
        const t = fresh.manifest!.tables;
        equal(t["nova.instances"].status, "permission_denied");
        equal(t["blazar.leases"].status, "missing");
        equal(t["nova.instance_actions"].status, "ok");
        ok(warnings.some((w) => /^nova\.instances: not visible to the fetch account/.test(w)));
        const loaded = await loadSnapshot(join(dir, "fresh"));
        ok(loaded.notes.some((n) => /^nova\.instances: absent \(not visible/.test(n)));
        ok(loaded.notes.some((n) => n === "blazar.leases: absent (does not exist at the source)"));
        ok(!JSON.stringify(fresh).includes("limited-pw"));
      } finally {
        await root.query(`DROP USER IF EXISTS ?@'%'`, [user]);
        await root.end();
      }
    }),
});

/** Runs the CLI on one URI for every schema; returns exit code and stderr. */
async function cliOn(uri: string, env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir();
  try {
    const yaml =
      `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/in"\n    db_uri: "${uri}"\n`;
    await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
    const r = await runFetchCli(join(dir, "sites.yaml"), "t", env);
    const files = await Array.fromAsync(Deno.readDir(dir + "/in")).catch(() => []);
    return { ...r, files: files.map((f) => f.name) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "fetch exits 1 with one clear line for a dead port, a wrong password, an unknown database",
  ignore,
  fn: async () => {
    const dead = await cliOn("mysql://root@127.0.0.1:1");
    equal(dead.code, 1);
    equal(dead.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1);
    match(
      dead.stderr,
      /^error: Cannot connect to "mysql:\/\/root@127\.0\.0\.1:1" for nova, nova_api, blazar, chameleon_usage, zun: .*\(unreachable\)$/m,
    );
    deepEqual(dead.files, []);

    const root = await mysqlRoot();
    const user = uniqueName("ledger_pw");
    try {
      await root.query(`CREATE USER ?@'%' IDENTIFIED BY 'right-pw'`, [user]);
      const wrong = await cliOn(`mysql://${user}:\${LEDGER_TEST_PW}@127.0.0.1:3306`, {
        LEDGER_TEST_PW: "Wrong-Pw-7x",
      });
      equal(wrong.code, 1);
      match(
        wrong.stderr,
        /^error: Cannot connect to "mysql:\/\/ledger_pw_\w+:\*\*\*@127\.0\.0\.1:3306".*\(auth_failed\)$/m,
      );
      ok(!wrong.stderr.includes("Wrong-Pw-7x") && !wrong.stdout.includes("Wrong-Pw-7x"));
    } finally {
      await root.query(`DROP USER IF EXISTS ?@'%'`, [user]);
      await root.end();
    }

    const unknown = await cliOn(`mysql://root@127.0.0.1:3306/${uniqueName("no_such_db")}`);
    equal(unknown.code, 1);
    match(unknown.stderr, /^error: Cannot connect to .*Unknown database .*\(error\)$/m);
  },
});

Deno.test({
  name:
    "fetch rerun the same day replaces every file, and an interrupted run leaves no partial file",
  ignore,
  fn: () =>
    withLoadedSite(async ({ prefix, dbUris, dir }) => {
      const { site, yaml } = siteFromUris(dbUris, join(dir, "in"));
      const first = await fetchSite(site, { progress: quietProgress().progress });
      const date = first.manifest!.date;
      const file = join(site.inputDir, `nova.instances.${date}.parquet`);
      const before = (await Deno.stat(file)).ino;
      const root = await mysqlRoot();
      try {
        await root.query(`DELETE FROM \`${prefix}nova\`.instances WHERE id % 2 = 0`);
      } finally {
        await root.end();
      }
      const second = await fetchSite(site, { progress: quietProgress().progress });
      equal(second.manifest!.date, date);
      ok(
        second.manifest!.tables["nova.instances"].rows <
          first.manifest!.tables["nova.instances"].rows,
      );
      ok((await Deno.stat(file)).ino !== before, "the rerun must replace the file");
      const snap = await loadSnapshot(site.inputDir);
      equal(snap.tables["nova.instances"].rows, second.manifest!.tables["nova.instances"].rows);

      // Interrupt a run (SIGINT) while it writes: the files it left are whole or absent.
      await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "tasks/fetch.ts", "--config", join(dir, "sites.yaml"), "--site", "t"],
        env: { CI: "true" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("table=nova.instance_actions ")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      child.kill("SIGINT");
      reader.releaseLock();
      await child.stderr.cancel().catch(() => {});
      const status = await child.status;
      ok(status.code === 130 || status.success, `unexpected exit ${status.code}`);
      const names = [...Deno.readDirSync(site.inputDir)].map((e) => e.name);
      deepEqual(names.filter((n) => n.startsWith(".")), [], "temporary files were left behind");
      const { Duck } = await import("../../lib/db/duckdb.ts");
      using duck = await Duck.open();
      for (const n of names.filter((n) => n.endsWith(".parquet"))) {
        ok(
          Number(
            await duck.value(`SELECT count(*) FROM read_parquet('${join(site.inputDir, n)}')`),
          ) >= 0,
        );
      }
    }),
});
