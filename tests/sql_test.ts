import { equal, throws } from "node:assert/strict";
import { Duck } from "../lib/db/duckdb.ts";
import { sqlIdent, sqlLiteral } from "../lib/sql.ts";

Deno.test("sqlLiteral() round-trips hostile text through DuckDB unchanged", async () => {
  using db = await Duck.open(":memory:");
  for (
    const text of ["it's", "''", "x'); DROP TABLE t; --", "实验 🚀", "back\\slash", "new\nline", ""]
  ) {
    equal(await db.value(`SELECT ${sqlLiteral(text)}`), text, JSON.stringify(text));
  }
});

Deno.test("sqlLiteral() refuses a NUL character, which DuckDB would cut short", () => {
  throws(() => sqlLiteral("a\u0000b"), /Cannot quote a string with a NUL character: "a\\u0000b"/);
});

Deno.test("sqlIdent() quotes per dialect and refuses anything but a plain identifier", async () => {
  equal(sqlIdent("end"), '"end"');
  equal(sqlIdent("deleted_at", "postgres"), '"deleted_at"');
  equal(sqlIdent("binary", "mysql"), "`binary`");
  for (const bad of ["x; DROP TABLE y", 'a"b', "a`b", "1abc", "", "a.b", "é"]) {
    throws(() => sqlIdent(bad, "mysql"), /Cannot quote identifier/, bad);
  }
  using db = await Duck.open(":memory:");
  await db.run(`CREATE TABLE t (${sqlIdent("end")} INTEGER, ${sqlIdent("select")} INTEGER)`);
  await db.run(`INSERT INTO t VALUES (1, 2)`);
  equal(Number(await db.value(`SELECT ${sqlIdent("end")} + ${sqlIdent("select")} FROM t`)), 3);
});
