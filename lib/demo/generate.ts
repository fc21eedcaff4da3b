/**
 * The demo site generator: a seeded, deterministic OpenStack-shaped source database (an embedded
 * DuckDB file) with its ground truth beside it.
 *
 * Files written into `outDir`:
 * - `source.duckdb`: schemas `nova`, `nova_api`, `blazar`, `chameleon_usage` with the registry's
 *   tables, plus `main.snapshot_meta` (the snapshot's `as_of`, read by the fetch stage);
 * - `ground_truth.json`: profile, seed, scale, cutoffs, row counts, every injected defect with its
 *   table, row id and expected audit reason, and the cells MySQL holds as zero dates;
 * - `ground_truth_hours.parquet`: true resource-hours per month, node type, state and resource;
 * - `ground_truth_project_hours.parquet`: the same per project for `committed`,
 *   `occupied_reservation` and `occupied_ondemand` (non-zero rows only).
 *
 * Every file is written to a temporary name and renamed, so a reader never sees half a file.
 *
 * @module
 */
import { join } from "node:path";
import { Duck } from "../db/duckdb.ts";
import { sqlIdent, sqlLiteral } from "../sql.ts";
import { type Profile, profileByName } from "./profiles.ts";
import { qualifiedName, REGISTRY } from "../registry.ts";
import { DuckDBSink, type Omissions } from "./duckdb_sink.ts";
import { type Defect, generateWorld, type ZeroDate } from "./world.ts";

/** Options of {@linkcode generateDemoSite}. */
export interface GenerateOptions {
  /** `small`, `demo`, `tacc`, `kvm` or `edge`. @default {"demo"} */
  profile?: string;
  /** Multiplier of hosts, leases and instances. @default {1} */
  scale?: number;
  /** Seed; the profile's when unset. */
  seed?: number;
  /** Schema era of Blazar's capability tables. @default {"property"} */
  blazarEra?: "name" | "fork" | "property";
  /** Also write the ground-truth hours (skipped for benchmarks). @default {true} */
  truth?: boolean;
}

/** What {@linkcode generateDemoSite} wrote. */
export interface GroundTruth {
  profile: string;
  seed: number;
  scale: number;
  blazar_era: string;
  start: string;
  as_of: string;
  nova_cutoff: string;
  blazar_cutoff: string;
  counts: Record<string, number>;
  defects: Defect[];
  zero_dates: ZeroDate[];
}

/** Columns absent at a site of each Blazar era (and nova's 2023.2 column, absent in Train). */
export function eraLayout(era: "name" | "fork" | "property"): {
  omit: Omissions;
  skipTables: string[];
} {
  const keys = { name: "capability_name", fork: "capability_id", property: "property_id" };
  const omitCaps = Object.entries(keys).filter(([e]) => e !== era).map(([, c]) => c);
  return {
    omit: {
      "blazar.computehost_extra_capabilities": omitCaps,
      "nova.instances": ["compute_id"],
    },
    skipTables: era === "name"
      ? ["blazar.extra_capabilities", "blazar.resource_properties"]
      : era === "fork"
      ? ["blazar.resource_properties"]
      : ["blazar.extra_capabilities"],
  };
}

/** The tables an Edge site writes: its leases, the device tables and Zun's. */
export const EDGE_TABLES: readonly string[] = [
  "blazar.leases",
  "blazar.reservations",
  "blazar.resource_properties",
  ...REGISTRY.filter((t) => t.schema === "zun" || t.table.startsWith("device")).map(
    qualifiedName,
  ),
];

/**
 * The tables a profile's site lacks: a bare-metal site has no device or Zun table, an Edge site
 * only {@linkcode EDGE_TABLES}.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { absentTables } from "./generate.ts";
 * import { profileByName } from "./profiles.ts";
 * ok(absentTables(profileByName("demo")).includes("zun.container"));
 * ok(absentTables(profileByName("edge")).includes("nova.instances"));
 * ```
 */
export function absentTables(profile: Profile): string[] {
  const edge = new Set(EDGE_TABLES);
  return REGISTRY.map(qualifiedName).filter((t) =>
    profile.edge ? !edge.has(t) : edge.has(t) && !t.startsWith("blazar.leases") &&
      t !== "blazar.reservations" && t !== "blazar.resource_properties"
  );
}

/**
 * A digest of a generated source database's content: every table, rows ordered by key, as
 * canonical CSV, hashed with SHA-256. DuckDB's file format salts each new file, so two runs with
 * the same seed give the same content (and the same digest) but not the same file bytes.
 *
 * @example
 * ```ts ignore
 * const digest = await contentDigest("var/demo/source.duckdb");
 * ```
 */
export async function contentDigest(dbPath: string): Promise<Record<string, string>> {
  using db = await Duck.open(dbPath, { access_mode: "READ_ONLY", threads: "1" });
  const tables = await db.rows<{ schema_name: string; table_name: string }>(
    "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL",
  );
  const out: Record<string, string> = {};
  for (const t of tables) {
    const name = `${sqlIdent(t.schema_name, "duckdb")}.${sqlIdent(t.table_name, "duckdb")}`;
    const tmp = await Deno.makeTempFile({ suffix: ".csv" });
    try {
      await db.run(
        `COPY (SELECT * FROM ${name} ORDER BY ALL) TO ${sqlLiteral(tmp)} (HEADER, DELIMITER ',')`,
      );
      const bytes = await Deno.readFile(tmp);
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      out[`${t.schema_name}.${t.table_name}`] = [...hash].map((b) =>
        b.toString(16).padStart(2, "0")
      ).join("");
    } finally {
      await Deno.remove(tmp);
    }
  }
  return out;
}

/** Writes truth rows as `<name>.parquet` (leading columns `lead`, then the truth's own), sorted. */
async function writeTruthRows(
  outDir: string,
  name: string,
  rows: readonly object[],
  lead: readonly string[],
): Promise<void> {
  const tmpJson = join(outDir, `${name}.json.tmp`);
  await Deno.writeTextFile(tmpJson, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const parquet = join(outDir, `${name}.parquet`);
  // A KVM world's nodes are node units (truth.ts): its file says how many make a node.
  const units = rows.some((r) => (r as { units?: number }).units !== undefined);
  const types = [...lead.map((c) => `${c}: 'VARCHAR'`), "month: 'VARCHAR'", "node_type: 'VARCHAR'"]
    .concat(["metric: 'VARCHAR'", "resource: 'VARCHAR'", "seconds: 'BIGINT'", "hours: 'DOUBLE'"])
    .concat(units ? ["units: 'BIGINT'"] : []);
  {
    using db = await Duck.open(":memory:", { threads: "1" });
    await db.run(
      `COPY (SELECT ${
        lead.map((c) => `${sqlIdent(c)}, `).join("")
      }month, node_type, metric, resource,
           seconds::BIGINT AS seconds, hours::DOUBLE AS hours${
        units ? ", units::BIGINT AS units" : ""
      }
         FROM read_json(${sqlLiteral(tmpJson)}, format = 'newline_delimited', columns = {${
        types.join(", ")
      }})
         ORDER BY ALL) TO ${sqlLiteral(`${parquet}.tmp`)} (FORMAT parquet)`,
    );
  }
  await Deno.rename(`${parquet}.tmp`, parquet);
  await Deno.remove(tmpJson);
}

/**
 * Generates a demo site into a directory.
 *
 * @example
 * ```ts ignore
 * const truth = await generateDemoSite("var/demo", { profile: "demo" });
 * console.log(truth.counts["nova.instances"]);
 * ```
 */
export async function generateDemoSite(
  outDir: string,
  options: GenerateOptions = {},
): Promise<GroundTruth> {
  const profile = profileByName(options.profile ?? "demo");
  const scale = options.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new Error(`Cannot generate a demo site: expected a positive scale, found ${scale}`);
  }
  const seed = options.seed ?? profile.seed;
  const era = options.blazarEra ?? "property";
  await Deno.mkdir(outDir, { recursive: true });
  const dbPath = join(outDir, "source.duckdb");
  const tmpDb = `${dbPath}.tmp`;
  await Deno.remove(tmpDb).catch(() => {});
  await Deno.remove(`${tmpDb}.wal`).catch(() => {});
  const layout = eraLayout(era);
  const skipTables = profile.edge
    ? absentTables(profile)
    : [...new Set([...layout.skipTables, ...absentTables(profile)])];
  // A KVM site (KVM@TACC) has no legacy reporting database.
  if (profile.kind === "kvm") {
    skipTables.push(
      ...REGISTRY.filter((t) => t.schema === "chameleon_usage").map(qualifiedName),
    );
  }
  const sink = await DuckDBSink.create(tmpDb, { ...layout, skipTables });
  await sink.prepare();
  let world;
  try {
    world = generateWorld(profile, sink, { scale, seed, blazarEra: era });
  } catch (e) {
    await sink.finish().catch(() => {});
    await Deno.remove(tmpDb).catch(() => {});
    throw e;
  }
  await sink.db.run(
    "CREATE TABLE main.snapshot_meta (as_of TIMESTAMP NOT NULL, profile VARCHAR, seed INTEGER, scale DOUBLE, blazar_era VARCHAR)",
  );
  await sink.db.run("INSERT INTO main.snapshot_meta VALUES ($1::TIMESTAMP, $2, $3, $4, $5)", [
    profile.asOf.replace("T", " "),
    profile.name,
    seed,
    scale,
    era,
  ]);
  await sink.finish(world.patches);
  await Deno.rename(tmpDb, dbPath);

  const truth: GroundTruth = {
    profile: profile.name,
    seed,
    scale,
    blazar_era: era,
    start: profile.start,
    as_of: profile.asOf,
    nova_cutoff: profile.novaCutoff,
    blazar_cutoff: profile.blazarCutoff,
    counts: Object.fromEntries(Object.entries(world.counts).sort(([a], [b]) => a.localeCompare(b))),
    defects: world.defects,
    zero_dates: world.zeroDates,
  };
  if (options.truth ?? true) {
    await writeTruthRows(outDir, "ground_truth_hours", world.truth.rows(), []);
    await writeTruthRows(outDir, "ground_truth_project_hours", world.projectTruth.rows(), [
      "project_id",
    ]);
  }
  const jsonPath = join(outDir, "ground_truth.json");
  await Deno.writeTextFile(`${jsonPath}.tmp`, JSON.stringify(truth, null, 1) + "\n");
  await Deno.rename(`${jsonPath}.tmp`, jsonPath);
  return truth;
}
