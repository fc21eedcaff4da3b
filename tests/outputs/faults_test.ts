import { deepEqual, equal, match, notEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { loadSitesConfig, type SiteConfig } from "../../lib/config.ts";
import { runPipeline } from "../../lib/pipeline.ts";
import { exists } from "../../lib/fs.ts";
import { openOutputSet } from "../../lib/outputs/set.ts";
import { demoSnapshot } from "../_demo_snapshot.ts";

async function smallSite(): Promise<{ site: SiteConfig; out: string; cfg: string }> {
  const { snapshot } = await demoSnapshot("small");
  const out = await Deno.makeTempDir({ prefix: "ledger-faults-" });
  const config = await loadSitesConfig("etc/sites.yaml", { env: () => undefined });
  const site = { ...config.sites.get("demo")!, inputDir: snapshot.inputDir, outputDir: out };
  const cfg = join(out, "..", `${out.split("/").at(-1)}.sites.yaml`);
  await Deno.writeTextFile(
    cfg,
    `sites:\n  x:\n    site_name: X\n    db_uri: duckdb:none\n    blazar_coverage_start: "2023-01-01"\n    input_dir: ${snapshot.inputDir}\n    output_dir: ${out}\n`,
  );
  return { site, out, cfg };
}

function pipeline(cfg: string, ...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/pipeline.ts", "--config", cfg, "--site", "x", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function tmpSets(out: string): Promise<string[]> {
  const names: string[] = [];
  if (!(await exists(join(out, "sets")))) return names;
  for await (const e of Deno.readDir(join(out, "sets"))) {
    if (e.name.startsWith(".tmp-")) names.push(e.name);
  }
  return names;
}

Deno.test("a pipeline killed mid-run leaves the old set in use, and the next run removes its temporary set", async () => {
  const { site, out, cfg } = await smallSite();
  const first = await runPipeline(site);
  const child = pipeline(cfg);
  // Kill it once it is writing its set.
  for (let i = 0; i < 600 && (await tmpSets(out)).length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  equal((await tmpSets(out)).length, 1, "the run writes into sets/.tmp-<run>/");
  child.kill("SIGKILL");
  await child.output();
  const set = await openOutputSet(out);
  equal(set.run.run_id, first.run_id, "readers still see the old set, verified");
  const second = await runPipeline(site);
  deepEqual(await tmpSets(out), [], "the next run removed the killed run's temporary set");
  equal((await openOutputSet(out)).run.run_id, second.run_id);
  await Deno.remove(out, { recursive: true });
  await Deno.remove(cfg);
});

Deno.test("two pipelines on one output dir: the second waits, naming the holder, and the set is one run's", async () => {
  const { out, cfg } = await smallSite();
  const a = pipeline(cfg);
  // Let the first take the lock.
  for (let i = 0; i < 600; i++) {
    const text = await Deno.readTextFile(join(out, ".lock")).catch(() => "");
    if (text.startsWith("pid ")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const b = pipeline(cfg);
  const [ra, rb] = await Promise.all([a.output(), b.output()]);
  const err = new TextDecoder().decode(rb.stderr);
  equal(ra.code, 0, new TextDecoder().decode(ra.stderr));
  equal(rb.code, 0, err);
  match(err, new RegExp(`waiting: ".*" is in use by pid ${a.pid} \\(deno task pipeline --site x`));
  const set = await openOutputSet(out);
  ok(set.run.run_id.length > 0);
  deepEqual(await tmpSets(out), []);
  await Deno.remove(out, { recursive: true });
  await Deno.remove(cfg);
});

Deno.test("a bad --end fails with one line and changes nothing; an empty window names the site's data span", async () => {
  const { site, out, cfg } = await smallSite();
  const first = await runPipeline(site);
  const bad = await pipeline(cfg, "--end", "2026-02-30").output();
  equal(bad.code, 1);
  const err = new TextDecoder().decode(bad.stderr).trim();
  equal(err.split("\n").length, 1, err);
  match(err, /expected --end YYYY-MM-DD, found "2026-02-30"/);
  const before = await pipeline(cfg, "--start", "2010-01-01", "--end", "2010-02-01").output();
  equal(before.code, 1);
  const line = new TextDecoder().decode(before.stderr).trim();
  equal(line.split("\n").length, 1, line);
  match(
    line,
    /the window \[2010-01-01, 2010-02-01\) holds no data: the site's data spans \d{4}-\d{2}-\d{2}\.\.2026-06-01/,
  );
  equal((await openOutputSet(out)).run.run_id, first.run_id, "the old set is still the one in use");
  ok(await exists(join(out, "failed", "spans.parquet")), "the failed run's files are kept apart");
  await Deno.remove(out, { recursive: true });
  await Deno.remove(cfg);
});

Deno.test("openOutputSet() refuses a tampered or mixed set with one line naming the file", async () => {
  const { site, out, cfg } = await smallSite();
  await runPipeline(site);
  const set = await openOutputSet(out);
  // Another run's file in place of this one's.
  const other = await runPipeline({ ...site, outputDir: join(out, "explore", "other") }, {
    start: "2025-01-01",
  });
  notEqual(other.run_id, set.run.run_id);
  await Deno.copyFile(
    join(out, "explore", "other", "usage_daily.parquet"),
    set.path("usage_daily.parquet"),
  );
  await rejects(
    openOutputSet(out),
    /"usage_daily\.parquet" does not match the digest in run\.json of run \S+: the set is mixed or damaged/,
  );
  await Deno.remove(out, { recursive: true });
  await Deno.remove(cfg);
});
