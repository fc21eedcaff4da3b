/**
 * `deno task generate [--profile small|demo|tacc|kvm|edge] [--scale N] [--seed N] [--era name|fork|property] [--out DIR]`
 *
 * Writes a demo site's source database and ground truth (default `var/demo`).
 *
 * @module
 */
import { generateDemoSite } from "../lib/demo/generate.ts";
import { runMain } from "../lib/cli.ts";
import { taskArgs } from "../lib/params.ts";

/** Flags and help of the task. */
export const GENERATE_TASK = {
  name: "generate",
  summary: "Writes a seeded demo site's source database (source.duckdb) and its ground truth.",
  flags: {
    profile: {
      type: "string",
      value: "small|demo|tacc|kvm|edge",
      default: "demo",
      help: "size and history of the site",
    },
    scale: { type: "string", value: "N", default: "1", help: "multiply the profile's row counts" },
    seed: { type: "string", value: "N", help: "random seed", defaultText: "the profile's" },
    era: {
      type: "string",
      value: "name|fork|property",
      default: "property",
      help: "Blazar schema era of the capability tables",
    },
    out: {
      type: "string",
      value: "DIR",
      help: "output directory",
      defaultText: "var/demo, or var/<profile>",
    },
    "no-truth": { type: "boolean", help: "skip the ground-truth files" },
  },
  example: "deno task generate --profile small --seed 7 --out var/small",
} as const;

await runMain(async () => {
  const { values } = taskArgs(GENERATE_TASK);
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
