/**
 * `deno task check-pages FILE.html [FILE.html ...]`: opens each page from disk in Debian's
 * headless Chromium and fails when it logs a console error, throws, makes a request that fails or
 * leaves the file, opens a dialog, or shows a chart without marks. Saves `<file>.png` beside each
 * page (the first screen).
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { checkPage } from "../lib/report/browser.ts";
import { taskArgs } from "../lib/params.ts";

/** Flags and help of the task. */
export const CHECK_PAGES_TASK = {
  name: "check-pages",
  summary:
    "Opens each page from disk in Debian's headless Chromium at 1280 px and fails when it logs a console error, throws, makes a failed or external request, opens a dialog, shows a chart without marks, or clips a table column. Saves <file>.png beside each page.",
  flags: {},
  positionals: { name: "FILE.html ...", help: "the pages to check (one or more)" },
  example: "deno task check-pages output/demo/report.html output/demo/03_ledger.html",
} as const;

await runMain(async () => {
  const { positionals } = taskArgs(CHECK_PAGES_TASK);
  if (positionals.length === 0) {
    throw new Error(
      "Cannot check pages: expected one or more HTML files (see deno task check-pages --help)",
    );
  }
  const problems: string[] = [];
  for (const file of positionals) {
    const shot = file.replace(/\.html?$/, "") + ".png";
    const r = await checkPage(file, { screenshot: shot });
    const issues = [
      ...r.consoleErrors.map((e) => `console error: ${e}`),
      ...r.exceptions.map((e) => `exception: ${e}`),
      ...r.failedRequests.map((e) => `failed request: ${e}`),
      ...r.externalRequests.map((u) => `request leaving the file: ${u}`),
      ...r.dialogs.map((d) => `dialog: ${d}`),
      ...(r.emptySvgs > 0 ? [`${r.emptySvgs} charts without marks`] : []),
      ...r.clippedTables.map((t) => `table with clipped columns at 1280 px: ${t}`),
      ...r.wrappedNumbers.map((t) => `number wrapped onto two lines: ${t}`),
    ];
    console.log(
      `check-pages file=${file} status=${
        issues.length ? "fail" : "ok"
      } charts=${r.svgs} marks=${r.svgMarks} screenshot=${shot}`,
    );
    problems.push(...issues.map((i) => `${file}: ${i}`));
  }
  if (problems.length > 0) {
    throw new Error(`${problems.length} problems in the pages: ${problems.join("; ")}`);
  }
});
