import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  checkRunFlags,
  helpText,
  notebookParams,
  parseBucket,
  parseTaskArgs,
  parseWindow,
} from "../lib/params.ts";

const ROOT = Deno.cwd();
const TASKS: Record<string, string> = JSON.parse(await Deno.readTextFile("deno.json")).tasks;
/** The deno.json tasks that run a script of tasks/. */
// `test` and `ok` chain other commands; their coverage step is the `coverage` task.
const SCRIPTS = Object.entries(TASKS).filter(([name]) => !["test", "ok"].includes(name)).flatMap(
  ([name, cmd]) => {
    const m = /tasks\/(\w+)\.ts/.exec(cmd);
    return m ? [[name, `tasks/${m[1]}.ts`] as const] : [];
  },
);

async function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd ?? ROOT,
    clearEnv: options.clearEnv ?? false,
    env: { CI: "true", NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("every task answers --help: usage, every flag with its default, one example", async () => {
  equal(SCRIPTS.length, 12, SCRIPTS.map(([n]) => n).join(", "));
  for (const [name, script] of SCRIPTS) {
    const r = await run(["run", "-A", join(ROOT, script), "--help"]);
    equal(r.code, 0, `${name}: ${r.stderr}`);
    equal(r.stderr, "", name);
    match(r.stdout, new RegExp(`^usage: deno task ${name}\\b`), name);
    match(r.stdout, new RegExp(`\\nexample:\\n  (\\S+=\\S+ )?deno task ${name}\\b`), name);
    // Every flag line states its default or that it is required.
    const flagLines = r.stdout.split("\n").filter((l) => /^ {2}--(?!help)/.test(l));
    for (const l of flagLines) match(l, /\((default: .+|required)\)$/, `${name}: ${l}`);
    // Every flag of the source is documented (no hidden --snapshot, --config, --quiet).
    const source = await Deno.readTextFile(script);
    const flags = [...source.matchAll(/^ {4}"?([a-z][a-z-]*)"?: \{ *(?:\.\.\.\w+, *)?type: "/gm)]
      .map((m) => m[1]);
    for (const f of flags) ok(r.stdout.includes(`--${f}`), `${name}: --${f} is not in the help`);
  }
  const pipeline = await run(["run", "-A", "tasks/pipeline.ts", "-h"]);
  match(pipeline.stdout, /--snapshot YYYY-MM-DD +.*\(default: the newest in input_dir\)/);
  match(pipeline.stdout, /--config FILE +.*\(default: etc\/sites\.yaml\)/);
  const notebooks = await run(["run", "-A", "tasks/notebooks.ts", "--help"]);
  match(notebooks.stdout, /--config FILE/);
  match(notebooks.stdout, /--bucket day\|week\|month +.*\(default: month\)/);
});

Deno.test("check-pages --help shows the help and opens no file", async () => {
  const r = await run(["run", "-A", "tasks/check_pages.ts", "--help"]);
  equal(r.code, 0, r.stderr);
  equal(/realpath|No such file/.test(r.stdout + r.stderr), false, r.stderr);
  match(r.stdout, /^usage: deno task check-pages FILE\.html \.\.\./);
});

Deno.test("a bad flag is one line naming it and pointing at --help", async () => {
  const r = await run(["run", "-A", "tasks/pipeline.ts", "--site", "demo", "--weekly"]);
  equal(r.code, 1);
  equal(
    r.stderr.trim(),
    'error: Cannot run deno task pipeline: unknown option "--weekly" (see deno task pipeline --help)',
  );
  throws(
    () => parseTaskArgs({ name: "t", summary: "", example: "", flags: {} }, ["--x"]),
    /Cannot run deno task t: unknown option "--x"/,
  );
});

Deno.test("bucket: day, week and month pass; weekly and quarter are rejected listing the valid values", () => {
  for (const b of ["day", "week", "month"]) equal(parseBucket("--bucket", b), b);
  for (const b of ["weekly", "quarter", "", "Month"]) {
    throws(
      () => parseBucket("--bucket", b),
      new RegExp(`Cannot use --bucket "${b}": expected one of day, week, month`),
    );
  }
});

Deno.test("a window must hold time: empty and inverted windows are rejected, bad dates named", () => {
  deepEqual(parseWindow({}), { start: undefined, end: undefined });
  deepEqual(parseWindow({ start: "2026-01-01", end: "2026-03-01" }), {
    start: "2026-01-01",
    end: "2026-03-01",
  });
  throws(
    () => parseWindow({ start: "2026-01-01", end: "2026-01-01" }),
    /Cannot use the window \[2026-01-01, 2026-01-01\): --start must be before --end \(the window is empty\)/,
  );
  throws(
    () => parseWindow({ start: "2026-03-01", end: "2026-01-01" }),
    /\(the window is inverted\)/,
  );
  throws(
    () => parseWindow({ end: "2026-02-30" }),
    /Cannot read a date: expected --end YYYY-MM-DD, found "2026-02-30"/,
  );
  throws(() => parseWindow({ start: "26-1-1" }), /expected --start YYYY-MM-DD, found "26-1-1"/);
});

Deno.test("the notebooks' parameter cell and the command line share one parser and its words", () => {
  const cli = (bucket: string) => () => checkRunFlags("run", { site: "demo", bucket });
  const nb = (BUCKET: string) => () => notebookParams({ SITE: "demo", CONFIG: "x", BUCKET });
  throws(cli("weekly"), /Cannot use --bucket "weekly": expected one of day, week, month/);
  throws(nb("weekly"), /Cannot use BUCKET "weekly": expected one of day, week, month/);
  throws(nb("quarter"), /Cannot use BUCKET "quarter": expected one of day, week, month/);
  throws(
    () => notebookParams({ SITE: "demo", CONFIG: "x", START: "2026-03-01", END: "2026-03-01" }),
    /Cannot use the window \[2026-03-01, 2026-03-01\): START must be before END \(the window is empty\)/,
  );
  throws(() => notebookParams({ SITE: "Demo!", CONFIG: "x" }), /Cannot use SITE "Demo!"/);
  const p = notebookParams({ SITE: "demo", CONFIG: "/abs/sites.yaml", START: "", END: "" });
  deepEqual(p, { SITE: "demo", CONFIG: "/abs/sites.yaml", BUCKET: "month" });
  equal(
    checkRunFlags("run", { site: "demo", config: "c.yaml" }, { cwd: "/w" }).config,
    "/w/c.yaml",
  );
});

Deno.test("helpText() lists usage, flags with defaults and the example", () => {
  const text = helpText({
    name: "x",
    summary: "Does x.",
    example: "deno task x --site demo",
    flags: {
      site: { type: "string", value: "KEY", help: "the site", required: true },
      quiet: { type: "boolean", help: "say less" },
      out: { type: "string", value: "FILE", default: "o.html", help: "where" },
    },
  });
  equal(
    text,
    [
      "usage: deno task x --site KEY [--quiet] [--out FILE]",
      "",
      "Does x.",
      "",
      "  --site KEY  the site (required)",
      "  --quiet     say less (default: off)",
      "  --out FILE  where (default: o.html)",
      "  --help, -h  show this help and exit",
      "",
      "example:",
      "  deno task x --site demo",
    ].join("\n"),
  );
});

async function siteWithSecret(): Promise<{ dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ledger-cli-" });
  await Deno.mkdir(join(dir, "conf"));
  await Deno.writeTextFile(
    join(dir, "conf", "sites.yaml"),
    `sites:
  s:
    site_name: S
    db_uri: mysql://reader:\${LEDGER_TEST_UNSET_PW}@127.0.0.1:1/nova
`,
  );
  return { dir };
}

Deno.test("pipeline, report and notebooks never demand a password variable; fetch does", async () => {
  const { dir } = await siteWithSecret();
  const config = join(dir, "conf", "sites.yaml");
  for (
    const args of [
      ["tasks/pipeline.ts", "--config", config, "--site", "s"],
      ["tasks/report.ts", "--config", config, "--site", "s"],
      ["tasks/grant_sql.ts", "--config", config, "--site", "s"],
    ]
  ) {
    const r = await run(["run", "-A", ...args]);
    equal(
      r.stderr.includes("LEDGER_TEST_UNSET_PW"),
      false,
      `${args[0]} demanded the password: ${r.stderr}`,
    );
  }
  const fetch = await run(["run", "-A", "tasks/fetch.ts", "--config", config, "--site", "s"]);
  equal(fetch.code, 1);
  match(
    fetch.stderr,
    /^error: conf\/sites\.yaml:4: Cannot load site "s" key "db_uri": environment variable "LEDGER_TEST_UNSET_PW" is not set|sites\.yaml:4: .*"LEDGER_TEST_UNSET_PW" is not set/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task reads a relative --config from the directory it was started in", async () => {
  const { dir } = await siteWithSecret();
  // deno task runs in the repository root; the user is in `dir`.
  const r = await run(
    [
      "task",
      "-q",
      "--config",
      join(ROOT, "deno.json"),
      "grant-sql",
      "--config",
      "conf/sites.yaml",
      "--site",
      "s",
    ],
    {
      cwd: dir,
      clearEnv: true,
      env: Object.fromEntries(
        ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
          const v = Deno.env.get(k);
          return v === undefined ? [] : [[k, v]];
        }),
      ),
    },
  );
  equal(r.code, 0, r.stderr);
  match(r.stdout, /GRANT SELECT/);
  await Deno.remove(dir, { recursive: true });
});
