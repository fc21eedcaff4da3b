/**
 * Leases: hours to weeks, made "now" or in advance, some extended, some deleted early, some in
 * the future at the snapshot, a few deleted before they start; their reservations, host
 * allocations (which commit hosts: truth and the legacy method) and flavor reservations, and
 * leases of networks, floating IPs and devices. Instances in the allocations are written by
 * `instances.ts`.
 *
 * @module
 */
import { intersect } from "../math/intervals.ts";
import { weightedPick } from "./rng.ts";
import type { Allocation, Lease, Life, World } from "./world_state.ts";
import { DAY, HOUR, MIN } from "./world_state.ts";
import { maintenanceOverCommitted } from "./maintenance.ts";
import { writeReservationInstance } from "./instances.ts";
import { injectOrphanAllocation } from "./defects.ts";

/** Whether `life` can take an allocation over `[s, e)`: not busy, in the pool, no maintenance. */
function hostFree(life: Life, s: number, e: number): boolean {
  if (life.busyUntil > s) return false;
  if (!life.reservable.some(([rs, re]) => rs <= s && e <= re)) return false;
  for (const [ms, me] of life.maintenance) {
    if (ms >= e) break;
    if (me > s) return false;
  }
  return true;
}

/**
 * Writes the leases (host, flavor and other kinds), their reservations and allocations, the
 * instances in them, and records what each allocation commits.
 */
export function writeLeases(w: World) {
  const r = w.leaseRng;
  const n = Math.round(w.p.leases * w.opt.scale);
  const horizon = w.asOf + 10 * DAY;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) starts.push(r.int(w.t0 + DAY, horizon));
  starts.sort((a, b) => a - b);
  const byType = new Map<string, Life[]>();
  for (const life of w.lives) {
    if (life.onDemand) continue;
    const list = byType.get(life.nodeType) ?? [];
    list.push(life);
    byType.set(life.nodeType, list);
  }
  const overlapEvery = Math.max(40, Math.round(w.p.leases / 20));
  const defectEvery = Math.max(20, Math.floor(n / Math.max(3, Math.round(4 * w.opt.scale))));
  for (let i = 0; i < n; i++) {
    const start0 = Math.floor(starts[i] / MIN) * MIN;
    const kind = r.next();
    if (kind < w.p.otherLeaseShare) {
      writeOtherLease(w, start0);
      continue;
    }
    const types = w.p.nodeTypes.filter((t) =>
      (byType.get(t.name)?.length ?? 0) > 0 &&
      w.t0 + t.introDays * DAY <= start0 &&
      (t.retireDays === undefined || w.t0 + t.retireDays * DAY > start0)
    );
    if (types.length === 0) continue;
    const spec = weightedPick(r, types, (t) => t.demand * t.count);
    const lives = byType.get(spec.name)!;
    const flavor = kind < w.p.otherLeaseShare + 0.08;
    const want = flavor
      ? 1
      : !r.chance(w.p.multiHostShare)
      ? 1
      : r.chance(0.75)
      ? r.int(2, 4)
      : r.int(5, 16);
    const u = r.next();
    const duration = u < 0.3
      ? r.int(HOUR, 8 * HOUR)
      : u < 0.7
      ? r.int(8 * HOUR, 3 * DAY)
      : u < 0.93
      ? r.int(3 * DAY, 7 * DAY)
      : r.int(7 * DAY, 21 * DAY);
    const plannedDefect = i % defectEvery === defectEvery - 1 && start0 < w.asOf - 2 * DAY;
    const now = !plannedDefect && r.chance(0.55);
    let created = now
      ? start0 + r.int(1, 59)
      : start0 - Math.min(30 * DAY, Math.max(10 * MIN, Math.round(r.logNormal(DAY, 1.3))));
    if (created >= w.asOf) created = w.asOf - r.int(HOUR, 5 * DAY);
    const start = start0;
    const end = start + duration;
    const effStart = Math.max(start, created);
    const beforeStartDefect = plannedDefect && start > created + HOUR;
    const hosts: Life[] = [];
    const offset = r.int(0, lives.length - 1);
    for (let k = 0; k < lives.length && hosts.length < want; k++) {
      const life = lives[(offset + k) % lives.length];
      if (
        beforeStartDefect
          ? life.reservable.some(([rs, re]) => rs <= start && end <= re)
          : hostFree(life, effStart, end)
      ) {
        hosts.push(life);
      }
    }
    if (hosts.length === 0 || (hosts.length < want && r.chance(0.5))) continue;
    let deleted: number | null = null;
    if (beforeStartDefect) {
      deleted = created + r.int(MIN, start - created - 1);
    } else if (r.chance(0.08) && effStart < w.asOf) {
      deleted = r.int(effStart + 1, end - 1);
    } else if (end < w.asOf && r.chance(0.3)) {
      deleted = end + r.int(HOUR, 30 * DAY);
    }
    if (deleted !== null && deleted >= w.asOf) deleted = null;
    const lease = newLease(w, created, start, end, deleted);
    emitLease(
      w,
      lease,
      r.chance(0.05) && duration > 3 * DAY ? start + r.int(HOUR, duration - HOUR) : created,
    );
    const resId = w.idRng.uuid();
    const resourceId = w.idRng.uuid();
    emitReservation(w, resId, lease, flavor ? "flavor:instance" : "physical:host", resourceId);
    if (flavor) {
      w.emit("blazar.instance_reservations", {
        id: resourceId,
        created_at: created,
        updated_at: null,
        reservation_id: resId,
        vcpus: spec.vcpus,
        memory_mb: spec.memoryMb,
        disk_gb: spec.localGb,
        amount: hosts.length,
        affinity: null,
        flavor_id: resId,
        deleted: lease.deleted === null ? null : resourceId,
        deleted_at: lease.deleted,
      });
    }
    if (r.chance(w.p.floatingIpShare)) {
      emitReservation(w, w.idRng.uuid(), lease, "virtual:floatingip", w.idRng.uuid());
    }
    if (beforeStartDefect) {
      for (const life of hosts) {
        const id = emitAllocation(w, lease, resId, life, lease.deleted, lease.start);
        w.deletedBeforeStart.push({ reservationId: resId, created: lease.created, life });
        w.flag(
          "lease_deleted_before_start",
          "blazar.computehost_allocations",
          id,
          "deleted_before_start",
          { lease_id: lease.id },
        );
      }
      continue;
    }
    const allocations: Allocation[] = [];
    for (const life of hosts) {
      let allocDeleted: number | null = null;
      if (hosts.length > 1 && r.chance(0.03) && effStart < w.asOf) {
        allocDeleted = r.int(effStart + 1, Math.min(end, w.asOf) - 1);
      } else if (lease.deleted !== null) {
        allocDeleted = lease.deleted + r.int(0, 2);
      } else if (end < w.asOf && r.chance(0.7)) {
        allocDeleted = end + r.int(0, 60);
      }
      if (allocDeleted !== null && allocDeleted >= w.asOf) allocDeleted = null;
      const ce = Math.min(
        end,
        ...[lease.deleted, allocDeleted].filter((x): x is number => x !== null),
      );
      const id = emitAllocation(w, lease, resId, life, allocDeleted, effStart);
      life.busyUntil = Math.max(life.busyUntil, ce);
      const a: Allocation = { id, life, reservationId: resId, cs: effStart, ce };
      allocations.push(a);
      const committed = intersect([[effStart, ce]], life.reservable);
      life.committed.push(...committed);
      w.truth.add("committed", life.nodeType, life.amounts, committed);
      w.projectTruth.add(lease.projectId, "committed", life.nodeType, life.amounts, committed);
      // Legacy sees the lease's own dates, deletions ignored.
      w.legacy.allocation(
        life.hostname,
        life.spec.name,
        lease.start,
        lease.end,
        lease.projectId,
        id,
      );
      if (++w.allocCounter % overlapEvery === 0) {
        maintenanceOverCommitted(life, committed);
      }
    }
    if (effStart < w.asOf && r.chance(0.8)) {
      for (const a of allocations) {
        if (r.chance(0.9)) writeReservationInstance(w, a, lease, flavor);
      }
    }
    if (i % defectEvery === Math.floor(defectEvery / 2) && allocations.length > 0) {
      injectOrphanAllocation(w, lease, resId);
    }
  }
}

/** Writes a lease of a network, floating IP or device starting at `start`, and returns it. */
export function writeOtherLease(w: World, start: number): Lease {
  const r = w.leaseRng;
  const created = Math.min(start - r.int(0, DAY), w.asOf - r.int(HOUR, DAY));
  const end = start + r.int(HOUR, 7 * DAY);
  let deleted: number | null = end < w.asOf && r.chance(0.3) ? end + r.int(HOUR, 10 * DAY) : null;
  if (deleted !== null && deleted >= w.asOf) deleted = null;
  const lease = newLease(w, created, start, end, deleted);
  emitLease(w, lease, created);
  emitReservation(
    w,
    w.idRng.uuid(),
    lease,
    r.pick(["network", "virtual:floatingip", "device"]),
    w.idRng.uuid(),
  );
  if (w.otherLeases.length < 5000) w.otherLeases.push(lease);
  return lease;
}

/** A lease of a random project and user (drawn in this order: id, project, user). */
export function newLease(
  w: World,
  created: number,
  start: number,
  end: number,
  deleted: number | null,
): Lease {
  const id = w.idRng.uuid();
  const projectId = w.leaseRng.pick(w.projects);
  return { id, created, start, end, deleted, projectId, userId: w.idRng.hex(32) };
}

/** Writes one `blazar.leases` row, its status as of the snapshot. */
export function emitLease(w: World, l: Lease, updated: number) {
  const status = l.end <= w.asOf ? "TERMINATED" : l.start > w.asOf ? "PENDING" : "ACTIVE";
  w.emit("blazar.leases", {
    id: l.id,
    created_at: l.created,
    updated_at: updated,
    name: `lease-${w.idRng.hex(8)}`,
    user_id: l.userId,
    project_id: l.projectId,
    start_date: l.start,
    end_date: l.end,
    status,
    degraded: false,
    deleted: l.deleted === null ? null : l.id,
    deleted_at: l.deleted,
  });
}

/** Writes one `blazar.reservations` row of lease `l`. */
export function emitReservation(w: World, id: string, l: Lease, type: string, resourceId: string) {
  w.emit("blazar.reservations", {
    id,
    created_at: l.created,
    updated_at: null,
    lease_id: l.id,
    resource_id: resourceId,
    resource_type: type,
    status: l.deleted !== null
      ? "deleted"
      : l.end <= w.asOf
      ? "deleted"
      : l.start > w.asOf
      ? "pending"
      : "active",
    missing_resources: false,
    resources_changed: false,
    deleted: l.deleted === null ? null : id,
    deleted_at: l.deleted,
  });
}

/**
 * Writes one host allocation of `life` (on its pool row at time `at`) and returns its id; one on a
 * purged pool row is recorded as an orphan.
 */
function emitAllocation(
  w: World,
  l: Lease,
  reservationId: string,
  life: Life,
  deleted: number | null,
  at: number,
): string {
  const id = w.idRng.uuid();
  const host = life.blazar.find((b) => b.start <= at && (b.end === null || at < b.end)) ??
    life.blazar[0];
  w.emit("blazar.computehost_allocations", {
    id,
    created_at: l.created + w.leaseRng.int(0, 3),
    updated_at: null,
    compute_host_id: host.id,
    reservation_id: reservationId,
    deleted: deleted === null ? null : id,
    deleted_at: deleted,
  });
  if (host.end !== null && host.end < w.blazarCutoff) {
    w.flag("allocation_of_purged_host", "blazar.computehost_allocations", id, "orphan", {
      hostname: life.hostname,
    });
  }
  return id;
}
