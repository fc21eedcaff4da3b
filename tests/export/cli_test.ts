import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { outputSet } from "./_export_helpers.ts";

async function runExport(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/export.ts", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task export --help describes the flags", async () => {
  const r = await runExport(["--help"]);
  equal(r.code, 0);
  for (const flag of ["--site", "--all", "--target", "--start", "--resource"]) {
    match(r.stdout, new RegExp(flag));
  }
});

Deno.test("deno task export reads the password from the environment and never prints it", async () => {
  const site = await outputSet("cli", [
    { metric: "total", node_type: "gpu", day: "2025-01-01", value: 2 },
  ]);
  const config = join(site.outputDir, "sites.yaml");
  await Deno.writeTextFile(
    config,
    `sites:\n  cli:\n    site_name: C\n    db_uri: duckdb:x\n    output_dir: ${site.outputDir}\n`,
  );
  // A server that refuses the password: the error names the target with the password masked.
  const secret = "Pw-3xport-s3cret";
  const r = await runExport(
    [
      "--config",
      config,
      "--site",
      "cli",
      "--target",
      "mysql://nobody_here:${LEDGER_TEST_PW}@127.0.0.1:3306/nowhere",
    ],
    { LEDGER_TEST_PW: secret },
  );
  equal(r.code, 1);
  ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), r.stderr);
  match(
    r.stderr,
    /^error: Cannot export site "cli" to "mysql:\/\/nobody_here:\*\*\*@127\.0\.0\.1:3306\/nowhere": /,
  );
  equal(r.stderr.trim().split("\n").length, 1);
  // An unset variable is named.
  const unset = await runExport([
    "--config",
    config,
    "--site",
    "cli",
    "--target",
    "mysql://u:${NOPE_X}@h/db",
  ]);
  match(unset.stderr, /environment variable "NOPE_X" is not set/);
  // A DuckDB target works from the command line and prints one summary line.
  const db = join(site.outputDir, "dash.duckdb");
  const ok1 = await runExport(["--config", config, "--site", "cli", "--target", `duckdb:${db}`]);
  equal(ok1.code, 0, ok1.stderr);
  match(
    ok1.stdout,
    /^export site=cli target=duckdb:.* window=2025-01-01\.\.2025-01-04 resource=nodes daily_rows=1 wide_rows=1 replaced_daily=0/,
  );
});
