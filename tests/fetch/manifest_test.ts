import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { loadSnapshot, type Manifest, type ManifestTable } from "../../lib/fetch/manifest.ts";
import { fileDigest } from "../../lib/fetch/snapshot_commit.ts";

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

async function write(
  dir: string,
  date: string,
  tables: Record<string, ManifestTable>,
  options: { keepFiles?: boolean } = {},
) {
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
    if (t.file && !options.keepFiles) await Deno.writeTextFile(join(dir, t.file), "");
  }
}

Deno.test("loadSnapshot() takes the newest snapshot, or the one of a given date; absent only when missing at the source", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await write(dir, "2026-01-01", {
      "nova.instances": entry("ok", "nova.instances.2026-01-01.parquet", 10),
      "blazar.leases": entry("ok", "blazar.leases.2026-01-01.parquet", 5),
    });
    await write(dir, "2026-02-01", {
      "nova.instances": entry("ok", "nova.instances.2026-02-01.parquet", 12),
      "chameleon_usage.node_usage": entry("missing", null),
    });
    const newest = await loadSnapshot(dir);
    equal(newest.date, "2026-02-01");
    equal(newest.asOf, "2026-02-01T06:00:00");
    equal(newest.tables["nova.instances"].path, join(dir, "nova.instances.2026-02-01.parquet"));
    equal(newest.tables["nova.instances"].rows, 12);
    equal(newest.tables["chameleon_usage.node_usage"].path, null);
    deepEqual(newest.notes, [
      "chameleon_usage.node_usage: absent (does not exist at the source)",
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

Deno.test("loadSnapshot() refuses a table whose fetch failed: an error, never an older file or an absence", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await write(dir, "2026-01-01", {
      "blazar.leases": entry("ok", "blazar.leases.2026-01-01.parquet", 5),
    });
    await write(dir, "2026-02-01", {
      "nova.instances": entry("ok", "nova.instances.2026-02-01.parquet", 12),
      "blazar.leases": entry("unreachable", null),
    });
    await rejects(
      loadSnapshot(dir),
      /^Error: Cannot load "blazar\.leases" from ".*manifest\.2026-02-01\.json": its fetch failed \(unreachable: down\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSnapshot() refuses a mixed or damaged snapshot with one line naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = "nova.instances.2026-02-01.parquet";
    await Deno.writeTextFile(join(dir, file), "rows of the fetch that wrote the manifest");
    const good = {
      ...entry("ok", file, 12),
      bytes: (await Deno.stat(join(dir, file))).size,
      sha256: await fileDigest(join(dir, file)),
    };
    await write(dir, "2026-02-01", { "nova.instances": good }, { keepFiles: true });
    equal((await loadSnapshot(dir)).tables["nova.instances"].rows, 12);
    // A killed fetch's file beside the old manifest: same size, other bytes.
    await Deno.writeTextFile(join(dir, file), "rows of a fetch that was killed mid-way!!");
    const err = await loadSnapshot(dir).then(() => null, (e: Error) => e.message);
    match(err ?? "", /^Cannot load ".*nova\.instances\.2026-02-01\.parquet": its SHA-256 differs/);
    equal(err!.split("\n").length, 1);
    // Another size.
    await Deno.writeTextFile(join(dir, file), "short");
    await rejects(loadSnapshot(dir), /expected \d+ bytes as manifest .* says, found 5/);
    await Deno.remove(join(dir, file));
    await rejects(loadSnapshot(dir), /lists it, but it does not exist/);
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
