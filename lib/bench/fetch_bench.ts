/**
 * The fetch benchmark: the `tacc` demo profile (CHI@TACC's row counts) loaded into MariaDB, fetched
 * to parquet by `deno task fetch` in a subprocess, side by side in the same run with the MariaDB
 * client's own export of the same tables and columns (`mariadb --batch --quick` to TSV). Reports
 * medians of wall time, rows/s and peak RSS (`/usr/bin/time`'s maximum resident set size) and the
 * ratio of the two (of the medians, and per run). Before the runs, InnoDB flushes what the load
 * left dirty and one uncounted run warms both sides up. The target is a fetch no slower than 1.5x
 * the client's export.
 *
 * @module
 */
import { join, resolve } from "node:path";
import mysql from "mysql2/promise";
import { parseDbUri } from "../config.ts";
import { mysqlOptions } from "../db/mysql.ts";
import { exists } from "../fs.ts";
import { generateDemoSite } from "../demo/generate.ts";
import { loadDemoSql } from "../demo/load_sql.ts";
import type { Manifest } from "../fetch/manifest.ts";
import { SCHEMAS, tableSpec } from "../registry.ts";
import { sqlIdent } from "../sql.ts";
import { type Measure, median, shellQuote, timed } from "./_measure.ts";

export { type Measure, median };

/** Options of {@linkcode benchFetch}. */
export interface FetchBenchOptions {
  /** Runs of each side; medians are reported. @default {5} */
  runs?: number;
  /** Demo site to load (generated with the `tacc` profile when missing). @default {"var/tacc"} */
  siteDir?: string;
  /** MariaDB server. @default {"mysql://root@127.0.0.1:3306"} */
  target?: string;
  /** Prefix of the benchmark databases. @default {"bench_tacc_"} */
  prefix?: string;
  /** Progress notes (to stderr by default). */
  log?: (line: string) => void;
}

/** What {@linkcode benchFetch} measured. */
export interface FetchBenchResult {
  rows: number;
  tables: number;
  runs: number;
  fetch: Measure[];
  client: Measure[];
  parquetBytes: number;
  tsvBytes: number;
}

/** The client-side export script: one `SELECT` per fetched table, same columns and order. */
function clientSql(manifest: Manifest, prefix: string): string {
  const lines: string[] = [];
  for (const [name, t] of Object.entries(manifest.tables)) {
    if (t.status !== "ok") continue;
    const spec = tableSpec(name);
    const cols = t.columns.filter((c) => !t.absent_columns.includes(c.name))
      .map((c) => sqlIdent(c.name, "mysql"));
    const order = cols.includes(sqlIdent(spec.key, "mysql"))
      ? ` ORDER BY ${sqlIdent(spec.key, "mysql")}`
      : "";
    lines.push(
      `SELECT ${cols.join(", ")} FROM ${sqlIdent(prefix + spec.schema, "mysql")}.${
        sqlIdent(spec.table, "mysql")
      }${order};`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Waits until MariaDB has written the pages a bulk load left dirty (at most `timeoutS` seconds),
 * so that its background flushing does not compete with the runs; returns the seconds waited.
 */
async function settleInnodb(target: string, timeoutS = 60): Promise<number> {
  const conn = await mysql.createConnection(mysqlOptions(parseDbUri(target), { database: null }));
  const t0 = performance.now();
  try {
    while ((performance.now() - t0) / 1000 < timeoutS) {
      const [rows] = await conn.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
      if ((rows as { Value: string }[]).every((r) => Number(r.Value) === 0)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await conn.end();
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Runs the fetch benchmark.
 *
 * @example
 * ```ts ignore
 * const r = await benchFetch({ runs: 3 });
 * console.log(fetchBenchMarkdown(r));
 * ```
 */
export async function benchFetch(options: FetchBenchOptions = {}): Promise<FetchBenchResult> {
  const runs = options.runs ?? 5;
  const siteDir = options.siteDir ?? "var/tacc";
  const target = options.target ?? "mysql://root@127.0.0.1:3306";
  const prefix = options.prefix ?? "bench_tacc_";
  const log = options.log ?? ((l: string) => console.error(l));
  if (!(await exists(join(siteDir, "source.duckdb")))) {
    log(`bench fetch: generating the tacc profile into ${siteDir} ...`);
    await generateDemoSite(siteDir, { profile: "tacc", truth: false });
  }
  log(`bench fetch: loading ${siteDir} into MariaDB (databases ${prefix}*) ...`);
  const loaded = await loadDemoSql(siteDir, target, { prefix });
  const rows = Object.values(loaded.rows).reduce((a, b) => a + b, 0);
  log(`bench fetch: loaded ${rows} rows in ${loaded.seconds.toFixed(1)} s`);
  const settled = await settleInnodb(target);
  log(`bench fetch: InnoDB flushed its dirty pages in ${settled.toFixed(1)} s`);

  const work = await Deno.makeTempDir({ prefix: "ledger-bench-" });
  try {
    const inputDir = join(work, "in");
    const uris = SCHEMAS.map((s) => `      ${s}: "${loaded.dbUris[s]}"`).join("\n");
    const config = join(work, "sites.yaml");
    await Deno.writeTextFile(
      config,
      `sites:\n  tacc:\n    site_name: CHI@TACC (tacc profile)\n    input_dir: "${inputDir}"\n    db_uris:\n${uris}\n`,
    );
    const parts = new URL(target.replace(/^mysql:/, "http:"));
    const clientArgs = [
      "-h",
      parts.hostname,
      "-P",
      parts.port || "3306",
      "-u",
      decodeURIComponent(parts.username || "root"),
      "--batch",
      "--quick",
    ];
    const env: Record<string, string> = { CI: "true" };
    if (parts.password) env.MYSQL_PWD = decodeURIComponent(parts.password);
    const fetch: Measure[] = [];
    const client: Measure[] = [];
    let sqlFile = "";
    let manifest: Manifest | null = null;
    // Run 0 warms both sides up (server caches, the client's and Deno's files) and is not counted.
    for (let i = 0; i <= runs; i++) {
      const f = await timed(Deno.execPath(), [
        "run",
        "-A",
        resolve("tasks/fetch.ts"),
        "--config",
        config,
        "--site",
        "tacc",
      ], { env });
      if (i > 0) fetch.push(f);
      if (!manifest) {
        const date = [...Deno.readDirSync(inputDir)].map((e) => e.name)
          .find((n) => n.startsWith("manifest."))!;
        manifest = JSON.parse(await Deno.readTextFile(join(inputDir, date))) as Manifest;
        sqlFile = join(work, "export.sql");
        await Deno.writeTextFile(sqlFile, clientSql(manifest, prefix));
      }
      const c = await timed("sh", [
        "-c",
        `mariadb "$@" < ${shellQuote(sqlFile)}`,
        "sh",
        ...clientArgs,
      ], {
        env,
        stdoutFile: join(work, "export.tsv"),
      });
      if (i > 0) client.push(c);
      log(
        `bench fetch: ${i === 0 ? "warm-up run" : `run ${i}/${runs}`}: fetch ${
          f.seconds.toFixed(2)
        } s ${f.peakRssMb.toFixed(0)} MB, mariadb --batch ${c.seconds.toFixed(2)} s ${
          c.peakRssMb.toFixed(0)
        } MB`,
      );
    }
    const parquetBytes = Object.values(manifest!.tables).reduce((a, t) => a + t.bytes, 0);
    const tsvBytes = (await Deno.stat(join(work, "export.tsv"))).size;
    const tables = Object.values(manifest!.tables).filter((t) => t.status === "ok").length;
    return { rows, tables, runs, fetch, client, parquetBytes, tsvBytes };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * The benchmark as a markdown table (medians).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { fetchBenchMarkdown } from "./fetch_bench.ts";
 * const md = fetchBenchMarkdown({
 *   rows: 1000, tables: 2, runs: 1, parquetBytes: 2 ** 20, tsvBytes: 2 ** 21,
 *   fetch: [{ seconds: 2, peakRssMb: 300 }], client: [{ seconds: 1.6, peakRssMb: 10 }],
 * });
 * match(md, /\| `deno task fetch` \(parquet\) \| 2\.00 \| 500 \| 300 \| 1\.0 \| 1\.25x \|/);
 * ```
 */
export function fetchBenchMarkdown(r: FetchBenchResult): string {
  const row = (label: string, m: Measure[], bytes: number, ratio: string) => {
    const s = median(m.map((x) => x.seconds));
    return `| ${label} | ${s.toFixed(2)} | ${Math.round(r.rows / s)} | ${
      Math.round(median(m.map((x) => x.peakRssMb)))
    } | ${(bytes / 2 ** 20).toFixed(1)} | ${ratio} |`;
  };
  const ratio = median(r.fetch.map((x) => x.seconds)) / median(r.client.map((x) => x.seconds));
  const perRun = r.fetch.map((f, i) => f.seconds / r.client[i].seconds);
  return [
    `Profile \`tacc\` (CHI@TACC's row counts): ${r.rows} rows in ${r.tables} tables, MariaDB on the same machine; medians of ${r.runs} runs.`,
    "",
    "| export | seconds | rows/s | peak RSS (MB) | output (MiB) | time vs `mariadb --batch` |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    row("`deno task fetch` (parquet)", r.fetch, r.parquetBytes, `${ratio.toFixed(2)}x`),
    row("`mariadb --batch --quick` (TSV)", r.client, r.tsvBytes, "1.00x"),
    "",
    `Ratio per run (fetch / client, each pair run back to back after one uncounted warm-up run): ${
      perRun.map((x) => `${x.toFixed(2)}x`).join(", ")
    }; median ${median(perRun).toFixed(2)}x.`,
    "",
    `Target: fetch no slower than 1.5x the client's export: ${ratio <= 1.5 ? "met" : "NOT met"} (${
      ratio.toFixed(2)
    }x).`,
  ].join("\n");
}
