/**
 * `deno task bench [--only NAME] [--runs N]`
 *
 * Runs the project's benchmarks (each stage adds its own to `BENCHES`), prints each as markdown
 * and writes it into its section of `docs/benchmarks.md`. Benchmarks: `fetch` (01, the `tacc`
 * profile from MariaDB to parquet against `mariadb --batch`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runMain } from "../lib/cli.ts";
import { exists } from "../lib/fs.ts";
import { benchFetch, fetchBenchMarkdown } from "../lib/bench/fetch_bench.ts";

/** A benchmark: a title and a function returning its markdown. */
interface Bench {
  title: string;
  run: (options: { runs: number }) => Promise<string>;
}

const BENCHES: Record<string, Bench> = {
  fetch: {
    title: "01 fetch: MariaDB to parquet",
    run: async ({ runs }) => fetchBenchMarkdown(await benchFetch({ runs })),
  },
};

const DOC = "docs/benchmarks.md";

/** Replaces (or appends) the section of one benchmark in the benchmarks document. */
function withSection(doc: string, name: string, title: string, body: string): string {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const when = new Date().toISOString().slice(0, 10);
  const section =
    `${start}\n## ${title}\n\nRun ${when} with \`deno task bench --only ${name}\` on ${navigator.hardwareConcurrency} cores.\n\n${body}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + section + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: { only: { type: "string" }, runs: { type: "string", default: "5" } },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`Cannot run benchmarks: expected --runs N >= 1, found "${values.runs}"`);
  }
  const names = values.only ? values.only.split(",") : Object.keys(BENCHES);
  for (const n of names) {
    if (!BENCHES[n]) {
      throw new Error(
        `Cannot run benchmark "${n}": expected one of ${Object.keys(BENCHES).join(", ")}`,
      );
    }
  }
  let doc = (await exists(DOC))
    ? await Deno.readTextFile(DOC)
    : "# Benchmarks\n\nWritten by `deno task bench`; each section is replaced when its benchmark runs.\n";
  for (const n of names) {
    const md = await BENCHES[n].run({ runs });
    console.log(`## ${BENCHES[n].title}\n\n${md}\n`);
    doc = withSection(doc, n, BENCHES[n].title, md);
    await Deno.writeTextFile(DOC, doc);
  }
  // Keep the document in `deno fmt` shape so `deno task check` stays green.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", DOC] }).output();
});
