import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { loadSitesConfig } from "../lib/config.ts";
import { OUTPUT_FILES, runPipeline } from "../lib/pipeline.ts";
import { exists } from "../lib/fs.ts";
import { demoSnapshot } from "./_demo_snapshot.ts";
import { snapshotOf } from "./_snapshot.ts";
import { computeNode } from "./spans/_run.ts";
import { Duck } from "../lib/db/duckdb.ts";
import { sqlLiteral } from "../lib/sql.ts";

async function demoSiteConfig(inputDir: string, outputDir: string) {
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  return { ...config.sites.get("demo")!, inputDir, outputDir };
}

Deno.test("runPipeline() writes every output of docs/design.md §2 and says how it was made", async () => {
  const { snapshot } = await demoSnapshot("small");
  const out = await Deno.makeTempDir();
  const run = await runPipeline(await demoSiteConfig(snapshot.inputDir, out));
  for (
    const f of [
      "spans",
      "audit",
      "invariants",
      "usage",
      "usageDaily",
      "hours",
      "legacyComparison",
      "legacyRanking",
      "legacyDaily",
      "legacyAudit",
      "spansChecks",
      "ledgerChecks",
      "run",
    ] as const
  ) {
    ok(await exists(join(out, OUTPUT_FILES[f])), OUTPUT_FILES[f]);
  }
  // run.json: the window, as_of, the bucket and every file of the set with its digest.
  equal(run.bucket, "day");
  equal(run.explore, null);
  deepEqual(Object.keys(run.files).sort(), [
    "audit.parquet",
    "conflicts.parquet",
    "hours.parquet",
    "invariants.json",
    "ledger_checks.json",
    "legacy_audit.parquet",
    "legacy_comparison.csv",
    "legacy_comparison.parquet",
    "legacy_daily.parquet",
    "legacy_project_ranking.parquet",
    "legacy_ranking.parquet",
    "project_hours.parquet",
    "spans.parquet",
    "spans_checks.json",
    "usage.parquet",
    "usage_daily.parquet",
  ]);
  match(run.files["spans.parquet"].sha256, /^[0-9a-f]{64}$/);
  // The documented paths are links through `current` into the published set.
  equal(await Deno.readLink(join(out, "spans.parquet")), "current/spans.parquet");
  equal(await Deno.readLink(join(out, "current")), `sets/${run.run_id}`);
  equal(run.as_of, "2026-06-01T00:00:00");
  equal(run.snapshot_date, "2026-06-01");
  deepEqual(run.stages.map((s) => s.name), ["02 spans", "03 ledger", "04 legacy"]);
  ok(run.invariants_ok);
  const inv = JSON.parse(await Deno.readTextFile(join(out, "invariants.json")));
  ok(inv.ok);
  ok(inv.checks.some((c: { check: string }) => c.check === "stack"));
  ok(inv.checks.filter((c: { check: string }) => c.check === "rows").length >= 5);
  // One writer per file: stage 02's and stage 03's checks are in their own files, combined.
  const spansChecks = JSON.parse(await Deno.readTextFile(join(out, "spans_checks.json")));
  const ledgerChecks = JSON.parse(await Deno.readTextFile(join(out, "ledger_checks.json")));
  deepEqual(inv.checks, [...spansChecks.checks, ledgerChecks.stack, ledgerChecks.project_sums]);
  equal(ledgerChecks.project_sums.ok, true);
  equal(ledgerChecks.project_sums.rejected, 0);
  using db = await Duck.open();
  equal(
    await db.value(`SELECT count(*) FROM ${sqlLiteral(join(out, "usage_daily.parquet"))}
        WHERE collector_type <> 'current'`),
    0n,
    "usage_daily.parquet holds stage 03's rows only; the legacy rows are in legacy_daily.parquet",
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("runPipeline() writes the same files on a rerun: sorted ones row for row, string columns as VARCHAR", async () => {
  const { snapshot } = await demoSnapshot("small");
  const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  await runPipeline(await demoSiteConfig(snapshot.inputDir, a));
  await runPipeline(await demoSiteConfig(snapshot.inputDir, b));
  using db = await Duck.open();
  const sorted = {
    spans: "metric, source, hypervisor_hostname, start, source_row_id",
    audit: "source, reason, source_row_id, start",
    conflicts: "kind, source, hypervisor_hostname, start",
    hours: "period, metric, resource, node_type, period_start",
  };
  for (const f of ["spans", "audit", "conflicts", "hours", "usage", "usage_daily"]) {
    const [x, y] = [a, b].map((d) => sqlLiteral(join(d, `${f}.parquet`)));
    const n = Number(await db.value(`SELECT count(*) FROM ${x}`));
    ok(n > 0 || f === "conflicts", `${f}: no rows`);
    equal(Number(await db.value(`SELECT count(*) FROM ${y}`)), n, f);
    const order = sorted[f as keyof typeof sorted];
    if (order) {
      // Row for row the same in both runs, and in the promised order.
      const differ =
        `SELECT count(*) FROM (SELECT * FROM ${x}) p POSITIONAL JOIN (SELECT * FROM ${y}) q
        WHERE NOT (p IS NOT DISTINCT FROM q)`;
      equal(Number(await db.value(differ)), 0, `${f}: rows differ between runs`);
      const unsorted = `SELECT count(*) FROM (SELECT * FROM ${x}) p POSITIONAL JOIN
        (SELECT * FROM ${x} ORDER BY ${order}) q WHERE NOT (p IS NOT DISTINCT FROM q)`;
      equal(Number(await db.value(unsorted)), 0, `${f}: not sorted by ${order}`);
    } else {
      const missing = `SELECT count(*) FROM (SELECT * FROM ${x} EXCEPT ALL SELECT * FROM ${y})`;
      equal(Number(await db.value(missing)), 0, `${f}: rows differ between runs`);
    }
    // Small string domains travel as ENUMs; the files hold plain strings.
    const types = await db.json<{ column_name: string; column_type: string }>(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${x})`,
    );
    for (const c of ["site", "source", "metric", "reason", "resource", "node_type"]) {
      const t = types.find((t) => t.column_name === c);
      if (t) equal(t.column_type, "VARCHAR", `${f}.${c}`);
    }
  }
  for (const d of [a, b]) await Deno.remove(d, { recursive: true });
});

Deno.test("runPipeline() runs a site without Blazar or legacy tables and says what it skipped", async () => {
  const snap = await snapshotOf({
    "nova.compute_nodes": [computeNode(1, "H", "2025-06-01 00:00:00")],
  });
  const out = await Deno.makeTempDir();
  const run = await runPipeline(await demoSiteConfig(snap.inputDir, out));
  equal(run.stages[2].skipped, "chameleon_usage.node_usage_report_cache is absent");
  ok(run.notes.some((n) => /04 legacy skipped/.test(n)));
  ok(run.notes.some((n) => /blazar\.computehosts is absent/.test(n)));
  equal(await exists(join(out, "legacy_comparison.parquet")), false);
  await Deno.remove(out, { recursive: true });
  await Deno.remove(snap.inputDir, { recursive: true });
});

Deno.test("deno task pipeline fails with one clear line on bad input", async () => {
  const run = async (args: string[]) => {
    const p = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/pipeline.ts", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: p.code, err: new TextDecoder().decode(p.stderr).trim() };
  };
  const unknown = await run(["--config", "etc/sites.yaml", "--site", "nowhere"]);
  equal(unknown.code, 1);
  match(unknown.err, /^error: \S*etc\/sites\.yaml:\d+: Cannot select site: unknown site "nowhere"/);
  equal(/:0:/.test(unknown.err), false, "a made-up line number");
  equal(unknown.err.split("\n").length, 1);
  const dir = await Deno.makeTempDir();
  const cfg = join(dir, "sites.yaml");
  await Deno.writeTextFile(
    cfg,
    `sites:\n  x:\n    site_name: X\n    db_uri: duckdb:none\n    input_dir: ${dir}/in\n    output_dir: ${dir}/out\n`,
  );
  const empty = await run(["--config", cfg, "--site", "x"]);
  equal(empty.code, 1);
  match(empty.err, /^error: Cannot load a snapshot from ".*\/in": no manifest/);
  const badDate = await run(["--config", cfg, "--site", "x", "--start", "2024-13"]);
  match(badDate.err, /expected --start YYYY-MM-DD, found "2024-13"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runPipeline() out of DuckDB's memory says which site key to raise, and keeps the old set", async () => {
  const { snapshot } = await demoSnapshot("small");
  const out = await Deno.makeTempDir();
  const site = await demoSiteConfig(snapshot.inputDir, out);
  await runPipeline(site);
  const before = await Deno.readTextFile(join(out, OUTPUT_FILES.run));
  const error = await runPipeline({ ...site, memoryLimit: "1MiB" }).then(
    () => null,
    (e: Error) => e.message,
  );
  ok(error !== null, "a 1 MiB limit fails");
  match(error, /Out of Memory Error/);
  match(error, /raise memory_limit of site "demo" in sites\.yaml \(now 1MiB/);
  equal(await Deno.readTextFile(join(out, OUTPUT_FILES.run)), before);
  await Deno.remove(out, { recursive: true });
});
