import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkPage, CHROMIUM } from "../../lib/report/browser.ts";
import { exists } from "../../lib/fs.ts";
import { skipUnless } from "../_helpers.ts";
import { hostileSite } from "../_hostile_site.ts";

const noChromium = skipUnless(await exists(CHROMIUM), `Chromium (${CHROMIUM})`);

Deno.test({
  name:
    "report.html opens offline in Chromium: no errors, no requests, no dialogs, charts with marks",
  ignore: noChromium,
  async fn() {
    const { site } = await hostileSite();
    const shot = join(site.outputDir, "report.png");
    await Deno.remove(shot).catch(() => {});
    const r = await checkPage(join(site.outputDir, "report.html"), { screenshot: shot });
    deepEqual(r.consoleErrors, []);
    deepEqual(r.exceptions, []);
    deepEqual(r.failedRequests, []);
    deepEqual(r.externalRequests, []);
    deepEqual(r.dialogs, [], "markup from the database ran");
    equal(r.heading, "<b onmouseover=alert(3)>CHI@Hostile</b>: usage ledger report");
    ok(r.svgs >= 6, `${r.svgs} charts`);
    equal(r.emptySvgs, 0);
    ok(r.svgMarks > 100, `${r.svgMarks} marks`);
    ok((await Deno.stat(shot)).size > 10_000, "a screenshot was saved");
    deepEqual(r.clippedTables, [], "a table's columns are cut off at 1280 px");
    deepEqual(r.wrappedNumbers, []);
    // The wording of the page: no "dayly", no "nodes-hours".
    const text = await Deno.readTextFile(join(site.outputDir, "report.html"));
    equal(/dayly|nodes-hours/.test(text), false, "a typo in the report");
  },
});

Deno.test({
  name: "report.html's tables fit 1280, 1400 and 1920 px and the printed page, numbers unwrapped",
  ignore: noChromium,
  async fn() {
    const { site } = await hostileSite();
    const page = join(site.outputDir, "report.html");
    for (const width of [1280, 1400, 1920]) {
      const r = await checkPage(page, { width });
      deepEqual(r.clippedTables, [], `clipped at ${width} px`);
      deepEqual(r.wrappedNumbers, [], `wrapped at ${width} px`);
    }
    // A4 portrait, 12 mm margins: 186 mm = 703 CSS px.
    const print = await checkPage(page, { width: 703, media: "print" });
    deepEqual(print.clippedTables, [], "clipped in print");
  },
});

Deno.test({
  name: "checkPage() names a table whose columns are cut off and a number that wraps",
  ignore: noChromium,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ledger-page-" });
    const page = join(dir, "wide.html");
    const cells = Array.from({ length: 30 }, (_, i) => `<th>share column ${i}</th>`).join("");
    await Deno.writeTextFile(
      page,
      `<!DOCTYPE html><html><head><title>wide</title><style>
main { max-width: 1120px; } th { white-space: nowrap; } .scroll { overflow-x: auto; }
td.n { width: 10px; }</style></head><body><main><h2>Utilization by year</h2>
<div class="scroll"><table><tr>${cells}</tr></table></div>
<h2>Hours</h2><table><tr><td class="n">29\u2009861</td></tr></table></main></body></html>`,
    );
    const r = await checkPage(page);
    equal(r.clippedTables.length, 1, JSON.stringify(r.clippedTables));
    match(r.clippedTables[0], /^"Utilization by year": \d+ px in 1120 px$/);
    deepEqual(r.wrappedNumbers, ['"Hours": "29\u2009861"']);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "checkPage() reports what a broken page does: errors, failed requests, dialogs",
  ignore: noChromium,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ledger-page-" });
    const page = join(dir, "bad.html");
    await Deno.writeTextFile(
      page,
      `<!DOCTYPE html><html><head><title>bad</title></head><body><h1>Bad</h1>
<img src="missing.png"><script>console.error("boom"); alert("hi");</script>
<svg width="10" height="10"></svg></body></html>`,
    );
    const r = await checkPage(page);
    ok(r.consoleErrors.some((e) => e.includes("boom")), JSON.stringify(r.consoleErrors));
    ok(r.failedRequests.length >= 1, "the missing image failed");
    ok(r.externalRequests.some((u) => u.endsWith("missing.png")));
    deepEqual(r.dialogs, ["hi"]);
    equal(r.svgs, 1);
    equal(r.emptySvgs, 1);
    await Deno.remove(dir, { recursive: true });
  },
});
