/**
 * Runs stage 02 on hand-built tables and returns spans, audit and invariants as plain rows with
 * exact seconds.
 *
 * @module
 */
import { Duck } from "../../lib/db/duckdb.ts";
import { DEFAULT_MAINTENANCE, type MaintenanceMapping } from "../../lib/config.ts";
import { buildSpans } from "../../lib/spans/build.ts";
import type { SpanRules } from "../../lib/spans/context.ts";
import type { SpanPlan } from "../../lib/spans/plan.ts";
import type { Invariants } from "../../lib/spans/invariants.ts";
import { snapshotOf, type Tables } from "../_snapshot.ts";

export interface SpanRow {
  source: string;
  metric: string;
  entity_id: string;
  source_row_id: string;
  hypervisor_hostname: string;
  node_type: string;
  start: string;
  end: string | null;
  seconds: number;
  nodes: number;
  vcpus: number | null;
  devices: number;
}

export interface AuditRow {
  source: string;
  source_row_id: string;
  reason: string;
  start: string | null;
  end: string | null;
  seconds: number;
  detail: string | null;
}

export interface Result {
  spans: SpanRow[];
  audit: AuditRow[];
  invariants: Invariants;
  notes: string[];
}

export const AS_OF = "2026-01-01T00:00:00";

export async function runSpans(
  tables: Tables,
  options: {
    asOf?: string;
    coverage?: string;
    maintenance?: MaintenanceMapping;
    rules?: Partial<SpanRules>;
    plans?: readonly SpanPlan[];
  } = {},
): Promise<Result> {
  const asOf = options.asOf ?? AS_OF;
  const snap = await snapshotOf(tables, asOf);
  try {
    using db = await Duck.open();
    const r = await buildSpans(db, snap, {
      key: "t",
      blazarCoverageStart: options.coverage,
      maintenance: options.maintenance ?? DEFAULT_MAINTENANCE,
    }, { failOnViolation: false, rules: options.rules, plans: options.plans });
    const spans = await db.json<SpanRow>(`
      SELECT source, metric, entity_id, source_row_id, hypervisor_hostname, node_type,
        strftime(start, '%Y-%m-%d %H:%M:%S') AS start, strftime("end", '%Y-%m-%d %H:%M:%S') AS "end",
        (epoch(coalesce("end", TIMESTAMP '${
      asOf.replace("T", " ")
    }')) - epoch(start))::DOUBLE AS seconds,
        nodes, vcpus, devices
      FROM spans ORDER BY source, metric, hypervisor_hostname, start`);
    const audit = await db.json<AuditRow>(`
      SELECT source, source_row_id, reason, strftime(start, '%Y-%m-%d %H:%M:%S') AS start,
        strftime("end", '%Y-%m-%d %H:%M:%S') AS "end", seconds, detail
      FROM audit ORDER BY source, source_row_id, start`);
    return { spans, audit, invariants: r.invariants, notes: r.notes };
  } finally {
    await Deno.remove(snap.inputDir, { recursive: true });
  }
}

/** Sum of span seconds matching a filter. */
export function spanSeconds(r: Result, f: (s: SpanRow) => boolean): number {
  return r.spans.filter(f).reduce((a, s) => a + s.seconds, 0);
}

/** The audit rows of a source row, as `[reason, seconds]` pairs sorted. */
export function auditOf(r: Result, source: string, rowId: string): [string, number][] {
  return r.audit.filter((a) => a.source === source && a.source_row_id === rowId)
    .map((a) => [a.reason, a.seconds] as [string, number])
    .sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
}

// ---- row builders (registry column names) ----

export const DAY = 86400;

export function computeNode(
  id: number,
  host: string | null,
  created: string | null,
  deleted?: string | null,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    hypervisor_hostname: host,
    created_at: created,
    deleted_at: deleted ?? null,
    deleted: deleted ? id : 0,
    host: "conductor-1",
    hypervisor_type: "ironic",
    vcpus: 48,
    memory_mb: 196608,
    local_gb: 240,
    ...extra,
  };
}

export function blazarHost(
  id: string,
  host: string | null,
  created: string | null,
  deleted?: string | null,
) {
  return {
    id,
    hypervisor_hostname: host,
    created_at: created,
    deleted_at: deleted ?? null,
    deleted: deleted ? id : null,
    hypervisor_type: "ironic",
    vcpus: 48,
    memory_mb: 196608,
    local_gb: 240,
    reservable: true,
    availability_zone: "nova",
  };
}

export function nodeTypeCap(id: string, hostId: string, nodeType: string) {
  return {
    id,
    computehost_id: hostId,
    capability_name: "node_type",
    capability_value: nodeType,
    created_at: "2024-01-01 00:00:00",
  };
}

export function lease(
  id: string,
  start: string,
  end: string,
  created: string,
  deleted?: string | null,
) {
  return {
    id,
    name: id,
    start_date: start,
    end_date: end,
    created_at: created,
    deleted_at: deleted ?? null,
    deleted: deleted ? id : null,
    degraded: false,
    project_id: "p1",
  };
}

export function reservation(
  id: string,
  leaseId: string,
  type = "physical:host",
  deleted?: string | null,
) {
  return {
    id,
    lease_id: leaseId,
    resource_type: type,
    missing_resources: false,
    resources_changed: false,
    deleted_at: deleted ?? null,
    deleted: deleted ? id : null,
  };
}

export function allocation(
  id: string,
  hostId: string | null,
  reservationId: string,
  deleted?: string | null,
) {
  return {
    id,
    compute_host_id: hostId,
    reservation_id: reservationId,
    deleted_at: deleted ?? null,
    deleted: deleted ? id : null,
  };
}

export function instance(
  id: number,
  uuid: string,
  node: string | null,
  launched: string | null,
  terminated?: string | null,
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    uuid,
    node,
    host: node ? "conductor-1" : null,
    launched_at: launched,
    terminated_at: terminated ?? null,
    deleted_at: terminated ?? null,
    deleted: terminated ? id : 0,
    vcpus: 48,
    memory_mb: 196608,
    root_gb: 240,
    vm_state: terminated ? "deleted" : "active",
    reservation_id: `r-${id}`,
    ...extra,
  };
}

export function spec(id: number, uuid: string, link: { hint?: string; flavor?: string } = {}) {
  const data: Record<string, unknown> = {
    instance_uuid: uuid,
    flavor: {
      "nova_object.name": "Flavor",
      "nova_object.data": { name: link.flavor ?? "baremetal" },
    },
  };
  if (link.hint) data.scheduler_hints = { reservation: [link.hint] };
  return {
    id,
    instance_uuid: uuid,
    spec: JSON.stringify({ "nova_object.name": "RequestSpec", "nova_object.data": data }),
  };
}

let actionSeq = 1000;
/** One action with one event; returns [action row, event row]. */
export function actionEvent(
  uuid: string,
  action: string,
  event: string,
  finish: string,
  result = "Success",
  host: string | null = null,
) {
  const id = ++actionSeq;
  return [
    { id, instance_uuid: uuid, action, start_time: finish, deleted: 0 },
    {
      id: id + 50000,
      action_id: id,
      event,
      start_time: finish,
      finish_time: finish,
      result,
      host,
      deleted: 0,
    },
  ] as const;
}
