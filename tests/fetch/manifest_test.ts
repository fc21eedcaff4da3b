import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { loadSnapshot, type Manifest, type ManifestTable } from "../../lib/fetch/manifest.ts";

function entry(status: ManifestTable["status"], file: string | null, rows = 0): ManifestTable {
  return {
    status,
    file,
    rows,
    bytes: 0,
    seconds: 0,
    columns: [],
    absent_columns: [],
    zero_dates: {},
    message: status === "ok" ? null : "down",
  };
}

async function write(dir: string, date: string, tables: Record<string, ManifestTable>) {
  const m: Manifest = {
    site: "t",
    site_name: "T",
    date,
    as_of: `${date}T06:00:00`,
    as_of_source: "test",
    started_at: "",
    finished_at: "",
    db_uris: {},
    tables,
  };
  await Deno.writeTextFile(join(dir, `manifest.${date}.json`), JSON.stringify(m));
  for (const t of Object.values(tables)) {
    if (t.file) await Deno.writeTextFile(join(dir, t.file), "");
  }
}

Deno.test("loadSnapshot() takes the newest snapshot, or the one of a given date, per table", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await write(dir, "2026-01-01", {
      "nova.instances": entry("ok", "nova.instances.2026-01-01.parquet", 10),
      "blazar.leases": entry("ok", "blazar.leases.2026-01-01.parquet", 5),
    });
    await write(dir, "2026-02-01", {
      "nova.instances": entry("ok", "nova.instances.2026-02-01.parquet", 12),
      "blazar.leases": entry("unreachable", null),
      "chameleon_usage.node_usage": entry("missing", null),
    });
    const newest = await loadSnapshot(dir);
    equal(newest.date, "2026-02-01");
    equal(newest.asOf, "2026-02-01T06:00:00");
    equal(newest.tables["nova.instances"].path, join(dir, "nova.instances.2026-02-01.parquet"));
    equal(newest.tables["nova.instances"].rows, 12);
    equal(newest.tables["blazar.leases"].path, join(dir, "blazar.leases.2026-01-01.parquet"));
    equal(newest.tables["blazar.leases"].date, "2026-01-01");
    equal(newest.tables["chameleon_usage.node_usage"].path, null);
    deepEqual(newest.notes, [
      "blazar.leases: unreachable on 2026-02-01; using the snapshot of 2026-01-01",
    ]);
    const older = await loadSnapshot(dir, { date: "2026-01-01" });
    equal(older.tables["nova.instances"].rows, 10);
    equal(older.tables["blazar.leases"].status, "ok");
    await rejects(
      loadSnapshot(dir, { date: "2025-12-31" }),
      /expected one of 2026-02-01, 2026-01-01/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSnapshot() fails naming the directory when no fetch has run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(loadSnapshot(dir), /no manifest\.<YYYY-MM-DD>\.json found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
