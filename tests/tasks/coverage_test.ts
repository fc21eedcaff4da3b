/**
 * `tasks/coverage.ts` end to end: real profiles from a small `deno test --coverage` run, the table
 * it prints, and the failures (a folder below its floor, profiles without a `lib/` file).
 */
import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dec = new TextDecoder();

async function deno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Profiles of one test file that imports `lib/cli.ts` and calls one of its two functions. */
async function profiles(dir: string, body: string): Promise<string> {
  const test = join(dir, "probe_test.ts");
  await Deno.writeTextFile(test, body);
  const cov = join(dir, "cov");
  const run = await deno(["test", "-A", `--coverage=${cov}`, test]);
  equal(run.code, 0, run.stderr);
  return cov;
}

Deno.test("tasks/coverage.ts prints lib/ per folder and fails naming the folder below its floor", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger-coverage-" });
  try {
    const cli = join(ROOT, "lib/cli.ts");
    const cov = await profiles(
      dir,
      `import { checkDateFlags } from "${cli}";\nDeno.test("probe", () => checkDateFlags("x", {}));\n`,
    );
    // runMain() and most of checkDateFlags() never run: lib/cli.ts is far below the 90% floor of lib.
    const r = await deno(["run", "-A", "tasks/coverage.ts", cov], { LEDGER_REQUIRE_SERVICES: "1" });
    equal(r.code, 1, r.stdout + r.stderr);
    match(r.stdout, /^folder +files +lines +branches +floor line \/ branch$/m);
    match(r.stdout, /^lib +\d+ +\d+\.\d% +\d+\/\d+ +\d+\.\d% +\d+\/\d+ +90% \/ 82%$/m);
    match(
      r.stderr,
      /^lib: line coverage \d+(\.\d)?% is below its floor of 90% \(tasks\/coverage\.ts FLOORS\)$/m,
    );
    match(r.stderr, /error: coverage of \d folder measures is below its floor \(listed above\)\n/);
    ok(!/^lib\/spans /m.test(r.stdout), "a folder that no test loaded has no row");
    match(r.stdout, /^No test loads \d+ lib\/ files: .*lib\/spans\/build\.ts/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tasks/coverage.ts fails with one line when the profiles hold no lib/ file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledger-coverage-" });
  try {
    const cov = await profiles(dir, `Deno.test("probe", () => {});\n`);
    const r = await deno(["run", "-A", "tasks/coverage.ts", cov]);
    equal(r.code, 1);
    equal(
      r.stderr.trim(),
      `error: Cannot report coverage: no lib/ file in the profiles of "${cov}"`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
