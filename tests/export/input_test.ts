import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { readExportInput } from "../../lib/export/input.ts";
import { outputSet, writeRun } from "./_export_helpers.ts";

const ROWS = [
  { metric: "total", node_type: "gpu", day: "2025-01-01", value: 2 },
  { metric: "total", node_type: "gpu", day: "2025-01-03", value: 0.5 },
];

Deno.test("readExportInput() reads the run's window and the daily series", async () => {
  const site = await outputSet("s", ROWS);
  const input = await readExportInput(site.outputDir, { site: "s" });
  deepEqual(input.window, { start: "2025-01-01", end: "2025-01-04" });
  deepEqual(input.daily.day, ["2025-01-01", "2025-01-03"]);
  deepEqual(input.daily.value, [2, 0.5]);
  deepEqual(input.daily.node_type, ["gpu", "gpu"]);
  // The asked window equal to the run's is accepted.
  const same = await readExportInput(site.outputDir, {
    site: "s",
    start: "2025-01-01",
    end: "2025-01-04",
  });
  equal(same.daily.day.length, 2);
});

Deno.test("readExportInput() refuses an output set of another window than asked", async () => {
  const site = await outputSet("s", ROWS);
  await rejects(
    readExportInput(site.outputDir, { site: "s", start: "2024-12-01" }),
    /run\.json is of window 2025-01-01T00:00:00\.\.2025-01-04T00:00:00, asked --start 2024-12-01/,
  );
  await rejects(
    readExportInput(site.outputDir, { site: "s", end: "2025-01-03" }),
    /asked --end 2025-01-03 \(run the pipeline with that window first\)/,
  );
});

Deno.test("readExportInput() refuses an incomplete or mixed output set", async () => {
  const site = await outputSet("s", ROWS);
  const dir = site.outputDir;
  await rejects(readExportInput(dir, { site: "t" }), /run\.json is of site "s", expected "t"/);
  // usage_daily.parquet rewritten after run.json: a later run stopped half-way.
  const later = new Date(Date.now() + 60_000);
  await Deno.utime(join(dir, "usage_daily.parquet"), later, later);
  await rejects(
    readExportInput(dir, { site: "s" }),
    /usage_daily\.parquet is newer than .*run\.json \(a later run did not finish/,
  );
  // A run whose invariants failed.
  await writeRun(dir, {
    site: "s",
    window: { start: "2025-01-01T00:00:00", end: "2025-01-04T00:00:00" },
    invariants_ok: false,
  });
  await rejects(readExportInput(dir, { site: "s" }), /invariants failed/);
  await Deno.remove(join(dir, "run.json"));
  await rejects(readExportInput(dir, { site: "s" }), /run\.json is missing/);
});

Deno.test("readExportInput() checks the digests run.json lists", async () => {
  const site = await outputSet("s", ROWS);
  const dir = site.outputDir;
  const bytes = await Deno.readFile(join(dir, "usage_daily.parquet"));
  const digest = createHash("sha256").update(bytes).digest("hex");
  const window = { start: "2025-01-01T00:00:00", end: "2025-01-04T00:00:00" };
  await writeRun(dir, {
    site: "s",
    window,
    files: [{ file: "usage_daily.parquet", sha256: digest }],
  });
  equal((await readExportInput(dir, { site: "s" })).daily.day.length, 2);
  // A digest-listing run.json is trusted over mtimes, and a wrong digest is refused.
  await writeRun(dir, {
    site: "s",
    window,
    files: { "usage_daily.parquet": `sha256:${"0".repeat(64)}` },
  });
  await rejects(
    readExportInput(dir, { site: "s" }),
    new RegExp(`has digest sha256:${digest}, .*lists sha256:0{64} \\(files of different runs\\)`),
  );
});

Deno.test("readExportInput() refuses rows of another site or outside the window", async () => {
  const outside = await outputSet("s", [
    ...ROWS,
    { metric: "total", node_type: "gpu", day: "2025-01-04", value: 1 },
  ]);
  await rejects(
    readExportInput(outside.outputDir, { site: "s" }),
    /has 1 rows outside the run's window 2025-01-01\.\.2025-01-04/,
  );
  const other = await outputSet("s", ROWS);
  await writeRun(other.outputDir, {
    site: "x",
    window: { start: "2025-01-01T00:00:00", end: "2025-01-04T00:00:00" },
  });
  // run.json of site x beside rows of site s.
  await rejects(
    readExportInput(other.outputDir, { site: "x" }),
    /holds rows of site\(s\) "s", expected only "x"/,
  );
});
