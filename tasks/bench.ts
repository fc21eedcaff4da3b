/**
 * `deno task bench [--only NAME] [--runs N] [--runs-large N]`
 *
 * Runs the project's benchmarks (each stage adds its own to `BENCHES`), prints each as markdown
 * and writes it into its section of `docs/benchmarks.md`. Benchmarks: `fetch` (01, the `tacc`
 * profile from MariaDB to parquet against `mariadb --batch`); `stages` (02 spans and 03 ledger on
 * `tacc` and 10x `tacc` against DuckDB reading and sorting the same columns); `demo` (the report
 * and the four notebooks on the demo site). `--runs` is the runs of each step (default 5),
 * `--runs-large` those on the large profiles, whose steps take minutes (10x `tacc`, and the
 * notebooks; default 1).
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { taskArgs } from "../lib/params.ts";
import { exists } from "../lib/fs.ts";
import { benchFetch, fetchBenchMarkdown } from "../lib/bench/fetch_bench.ts";
import { benchStages, stagesBenchMarkdown } from "../lib/bench/stages_bench.ts";
import { benchDemo, demoBenchMarkdown } from "../lib/bench/demo_bench.ts";

/** A benchmark: a title and a function returning its markdown. */
interface Bench {
  title: string;
  run: (options: { runs: number; largeRuns: number }) => Promise<string>;
}

const BENCHES: Record<string, Bench> = {
  fetch: {
    title: "01 fetch: MariaDB to parquet",
    run: async ({ runs }) => fetchBenchMarkdown(await benchFetch({ runs })),
  },
  stages: {
    title: "02 spans and 03 ledger: parquet to spans to usage",
    run: async ({ runs, largeRuns }) => stagesBenchMarkdown(await benchStages({ runs, largeRuns })),
  },
  demo: {
    title: "Report and notebooks on the demo",
    run: async ({ runs, largeRuns }) =>
      demoBenchMarkdown(await benchDemo({ runs, notebookRuns: largeRuns })),
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

/** Flags and help of the task. */
export const BENCH_TASK = {
  name: "bench",
  summary:
    "Runs the benchmarks (fetch: 01 MariaDB to parquet against mariadb --batch; stages: 02 and 03 on tacc and 10x tacc against DuckDB sorts; demo: the report and the notebooks on the demo), prints each and writes it into docs/benchmarks.md.",
  flags: {
    only: {
      type: "string",
      value: "fetch,stages,demo",
      help: "run only these benchmarks",
      defaultText: "all",
    },
    runs: { type: "string", value: "N", default: "5", help: "runs of each step" },
    "runs-large": {
      type: "string",
      value: "N",
      default: "1",
      help: "runs on the large profiles and of the notebooks (minutes each)",
    },
  },
  example: "deno task bench --only stages --runs 3",
} as const;

await runMain(async () => {
  const { values } = taskArgs(BENCH_TASK);
  const count = (flag: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`Cannot run benchmarks: expected --${flag} N >= 1, found "${value}"`);
    }
    return n;
  };
  const runs = count("runs", values.runs);
  const largeRuns = count("runs-large", values["runs-large"]);
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
    const md = await BENCHES[n].run({ runs, largeRuns });
    console.log(`## ${BENCHES[n].title}\n\n${md}\n`);
    doc = withSection(doc, n, BENCHES[n].title, md);
    await Deno.writeTextFile(DOC, doc);
  }
  // Keep the document in `deno fmt` shape so `deno task check` stays green.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", DOC] }).output();
});
