/**
 * A snapshot of a generated demo site for tests of the later stages, cached under
 * `var/test-sites/<site>/snapshot`: the registry's columns of every table as parquet, absent
 * optional columns as typed NULLs, and a manifest with the source's `as_of`.
 *
 * @module
 */
import { join } from "node:path";
import { Duck, sqlLiteral } from "../lib/db/duckdb.ts";
import { exists } from "../lib/fs.ts";
import { loadSnapshot, type Snapshot } from "../lib/fetch/manifest.ts";
import { duckdbType, qualifiedName, quoteIdent, REGISTRY } from "../lib/registry.ts";
import { demoSite } from "./_helpers.ts";

/** Snapshot of the cached demo site of a profile (generated if needed). */
export async function demoSnapshot(
  profile: "small" | "demo" = "small",
): Promise<{ snapshot: Snapshot; dir: string }> {
  const { dir } = await demoSite(profile);
  const snapDir = join(dir, "snapshot");
  const source = join(dir, "source.duckdb");
  if (
    !(await exists(join(snapDir, "manifest.2026-06-01.json"))) ||
    (await Deno.stat(source)).mtime!.getTime() >
      (await Deno.stat(join(snapDir, "manifest.2026-06-01.json"))).mtime!.getTime()
  ) {
    const tmp = `${snapDir}.${crypto.randomUUID()}.tmp`;
    await Deno.mkdir(tmp, { recursive: true });
    using db = await Duck.open(source, { access_mode: "READ_ONLY" });
    const asOf = String(
      await db.value("SELECT strftime(as_of, '%Y-%m-%dT%H:%M:%S') FROM main.snapshot_meta"),
    );
    const date = asOf.slice(0, 10);
    const tables: Record<string, unknown> = {};
    for (const spec of REGISTRY) {
      const name = qualifiedName(spec);
      const have = (await db.rows<{ column_name: string }>(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2",
        [spec.schema, spec.table],
      )).map((r) => r.column_name);
      if (have.length === 0) {
        tables[name] = {
          status: "missing",
          file: null,
          rows: 0,
          bytes: 0,
          seconds: 0,
          columns: [],
          absent_columns: [],
          zero_dates: {},
          message: "no such table",
        };
        continue;
      }
      const select = spec.columns.map((c) =>
        have.includes(c.name)
          ? quoteIdent(c.name, "duckdb")
          : `CAST(NULL AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name, "duckdb")}`
      ).join(", ");
      const file = `${name}.${date}.parquet`;
      await db.run(
        `COPY (SELECT ${select} FROM ${quoteIdent(spec.schema, "duckdb")}.${
          quoteIdent(spec.table, "duckdb")
        }) TO ${sqlLiteral(join(tmp, file))} (FORMAT parquet)`,
      );
      tables[name] = {
        status: "ok",
        file,
        rows: Number(
          await db.value(
            `SELECT count(*) FROM ${quoteIdent(spec.schema, "duckdb")}.${
              quoteIdent(spec.table, "duckdb")
            }`,
          ),
        ),
        bytes: 0,
        seconds: 0,
        columns: [],
        absent_columns: spec.columns.filter((c) => !have.includes(c.name)).map((c) => c.name),
        zero_dates: {},
        message: null,
      };
    }
    await Deno.writeTextFile(
      join(tmp, `manifest.${date}.json`),
      JSON.stringify({
        site: profile,
        site_name: profile,
        date,
        as_of: asOf,
        as_of_source: "snapshot_meta",
        started_at: asOf,
        finished_at: asOf,
        db_uris: {},
        tables,
      }),
    );
    await Deno.remove(snapDir, { recursive: true }).catch(() => {});
    try {
      await Deno.rename(tmp, snapDir);
    } catch {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  }
  return { snapshot: await loadSnapshot(snapDir), dir };
}
