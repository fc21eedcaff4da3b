/**
 * `deno task generate [--profile small|demo|tacc] [--scale N] [--seed N] [--era name|fork|property] [--out DIR]`
 *
 * Writes a demo site's source database and ground truth (default `var/demo`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateDemoSite } from "../lib/demo/generate.ts";
import { runMain } from "../lib/cli.ts";

await runMain(async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      profile: { type: "string", default: "demo" },
      scale: { type: "string", default: "1" },
      seed: { type: "string" },
      era: { type: "string", default: "property" },
      out: { type: "string" },
      "no-truth": { type: "boolean", default: false },
    },
    strict: true,
  });
  const era = values.era as "name" | "fork" | "property";
  if (!["name", "fork", "property"].includes(era)) {
    throw new Error(`Cannot generate: expected --era name, fork or property, found "${era}"`);
  }
  const started = performance.now();
  const out = values.out ?? (values.profile === "demo" ? "var/demo" : `var/${values.profile}`);
  const truth = await generateDemoSite(out, {
    profile: values.profile,
    scale: Number(values.scale),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    blazarEra: era,
    truth: !values["no-truth"],
  });
  const rows = Object.values(truth.counts).reduce((a, b) => a + b, 0);
  console.log(
    `generated ${truth.profile} x${truth.scale} (seed ${truth.seed}): ${rows} rows in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s -> ${out}/source.duckdb`,
  );
});
