/**
 * Duplicate primary keys in a source table (issue: a re-imported dump, a broken replica), found
 * at staging.
 *
 * | case | outcome |
 * |---|---|
 * | a key appears once (or is NULL) | the row is staged |
 * | a key appears n > 1 times | the first row in file order is staged; each later one is set apart: an input row `<key> #<k>` (k = 2..n) of the table, wholly in the audit as `duplicate_key`, 0 seconds (its interval is not read) |
 *
 * So the staged views have one row per key (joins on the key do not multiply rows), every row of
 * the file is accounted for, and the invariants balance. The run's notes name the table, the key
 * column and the first keys.
 *
 * @module
 */
import { sqlIdent, sqlLiteral } from "../sql.ts";
import { type Duck } from "../db/duckdb.ts";

/** The run-wide table of rows set apart: `(tbl, key_column, key, occurrence, occurrences, file_row)`. */
const SET_APART = "staged_duplicates";

/** Creates the (empty) table of rows set apart; staging fills it table by table. */
export async function createSetApart(db: Duck): Promise<void> {
  await db.run(`
    CREATE OR REPLACE TABLE ${SET_APART} (
      tbl VARCHAR, key_column VARCHAR, key VARCHAR, occurrence BIGINT, occurrences BIGINT,
      file_row BIGINT)`);
}

/** A staged table's parquet file and key column. */
export interface KeyedFile {
  table: string;
  key: string;
  path: string;
}

/**
 * The tables whose files repeat a key, in one statement (DuckDB runs the checks in parallel;
 * each stops at its first repeated key).
 *
 * @example
 * ```ts ignore
 * const repeated = await tablesWithRepeatedKeys(db, [{ table: "nova.instances", key: "id", path }]);
 * ```
 */
export async function tablesWithRepeatedKeys(
  db: Duck,
  files: readonly KeyedFile[],
): Promise<string[]> {
  if (files.length === 0) return [];
  const checks = files.map((f) => {
    const key = sqlIdent(f.key, "duckdb");
    return `SELECT ${sqlLiteral(f.table)} AS tbl FROM (SELECT ${key} FROM read_parquet(${
      sqlLiteral(f.path)
    }) WHERE ${key} IS NOT NULL GROUP BY ALL HAVING count(*) > 1 LIMIT 1)`;
  });
  const rows = await db.json<{ tbl: string }>(checks.join("\nUNION ALL\n"));
  return rows.map((r) => r.tbl).sort();
}

/**
 * Finds the keys of `table` that appear more than once in its parquet file and records every
 * occurrence but the first (file order). Returns a filter for the staging view that leaves those
 * rows out (over `read_parquet(..., file_row_number = true)`), or null when every key is unique.
 *
 * @example
 * ```ts ignore
 * const where = await setApartDuplicates(db, "nova.compute_nodes", "id", path);
 * ```
 */
export async function setApartDuplicates(
  db: Duck,
  table: string,
  keyColumn: string,
  path: string,
): Promise<string | null> {
  const key = sqlIdent(keyColumn, "duckdb");
  const file = `read_parquet(${sqlLiteral(path)}, file_row_number = true)`;
  await db.run(`
    INSERT INTO ${SET_APART} BY NAME
    SELECT ${sqlLiteral(table)} AS tbl, ${sqlLiteral(keyColumn)} AS key_column,
      CAST(${key} AS VARCHAR) AS key, occurrence, occurrences, file_row_number AS file_row
    FROM (
      SELECT ${key}, file_row_number,
        row_number() OVER (PARTITION BY ${key} ORDER BY file_row_number) AS occurrence,
        count(*) OVER (PARTITION BY ${key}) AS occurrences
      FROM ${file}
      WHERE ${key} IN (SELECT ${key} FROM ${file} WHERE ${key} IS NOT NULL GROUP BY ALL HAVING count(*) > 1)
    ) WHERE occurrence > 1`);
  const n = Number(
    await db.value(`SELECT count(*) FROM ${SET_APART} WHERE tbl = $1`, [table]),
  );
  return n === 0
    ? null
    : `file_row_number NOT IN (SELECT file_row FROM ${SET_APART} WHERE tbl = ${sqlLiteral(table)})`;
}

/**
 * Writes the rows set apart as input rows and `duplicate_key` audit pieces of their table (after
 * `createCollectors`), and returns one note per table.
 *
 * @example
 * ```ts ignore
 * notes.push(...await reportDuplicates(db));
 * ```
 */
export async function reportDuplicates(db: Duck): Promise<string[]> {
  const id = "key || ' #' || occurrence";
  await db.run(`
    INSERT INTO input_rows BY NAME
    SELECT tbl AS source, ${id} AS row_id, NULL AS s, NULL AS e FROM ${SET_APART};
    INSERT INTO audit_pieces BY NAME
    SELECT tbl AS source, ${id} AS row_id, 'duplicate_key' AS reason, NULL AS s, NULL AS e,
      0 AS us,
      tbl || ': ' || key_column || ' ' || key || ' appears ' || occurrences || ' times; row '
        || occurrence || ' of them (file order) is set apart, the first is read' AS detail
    FROM ${SET_APART}`);
  const per = await db.json<{ tbl: string; key_column: string; rows: number; keys: string }>(`
    SELECT tbl, key_column, count(*)::INTEGER AS rows,
      string_agg(DISTINCT key, ', ' ORDER BY key) AS keys
    FROM ${SET_APART} GROUP BY ALL ORDER BY tbl`);
  return per.map((d) => {
    const keys = d.keys.split(", ");
    const shown = keys.slice(0, 5).join(", ") + (keys.length > 5 ? ", ..." : "");
    return `${d.tbl}: ${d.rows} rows have the ${d.key_column} of an earlier row (${d.key_column} ${shown}): set apart as duplicate_key; the first row of each ${d.key_column} is read`;
  });
}
