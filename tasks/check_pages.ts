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

await runMain(async () => {
  if (Deno.args.length === 0) {
    throw new Error("Cannot check pages: expected one or more HTML files");
  }
  const problems: string[] = [];
  for (const file of Deno.args) {
    const shot = file.replace(/\.html?$/, "") + ".png";
    const r = await checkPage(file, { screenshot: shot });
    const issues = [
      ...r.consoleErrors.map((e) => `console error: ${e}`),
      ...r.exceptions.map((e) => `exception: ${e}`),
      ...r.failedRequests.map((e) => `failed request: ${e}`),
      ...r.externalRequests.map((u) => `request leaving the file: ${u}`),
      ...r.dialogs.map((d) => `dialog: ${d}`),
      ...(r.emptySvgs > 0 ? [`${r.emptySvgs} charts without marks`] : []),
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
