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
      deepEqual(r.clippedTables, [], `${n}: a table's columns are cut off at 1280 px`);
      deepEqual(r.wrappedNumbers, [], `${n}: a number wraps`);
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
  name: "every cell of 03 re-runs in the same kernel after the first run, parameters edited",
  ignore: noJupyter,
  async fn() {
    const { site, configPath } = await hostileSite();
    const nb = JSON.parse(await Deno.readTextFile("notebooks/03_ledger.ipynb"));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
    const edit = (cell: { source: string[] }, from: string, to: string) => ({
      ...cell,
      source: cell.source.join("").replace(from, to).split(/(?<=\n)/),
    });
    // Run All, then: edit the parameter cell (another bucket), re-run it, the import cell, the
    // stage cell and the last cell; then the import cell once more.
    nb.cells = [
      ...code,
      edit(code[0], `?? "month"`, `?? "week"`),
      code[1],
      code[2],
      code.at(-1),
      code[1],
    ].map((c) => ({ ...c, outputs: [], execution_count: null }));
    // A folder directly under the repository root, so "../lib/" resolves as from notebooks/.
    const dir = await Deno.makeTempDir({ dir: Deno.cwd(), prefix: ".nbtest-" });
    try {
      const path = join(dir, "03_rerun.ipynb");
      await Deno.writeTextFile(path, JSON.stringify(nb));
      await ensureDenoKernel();
      const r = await executeNotebook(path, {
        outputDir: dir,
        env: { LEDGER_SITE: site.key, LEDGER_CONFIG: configPath },
      });
      ok(await exists(r.html));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a notebook's parameter cell rejects a bucket or window the command line rejects",
  ignore: noJupyter,
  async fn() {
    const { configPath } = await hostileSite();
    await ensureDenoKernel();
    for (
      const [env, message] of [
        [
          { LEDGER_BUCKET: "weekly" },
          /Cannot use BUCKET "weekly": expected one of day, week, month/,
        ],
        [
          { LEDGER_START: "2026-03-01", LEDGER_END: "2026-01-01" },
          /START must be before END \(the window is inverted\)/,
        ],
      ] as const
    ) {
      await rejects(
        executeNotebook("notebooks/03_ledger.ipynb", {
          outputDir: await Deno.makeTempDir(),
          env: { LEDGER_SITE: "hostile", LEDGER_CONFIG: configPath, ...env },
        }),
        (e: Error) => {
          match(e.message, /Notebook "03_ledger" failed at cell 1 \("\/\/ Parameters/);
          match(e.message, message);
          return true;
        },
      );
    }
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
