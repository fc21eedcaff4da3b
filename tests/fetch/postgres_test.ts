import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import { loadDemoSql } from "../../lib/demo/load_sql.ts";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import { demoSite, portOpen, skipUnless } from "../_helpers.ts";
import {
  assertSnapshotEqualsSource,
  dropPostgresDatabase,
  quietProgress,
  readManifest,
  runFetchCli,
  siteFromUris,
  uniqueName,
} from "./_fetch_helpers.ts";

const ignore = skipUnless(await portOpen(5432), "PostgreSQL at 127.0.0.1:5432");

Deno.test({
  name:
    "fetch from PostgreSQL writes every table equal to the demo source under TZ=America/Chicago",
  ignore,
  fn: async () => {
    const { dir: siteDir } = await demoSite("small");
    const database = uniqueName();
    const dir = await Deno.makeTempDir();
    try {
      const target = `postgres://postgres@127.0.0.1:5432/${database}`;
      await loadDemoSql(siteDir, target);
      const yaml =
        `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/in"\n    db_uri: "${target}"\n`;
      await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
      const r = await runFetchCli(join(dir, "sites.yaml"), "t", { TZ: "America/Chicago" });
      equal(r.code, 0, r.stderr);
      // A restored dump: as_of is the newest record (docs/design.md §5), with one warning line.
      const manifest = await readManifest(join(dir, "in"), "2026-05-31");
      match(manifest.as_of_source, /^newest record \(/);
      match(manifest.as_of, /^2026-05-31T/);
      equal(r.stderr.split("\n").filter((l) => /^warning: as_of is 2026-05-31T/.test(l)).length, 1);
      equal(
        await assertSnapshotEqualsSource(join(dir, "in"), manifest, join(siteDir, "source.duckdb")),
        18,
      );
      deepEqual(manifest.tables["nova.instances"].absent_columns, ["compute_id"]);
    } finally {
      await dropPostgresDatabase(database);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "fetch from PostgreSQL honours ?schema=; a forbidden table fails the fetch, a missing one is absent",
  ignore,
  fn: async () => {
    const database = uniqueName();
    const role = uniqueName("ledger_role");
    const dir = await Deno.makeTempDir();
    const admin = postgres({
      host: "127.0.0.1",
      user: "postgres",
      database: "postgres",
      onnotice: () => {},
    });
    try {
      await admin.unsafe(`CREATE DATABASE "${database}"`);
      await admin.unsafe(`CREATE ROLE "${role}" LOGIN`);
      const sql = postgres({ host: "127.0.0.1", user: "postgres", database, onnotice: () => {} });
      try {
        await sql.unsafe(`CREATE SCHEMA bz`);
        await sql.unsafe(
          `CREATE TABLE bz.leases (id varchar(36) PRIMARY KEY, created_at timestamptz,
          updated_at timestamp, name varchar(80) NOT NULL, user_id text, project_id text,
          start_date timestamp NOT NULL, end_date timestamp NOT NULL, status text, degraded boolean NOT NULL)`,
        );
        await sql.unsafe(`INSERT INTO bz.leases VALUES ('l1', '2024-03-10 08:30:00.25+00',
          '2024-03-10 02:30:00.000001', 'n', NULL, 'p', '2024-11-03 01:30:00', '2024-11-03 02:30:00', 'ACTIVE', true)`);
        await sql.unsafe(`CREATE TABLE bz.computehosts (id varchar(36) PRIMARY KEY)`);
        await sql.unsafe(`GRANT USAGE ON SCHEMA bz TO "${role}"`);
        await sql.unsafe(`GRANT SELECT ON bz.leases TO "${role}"`);
      } finally {
        await sql.end();
      }
      const uri = `postgres://${role}:any@127.0.0.1:5432/${database}?schema=bz`;
      const { site } = siteFromUris({ blazar: uri }, dir);
      // A table that exists but cannot be read is an error, not an absence: nothing is committed.
      const denied = await fetchSite(site, { progress: quietProgress().progress });
      equal(denied.manifest, null);
      equal(denied.failures.length, 1);
      match(denied.failures[0], /^Cannot fetch "blazar\.computehosts" .*\(permission_denied\)$/);
      deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), []);
      const owner = postgres({ host: "127.0.0.1", user: "postgres", database, onnotice: () => {} });
      await owner.unsafe(`DROP TABLE bz.computehosts`);
      await owner.end();
      const r = await fetchSite(site, { progress: quietProgress().progress });
      const t = r.manifest!.tables;
      equal(t["blazar.leases"].status, "ok");
      deepEqual(t["blazar.leases"].absent_columns, ["deleted", "deleted_at"]);
      equal(t["blazar.computehosts"].status, "missing");
      equal(t["blazar.reservations"].status, "missing");
      equal(t["nova.instances"].status, "missing");
      match(t["nova.instances"].message!, /schema "nova" has no URI/);
      const { Duck } = await import("../../lib/db/duckdb.ts");
      using duck = await Duck.open();
      const [row] = await duck.json<Record<string, unknown>>(
        `SELECT created_at::VARCHAR c, updated_at::VARCHAR u, start_date::VARCHAR s, degraded
           FROM read_parquet('${join(dir, t["blazar.leases"].file!)}')`,
      );
      deepEqual(row, {
        c: "2024-03-10 08:30:00.25",
        u: "2024-03-10 02:30:00.000001",
        s: "2024-11-03 01:30:00",
        degraded: true,
      });
      ok(!JSON.stringify(r.manifest).includes(":any@"));
    } finally {
      await dropPostgresDatabase(database);
      await admin.unsafe(`DROP ROLE IF EXISTS "${role}"`);
      await admin.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "fetch from PostgreSQL exits 1 with one clear line for an unknown database or a dead port",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (
        const [uri, re] of [
          [
            `postgres://postgres@127.0.0.1:5432/${uniqueName("nodb")}`,
            /does not exist.*\(error\)$/m,
          ],
          ["postgres://postgres:pw@127.0.0.1:1/x", /ECONNREFUSED.*\(unreachable\)$/m],
        ] as const
      ) {
        const yaml =
          `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/in"\n    db_uri: "${uri}"\n`;
        await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
        const r = await runFetchCli(join(dir, "sites.yaml"), "t");
        equal(r.code, 1);
        equal(r.stderr.split("\n").filter((l) => l.startsWith("error:")).length, 1);
        match(r.stderr, /^error: Cannot connect to "postgres:\/\//m);
        match(r.stderr, re);
        ok(!r.stderr.includes(":pw@"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
