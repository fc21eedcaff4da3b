/**
 * `deno task demo`: the main job on the bundled demo site. Generates the demo source database if
 * it is missing, then runs every stage that exists and prints where the result is.
 *
 * @module
 */
import { exists } from "../lib/fs.ts";
import { generateDemoSite } from "../lib/demo/generate.ts";
import { runMain } from "../lib/cli.ts";

await runMain(async () => {
  const started = performance.now();
  const source = "var/demo/source.duckdb";
  if (!(await exists(source))) {
    console.log("generating the demo site (profile demo) ...");
    await generateDemoSite("var/demo", { profile: "demo" });
  }
  console.log(`demo source: ${source}`);
  const missing = ["fetch", "pipeline (spans, ledger, legacy)", "report"];
  console.log(`stages not built yet: ${missing.join(", ")}`);
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  Deno.exit(3);
});
