/**
 * The demo benchmark: what a user waits for after the stages, on the bundled demo site.
 *
 * | step | command | floor |
 * |---|---|---|
 * | report | `deno task report --site demo` | `report_floor.ts`: a Deno subprocess that loads the report's modules and opens DuckDB, nothing else |
 * | notebooks | `deno task notebooks --site demo` (all four) | none (the kernels' start is part of the wait) |
 *
 * Each run times the step and then its floor, in subprocesses under `/usr/bin/time`; the ratio
 * per run shows how much of a slow run was the machine. The demo's outputs are made first
 * (`deno task demo`, not timed) when the site has none.
 *
 * Targets (issue 21): the report under 1.5 s, the four notebooks under 20 s (medians).
 *
 * @module
 */
import { exists } from "../fs.ts";
import { type Measure, median, timed } from "./_measure.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FLOOR = new URL("./report_floor.ts", import.meta.url).pathname;

/** What {@linkcode benchDemo} measured. */
export interface DemoBenchResult {
  report: Measure[];
  reportFloor: Measure[];
  notebooks: Measure[];
}

/**
 * Runs the demo benchmark: `runs` runs of the report and its floor, `notebookRuns` of the
 * notebooks.
 *
 * @example
 * ```ts ignore
 * console.log(demoBenchMarkdown(await benchDemo({ runs: 5, notebookRuns: 1 })));
 * ```
 */
export async function benchDemo(
  options: { runs?: number; notebookRuns?: number; log?: (line: string) => void } = {},
): Promise<DemoBenchResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  const deno = Deno.execPath();
  const env = { CI: "true" };
  if (!(await exists(`${ROOT}output/demo/run.json`))) {
    log("bench demo: making the demo's outputs (deno task demo) ...");
    await timed(deno, ["run", "-A", "tasks/demo.ts"], { env, label: "deno task demo" });
  }
  const r: DemoBenchResult = { report: [], reportFloor: [], notebooks: [] };
  for (let i = 0; i < (options.runs ?? 5); i++) {
    r.report.push(
      await timed(deno, ["run", "-A", `${ROOT}tasks/report.ts`, "--site", "demo"], {
        env,
        label: "deno task report --site demo",
      }),
    );
    r.reportFloor.push(await timed(deno, ["run", "-A", FLOOR], { env, label: "report floor" }));
    log(
      `bench demo: report run ${i + 1}: ${r.report[i].seconds.toFixed(2)} s (floor ${
        r.reportFloor[i].seconds.toFixed(2)
      } s)`,
    );
  }
  for (let i = 0; i < (options.notebookRuns ?? 1); i++) {
    r.notebooks.push(
      await timed(deno, ["run", "-A", `${ROOT}tasks/notebooks.ts`, "--site", "demo"], {
        env,
        label: "deno task notebooks --site demo",
      }),
    );
    log(`bench demo: notebooks run ${i + 1}: ${r.notebooks[i].seconds.toFixed(1)} s`);
  }
  return r;
}

/**
 * The demo benchmark as markdown: medians, ratios per run, targets.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { demoBenchMarkdown } from "./demo_bench.ts";
 * const m = (seconds: number) => ({ seconds, peakRssMb: 300 });
 * const md = demoBenchMarkdown({ report: [m(1.2), m(2.4)], reportFloor: [m(0.4), m(0.8)],
 *   notebooks: [m(18)] });
 * match(md, /\| `deno task report --site demo` \| 2 \| 1\.80 \| 300 \| 3\.00x \| 3\.00, 3\.00 \|/);
 * match(md, /report under 1\.5 s: NOT met \(1\.80 s/);
 * match(md, /notebooks under 20 s: met \(18\.0 s\)/);
 * ```
 */
export function demoBenchMarkdown(r: DemoBenchResult): string {
  const sec = (m: Measure[]) => median(m.map((x) => x.seconds));
  const rss = (m: Measure[]) => Math.round(median(m.map((x) => x.peakRssMb)));
  const ratios = r.report.map((m, i) => m.seconds / r.reportFloor[i].seconds);
  const lines = [
    "Each step runs in a fresh subprocess under `/usr/bin/time` (wall seconds, maximum resident set size); medians of the runs. The report's floor is a Deno subprocess that loads the report's modules and opens DuckDB, run right after each report: its ratio per run shows how much of a slow run was the machine.",
    "",
    "| step | runs | seconds | peak RSS (MiB) | time vs floor | ratio per run |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    `| \`deno task report --site demo\` | ${r.report.length} | ${sec(r.report).toFixed(2)} | ${
      rss(r.report)
    } | ${median(ratios).toFixed(2)}x | ${ratios.map((x) => x.toFixed(2)).join(", ")} |`,
    `| floor: load the modules, open DuckDB | ${r.reportFloor.length} | ${
      sec(r.reportFloor).toFixed(2)
    } | ${rss(r.reportFloor)} | 1.00x | |`,
  ];
  if (r.notebooks.length > 0) {
    lines.push(
      `| \`deno task notebooks --site demo\` (4 notebooks) | ${r.notebooks.length} | ${
        sec(r.notebooks).toFixed(1)
      } | ${rss(r.notebooks)} | | ${r.notebooks.map((m) => m.seconds.toFixed(1)).join(", ")} s |`,
    );
  }
  const verdict = (ok: boolean) => ok ? "met" : "NOT met";
  lines.push(
    "",
    "Targets (issue 21):",
    "",
    `- report under 1.5 s: ${verdict(sec(r.report) < 1.5)} (${
      sec(r.report).toFixed(2)
    } s, of which the floor ${sec(r.reportFloor).toFixed(2)} s)`,
  );
  if (r.notebooks.length > 0) {
    lines.push(
      `- notebooks under 20 s: ${verdict(sec(r.notebooks) < 20)} (${
        sec(r.notebooks).toFixed(1)
      } s)`,
    );
  }
  return lines.join("\n");
}
