/**
 * Maintenance: whole days placed where a host is in the pool (a few, later, deliberately over a
 * committed allocation), written as `chameleon_usage.node_maintenance` rows once the leases are
 * known.
 *
 * @module
 */
import { intersect, type Interval } from "../math/intervals.ts";
import { poisson } from "./rng.ts";
import { DAY, type Life, type World } from "./world_state.ts";

/** Places each life's maintenance days inside its pool windows (a Poisson count per window). */
export function placeMaintenance(w: World) {
  const r = w.lifeRng;
  for (const life of w.lives) {
    for (const [ws, we] of life.reservable) {
      const firstDay = Math.ceil(ws / DAY), lastDay = Math.floor(we / DAY);
      const days = lastDay - firstDay;
      if (days < 10) continue;
      const n = poisson(r, w.p.maintenancePerYear * days / 365);
      for (let i = 0; i < n; i++) {
        const len = r.int(1, 4);
        const d0 = r.int(firstDay, lastDay - len);
        const win: Interval = [d0 * DAY, (d0 + len) * DAY];
        if (life.maintenance.some(([s, e]) => s < win[1] + DAY && win[0] < e + DAY)) continue;
        life.maintenance.push(win);
      }
    }
    life.maintenance.sort((a, b) => a[0] - b[0]);
  }
}

/** A maintenance day that overlaps a committed allocation (reported, not subtracted twice). */
export function maintenanceOverCommitted(life: Life, committed: Interval[]) {
  const c = committed.find(([s, e]) => e - s > DAY);
  if (!c) return;
  const d0 = Math.floor(c[0] / DAY) + 1;
  const win: Interval = [d0 * DAY, (d0 + 1) * DAY];
  if (!life.reservable.some(([rs, re]) => rs <= win[0] && win[1] <= re)) return;
  if (life.maintenance.some(([s, e]) => s < win[1] && win[0] < e)) return;
  life.maintenance.push(win);
  life.maintenance.sort((a, b) => a[0] - b[0]);
}

/**
 * Writes one maintenance row per day (also to the legacy method), and records a defect where a
 * day overlaps a committed allocation whose host record survived the purge.
 */
export function writeMaintenanceRows(w: World) {
  const reasons = [
    "firmware upgrade",
    "hardware failure",
    "disk replacement",
    "bios settings",
    "network maintenance",
  ];
  const r = w.lifeRng;
  for (const life of w.lives) {
    for (const [s, e] of life.maintenance) {
      const reason = r.pick(reasons);
      for (let day = s; day < e; day += DAY) {
        const id = w.next("chameleon_usage.node_maintenance");
        w.emit("chameleon_usage.node_maintenance", {
          id,
          node_name: life.hostname,
          date: day / DAY,
          hours: 24,
          reason,
        });
        w.legacy.maintenance(life.spec.name, day, 24);
        const overlap = intersect([[day, day + DAY]], life.committed);
        // Knowable only where the host's Blazar record survived the purge.
        const known = life.blazar.some((b) =>
          b.start <= day && (b.end === null || b.end > day) &&
          (b.end === null || b.end >= w.blazarCutoff)
        );
        if (overlap.length > 0 && known) {
          w.defect({
            kind: "maintenance_over_committed",
            table: "chameleon_usage.node_maintenance",
            row_id: String(id),
            reason: "committed_overlap",
            detail: {
              hostname: life.hostname,
              seconds: overlap.reduce((a, [x, y]) => a + y - x, 0),
            },
          });
        }
      }
    }
  }
}
