/**
 * Evidence rules (DESIGN §7): a lower layer fills a gap in an upper one, as spans with their own
 * source so their hours are reported apart. Nothing here changes a source row's accounting.
 *
 * | evidence | fills | source of the new spans |
 * |---|---|---|
 * | a Blazar allocation held the host | `total` where Nova has no registration | `evidence.allocation` |
 * | an instance ran on the host | `total` where neither Nova nor an allocation says so | `evidence.instance` |
 * | a Blazar allocation held the host | `reservable` where Blazar has no host record | `evidence.allocation` |
 * | a non-Ironic nova-compute service whose host is a hypervisor (KVM: one service per hypervisor) | `total` where Nova has no registration | `nova.services` |
 *
 * Ironic services serve many nodes each, so they prove no particular node existed
 * (docs/decisions/0002-host-spine.md).
 *
 * @module
 */
import { mergeWindows, splitByWindows } from "../math/windows.ts";
import type { SpanContext } from "./context.ts";

/** Source of the spans an allocation proves (`total` and `reservable`). */
export const EVIDENCE_ALLOCATION = "evidence.allocation";
/** Source of the spans an instance proves (`total`). */
export const EVIDENCE_INSTANCE = "evidence.instance";
/** Sources of evidence spans (DESIGN §7): their hours are reported apart from their layer's. */
export const EVIDENCE_SOURCES = [EVIDENCE_ALLOCATION, EVIDENCE_INSTANCE] as const;

async function addGapSpans(
  ctx: SpanContext,
  options: { intervals: string; covered: string; source: string; metric: string },
): Promise<void> {
  const db = ctx.db;
  await mergeWindows(db, { input: options.intervals, output: "ev_merged", key: "hostname" });
  await db.run(
    `CREATE OR REPLACE TABLE ev_kids AS SELECT row_number() OVER () AS pid, hostname, s, e FROM ev_merged`,
  );
  await db.run(
    `CREATE OR REPLACE TABLE ev_cover AS SELECT hostname, s, e FROM ${options.covered}`,
  );
  await splitByWindows(db, {
    children: "ev_kids",
    windows: "ev_cover",
    key: "hostname",
    inside: "ev_in",
    outside: "ev_out",
  });
  await db.run(`
    INSERT INTO span_pieces
    SELECT '${options.source}', '${options.metric}', 'evidence:' || k.hostname || ':' || o.s, k.hostname,
      k.hostname, o.s, o.e, 1, NULL, NULL, NULL
    FROM ev_out o JOIN ev_kids k USING (pid)`);
  await db.run(
    `DROP TABLE ev_merged; DROP TABLE ev_kids; DROP TABLE ev_cover; DROP TABLE ev_in; DROP TABLE ev_out`,
  );
}

/**
 * Adds `total` evidence from services (KVM), allocations and instances, given the live
 * (screened, not yet clamped) allocation and instance pieces.
 */
export async function totalEvidence(
  ctx: SpanContext,
  allocLive: string,
  instLive: string,
): Promise<void> {
  const db = ctx.db;
  const asOf = `${ctx.asOfUs}::BIGINT`;
  await db.run(`
    CREATE OR REPLACE TABLE ev_services AS
    SELECT trim(s.host) AS hostname, epoch_us(s.created_at) AS s,
      least(coalesce(epoch_us(s.deleted_at), ${asOf}), ${asOf}) AS e
    FROM stg_nova_services s
    WHERE s."binary" = 'nova-compute' AND s.created_at IS NOT NULL
      AND trim(s.host) IN (SELECT trim(hypervisor_hostname) FROM stg_nova_compute_nodes
                           WHERE lower(hypervisor_type) <> 'ironic')`);
  await db.run(
    `CREATE OR REPLACE TABLE ev_have AS SELECT hostname, s, e FROM span_pieces WHERE metric = 'total'`,
  );
  await addGapSpans(ctx, {
    intervals: "ev_services",
    covered: "ev_have",
    source: "nova.services",
    metric: "total",
  });
  await db.run(
    `CREATE OR REPLACE TABLE ev_alloc AS SELECT hostname, s, e FROM ${allocLive} WHERE hostname IS NOT NULL`,
  );
  await db.run(
    `CREATE OR REPLACE TABLE ev_have AS SELECT hostname, s, e FROM span_pieces WHERE metric = 'total'`,
  );
  await addGapSpans(ctx, {
    intervals: "ev_alloc",
    covered: "ev_have",
    source: EVIDENCE_ALLOCATION,
    metric: "total",
  });
  await db.run(
    `CREATE OR REPLACE TABLE ev_inst AS SELECT hostname, s, e FROM ${instLive} WHERE hostname IS NOT NULL`,
  );
  await db.run(
    `CREATE OR REPLACE TABLE ev_have AS SELECT hostname, s, e FROM span_pieces WHERE metric = 'total'`,
  );
  await addGapSpans(ctx, {
    intervals: "ev_inst",
    covered: "ev_have",
    source: EVIDENCE_INSTANCE,
    metric: "total",
  });
  await db.run(`DROP TABLE ev_have; DROP TABLE ev_services; DROP TABLE ev_inst`);
}

/** Adds `reservable` evidence from allocations (needs `ev_alloc` from {@linkcode totalEvidence}). */
export async function reservableEvidence(ctx: SpanContext, allocLive: string): Promise<void> {
  const db = ctx.db;
  await db.run(
    `CREATE OR REPLACE TABLE ev_alloc AS SELECT hostname, s, e FROM ${allocLive} WHERE hostname IS NOT NULL`,
  );
  await db.run(
    `CREATE OR REPLACE TABLE ev_have AS SELECT hostname, s, e FROM span_pieces WHERE metric = 'reservable'`,
  );
  await addGapSpans(ctx, {
    intervals: "ev_alloc",
    covered: "ev_have",
    source: EVIDENCE_ALLOCATION,
    metric: "reservable",
  });
  await db.run(`DROP TABLE ev_have; DROP TABLE ev_alloc`);
}
