/**
 * Injected defects: rows the pipeline must audit (null starts, phantoms, overlapping
 * registrations, duplicate Blazar hosts, orphan allocations) or recover from (a null node, a
 * termination only in the events), each recorded with its expected audit reason. Defects that
 * arise from the simulation itself (never-launched instances, purged history, maintenance over
 * a commitment, allocations of purged hosts) are recorded where they arise, and so are leases
 * deleted before they start: `leases.ts` plans them, since they shape the lease itself.
 *
 * @module
 */
import type { BlazarRow, Lease, Life, Registration, World } from "./world_state.ts";
import { DAY, HOUR, MIN } from "./world_state.ts";
import { isoOfMs } from "../time.ts";
import { emitComputeHost, emitComputeNodeRaw } from "./hosts.ts";

/**
 * Injects defects into `nova.compute_nodes`: rows with a null start, phantom rows (end before
 * start) and registrations that overlap another of the same host.
 */
export function injectComputeNodeDefects(w: World) {
  const d = w.defectRng;
  // Registrations live for at least 10 days after the Blazar cutoff: defects there touch no
  // month the ground-truth tests compare.
  const after = w.blazarCutoff;
  const longAfter = (g: Registration) => (g.end ?? w.asOf) - Math.max(g.start, after) > 12 * DAY;
  const later = w.lives.filter((l) => l.regs.some(longAfter));
  for (let i = 0; i < Math.max(2, Math.round(3 * w.opt.scale)); i++) {
    const life = d.pick(w.lives);
    const id = emitComputeNodeRaw(
      w,
      life,
      null,
      w.t0 + d.int(DAY, 100 * DAY),
      d.pick(w.conductors),
    );
    w.flag("null_start", "nova.compute_nodes", id, "missing_start");
  }
  // A row on a registration that lives long after the cutoff: its start `from` days in.
  const onLater = (
    kind: string,
    reason: string,
    from: [number, number],
    end: (start: number) => number,
    detail?: (life: Life) => Record<string, unknown>,
  ) => {
    for (let i = 0; i < Math.max(2, Math.round(2 * w.opt.scale)); i++) {
      const life = d.pick(later);
      const reg = life.regs.find(longAfter)!;
      const t = Math.max(reg.start, after) + d.int(from[0], from[1]);
      const id = emitComputeNodeRaw(w, life, t, end(t), d.pick(w.conductors));
      w.flag(kind, "nova.compute_nodes", id, reason, detail?.(life));
    }
  };
  onLater("phantom", "phantom_span", [DAY, 5 * DAY], (t) => t - d.int(MIN, DAY));
  onLater(
    "overlapping_registration",
    "duplicate_conflict",
    [DAY, 3 * DAY],
    (t) => t + d.int(DAY, 4 * DAY),
    (life) => ({ hostname: life.hostname }),
  );
}

/**
 * Injects defects into `blazar.computehosts`: duplicate rows of a host that overlap its
 * original, and one row with a null start.
 */
export function injectBlazarHostDefects(w: World) {
  const d = w.defectRng;
  const longAfter = (b: BlazarRow) =>
    (b.end ?? w.asOf) - Math.max(b.start, w.blazarCutoff) > 40 * DAY;
  const candidates = w.lives.filter((l) => l.blazar.some(longAfter));
  for (let i = 0; i < Math.max(2, Math.round(2 * w.opt.scale)) && candidates.length > 0; i++) {
    const life = d.pick(candidates);
    const b = life.blazar.find(longAfter)!;
    const s = Math.max(b.start, w.blazarCutoff) + d.int(2 * DAY, 10 * DAY);
    const id = w.idRng.uuid();
    emitComputeHost(w, id, life, s, s + d.int(5 * DAY, 25 * DAY));
    w.flag("duplicate_blazar_host", "blazar.computehosts", id, "duplicate_conflict", {
      hostname: life.hostname,
      original: b.id,
    });
  }
  {
    const life = d.pick(w.lives.filter((l) => !l.onDemand));
    const id = w.idRng.uuid();
    emitComputeHost(w, id, life, null, w.blazarCutoff + d.int(DAY, 30 * DAY));
    w.flag("null_start", "blazar.computehosts", id, "missing_start");
  }
}

/** Writes an allocation whose host does not exist (Blazar: an orphan) on `lease`'s reservation. */
export function injectOrphanAllocation(w: World, lease: Lease, resId: string) {
  const id = w.idRng.uuid();
  w.emit("blazar.computehost_allocations", {
    id,
    created_at: lease.created,
    updated_at: null,
    compute_host_id: w.idRng.uuid(),
    reservation_id: resId,
    deleted: null,
    deleted_at: null,
  });
  w.flag("orphan_allocation", "blazar.computehost_allocations", id, "orphan");
}

/**
 * Injects defects into `nova.instances` that ran to their end after the Blazar cutoff: a null
 * node, a termination recorded only in the events (both as patches of written rows), and
 * phantom copies (terminated before launched).
 */
export function injectInstanceDefects(w: World) {
  const d = w.defectRng;
  const pool = w.completed.filter((c) => c.end > w.blazarCutoff);
  const n = Math.max(2, Math.round(3 * w.opt.scale));
  const used = new Set<number>();
  const take = () => {
    for (let k = 0; k < 50; k++) {
      const c = d.pick(pool);
      if (!used.has(c.id)) {
        used.add(c.id);
        return c;
      }
    }
    return undefined;
  };
  // These rows were already written: the defect is recorded here and applied by the sink's
  // owner through `patches` (see generate.ts), so the stream stays append-only.
  for (let i = 0; i < n && pool.length > 0; i++) {
    const c = take();
    if (!c) break;
    w.patches.push({ table: "nova.instances", id: c.id, set: { node: null, host: null } });
    w.flag("null_node", "nova.instances", c.id, null, { hostname: c.life.hostname });
  }
  for (let i = 0; i < n && pool.length > 0; i++) {
    const c = take();
    if (!c) break;
    w.patches.push({
      table: "nova.instances",
      id: c.id,
      set: { terminated_at: null, deleted_at: null, deleted: 0, vm_state: "active" },
    });
    w.flag("termination_only_in_events", "nova.instances", c.id, null, {
      end: isoOfMs(c.end * 1000),
    });
  }
  for (let i = 0; i < Math.max(2, Math.round(2 * w.opt.scale)) && pool.length > 0; i++) {
    const c = d.pick(pool);
    const id = w.next("nova.instances");
    const t = c.end - d.int(HOUR, DAY);
    w.emit("nova.instances", {
      ...c.row,
      id,
      uuid: w.idRng.uuid(),
      launched_at: t,
      terminated_at: t - d.int(MIN, HOUR),
      deleted_at: t - 30,
      deleted: id,
      created_at: t - 20 * MIN,
      vm_state: "deleted",
      display_name: `phantom-${id}`,
    });
    w.flag("phantom", "nova.instances", id, "phantom_span");
  }
}

/**
 * Injects on-demand instances that start after their host's last record was deleted (a hostname
 * no later record reuses): the deletion is an explicit end, so the time after it is a known
 * absence that the instance's evidence never fills (docs/design.md §7); the rows are `orphan`.
 */
export function injectInstancesAfterHostEnd(w: World) {
  const d = w.defectRng;
  const lastOf = new Map<string, Life>();
  for (const life of w.lives) {
    const prev = lastOf.get(life.hostname);
    if (!prev || life.birth > prev.birth) lastOf.set(life.hostname, life);
  }
  // Deleted after the Blazar cutoff, with room for a whole instance before the snapshot.
  const ended = [...lastOf.values()].filter((l) =>
    l.death !== null && l.death > w.blazarCutoff && l.death < w.asOf - 4 * DAY
  );
  const pool = w.completed.filter((c) => c.end > w.blazarCutoff);
  for (let i = 0; i < Math.max(2, Math.round(2 * w.opt.scale)); i++) {
    if (ended.length === 0 || pool.length === 0) break;
    const life = d.pick(ended);
    const c = d.pick(pool);
    const id = w.next("nova.instances");
    const launched = life.death! + d.int(HOUR, DAY);
    const terminated = launched + d.int(2 * HOUR, DAY);
    w.emit("nova.instances", {
      ...c.row,
      id,
      uuid: w.idRng.uuid(),
      node: life.hostname,
      created_at: launched - 10 * MIN,
      launched_at: launched,
      terminated_at: terminated,
      deleted_at: terminated + 30,
      deleted: id,
      vm_state: "deleted",
      display_name: `after-host-${id}`,
    });
    w.flag("instance_after_host_end", "nova.instances", id, "orphan", {
      hostname: life.hostname,
    });
  }
}
