/**
 * Stage 02: snapshot -> spans, audit and invariants (DESIGN §2, §5, §7, §8).
 *
 * Order of the layers, each clamped to the one above it:
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
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { enumConstant, sqlLiteral } from "../db/duckdb.ts";
import { qualifiedName, REGISTRY } from "../registry.ts";
import type { SiteConfig } from "../config.ts";
import type { Snapshot } from "../fetch/manifest.ts";
import { atomicWrite, atomicWriteText } from "../fs.ts";
import { type Staged, stageSnapshot } from "./staging.ts";
import { createCollectors, screenSource, settleSource } from "./pieces.ts";
import { DEFAULT_RULES, type SpanContext, type SpanRules } from "./context.ts";
import { NOVA_HOSTS, novaHostCandidates } from "./nova_hosts.ts";
import { BLAZAR_HOSTS, blazarHostCandidates } from "./blazar_hosts.ts";
import { allocationCandidates, ALLOCATIONS } from "./allocations.ts";
import { instanceEvents } from "./instance_events.ts";
import { instanceCandidates, instanceReservations, INSTANCES } from "./instances.ts";
import { activeSpans } from "./active.ts";
import { MAINTENANCE, maintenanceCandidates } from "./maintenance.ts";
import { EVIDENCE_SOURCES, reservableEvidence, totalEvidence } from "./evidence.ts";
import { blazarNodeTypes, hostWindows } from "./node_types.ts";
import { POOL, poolUnknownSpans } from "./pool.ts";
import { checkInvariants, describeViolations, type Invariants } from "./invariants.ts";

/**
 * Drops intermediate tables once no later step reads them: DuckDB reuses their memory for the
 * next steps instead of growing (peak RSS), and fresh memory is slow to fault in
 * (docs/decisions/0008-stage-performance.md).
 */
async function drop(db: Duck, ...tables: (string | null)[]): Promise<void> {
  for (const t of tables) if (t) await db.run(`DROP TABLE IF EXISTS ${t}`);
}

/**
 * Runs two chains of statements at once (each on its own connection) and waits for both, so
 * that neither is still running when the caller goes on or closes a connection; the first
 * failure is thrown.
 */
async function sideBySide(...chains: (() => Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled(chains.map((chain) => chain()));
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

/** Options of {@linkcode buildSpans}. */
export interface BuildSpansOptions {
  /** Switch augmentation rules off (all on by default). */
  rules?: Partial<SpanRules>;
  /** Fail when an invariant is violated. @default {true} */
  failOnViolation?: boolean;
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

/** Microseconds of an ISO UTC timestamp without zone. */
export function isoToUs(iso: string): bigint {
  const ms = Date.parse(iso.endsWith("Z") ? iso : `${iso.replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) {
    throw new Error(`Cannot read timestamp "${iso}": expected YYYY-MM-DDTHH:MM:SS`);
  }
  return BigInt(ms) * 1000n;
}

/**
 * Builds the spans of a site's snapshot into the views `spans` and `audit` of `db` (over its
 * tables `span_pieces` and `audit_pieces`).
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
  site: Pick<SiteConfig, "key" | "blazarCoverageStart" | "maintenance">,
  options: BuildSpansOptions = {},
): Promise<SpansResult> {
  const rules = { ...DEFAULT_RULES, ...options.rules };
  const asOfUs = isoToUs(snapshot.asOf);
  const staged = await stageSnapshot(db, snapshot);
  const notes: string[] = [...snapshot.notes];
  const has = (t: string) => staged.present.has(t);
  const ctx: SpanContext = {
    db,
    site: site.key,
    asOfUs,
    blazarCoverageStart: site.blazarCoverageStart,
    maintenance: site.maintenance,
    rules,
    present: staged.present,
  };
  const requireWith = (primary: string, needs: string[]) => {
    if (!has(primary)) return;
    for (const t of needs) {
      if (!has(t)) {
        throw new Error(
          `Cannot build spans for "${primary}": required table "${t}" is missing from the snapshot in "${snapshot.inputDir}"`,
        );
      }
    }
  };
  requireWith(ALLOCATIONS, ["blazar.reservations", "blazar.leases", "blazar.computehosts"]);
  requireWith("nova.instance_actions_events", ["nova.instance_actions"]);

  await createCollectors(db, [...REGISTRY.map(qualifiedName), ...EVIDENCE_SOURCES, POOL]);
  // The candidates of the instances do not depend on those of the hosts, allocations and
  // maintenance windows: the two chains run side by side on two connections of the database
  // (each statement alone leaves part of the second core idle). Notes keep their order.
  using side = await db.connect();
  const sideCtx: SpanContext = { ...ctx, db: side };
  const hostNotes: string[] = [];
  const instanceNotes: string[] = [];
  let allocLive: string | null = null;
  let instLive: string | null = null;
  let maintenanceLive: string | null = null;
  // The instance chain waits for the reservations from the request specs, which the first chain
  // reads first (it is the shorter chain).
  const specs = Promise.withResolvers<void>();
  specs.promise.catch(() => {});
  await sideBySide(
    async () => {
      try {
        if (has(INSTANCES)) await instanceReservations(ctx);
        specs.resolve();
      } catch (e) {
        specs.reject(e);
        throw e;
      }
      await blazarNodeTypes(ctx);
      // 1. total
      if (has(NOVA_HOSTS)) {
        await novaHostCandidates(ctx);
        const live = await screenSource(db, {
          source: NOVA_HOSTS,
          candidates: "cand_nova_hosts",
          rows: "rows_nova_hosts",
          ...(rules.conflicts ? { dedupe: { order: ["s", "pid"] } } : {}),
        }, asOfUs);
        await drop(db, "cand_nova_hosts", "rows_nova_hosts");
        await settleSource(db, live);
        await drop(db, live);
      } else {
        hostNotes.push(
          `${NOVA_HOSTS} is absent: total comes only from evidence (allocations, instances)`,
        );
      }
      if (has(ALLOCATIONS)) {
        await allocationCandidates(ctx);
        allocLive = await screenSource(db, {
          source: ALLOCATIONS,
          candidates: "cand_allocations",
          rows: "rows_allocations",
        }, asOfUs);
        await drop(db, "cand_allocations", "rows_allocations");
      } else {
        hostNotes.push(
          `${ALLOCATIONS} is absent: no committed, idle or occupied_reservation series`,
        );
      }
      // 7. maintenance, its candidates (settled below, within the reservable windows)
      if (rules.maintenance && has(MAINTENANCE)) {
        await maintenanceCandidates(ctx);
        maintenanceLive = await screenSource(db, {
          source: MAINTENANCE,
          candidates: "cand_maintenance",
          rows: "rows_maintenance",
        }, asOfUs);
        await drop(db, "cand_maintenance", "rows_maintenance");
      }
    },
    async () => {
      await instanceEvents(sideCtx);
      if (!has(INSTANCES)) {
        instanceNotes.push(`${INSTANCES} is absent: no occupied or active series`);
        return;
      }
      if (!has("nova_api.request_specs")) {
        instanceNotes.push(
          "nova_api.request_specs is absent: no instance can be tied to a reservation; all are on-demand",
        );
      }
      if (!has("nova.instance_actions_events")) {
        instanceNotes.push(
          "nova.instance_actions_events is absent: ends and hosts come from instances alone; no active series",
        );
      }
      await specs.promise;
      await instanceCandidates(sideCtx);
      // Specs that are not JSON name no reservation: their instances count as on demand. Said,
      // so the occupied_ondemand series can be read with that in mind.
      const bad = await side.json<{ n: number; ids: string }>(
        "SELECT count(*)::INTEGER AS n, string_agg(row_id, ', ' ORDER BY row_id) FILTER (WHERE rn <= 5) AS ids FROM (SELECT row_id, row_number() OVER (ORDER BY row_id) AS rn FROM spec_problems)",
      );
      if (bad[0].n > 0) {
        instanceNotes.push(
          `nova_api.request_specs: ${bad[0].n} specs are not valid JSON (ids ${bad[0].ids}${
            bad[0].n > 5 ? ", ..." : ""
          }): their instances have no Blazar reservation and count as on demand`,
        );
      }
      await drop(side, "spec_problems");
      instLive = await screenSource(side, {
        source: INSTANCES,
        candidates: "cand_instances",
        rows: "rows_instances",
      }, asOfUs);
      await drop(side, "cand_instances", "rows_instances");
    },
  );
  notes.push(...hostNotes, ...instanceNotes);
  if (rules.evidence) {
    await db.run(
      "CREATE OR REPLACE TABLE empty_live AS SELECT NULL::VARCHAR AS hostname, 0::BIGINT AS s, 0::BIGINT AS e LIMIT 0",
    );
    await totalEvidence(ctx, allocLive ?? "empty_live", instLive ?? "empty_live");
    await drop(db, "empty_live");
  }
  // 2. host windows: node type and size
  await hostWindows(ctx);
  await db.run(
    "CREATE OR REPLACE TABLE win_total AS SELECT hostname AS parent_key, s, e FROM host_windows",
  );

  // 3. reservable
  if (has(BLAZAR_HOSTS)) {
    await blazarHostCandidates(ctx);
    const live = await screenSource(db, {
      source: BLAZAR_HOSTS,
      candidates: "cand_blazar_hosts",
      rows: "rows_blazar_hosts",
      ...(rules.conflicts ? { dedupe: { order: ["s", "pid"] } } : {}),
    }, asOfUs);
    await drop(db, "cand_blazar_hosts", "rows_blazar_hosts");
    await settleSource(db, live, { parents: "win_total", orphanDetail: "the host's Nova windows" });
    await drop(db, live);
  } else {
    notes.push(`${BLAZAR_HOSTS} is absent: pool membership is unknown (pool_unknown), not empty`);
  }
  if (rules.evidence && allocLive) await reservableEvidence(ctx, allocLive);
  await db.run(
    "CREATE OR REPLACE TABLE win_reservable AS SELECT hostname AS parent_key, s, e FROM span_pieces WHERE metric = 'reservable'",
  );

  // 4. committed
  if (allocLive) {
    await settleSource(db, allocLive, {
      parents: "win_reservable",
      orphanDetail: "the host's reservable windows",
    });
    await drop(db, allocLive);
  }
  // 5. occupied
  await db.run(`
    CREATE OR REPLACE TABLE win_occupancy AS
    SELECT 'res|' || entity_id || '|' || hostname AS parent_key, s, e FROM span_pieces WHERE metric = 'committed'
    UNION ALL SELECT 'host|' || parent_key, s, e FROM win_total`);
  if (instLive) {
    await settleSource(db, instLive, {
      parents: "win_occupancy",
      orphanDetail:
        "the reservation's committed windows on the host (or, on demand, the host's windows)",
    });
  }
  await drop(db, instLive, "win_occupancy", "win_total");
  // 6. active, side by side with 7. maintenance and 8. pool: each reads span pieces of metrics
  // the others do not write.
  const replay = rules.active && has(INSTANCES) && has("nova.instance_actions_events");
  let coverage: bigint | null = null;
  await sideBySide(
    async () => {
      if (replay) {
        await activeSpans(sideCtx);
        await drop(side, "inst_base", "inst_events");
      } else {
        await side.run(
          "CREATE OR REPLACE TABLE stopped_pieces AS SELECT NULL::VARCHAR AS row_id, 0::BIGINT AS s, 0::BIGINT AS e LIMIT 0",
        );
      }
    },
    async () => {
      if (maintenanceLive) {
        await db.run(
          "CREATE OR REPLACE TABLE win_committed_host AS SELECT hostname AS parent_key, s, e FROM span_pieces WHERE metric = 'committed'",
        );
        await settleSource(db, maintenanceLive, {
          parents: "win_reservable",
          orphanDetail: "the host's reservable windows",
          subtract: {
            windows: "win_committed_host",
            reason: "committed_overlap",
            detail: "a Blazar allocation held the host",
          },
        });
        await drop(db, maintenanceLive, "win_committed_host");
      }
      await drop(db, "win_reservable");
      if (rules.pool) coverage = await poolUnknownSpans(ctx);
    },
  );
  if (!replay && has(INSTANCES)) {
    notes.push("active spans skipped: no active_reservation or active_ondemand series");
  }
  if (!has(MAINTENANCE)) {
    notes.push(`${MAINTENANCE} is absent: no maintenance series (admittable = reservable)`);
  }

  const invariants = await checkInvariants(db, asOfUs, { partition: replay });
  await finalTables(db, site.key, asOfUs);
  if (!invariants.ok && (options.failOnViolation ?? true)) {
    throw new Error(describeViolations(invariants).split("\n")[0]);
  }
  return {
    site: site.key,
    asOf: snapshot.asOf,
    asOfUs,
    coverageStart: coverage === null
      ? null
      : new Date(Number(coverage / 1000n)).toISOString().slice(0, 19),
    invariants,
    staged,
    notes,
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

/**
 * Builds the outputs `spans` and `audit` (timestamps, host attributes) from the pieces, as views:
 * writeSpansOutputs sorts and writes each once, with no materialized copy of 0.5M and 0.8M wide
 * rows in between (`tacc`). `conflicts` is a table (a few rows).
 */
async function finalTables(db: Duck, site: string, asOfUs: bigint): Promise<void> {
  const asOf = `${asOfUs}::BIGINT`;
  // Small string domains leave as ENUMs (enumType()): sorted as their text, written as their
  // dictionaries, read back from parquet as VARCHAR.
  const siteCol = `${enumConstant(site)} AS site`;
  const instance = "p.metric LIKE 'occupied_%' OR p.metric LIKE 'active_%'";
  // The window holding each piece's start, looked up by host and year (about 365 days; a window
  // is listed once per year it touches): a host may have many windows (92 on average on tacc),
  // and by host alone every piece would meet all of them (a third slower).
  const YEAR = "31536000000000::BIGINT";
  const kvm = `(${instance}) AND w.hypervisor_type <> 'ironic' AND p.vcpus IS NOT NULL`;
  await db.run(`
    CREATE OR REPLACE VIEW spans AS
    SELECT ${siteCol}, p.source, p.metric, p.entity_id, p.row_id AS source_row_id,
      p.hostname AS hypervisor_hostname, coalesce(w.node_type, 'unknown') AS node_type,
      make_timestamp(p.s) AS start, CASE WHEN p.e >= ${asOf} THEN NULL ELSE make_timestamp(p.e) END AS "end",
      CASE WHEN ${kvm} THEN p.vcpus / nullif(w.vcpus, 0) ELSE coalesce(p.nodes, 1) END::DOUBLE AS nodes,
      CASE WHEN ${kvm} THEN p.vcpus ELSE w.vcpus END::DOUBLE AS vcpus,
      CASE WHEN ${kvm} THEN p.memory_mb ELSE w.memory_mb END::DOUBLE AS memory_mb,
      CASE WHEN ${kvm} THEN p.disk_gb ELSE w.disk_gb END::DOUBLE AS disk_gb
    FROM span_pieces p
    LEFT JOIN (SELECT *, unnest(range(s // ${YEAR}, (e - 1) // ${YEAR} + 1)) AS year FROM host_windows) w
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
