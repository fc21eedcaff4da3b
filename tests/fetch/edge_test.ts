import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { loadDemoSql } from "../../lib/demo/load_sql.ts";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import { demoSite, portOpen, skipUnless } from "../_helpers.ts";
import {
  assertSnapshotEqualsSource,
  dropMysqlSite,
  dropPostgresDatabase,
  quietProgress,
  siteFromUris,
  uniqueName,
} from "./_fetch_helpers.ts";
import { parseSitesConfig } from "../../lib/config.ts";
import type { Manifest } from "../../lib/fetch/manifest.ts";

/** The tables an Edge site holds (the edge demo writes these and no other). */
const EDGE = [
  "blazar.leases",
  "blazar.reservations",
  "blazar.resource_properties",
  "blazar.devices",
  "blazar.device_extra_capabilities",
  "blazar.device_reservations",
  "blazar.device_allocations",
  "zun.container",
  "zun.container_actions",
  "zun.container_actions_events",
];

function okTables(m: Manifest): string[] {
  return Object.entries(m.tables).filter(([, t]) => t.status === "ok").map(([k]) => k).sort();
}

Deno.test({
  name: "the edge demo loads into MariaDB (a zun database) and fetches back equal, table by table",
  ignore: skipUnless(await portOpen(3306), "MariaDB at 127.0.0.1:3306"),
  fn: async () => {
    const { dir: siteDir, truth } = await demoSite("edge");
    const prefix = `${uniqueName()}_`;
    const dir = await Deno.makeTempDir();
    try {
      const loaded = await loadDemoSql(siteDir, "mysql://root@127.0.0.1:3306", { prefix });
      deepEqual(Object.keys(loaded.dbUris).sort(), ["blazar", "zun"]);
      equal(loaded.rows["zun.container"], truth.counts["zun.container"]);
      const { site } = siteFromUris(loaded.dbUris as Record<string, string>, join(dir, "in"));
      const r = await fetchSite(site, { progress: quietProgress().progress });
      deepEqual(r.failures, []);
      deepEqual(okTables(r.manifest!), [...EDGE].sort());
      equal(
        await assertSnapshotEqualsSource(
          join(dir, "in"),
          r.manifest!,
          join(siteDir, "source.duckdb"),
        ),
        EDGE.length,
      );
    } finally {
      await dropMysqlSite(prefix);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the edge demo loads into PostgreSQL (a zun schema) and fetches back equal through db_uri",
  ignore: skipUnless(await portOpen(5432), "PostgreSQL at 127.0.0.1:5432"),
  fn: async () => {
    const { dir: siteDir } = await demoSite("edge");
    const database = uniqueName();
    const dir = await Deno.makeTempDir();
    try {
      const target = `postgres://postgres@127.0.0.1:5432/${database}`;
      await loadDemoSql(siteDir, target);
      const cfg = parseSitesConfig(
        `sites:\n  t:\n    site_name: T\n    input_dir: "${dir}/in"\n    db_uri: "${target}"\n`,
      );
      const r = await fetchSite(cfg.sites.get("t")!, { progress: quietProgress().progress });
      deepEqual(r.failures, []);
      deepEqual(okTables(r.manifest!), [...EDGE].sort());
      equal(
        await assertSnapshotEqualsSource(
          join(dir, "in"),
          r.manifest!,
          join(siteDir, "source.duckdb"),
        ),
        EDGE.length,
      );
    } finally {
      await dropPostgresDatabase(database);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
