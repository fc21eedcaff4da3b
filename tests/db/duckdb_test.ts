import { equal, match } from "node:assert/strict";
import { memoryLimitBytes, stageDb } from "../../lib/db/duckdb.ts";

Deno.test("LEDGER_SQL_TRACE=1 prints each statement's time, DuckDB's memory and the resident set", async () => {
  const script =
    `import { Duck } from "${new URL("../../lib/db/duckdb.ts", import.meta.url).href}";\n` +
    `using db = await Duck.open();\nawait db.run("CREATE TABLE t AS SELECT range AS x FROM range(1000)");\n` +
    `console.log(String(await db.value("SELECT sum(x) FROM t")));\n`;
  // Kept in var/ (not a temp file): the subprocess's coverage names it, and a deleted source makes
  // the coverage report warn.
  await Deno.mkdir("var/test-scripts", { recursive: true });
  const file = "var/test-scripts/trace_probe.ts";
  await Deno.writeTextFile(file, script);
  const run = (env: Record<string, string>) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", new URL("../../deno.json", import.meta.url).pathname, file],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const traced = await run({ LEDGER_SQL_TRACE: "1" });
  const err = new TextDecoder().decode(traced.stderr);
  equal(new TextDecoder().decode(traced.stdout).trim(), "499500");
  match(err, /^sql +\d+ +\d+ +\d+ CREATE TABLE t AS SELECT range AS x FROM range\(1000\)$/m);
  match(err, /^sql +\d+ +\d+ +\d+ SELECT sum\(x\) FROM t$/m);
  const quiet = await run({});
  equal(new TextDecoder().decode(quiet.stderr).includes("sql "), false);
});

Deno.test("memoryLimitBytes() reads the limit in DuckDB's units", async () => {
  const dir = await Deno.makeTempDir();
  for (const [limit, bytes] of [["1GiB", 2 ** 30], ["1536MiB", 1536 * 2 ** 20]] as const) {
    const db = await stageDb({ tempDir: `${dir}/.duckdb-1.tmp`, limit });
    equal(await memoryLimitBytes(db), bytes);
    db.close();
  }
  await Deno.remove(dir, { recursive: true });
});
