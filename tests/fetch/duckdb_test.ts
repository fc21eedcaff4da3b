import { REGISTRY } from "../../lib/registry.ts";
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fetchSite } from "../../lib/fetch/fetch.ts";
import { loadSnapshot } from "../../lib/fetch/manifest.ts";
import { ParquetWriter, removeLeftoversSync } from "../../lib/fetch/parquet_writer.ts";
import { demoSite } from "../_helpers.ts";
import { assertSnapshotEqualsSource, quietProgress, runFetchCli } from "./_fetch_helpers.ts";

Deno.test("fetch of the duckdb: demo site writes every table, as_of from snapshot_meta", async () => {
  const { dir: siteDir, truth } = await demoSite("small", "fork");
  const dir = await Deno.makeTempDir();
  try {
    const yaml =
      `sites:\n  demo:\n    site_name: CHI@Demo\n    input_dir: "${dir}"\n    db_uri: duckdb:${siteDir}/source.duckdb\n`;
    await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
    const r = await runFetchCli(join(dir, "sites.yaml"), "demo");
    equal(r.code, 0, r.stderr);
    const snap = await loadSnapshot(dir);
    equal(snap.asOf, "2026-06-01T00:00:00");
    equal(snap.date, "2026-06-01");
    equal(snap.manifest.as_of_source, "main.snapshot_meta.as_of");
    equal(await assertSnapshotEqualsSource(dir, snap.manifest, join(siteDir, "source.duckdb")), 18);
    for (const [table, n] of Object.entries(truth.counts)) equal(snap.tables[table].rows, n, table);
    equal(snap.tables["blazar.resource_properties"].status, "missing");
    deepEqual(snap.manifest.tables["blazar.computehost_extra_capabilities"].absent_columns, [
      "capability_name",
      "property_id",
    ]);
    const lines = r.stderr.trim().split("\n");
    equal(lines.length, REGISTRY.length, "one summary line per registry table");
    for (const l of lines) {
      match(l, /^fetch site=demo table=\w+\.\w+ status=\w+ rows=\d+ seconds=\d+\.\d\d/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch of a duckdb: file that does not exist fails with one line naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const yaml =
      `sites:\n  x:\n    site_name: X\n    input_dir: "${dir}/in"\n    db_uri: duckdb:${dir}/nope.duckdb\n`;
    await Deno.writeTextFile(join(dir, "sites.yaml"), yaml);
    const r = await runFetchCli(join(dir, "sites.yaml"), "x");
    equal(r.code, 1);
    match(
      r.stderr,
      /^error: Cannot connect to "duckdb:.*nope\.duckdb" .*does not exist \(error\)$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TableSink keeps a table whose values cannot be cast: those values are NULL, counted per column with a row key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using w = await ParquetWriter.open(dir, { batchBytes: 64 });
      const sink = await w.begin([
        { name: "id", type: "INTEGER", present: true },
        { name: "at", type: "TIMESTAMP", present: true },
        { name: "n", type: "INTEGER", present: true },
      ], { key: "id" });
      for (let i = 0; i < 50; i++) sink.append([i, "2020-01-01 00:00:00", i]);
      sink.append([50, "not a date", 50]);
      sink.append([51, "2020-00-00 00:00:00", "twelve"]);
      sink.append([52, "0044-03-15 00:00:00 BC", 52]);
      const r = await sink.finish(join(dir, "t.parquet"));
      equal(r.rows, 53);
      deepEqual(r.unreadable, { at: 3, n: 1 });
      deepEqual(r.unreadableSamples.n, { key: "51", value: "twelve" });
      equal(r.unreadableSamples.at.key, "50");
      const rows = await w.duck.json<{ id: number; at: string | null; n: number | null }>(
        `SELECT id, "at"::VARCHAR AS "at", n FROM read_parquet('${dir}/t.parquet') WHERE id >= 49 ORDER BY id`,
      );
      deepEqual(rows, [
        { id: 49, at: "2020-01-01 00:00:00", n: 49 },
        { id: 50, at: null, n: 50 },
        { id: 51, at: null, n: null },
        { id: 52, at: null, n: 52 },
      ]);
    }
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["t.parquet"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TableSink merges many parts into one file in row order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using w = await ParquetWriter.open(dir, { batchBytes: 1000 });
    const sink = await w.begin([
      { name: "id", type: "BIGINT", present: true },
      { name: "flag", type: "BOOLEAN", present: true },
      { name: "gone", type: "DOUBLE", present: false },
    ]);
    for (let i = 0; i < 5000; i++) {
      sink.append([String(i), i % 2]);
      if (sink.backlog > 1) await sink.drain();
    }
    const r = await sink.finish(join(dir, "m.parquet"));
    equal(r.rows, 5000);
    const rows = await w.duck.rows<{ n: bigint; ordered: boolean; flags: bigint; gone: bigint }>(
      `SELECT count(*) n, bool_and(id = rn - 1) ordered, count(*) FILTER (WHERE flag) flags,
              count(gone) gone
         FROM (SELECT *, row_number() OVER () rn FROM read_parquet('${dir}/m.parquet'))`,
    );
    deepEqual(rows[0], { n: 5000n, ordered: true, flags: 2500n, gone: 0n });
    deepEqual([...Deno.readDirSync(dir)].filter((e) => e.name.startsWith(".")).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetchSite() removes leftovers of an interrupted run before it starts", async () => {
  const { dir: siteDir } = await demoSite("small");
  const dir = await Deno.makeTempDir();
  try {
    const leftover = join(dir, ".nova.instances.2026-06-01.parquet.0123456789ab.tmp");
    await Deno.writeTextFile(leftover, "half a file");
    const { parseSitesConfig } = await import("../../lib/config.ts");
    const cfg = parseSitesConfig(
      `sites:\n  d:\n    site_name: D\n    input_dir: "${dir}"\n    db_uri: duckdb:${siteDir}/source.duckdb\n`,
    );
    const r = await fetchSite(cfg.sites.get("d")!, { progress: quietProgress().progress });
    deepEqual(r.failures, []);
    ok(![...Deno.readDirSync(dir)].some((e) => e.name.startsWith(".")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeLeftoversSync() removes every leftover even when one vanishes meanwhile", async () => {
  const dir = await Deno.makeTempDir();
  const removeSync = Deno.removeSync;
  try {
    const names: string[] = [];
    for (let i = 0; i < 500; i++) {
      const name = `.chunk${i}.rows.${i.toString(16).padStart(12, "0")}.tmp`;
      await Deno.writeTextFile(join(dir, name), "rows");
      names.push(name);
    }
    await Deno.writeTextFile(join(dir, "nova.instances.2026-06-01.parquet"), "kept");
    // A sink's own cleanup (an async remove in flight) takes one file away during the sweep.
    let vanished = "";
    Deno.removeSync = (path, options) => {
      if (!vanished) {
        vanished = names.find((n) => !String(path).endsWith(n))!;
        removeSync(join(dir, vanished));
      }
      removeSync(path, options);
    };
    const removed = removeLeftoversSync(dir);
    Deno.removeSync = removeSync;
    deepEqual(removed, names.filter((n) => n !== vanished).sort());
    deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["nova.instances.2026-06-01.parquet"]);
  } finally {
    Deno.removeSync = removeSync;
    await Deno.remove(dir, { recursive: true });
  }
});
