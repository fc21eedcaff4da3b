import { exportSuite } from "./_suite.ts";

Deno.test("export to a DuckDB file replaces a site's window in one transaction", (t) =>
  exportSuite(t, "duckdb"));
