/**
 * `deno run -A lib/bench/report_floor.ts`: the floor of the report in the demo benchmark
 * (`demo_bench.ts`): a Deno subprocess that loads the report's modules (Plot, the DOM, DuckDB)
 * and opens a database, and does nothing else.
 *
 * @module
 */
import { Duck } from "../db/duckdb.ts";
import { renderSiteReport } from "../report/site_report.ts";

using db = await Duck.open();
await db.value("SELECT 1");
if (typeof renderSiteReport !== "function") throw new Error("Cannot load the report's modules");
