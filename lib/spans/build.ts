/**
 * Stage 02: snapshot -> spans, audit and invariants (docs/design.md §2, §5, §7, §8).
 *
 * Each span source is a plan (plan.ts; the list in plans.ts, each with its decision table in its
 * module). The layers, each clamped to the one above it, come out of the plans' dependencies:
 *
 * 1. `total`: Nova registrations (duplicates excluded), then evidence from KVM services,
 *    allocations and instances where Nova has no registration.
 * 2. host windows: node type and size per maximal `total` interval of a hostname.
 * 3. `reservable`: Blazar host records within `total` (duplicates excluded), then allocation
 *    evidence where Blazar has no record.
 * 4. `committed`: allocations within `reservable`.
 * 5. `occupied_reservation` within the committed windows of the instance's reservation on its
 *    host; `occupied_ondemand` within `total`.
 * 6. `active_*`: the running parts of occupied spans.
 * 7. `maintenance` within `reservable`, less what is committed.
 * 8. `pool_unknown`: existing, not known reservable, before the coverage start.
 *
 * Then the invariants are checked; a violation fails the run naming source, check and numbers.
 *
 * @module
 */
import { isoOfUs, utcUs } from "../time.ts";
import { sqlLiteral } from "../sql.ts";
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { enumConstant, enumType, memoryLimitBytes, sqlBigint } from "../db/duckdb.ts";
import { qualifiedName, REGISTRY } from "../registry.ts";
import type { SiteConfig } from "../config.ts";
import type { Snapshot } from "../fetch/manifest.ts";
import { atomicWrite, atomicWriteText } from "../fs.ts";
import { type Staged, stageSnapshot } from "./staging.ts";
import { createCollectors } from "./pieces.ts";
import { DEFAULT_RULES, type SpanContext, type SpanRules } from "./context.ts";
import { declaredReasons, type SpanPlan } from "./plan.ts";
import { SPAN_PLANS } from "./plans.ts";
import { chainsSideBySide, runSteps, screenAll } from "./runner.ts";
import { reportDuplicates } from "./duplicates.ts";
import { HOST_WINDOWS } from "./node_types.ts";
import { checkInvariants, describeViolations, type Invariants } from "./invariants.ts";

/** Options of {@linkcode buildSpans}. */
export interface BuildSpansOptions {
  /** Switch augmentation rules off (all on by default). */
  rules?: Partial<SpanRules>;
  /** Fail when an invariant is violated. @default {true} */
  failOnViolation?: boolean;
  /** The span sources (plans.ts `SPAN_PLANS` by default). */
  plans?: readonly SpanPlan[];
  /**
   * Run the two chains side by side (true) or one after the other (false). @default {runner.ts
   * `chainsSideBySide` of the snapshot's size and DuckDB's memory limit}
   */
  sideBySide?: boolean;
}

/** What {@linkcode buildSpans} did. */
export interface SpansResult {
  site: string;
  asOf: string;
  asOfUs: bigint;
  /** Coverage start of pool membership, ISO. */
  coverageStart: string | null;
  invariants: Invariants;
  staged: Staged;
  /** What was skipped and which series are therefore absent. */
  notes: string[];
}

/** Fails naming both tables when a plan's source table is present and a table it needs is not. */
function requireTables(plans: readonly SpanPlan[], present: Set<string>, inputDir: string): void {
  for (const p of plans) {
    const [primary, ...needs] = p.tables ?? [];
    if (primary === undefined || !present.has(primary)) continue;
    const missing = needs.find((t) => !present.has(t));
    if (missing !== undefined) {
      throw new Error(
        `Cannot build spans for "${primary}": required table "${missing}" is missing from the snapshot in "${inputDir}"`,
      );
    }
  }
}

/** Whether a plan runs, and the note said when it does not (or null). */
function planRuns(p: SpanPlan, ctx: SpanContext): { runs: boolean; note: string | null } {
  if (p.kind === "records") {
    if (!ctx.present.has(p.tables[0])) return { runs: false, note: p.absentNote ?? null };
    return { runs: p.enabled?.(ctx.rules) ?? true, note: null };
  }
  const runs = p.enabled?.(ctx.rules, ctx.present) ?? true;
  return { runs, note: runs ? null : p.skippedNote?.(ctx.rules, ctx.present) ?? null };
}

/** Fails when a records plan wrote an audit reason it does not declare. */
async function checkReasons(db: Duck, plans: readonly SpanPlan[]): Promise<void> {
  const found = await db.json<{ source: string; reason: string }>(
    "SELECT DISTINCT source::VARCHAR AS source, reason::VARCHAR AS reason FROM audit_pieces ORDER BY ALL",
  );
  for (const p of plans) {
    if (p.kind !== "records") continue;
    const declared: string[] = declaredReasons(p);
    const bad = found.find((f) => f.source === p.source && !declared.includes(f.reason));
    if (bad) {
      throw new Error(
        `Span source "${p.source}" wrote audit reason "${bad.reason}", which its plan does not declare (declared: ${
          declared.join(", ")
        })`,
      );
    }
  }
}

/**
 * Builds the spans of a site's snapshot into the views `spans` and `audit` of `db` (over its
 * tables `span_pieces` and `audit_pieces`): stages the snapshot, screens every source's rows
 * (two chains side by side, or one after the other when the snapshot is large for DuckDB's
 * memory limit: runner.ts `chainsSideBySide`), then runs the plans' steps in dependency order (plans.ts
 * `orderSteps`), building each layer's windows when a step first needs them, and checks the
 * invariants.
 *
 * @example
 * ```ts ignore
 * using db = await Duck.open();
 * const result = await buildSpans(db, await loadSnapshot(site.inputDir), site);
 * await writeSpansOutputs(db, result, site.outputDir);
 * ```
 */
export async function buildSpans(
  db: Duck,
  snapshot: Snapshot,
  site: Pick<
    SiteConfig,
    "key" | "blazarCoverageStart" | "maintenance" | "opsProjects" | "cpuAllocationRatio"
  >,
  options: BuildSpansOptions = {},
): Promise<SpansResult> {
  const asOfUs = utcUs(snapshot.asOf);
  const staged = await stageSnapshot(db, snapshot);
  const ctx: SpanContext = {
    db,
    site: site.key,
    asOfUs,
    blazarCoverageStart: site.blazarCoverageStart,
    maintenance: site.maintenance,
    opsProjects: site.opsProjects ?? [],
    rules: { ...DEFAULT_RULES, ...options.rules },
    present: staged.present,
  };
  const all = options.plans ?? SPAN_PLANS;
  requireTables(all, staged.present, snapshot.inputDir);
  const verdicts = all.map((p) => planRuns(p, ctx));
  const plans = all.filter((_, i) => verdicts[i].runs);
  const planNotes = new Map<SpanPlan, string[]>(all.map((p, i) => [p, [verdicts[i].note ?? ""]]));
  const sources = all.flatMap((p) => p.kind === "records" ? [p.source] : p.sources);
  await createCollectors(db, [...REGISTRY.map(qualifiedName), ...sources], {
    duplicateKeys: staged.duplicateKeys,
    operatorHolds: (site.opsProjects ?? []).length > 0,
  });
  const duplicateNotes = await reportDuplicates(db);

  // The two chains run side by side, each on its connection (one statement alone leaves part of
  // the second core idle), unless the snapshot is large for the memory limit (chainsSideBySide);
  // notes keep the plans' order.
  const inputBytes = (await Promise.all(Object.values(staged.files).map((f) => Deno.stat(f))))
    .reduce((sum, st) => sum + st.size, 0);
  const both = options.sideBySide ?? chainsSideBySide(inputBytes, await memoryLimitBytes(db));
  using second = both ? await db.connect() : null;
  const on = { hosts: ctx, instances: { ...ctx, db: second ?? db } };
  const live = await screenAll(plans, on, planNotes);
  const results = await runSteps(plans, on, live);
  await checkReasons(db, plans);
  const partition = results.some((r) => r.partition);
  if (!partition) {
    // What the partition check reads, empty: callers may run the check (checkInvariants) again.
    await db.run(
      "CREATE OR REPLACE TABLE stopped_pieces AS SELECT NULL::VARCHAR AS row_id, 0::BIGINT AS s, 0::BIGINT AS e LIMIT 0",
    );
  }
  const invariants = await checkInvariants(db, asOfUs, { partition });
  const kvmNotes = await finalTables(db, site.key, asOfUs, site.cpuAllocationRatio);
  if (!invariants.ok && (options.failOnViolation ?? true)) {
    throw new Error(describeViolations(invariants).split("\n")[0]);
  }
  const coverage = results.find((r) => r.coverageStart !== undefined)?.coverageStart ?? null;
  return {
    site: site.key,
    asOf: snapshot.asOf,
    asOfUs,
    coverageStart: coverage === null ? null : isoOfUs(coverage),
    invariants,
    staged,
    notes: [
      ...snapshot.notes,
      ...duplicateNotes,
      ...all.flatMap((p) => planNotes.get(p)!.filter((n) => n !== "")),
      ...kvmNotes,
    ],
  };
}

/**
 * The order of the rows of `spans.parquet`, `audit.parquet` and `conflicts.parquet`. Each is
 * total: the trailing columns only break ties that the leading ones leave (none on the demo or
 * `tacc`), so the files are the same from run to run although DuckDB may reorder rows between
 * the steps (`preserve_insertion_order = false`).
 */
const OUTPUT_ORDER = {
  spans: `metric, source, hypervisor_hostname, start, source_row_id, "end", entity_id`,
  audit: `source, reason, source_row_id, start, "end", hypervisor_hostname, detail`,
  conflicts:
    `kind, source, hypervisor_hostname, start, source_row_id, "end", kept_row_id, node_types`,
} as const;

/** Nova's default CPU overcommit of KVM hosts (docs/design.md §11). */
export const KVM_CPU_ALLOCATION_RATIO = 16.0;

/**
 * Builds the outputs `spans` and `audit` (timestamps, host attributes) from the pieces, as views:
 * writeSpansOutputs sorts and writes each once, with no materialized copy of 0.5M and 0.8M wide
 * rows in between (`tacc`). `conflicts` is a table (a few rows).
 *
 * Sizes (docs/design.md §11, docs/decisions/0014-kvm-fractions.md):
 *
 * | span | nodes | vcpus, memory_mb, disk_gb | vcpus_overcommit | host_vcpus |
 * |---|---|---|---|---|
 * | a share of a KVM host: an instance, or a flavor slot, on a non-Ironic host with a size | its vCPUs / the host's | its own | its vCPUs | the host's vCPUs |
 * | anything else (a whole host) | the piece's (1) | the host's | host vCPUs x its ratio | NULL |
 *
 * The ratio is the host's `cpu_allocation_ratio`; NULL or 0: the site's `cpu_allocation_ratio`,
 * else 16.0 on KVM hosts; always 1.0 on Ironic hosts. `vcpus_overcommit` is NULL on every span of
 * a site with no KVM host (a bare-metal ledger has no such resource). Returns the notes: how many
 * KVM hosts took the default ratio.
 */
async function finalTables(
  db: Duck,
  site: string,
  asOfUs: bigint,
  siteRatio: number | undefined,
): Promise<string[]> {
  const asOf = sqlBigint(asOfUs);
  // Small string domains leave as ENUMs (enumType()): sorted as their text, written as their
  // dictionaries, read back from parquet as VARCHAR.
  const siteCol = `${enumConstant(site)} AS site`;
  const instance = "p.metric LIKE 'occupied_%' OR p.metric LIKE 'active_%'";
  // The window holding each piece's start, looked up by host and year (about 365 days; a window
  // is listed once per year it touches): a host may have many windows (92 on average on tacc),
  // and by host alone every piece would meet all of them (a third slower).
  const YEAR = "31536000000000::BIGINT";
  const kvm =
    `(${instance} OR p.metric = 'committed') AND w.hypervisor_type <> 'ironic' AND p.vcpus IS NOT NULL`;
  const [kinds] = await db.json<{ kvm_hosts: number; defaulted: number }>(`
    SELECT count(DISTINCT hostname) FILTER (WHERE hypervisor_type <> 'ironic')::INTEGER AS kvm_hosts,
      count(DISTINCT hostname) FILTER (WHERE hypervisor_type <> 'ironic' AND coalesce(cpu_allocation_ratio, 0) <= 0)::INTEGER AS defaulted
    FROM ${HOST_WINDOWS.name}`);
  // Host names as an ENUM (in byte order, so they sort as their text): writing spans.parquet
  // sorts by host name among its leading columns.
  const [names] = await db.json<{ hosts: string[] | null }>(
    "SELECT list(DISTINCT hostname) FILTER (WHERE hostname IS NOT NULL) AS hosts FROM span_pieces",
  );
  const hostType = enumType(names.hosts ?? []);
  const fallback = siteRatio ?? KVM_CPU_ALLOCATION_RATIO;
  const ratio = `CASE WHEN w.hypervisor_type = 'ironic' THEN 1.0
    WHEN coalesce(w.cpu_allocation_ratio, 0) > 0 THEN w.cpu_allocation_ratio ELSE ${fallback}::DOUBLE END`;
  const overcommit = kinds.kvm_hosts > 0
    ? `CASE WHEN ${kvm} THEN p.vcpus ELSE w.vcpus * ${ratio} END`
    : "NULL";
  await db.run(`
    CREATE OR REPLACE VIEW spans AS
    SELECT ${siteCol}, p.source, p.metric, p.entity_id, p.row_id AS source_row_id,
      CAST(p.hostname AS ${hostType}) AS hypervisor_hostname, coalesce(w.node_type, 'unknown') AS node_type,
      make_timestamp(p.s) AS start, CASE WHEN p.e >= ${asOf} THEN NULL ELSE make_timestamp(p.e) END AS "end",
      CASE WHEN ${kvm} THEN p.vcpus / nullif(w.vcpus, 0) ELSE coalesce(p.nodes, 1) END::DOUBLE AS nodes,
      CASE WHEN ${kvm} THEN p.vcpus ELSE w.vcpus END::DOUBLE AS vcpus,
      CASE WHEN ${kvm} THEN p.memory_mb ELSE w.memory_mb END::DOUBLE AS memory_mb,
      CASE WHEN ${kvm} THEN p.disk_gb ELSE w.disk_gb END::DOUBLE AS disk_gb,
      (${overcommit})::DOUBLE AS vcpus_overcommit,
      CASE WHEN ${kvm} THEN w.vcpus END::DOUBLE AS host_vcpus,
      coalesce(p.project_id, 'unknown') AS project_id,
      coalesce(p.devices, 0)::DOUBLE AS devices
    FROM span_pieces p
    LEFT JOIN (SELECT *, unnest(range(s // ${YEAR}, (e - 1) // ${YEAR} + 1)) AS year FROM ${HOST_WINDOWS.name}) w
      ON w.hostname = p.hostname AND w.year = p.s // ${YEAR} AND w.s <= p.s AND p.s < w.e`);
  await db.run(`
    CREATE OR REPLACE TABLE conflicts AS
    SELECT 'duplicate_record' AS kind, source, hostname AS hypervisor_hostname, row_id AS source_row_id,
      regexp_extract(detail, 'covered by row (.*)', 1) AS kept_row_id, NULL AS node_types,
      make_timestamp(s) AS start, make_timestamp(e) AS "end", (us / 1e6)::DOUBLE AS seconds
    FROM audit_pieces WHERE reason = 'duplicate_conflict'
    UNION ALL
    SELECT 'node_type', 'blazar.computehost_extra_capabilities', hostname, NULL, NULL, array_to_string(node_types, ', '),
      make_timestamp(s), CASE WHEN e >= ${asOf} THEN NULL ELSE make_timestamp(e) END, ((e - s) / 1e6)::DOUBLE
    FROM node_type_conflicts`);
  await db.run(`
    CREATE OR REPLACE VIEW audit AS
    SELECT ${siteCol}, source, row_id AS source_row_id, reason,
      make_timestamp(s) AS start, make_timestamp(e) AS "end", (us / 1e6)::DOUBLE AS seconds,
      hostname AS hypervisor_hostname, detail
    FROM audit_pieces`);
  return kinds.defaulted === 0 ? [] : [
    `nova.compute_nodes: ${kinds.defaulted} of ${kinds.kvm_hosts} KVM hosts have no cpu_allocation_ratio (NULL or 0): their vcpus_overcommit uses ${fallback} (${
      siteRatio === undefined ? "Nova's KVM default" : "the site's cpu_allocation_ratio"
    })`,
  ];
}

/**
 * Drops the tables only the invariants read (`input_rows`, one row per source row, and
 * `stopped_pieces`), once they are checked: writing the outputs sorts the spans and the audit,
 * and on 10x `tacc` the 10M input rows beside those sorts were memory DuckDB had to spill.
 * {@linkcode buildSpans}' callers that run `checkInvariants` again must do so before.
 *
 * @example
 * ```ts ignore
 * const result = await buildSpans(db, snapshot, site);
 * await dropCheckTables(db);
 * await writeSpansOutputs(db, result, site.outputDir);
 * ```
 */
export async function dropCheckTables(db: Duck): Promise<void> {
  await db.run("DROP TABLE IF EXISTS input_rows; DROP TABLE IF EXISTS stopped_pieces");
}

/**
 * Writes `spans.parquet`, `audit.parquet`, `conflicts.parquet` (duplicate records and node-type
 * conflicts, the rows involved and what was kept) and `spans_checks.json`, each atomically.
 *
 * @example
 * ```ts ignore
 * await writeSpansOutputs(db, result, "output/demo");
 * ```
 */
export async function writeSpansOutputs(
  db: Duck,
  result: SpansResult,
  outputDir: string,
): Promise<void> {
  await Deno.mkdir(outputDir, { recursive: true });
  for (const table of ["spans", "audit", "conflicts"] as const) {
    const order = ` ORDER BY ${OUTPUT_ORDER[table]}`;
    await atomicWrite(join(outputDir, `${table}.parquet`), async (tmp) => {
      await db.run(
        `COPY (SELECT * FROM ${table}${order}) TO ${
          sqlLiteral(tmp)
        } (FORMAT parquet, COMPRESSION zstd)`,
      );
    });
  }
  const doc = {
    ok: result.invariants.ok,
    site: result.site,
    as_of: result.asOf,
    checks: result.invariants.checks,
  };
  // Stage 02's own checks; the run combines them with stage 03's into invariants.json.
  await atomicWriteText(join(outputDir, "spans_checks.json"), JSON.stringify(doc, null, 2) + "\n");
}
