import { deepEqual, equal, match, ok } from "node:assert/strict";
import { NOTEBOOKS } from "../../lib/report/notebooks.ts";

interface Nb {
  cells: { cell_type: string; source: string[]; outputs?: unknown[]; execution_count?: unknown }[];
  metadata: { kernelspec?: { name: string } };
}

const read = async (name: string) =>
  JSON.parse(await Deno.readTextFile(`notebooks/${name}.ipynb`)) as Nb;

Deno.test("the notebooks are committed without outputs and run on the Deno kernel", async () => {
  const files = [...Deno.readDirSync("notebooks")].map((e) => e.name).filter((n) =>
    n.endsWith(".ipynb")
  ).sort();
  deepEqual(files, NOTEBOOKS.map((n) => `${n}.ipynb`));
  for (const name of NOTEBOOKS) {
    const nb = await read(name);
    equal(nb.metadata.kernelspec?.name, "deno", name);
    for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
      deepEqual(c.outputs, [], `${name}: a committed output`);
      equal(c.execution_count, null, `${name}: an execution count`);
    }
  }
});

Deno.test("each notebook starts with a title, then one parameter cell read from the environment", async () => {
  for (const name of NOTEBOOKS) {
    const nb = await read(name);
    equal(nb.cells[0].cell_type, "markdown", name);
    match(nb.cells[0].source.join(""), new RegExp(`^# ${name.slice(0, 2)} `), name);
    const params = nb.cells[1].source.join("");
    equal(nb.cells[1].cell_type, "code", name);
    match(params, /^\/\/ Parameters/, name);
    match(params, /SITE: Deno\.env\.get\("LEDGER_SITE"\) \?\? "demo"/, name);
    match(params, /CONFIG: Deno\.env\.get\("LEDGER_CONFIG"\) \?\? "etc\/sites\.yaml"/, name);
    // Checked by the command line's parser: one import, one notebookParams() call, constants.
    match(params, /^import \{ notebookParams \} from "\.\.\/lib\/params\.ts";$/m, name);
    match(params, /^const \{ [A-Z_, ]+ \} = notebookParams\(\{$/m, name);
    for (const line of params.split("\n").filter((l) => l.trim() !== "")) {
      ok(
        /^\/\/|^import \{ notebookParams \}|^const \{ [A-Z_, ]+ \} = notebookParams\(\{$|^ {2}[A-Z_]+: Deno\.env\.get\(|^\}\);$|^const [A-Z_]+ = .*Deno\.env\.get\(/
          .test(line),
        `${name}: "${line}"`,
      );
    }
    // Cells re-run in any order: nothing changes the working directory (relative imports and
    // paths would then resolve elsewhere), and imports are relative to notebooks/.
    for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
      const src = c.source.join("");
      equal(/Deno\.chdir|process\.chdir/.test(src), false, `${name}: a cell changes directory`);
      for (const m of src.matchAll(/from "(\.[^"]*)"/g)) {
        match(m[1], /^\.\.\/lib\//, `${name}: import "${m[1]}" is not from the repository's lib/`);
      }
    }
    // The other code cells call into lib/, never define functions of their own.
    for (const c of nb.cells.slice(2).filter((c) => c.cell_type === "code")) {
      equal(/^\s*(export\s+)?(async\s+)?function\b/m.test(c.source.join("")), false, name);
    }
  }
});

// `deno fmt --check` misjudges notebooks (Deno 2.9.6): it compares each formatted cell, which
// gains a final newline, with the cell as stored, which has none, and reports every notebook as
// unformatted on a fresh cache although `deno fmt` writes the same bytes back. So notebooks are
// excluded from `deno fmt` in deno.json and their code cells are checked here instead.
Deno.test("the notebooks' code cells are formatted like the rest of the code", async () => {
  for (const name of NOTEBOOKS) {
    const nb = await read(name);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    for (let i = 0; i < code.length; i++) {
      const source = code[i].source.join("");
      const child = new Deno.Command(Deno.execPath(), {
        args: ["fmt", "--ext=ts", "-"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(source));
      await w.close();
      const out = await child.output();
      ok(out.success, `${name}, cell ${i + 1}: ${new TextDecoder().decode(out.stderr)}`);
      equal(
        new TextDecoder().decode(out.stdout).trimEnd(),
        source.trimEnd(),
        `${name}, code cell ${i + 1} is not formatted: run deno fmt on a copy named .ts`,
      );
    }
  }
});
