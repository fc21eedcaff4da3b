import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  ensureDenoKernel,
  executeNotebook,
  notebookProblem,
  NOTEBOOKS,
  PYTHON,
} from "../../lib/report/notebooks.ts";
import { checkPage, CHROMIUM } from "../../lib/report/browser.ts";
import { exists } from "../../lib/fs.ts";
import { skipUnless, succeeds } from "../_helpers.ts";
import { HOSTILE_HOST, HOSTILE_NAME, HOSTILE_TYPE, hostileSite } from "../_hostile_site.ts";

const noJupyter = skipUnless(
  await succeeds(PYTHON, ["-c", "import nbclient, nbconvert, nbformat, ipykernel"]),
  `Jupyter (${PYTHON} with nbconvert and nbclient)`,
);
const noChromium = skipUnless(await exists(CHROMIUM), `Chromium (${CHROMIUM})`);

Deno.test("notebookProblem() names the first failed cell, else a cell that lost its display", () => {
  const code = (
    source: string,
    outputs: { output_type: string; ename?: string; evalue?: string }[] = [],
  ) => ({
    cell_type: "code",
    source,
    outputs,
  });
  deepEqual(
    notebookProblem({
      cells: [
        { cell_type: "markdown", source: "# title" },
        code("await show(x);"),
        code("\n\nthrow new Error('no');", [
          { output_type: "error", ename: "Error", evalue: "no\nmore" },
        ]),
      ],
    }),
    { kind: "error", cell: 2, line: "throw new Error('no');", message: "Error: no" },
  );
  deepEqual(notebookProblem({ cells: [code("const a = 1;"), code("await show(a);")] }), {
    kind: "lost_display",
    cell: 2,
    line: "await show(a);",
    message: "the cell displayed nothing",
  });
  equal(
    notebookProblem({ cells: [code("await show(a);", [{ output_type: "display_data" }])] }),
    null,
  );
});

Deno.test({
  name: "deno task notebooks runs 01-04 for a site, exports offline HTML, escapes database strings",
  ignore: noJupyter || noChromium,
  async fn() {
    const { site, configPath } = await hostileSite();
    for (const n of NOTEBOOKS) await Deno.remove(join(site.outputDir, `${n}.html`)).catch(() => {});
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "notebooks", "--config", configPath, "--site", "hostile"],
      env: { LEDGER_HOST: HOSTILE_HOST, CI: "true" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    ok(out.success, err);
    for (const n of NOTEBOOKS) {
      const path = join(site.outputDir, `${n}.html`);
      const page = await Deno.readTextFile(path);
      equal(/<script/i.test(page), false, `${n}: a script tag`);
      equal(page.includes(HOSTILE_TYPE), false, `${n}: raw node type`);
      equal(page.includes(HOSTILE_HOST), false, `${n}: raw hostname`);
      equal(page.includes(HOSTILE_NAME), false, `${n}: raw site name`);
      equal(
        /class="jp-OutputArea-output[^"]*" data-mime-type="application\/vnd.jupyter.stderr"/.test(
          page,
        ),
        false,
        `${n}: an error output`,
      );
      const r = await checkPage(path, { screenshot: join(site.outputDir, `${n}.png`) });
      deepEqual(r.consoleErrors, [], `${n}: console errors`);
      deepEqual(r.exceptions, [], `${n}: exceptions`);
      deepEqual(r.failedRequests, [], `${n}: failed requests`);
      deepEqual(r.externalRequests, [], `${n}: requests leaving the file`);
      deepEqual(r.dialogs, [], `${n}: dialogs`);
      ok(r.svgs >= 1, `${n}: no chart`);
      equal(r.emptySvgs, 0, `${n}: a chart without marks`);
    }
    // The timeline was asked for the hostile host: it is shown, as text.
    const spans = await Deno.readTextFile(join(site.outputDir, "02_spans.html"));
    match(
      spans,
      /&lt;script&gt;alert\(&#39;host&#39;\)&lt;\/script&gt;|&lt;script&gt;alert\('host'\)&lt;\/script&gt;/,
    );
    match(
      await Deno.readTextFile(join(site.outputDir, "03_ledger.html")),
      /&lt;img src=x onerror=alert\(1\)&gt;/,
    );
  },
});

Deno.test({
  name: "executeNotebook() fails naming the notebook and the cell that broke",
  ignore: noJupyter,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ledger-nb-test-" });
    const nb = {
      cells: [
        {
          cell_type: "code",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: "const a = 1;",
        },
        {
          cell_type: "code",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: "// the broken step\nthrow new RangeError(`bad window: ${a}`);",
        },
      ],
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    await Deno.writeTextFile(join(dir, "99_broken.ipynb"), JSON.stringify(nb));
    await ensureDenoKernel();
    await rejects(
      executeNotebook(join(dir, "99_broken.ipynb"), { outputDir: dir, env: {} }),
      /Notebook "99_broken" failed at cell 2 \("\/\/ the broken step"\): RangeError: bad window: 1/,
    );
    equal(await exists(join(dir, "99_broken.html")), false, "no HTML for a failed notebook");
    await Deno.remove(dir, { recursive: true });
  },
});
