/**
 * Evidence rules (docs/design.md §7): a lower layer fills a gap in an upper one, as spans with their own
 * source so their hours are reported apart. Nothing here changes a source row's accounting.
 *
 * | evidence | fills | source of the new spans |
 * |---|---|---|
 * | a Blazar allocation held the host | `total` where Nova has no registration | `evidence.allocation` |
 * | an instance ran on the host | `total` where neither Nova nor an allocation says so | `evidence.instance` |
 * | a Blazar allocation held the host | `reservable` where Blazar has no host record | `evidence.allocation` |
 * | a non-Ironic nova-compute service whose host is a hypervisor (KVM: one service per hypervisor) | `total` where Nova has no registration | `nova.services` |
 * | any of these, from the hostname's earliest record of the layer on (Nova registration for `total`, Blazar host record for `reservable`) | nothing: an explicit end is a fact (between a record's `deleted_at` and the next record, after the last one's: a known absence) | - |
 *
 * Evidence fills only where no record speaks: before a hostname's earliest record (purged
 * history) or for a hostname with no record at all. So an allocation that outlives its Blazar
 * host record, or an instance that outlives its host, is `clipped` there (docs/design.md §7).
 *
 * Ironic services serve many nodes each, so they prove no particular node existed
 * (docs/decisions/0002-host-spine.md).
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import { sqlBigint } from "../db/duckdb.ts";
import { mergeWindows, splitByWindows } from "../math/windows.ts";
import type { SpanContext } from "./context.ts";
import { type DerivedPlan, type Metric, type TableHandle, tableHandle } from "./plan.ts";
import { ALLOCATIONS } from "./allocations.ts";
import { INSTANCES } from "./instances.ts";

/** Source of the spans an allocation proves (`total` and `reservable`). */
export const EVIDENCE_ALLOCATION = "evidence.allocation";
/** Source of the spans an instance proves (`total`). */
export const EVIDENCE_INSTANCE = "evidence.instance";
/** Source of the spans a KVM nova-compute service proves (`total`). */
export const EVIDENCE_SERVICE = "nova.services";
/** Sources of evidence spans (docs/design.md §7): their hours are reported apart from their layer's. */
export const EVIDENCE_SOURCES = [EVIDENCE_ALLOCATION, EVIDENCE_INSTANCE] as const;

/** The host records that speak for each metric evidence fills: their table's staging view. */
const RECORDS: Partial<Record<Metric, string>> = {
  total: "stg_nova_compute_nodes",
  reservable: "stg_blazar_computehosts",
};

/**
 * SQL: per hostname with a record of the metric (a start and a host name), the time from its
 * earliest record's start to `as_of`. There every record's end is a fact: covered by a record, or
 * a known absence between one record's `deleted_at` and the next record, or after the last one's.
 */
function spokenFor(ctx: SpanContext, metric: Metric): string {
  const asOf = sqlBigint(ctx.asOfUs);
  return `
    SELECT hypervisor_hostname AS hostname, min(epoch_us(created_at)) AS s, ${asOf} AS e
    FROM ${RECORDS[metric]}
    WHERE hypervisor_hostname IS NOT NULL AND created_at IS NOT NULL
    GROUP BY ALL HAVING min(epoch_us(created_at)) < ${asOf}`;
}

/**
 * Writes spans of `metric` (source `source`) where the merged `intervals` of a hostname are not
 * covered by its existing pieces of that metric and no record speaks (before the hostname's
 * earliest record, or for a hostname with no record at all).
 */
async function addGapSpans(
  ctx: SpanContext,
  options: { intervals: TableHandle<"intervals">; source: string; metric: Metric },
): Promise<void> {
  const db = ctx.db;
  await mergeWindows(db, { input: options.intervals.name, output: "ev_merged", key: "hostname" });
  await db.run(
    `CREATE OR REPLACE TABLE ev_kids AS SELECT row_number() OVER () AS pid, hostname, s, e FROM ev_merged`,
  );
  await db.run(`
    CREATE OR REPLACE TABLE ev_cover AS
    SELECT hostname, s, e FROM span_pieces WHERE metric = ${sqlLiteral(options.metric)}
    UNION ALL ${spokenFor(ctx, options.metric)}`);
  await splitByWindows(db, {
    children: "ev_kids",
    windows: "ev_cover",
    key: "hostname",
    inside: "ev_in",
    outside: "ev_out",
  });
  await db.run(`
    INSERT INTO span_pieces BY NAME
    SELECT ${sqlLiteral(options.source)} AS source, ${sqlLiteral(options.metric)} AS metric,
      'evidence:' || k.hostname || ':' || o.s AS row_id, k.hostname AS entity_id, k.hostname,
      o.s, o.e, 1 AS nodes
    FROM ev_out o JOIN ev_kids k USING (pid)`);
  await db.run(
    `DROP TABLE ev_merged; DROP TABLE ev_kids; DROP TABLE ev_cover; DROP TABLE ev_in; DROP TABLE ev_out; DROP TABLE ${options.intervals.name}`,
  );
}

/** The intervals of the screened (not yet clamped) pieces of a source that name a host. */
async function hostIntervals(
  ctx: SpanContext,
  live: TableHandle<"live">,
): Promise<TableHandle<"intervals">> {
  const t = tableHandle("intervals", "ev_intervals");
  await ctx.db.run(
    `CREATE OR REPLACE TABLE ${t.name} AS SELECT hostname, s, e FROM ${live.name} WHERE hostname IS NOT NULL`,
  );
  return t;
}

/** Non-Ironic nova-compute services whose host is a hypervisor, as intervals. */
async function serviceIntervals(ctx: SpanContext): Promise<TableHandle<"intervals">> {
  const t = tableHandle("intervals", "ev_intervals");
  const asOf = sqlBigint(ctx.asOfUs);
  await ctx.db.run(`
    CREATE OR REPLACE TABLE ${t.name} AS
    SELECT s.host AS hostname, epoch_us(s.created_at) AS s,
      least(coalesce(epoch_us(s.deleted_at), ${asOf}), ${asOf}) AS e
    FROM stg_nova_services s
    WHERE s."binary" = 'nova-compute' AND s.created_at IS NOT NULL
      AND s.host IN (SELECT hypervisor_hostname FROM stg_nova_compute_nodes
                     WHERE lower(hypervisor_type) <> 'ironic')`);
  return t;
}

/**
 * The evidence plan (decision table above): four gap fills, in this order, each after the
 * records that write its metric (Nova hosts before the `total` fills, Blazar hosts before the
 * `reservable` one).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { EVIDENCE_PLAN } from "./evidence.ts";
 * equal(EVIDENCE_PLAN.steps.length, 4);
 * ```
 */
export const EVIDENCE_PLAN: DerivedPlan = {
  kind: "derived",
  sources: [EVIDENCE_SERVICE, EVIDENCE_ALLOCATION, EVIDENCE_INSTANCE],
  enabled: (rules) => rules.evidence,
  chain: "hosts",
  resources: ["nodes"],
  steps: [
    {
      reads: ["total"],
      writes: ["total"],
      run: async (ctx) =>
        await addGapSpans(ctx, {
          intervals: await serviceIntervals(ctx),
          source: EVIDENCE_SERVICE,
          metric: "total",
        }),
    },
    {
      reads: ["total"],
      writes: ["total"],
      uses: [ALLOCATIONS],
      run: async (ctx, inputs) =>
        await addGapSpans(ctx, {
          intervals: await hostIntervals(ctx, inputs.live(ALLOCATIONS)),
          source: EVIDENCE_ALLOCATION,
          metric: "total",
        }),
    },
    {
      reads: ["total"],
      writes: ["total"],
      uses: [INSTANCES],
      run: async (ctx, inputs) =>
        await addGapSpans(ctx, {
          intervals: await hostIntervals(ctx, inputs.live(INSTANCES)),
          source: EVIDENCE_INSTANCE,
          metric: "total",
        }),
    },
    {
      reads: ["reservable"],
      writes: ["reservable"],
      uses: [ALLOCATIONS],
      run: async (ctx, inputs) =>
        await addGapSpans(ctx, {
          intervals: await hostIntervals(ctx, inputs.live(ALLOCATIONS)),
          source: EVIDENCE_ALLOCATION,
          metric: "reservable",
        }),
    },
  ],
};
