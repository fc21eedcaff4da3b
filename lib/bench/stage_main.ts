/**
 * `deno run -A lib/bench/stage_main.ts <step> --config <sites.yaml> --site <key>`
 *
 * The subprocess the stages benchmark times (`stages_bench.ts`): one step for one site, nothing
 * else, so `/usr/bin/time` measures exactly that step's wall time and peak RSS. Steps:
 *
 * | step | what runs |
 * |---|---|
 * | `spans` | stage 02, {@linkcode runSpansStage} |
 * | `ledger` | stage 03, {@linkcode runLedgerStage} (needs the output of `spans`) |
 * | `sweepline` | the sweepline of stage 03 alone, {@linkcode buildSteps}: `spans.parquet` to the step functions of every metric |
 * | `floor-spans` | DuckDB alone: read the columns stage 02 stages from its source parquet files, sort each table by host and time ({@linkcode spansFloorSql}) |
 * | `floor-ledger` | DuckDB alone: read the columns stage 03 reads from `spans.parquet`, sort its start and end events by group and time ({@linkcode ledgerFloorSql}) |
 *
 * On success it prints one JSON line `{"ok":true,...}` to stdout; on failure one line on stderr
 * and exit status 1 (`runMain`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { runMain } from "../cli.ts";
import { loadSitesConfig, selectSite } from "../config.ts";
import { stageDb } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { buildSteps } from "../ledger/build.ts";
import { utcUs } from "../time.ts";
import { loadSnapshot } from "../fetch/manifest.ts";
import { OUTPUT_FILES, runLedgerStage, runSpansStage, stageDbOptions } from "../pipeline.ts";
import { ledgerFloorSql, spansFloorSql, spansInputs } from "./stages_bench.ts";

const STEPS = ["spans", "ledger", "sweepline", "floor-spans", "floor-ledger"] as const;

await runMain(async () => {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { config: { type: "string" }, site: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const step = positionals[0] as typeof STEPS[number];
  if (!STEPS.includes(step) || !values.config || !values.site) {
    throw new Error(
      `Cannot run a bench step: expected <${STEPS.join("|")}> --config FILE --site KEY, found "${
        Deno.args.join(" ")
      }"`,
    );
  }
  const site = selectSite(await loadSitesConfig(values.config), values.site);
  let result: Record<string, unknown>;
  if (step === "spans") {
    const r = await runSpansStage(site);
    result = { invariants_ok: r.invariants.ok };
  } else if (step === "ledger") {
    const r = await runLedgerStage(site);
    result = { stack_ok: r.stack.ok, instants: r.stack.instants };
  } else if (step === "sweepline") {
    using db = await stageDb(stageDbOptions(site));
    const asOf: string =
      JSON.parse(await Deno.readTextFile(join(site.outputDir, OUTPUT_FILES.spansChecks))).as_of;
    await db.run(
      `CREATE VIEW spans AS SELECT * FROM read_parquet(${
        sqlLiteral(join(site.outputDir, OUTPUT_FILES.spans))
      })`,
    );
    await buildSteps(db, utcUs(asOf));
    result = { rows: Number(await db.value("SELECT count(*) FROM steps")) };
  } else {
    // The floors run under the stages' memory limit too (they sort the same rows).
    using db = await stageDb({ ...stageDbOptions(site), preserveOrder: true });
    const statements = step === "floor-spans"
      ? spansFloorSql(await loadSnapshot(site.inputDir), await spansInputs(site.maintenance))
      : ledgerFloorSql(
        join(site.outputDir, OUTPUT_FILES.spans),
        JSON.parse(await Deno.readTextFile(join(site.outputDir, OUTPUT_FILES.spansChecks))).as_of,
      );
    let rows = 0;
    for (const sql of statements) {
      await db.run(sql.create);
      rows += Number(await db.value(`SELECT count(*) FROM ${sql.table}`));
      await db.run(`DROP TABLE ${sql.table}`);
    }
    result = { rows };
  }
  console.log(JSON.stringify({ ok: true, step, site: site.key, ...result }));
});
