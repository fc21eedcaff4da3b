import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import mysql from "mysql2";
import { mysqlOptions } from "../../lib/db/mysql.ts";
import { parseDbUri } from "../../lib/config.ts";
import { rawTextRows } from "../../lib/fetch/connectors/mysql_rows.ts";
import { ParquetWriter, type WriterColumn } from "../../lib/fetch/parquet_writer.ts";
import { portOpen, skipUnless } from "../_helpers.ts";
import { mysqlRoot, uniqueName } from "./_fetch_helpers.ts";

const ignore = skipUnless(await portOpen(3306), "MariaDB at 127.0.0.1:3306");

/** Reads `sql` through rawTextRows into a parquet file; returns the rows and how they arrived. */
async function readThroughSink(
  db: string,
  sql: string,
  columns: WriterColumn[],
  dir: string,
): Promise<{ raw: number; parsed: number; rows: Record<string, unknown>[] }> {
  const conn = mysql.createConnection(
    mysqlOptions(parseDbUri(`mysql://root@127.0.0.1:3306/${db}`)),
  );
  await using w = await ParquetWriter.open(dir);
  const sink = await w.begin(columns);
  let raw = 0;
  let parsed = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const q = conn.query({ sql, rowsAsArray: true });
      rawTextRows(q, (b, s, e) => {
        raw++;
        sink.appendMysqlRow(b, s, e);
      });
      q.on("result", (row: unknown) => {
        parsed++;
        sink.append(row as unknown[]);
      });
      q.on("error", reject);
      q.on("end", () => resolve());
    });
  } finally {
    conn.end();
  }
  const path = join(dir, `${uniqueName("t")}.parquet`);
  await sink.finish(path);
  const names = columns.map((c) => `"${c.name}"::VARCHAR AS "${c.name}"`).join(", ");
  const rows = await w.duck.json<Record<string, unknown>>(
    `SELECT ${names} FROM read_parquet('${path}')`,
  );
  return { raw, parsed, rows };
}

Deno.test({
  name:
    "MariaDB rows arrive as raw packets when all columns are text, byte for byte (control characters, a 17 MiB value)",
  ignore,
  fn: async () => {
    const db = uniqueName();
    const dir = await Deno.makeTempDir();
    const root = await mysqlRoot();
    const [[{ v: packet }]] = await root.query(
      "SELECT @@GLOBAL.max_allowed_packet AS v",
    ) as unknown as [[{ v: number }]];
    const big = "é".repeat(8 * 2 ** 20) + "\x1a\x1f" + "x".repeat(2 ** 20); // 17 MiB + 2 bytes
    const texts = ["", "\x1a", "\x1b;", "a\x1fb\x1ec\x1dd", "NULL", "é😀 <b>", " \t\n\r "];
    try {
      await root.query(`SET GLOBAL max_allowed_packet = ${64 * 2 ** 20}`);
      await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
      await root.query(`CREATE TABLE \`${db}\`.t (
        id INT PRIMARY KEY, at DATETIME(6) NULL, price DECIMAL(10,3), flag TINYINT(1),
        note LONGTEXT NULL, kind ENUM('a','b'))`);
      const c = await mysql.createConnection({
        host: "127.0.0.1",
        user: "root",
        database: db,
        charset: "UTF8MB4_UNICODE_CI",
      }).promise();
      try {
        for (const [i, t] of texts.entries()) {
          await c.query("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", [
            i,
            i === 0 ? null : "2020-01-02 03:04:05.000006",
            "-12.345",
            i % 2,
            t,
            "b",
          ]);
        }
        await c.query("INSERT INTO t VALUES (100, NULL, NULL, NULL, ?, NULL)", [big]);
      } finally {
        await c.end();
      }
      const columns: WriterColumn[] = [
        { name: "id", type: "INTEGER", present: true },
        { name: "at", type: "TIMESTAMP", present: true },
        { name: "price", type: "DECIMAL(10,3)", present: true },
        { name: "flag", type: "BOOLEAN", present: true },
        { name: "note", type: "VARCHAR", present: true },
        { name: "kind", type: "VARCHAR", present: true },
      ];
      const r = await readThroughSink(db, "SELECT * FROM t ORDER BY id", columns, dir);
      deepEqual([r.raw, r.parsed], [texts.length + 1, 0]);
      deepEqual(
        r.rows.slice(0, texts.length),
        texts.map((t, i) => ({
          id: String(i),
          at: i === 0 ? null : "2020-01-02 03:04:05.000006",
          price: "-12.345",
          flag: i % 2 ? "true" : "false",
          note: t,
          kind: "b",
        })),
      );
      const last = r.rows[texts.length];
      equal(last.note, big);
      deepEqual([last.id, last.at, last.price, last.flag, last.kind], [
        "100",
        null,
        null,
        null,
        null,
      ]);
    } finally {
      await root.query(`SET GLOBAL max_allowed_packet = ${packet}`);
      await root.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await root.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "MariaDB rows of a table with a binary column arrive parsed by mysql2",
  ignore,
  fn: async () => {
    const db = uniqueName();
    const dir = await Deno.makeTempDir();
    const root = await mysqlRoot();
    try {
      await root.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
      await root.query(`CREATE TABLE \`${db}\`.t (id INT PRIMARY KEY, b VARBINARY(16))`);
      await root.query(`INSERT INTO \`${db}\`.t VALUES (1, 'abc'), (2, NULL)`);
      const r = await readThroughSink(db, "SELECT id, b FROM t ORDER BY id", [
        { name: "id", type: "INTEGER", present: true },
        { name: "b", type: "VARCHAR", present: true },
      ], dir);
      deepEqual([r.raw, r.parsed], [0, 2]);
      deepEqual(r.rows, [{ id: "1", b: "abc" }, { id: "2", b: null }]);
    } finally {
      await root.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await root.end();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
