import { deepEqual, equal, throws } from "node:assert/strict";
import { join } from "node:path";
import { CHUNK_BYTES, PackedBuffer } from "../../lib/fetch/packed_rows.ts";
import { ParquetWriter, type WriterColumn } from "../../lib/fetch/parquet_writer.ts";

const encoder = new TextEncoder();

/** A MySQL length-encoded integer. */
function lenenc(n: number): number[] {
  if (n < 251) return [n];
  if (n < 2 ** 16) return [0xfc, n & 0xff, n >> 8];
  if (n < 2 ** 24) return [0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16];
  const lo = n % 2 ** 32;
  const hi = Math.floor(n / 2 ** 32);
  return [
    0xfe,
    ...[0, 8, 16, 24].map((s) => (lo >>> s) & 0xff),
    ...[0, 8, 16, 24].map((s) => (hi >>> s) & 0xff),
  ];
}

/** A MySQL text-protocol row payload: one length-encoded string per value, 0xFB for NULL. */
function mysqlRow(values: (string | null)[]): Uint8Array {
  const bytes: number[] = [];
  for (const v of values) {
    if (v === null) {
      bytes.push(0xfb);
      continue;
    }
    const b = encoder.encode(v);
    bytes.push(...lenenc(b.length));
    for (const x of b) bytes.push(x);
  }
  return new Uint8Array(bytes);
}

/** Every control character the format reserves, alone, doubled and around text. */
const HOSTILE = [
  "",
  "\x1a",
  "\x1b",
  "\x1b:",
  "\x1b;",
  "\x1b\x1a",
  "\x1a\x1b\x1c\x1d\x1e\x1f",
  "a\x1fb\x1ec",
  "\x1f",
  "\x1e",
  "\n\r\t\\\"'",
  "NULL",
  "\\N",
  "<img src=x onerror=alert(1)>",
  "é😀🦆 \u0000 end",
  " leading and trailing ",
  "y".repeat(100) + "\x1f\x1a" + "z".repeat(100) + "\x1b",
];

async function roundTrip(
  columns: WriterColumn[],
  rows: (string | null)[][],
  options: { raw: boolean; batchBytes?: number },
): Promise<{ rows: (string | null)[][]; zeroDates: Record<string, number>; path: string }> {
  const dir = await Deno.makeTempDir();
  try {
    await using w = await ParquetWriter.open(dir, { batchBytes: options.batchBytes });
    const sink = await w.begin(columns);
    for (const row of rows) {
      if (options.raw) {
        const b = mysqlRow(row);
        // The payload sits inside a larger buffer, as in a mysql2 packet.
        const framed = new Uint8Array(b.length + 7);
        framed.set(b, 4);
        sink.appendMysqlRow(framed, 4, 4 + b.length);
      } else {
        sink.append([...row]);
      }
      if (sink.backlog > 1) await sink.drain();
    }
    const path = join(dir, "t.parquet");
    const r = await sink.finish(path);
    equal(r.rows, rows.length);
    const names = columns.map((c) => `"${c.name}"::VARCHAR`).join(", ");
    const out = await w.duck.rows<Record<string, string | null>>(
      `SELECT ${names} FROM read_parquet('${path}')`,
    );
    const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
      n !== "t.parquet"
    );
    deepEqual(leftovers.filter((n) => !n.startsWith(".fetch-staging-")), []);
    return { rows: out.map((o) => Object.values(o)), zeroDates: r.zeroDates, path };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const raw of [false, true]) {
  const how = raw ? "MySQL row packets" : "JS values";
  Deno.test(`packed rows from ${how} keep every reserved character, NULL and "" apart`, async () => {
    const columns: WriterColumn[] = [
      { name: "id", type: "INTEGER", present: true },
      { name: "a", type: "VARCHAR", present: true },
      { name: "gone", type: "BIGINT", present: false },
      { name: "b", type: "VARCHAR", present: true },
    ];
    const rows: (string | null)[][] = [];
    HOSTILE.forEach((v, i) => {
      rows.push([String(2 * i), v, null]);
      rows.push([String(2 * i + 1), null, v]);
    });
    const out = await roundTrip(columns, rows, { raw });
    deepEqual(
      out.rows,
      rows.map(([id, a, b]) => [id, a, null, b]),
    );
  });

  Deno.test(`packed rows from ${how} turn zero dates of date columns to NULL and count them`, async () => {
    const columns: WriterColumn[] = [
      { name: "at", type: "TIMESTAMP", present: true },
      { name: "day", type: "DATE", present: true },
      { name: "note", type: "VARCHAR", present: true },
    ];
    const out = await roundTrip(columns, [
      ["0000-00-00 00:00:00", "0000-00-00", "0000-00-00"],
      ["2020-02-29 23:59:59.999999", "2020-02-29", null],
      ["0000-00-00 00:00:00.000000", null, "x"],
    ], { raw });
    deepEqual(out.rows, [
      [null, null, "0000-00-00"],
      ["2020-02-29 23:59:59.999999", "2020-02-29", null],
      [null, null, "x"],
    ]);
    deepEqual(out.zeroDates, { at: 2, day: 1 });
  });

  Deno.test(`packed rows from ${how} keep row order across chunks and parts`, async () => {
    const columns: WriterColumn[] = [
      { name: "id", type: "BIGINT", present: true },
      { name: "pad", type: "VARCHAR", present: true },
    ];
    const rows: (string | null)[][] = [];
    // ~3.5 chunks of rows, one row larger than a chunk, parts of ~1.5 chunks.
    for (let i = 0; i < 12_000; i++) {
      rows.push([String(i), i === 5_000 ? "y".repeat(CHUNK_BYTES + 10) : "x".repeat(i % 500)]);
    }
    const out = await roundTrip(columns, rows, { raw, batchBytes: 1.5 * CHUNK_BYTES });
    equal(out.rows.length, rows.length);
    deepEqual(out.rows.map((r) => r[0]), rows.map((r) => r[0]));
    deepEqual(out.rows[5_000][1]!.length, CHUNK_BYTES + 10);
    deepEqual(out.rows[499][1], "x".repeat(499));
  });
}

Deno.test("packMysqlRow() reads 1-, 3- and 4-byte lengths and rejects malformed packets", () => {
  const p = new PackedBuffer([false, false, false]);
  const long = "z".repeat(70_000);
  const row = mysqlRow(["a".repeat(300), long, null]);
  equal(row[0], 0xfc);
  equal(row[303], 0xfd);
  p.packMysqlRow(row, 0, row.length);
  const text = new TextDecoder().decode(p.take()!);
  deepEqual(text.split("\x1f"), ["a".repeat(300), long, "\x1a"]);

  const two = mysqlRow(["1", "2"]);
  throws(
    () => p.packMysqlRow(two, 0, two.length),
    /^Error: Cannot read a MySQL row: expected 3 values in 4 bytes, found 2 values and 0 bytes left$/,
  );
  const four = mysqlRow(["1", "2", "3", "4"]);
  throws(() => p.packMysqlRow(four, 0, four.length), /found 3 values and 2 bytes left/);
  const cut = mysqlRow(["1", "2", "345"]).subarray(0, 6);
  throws(() => p.packMysqlRow(cut, 0, cut.length), /expected 3 values in 6 bytes/);
  equal(p.rows, 0);
});

Deno.test("packValues() writes numbers, bigints, booleans, bytes, dates and objects as text", async () => {
  const columns: WriterColumn[] = [
    { name: "f", type: "DOUBLE", present: true },
    { name: "n", type: "DOUBLE", present: true },
    { name: "big", type: "BIGINT", present: true },
    { name: "flag", type: "BOOLEAN", present: true },
    { name: "bytes", type: "VARCHAR", present: true },
    { name: "ts", type: "TIMESTAMP", present: true },
    { name: "doc", type: "VARCHAR", present: true },
  ];
  const dir = await Deno.makeTempDir();
  try {
    await using w = await ParquetWriter.open(dir);
    const sink = await w.begin(columns);
    sink.append([0.1, NaN, 2n ** 63n - 1n, true, encoder.encode("é\x1f"), new Date(0), {
      a: "\x1e",
    }]);
    sink.append([-Infinity, 1e-300, -(2n ** 63n), 0, new Uint8Array(), null, [1, null]]);
    const path = join(dir, "v.parquet");
    await sink.finish(path);
    const out = await w.duck.json<Record<string, unknown>>(
      `SELECT f::VARCHAR f, n::VARCHAR n, big::VARCHAR big, flag, bytes, ts::VARCHAR ts, doc
         FROM read_parquet('${path}')`,
    );
    deepEqual(out, [
      {
        f: "0.1",
        n: "nan",
        big: "9223372036854775807",
        flag: true,
        bytes: "é\x1f",
        ts: "1970-01-01 00:00:00",
        doc: '{"a":"\\u001e"}',
      },
      {
        f: "-inf",
        n: "1e-300",
        big: "-9223372036854775808",
        flag: false,
        bytes: "",
        ts: null,
        doc: "[1,null]",
      },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
