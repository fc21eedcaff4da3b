import { ok } from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* sources(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("no file in lib/ or tasks/ is over 600 lines, and no stage imports the report or plots", async () => {
  const long: string[] = [];
  const layered: string[] = [];
  for (const dir of ["lib", "tasks"]) {
    for await (const path of sources(dir)) {
      const text = await Deno.readTextFile(join(ROOT, path));
      const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
      if (lines > 600) long.push(`${path}: ${lines} lines`);
      const stage = /^lib\/(spans|ledger|legacy|fetch)\//.test(path) || path === "lib/pipeline.ts";
      if (stage && /from "\.\.?\/(\.\.\/)?(report|plots)\//.test(text)) layered.push(path);
    }
  }
  ok(long.length === 0, `expected at most 600 lines per file, found ${long.join(", ")}`);
  ok(layered.length === 0, `expected no stage to import lib/report or lib/plots: ${layered}`);
});
