/**
 * The legacy reporting method, as the demo generator imitates it: daily caches per node type
 * computed the way an old reporting job would, so they differ from the truth in known ways.
 *
 * Known differences from the truth (what the legacy comparison must find):
 * - counts are sampled at midnight (`node_count_cache.cnt`, `total_hours = cnt x 24`), from
 *   Blazar's host records rather than Nova's;
 * - allocations count from the lease's `start_date` to its `end_date`: deletions (early ends,
 *   leases deleted before they start) and late creation are ignored;
 * - a day of an allocation counts as "used" in full when an instance ran on the node at any time
 *   that day;
 * - maintenance hours are summed as recorded, also where the node was reserved.
 *
 * `node_project_usage_report_cache` holds the same reserved and used hours per day, node type and
 * the lease's project (its real columns are not public: the shape 04 assumes, `0016`).
 *
 * @module
 */
import type { Interval } from "../math/intervals.ts";

const DAY = 86400;

interface NodeTypeDays {
  name: string;
  introDay: number;
}

/** Accumulates the legacy caches, then writes them. */
export class LegacyMethod {
  readonly firstDay: number;
  readonly lastDay: number;
  readonly types: NodeTypeDays[];
  readonly #index = new Map<string, number>();
  readonly #cnt: Float64Array;
  readonly #maint: Float64Array;
  readonly #reserved: Float64Array;
  readonly #used: Float64Array;
  readonly #allocs = new Map<
    string,
    { host: string; type: number; s: number; e: number; project: string; usedDays: Set<number> }
  >();

  constructor(from: number, to: number, types: NodeTypeDays[]) {
    this.firstDay = Math.floor(from / DAY);
    this.lastDay = Math.ceil(to / DAY);
    this.types = types;
    types.forEach((t, i) => this.#index.set(t.name, i));
    const n = (this.lastDay - this.firstDay) * types.length;
    this.#cnt = new Float64Array(n);
    this.#maint = new Float64Array(n);
    this.#reserved = new Float64Array(n);
    this.#used = new Float64Array(n);
  }

  #cell(type: string, day: number): number {
    return (day - this.firstDay) * this.types.length + this.#index.get(type)!;
  }

  /** A Blazar host of a type over some windows: counted on each midnight inside them. */
  blazarHost(type: string, windows: readonly Interval[]) {
    for (const [s, e] of windows) {
      for (
        let d = Math.max(this.firstDay, Math.ceil(s / DAY));
        d < this.lastDay && d * DAY < e;
        d++
      ) {
        this.#cnt[this.#cell(type, d)] += 1;
      }
    }
  }

  /** Maintenance hours recorded for a day. */
  maintenance(type: string, dayStart: number, hours: number) {
    const d = Math.floor(dayStart / DAY);
    if (d >= this.firstDay && d < this.lastDay) this.#maint[this.#cell(type, d)] += hours;
  }

  /** An allocation as the legacy job saw it: lease start to lease end. */
  allocation(host: string, type: string, start: number, end: number, project: string, id: string) {
    this.#allocs.set(id, {
      host,
      type: this.#index.get(type)!,
      s: start,
      e: end,
      project,
      usedDays: new Set(),
    });
  }

  /** Instance occupancy of an allocation: the days it touches count as used. */
  used(id: string, occupied: readonly Interval[]) {
    const a = this.#allocs.get(id);
    if (!a) return;
    for (const [s, e] of occupied) {
      for (let d = Math.floor(s / DAY); d * DAY < e; d++) a.usedDays.add(d);
    }
  }

  /**
   * Writes `node_usage`, `node_usage_report_cache`, `node_count_cache` and
   * `node_project_usage_report_cache`.
   */
  write(
    emit: (table: string, values: Record<string, unknown>) => void,
    nextId: (table: string) => number,
  ) {
    const nt = this.types.length;
    const perNodeDay = new Map<string, { reserved: number; used: number; project: string }>();
    const perProjectDay = new Map<string, { reserved: number; used: number }>();
    for (const a of this.#allocs.values()) {
      const s = Math.max(a.s, this.firstDay * DAY), e = Math.min(a.e, this.lastDay * DAY);
      for (let d = Math.floor(s / DAY); d * DAY < e; d++) {
        const hours = (Math.min(e, (d + 1) * DAY) - Math.max(s, d * DAY)) / 3600;
        const cell = (d - this.firstDay) * nt + a.type;
        const used = a.usedDays.has(d);
        if (used) this.#used[cell] += hours;
        else this.#reserved[cell] += hours;
        const key = `${a.host}|${d}`;
        const row = perNodeDay.get(key) ?? { reserved: 0, used: 0, project: a.project };
        if (used) row.used += hours;
        else row.reserved += hours;
        perNodeDay.set(key, row);
        const pkey = `${d}|${a.type}|${a.project}`;
        const prow = perProjectDay.get(pkey) ?? { reserved: 0, used: 0 };
        if (used) prow.used += hours;
        else prow.reserved += hours;
        perProjectDay.set(pkey, prow);
      }
    }
    this.#allocs.clear();
    const keys = [...perNodeDay.keys()].sort((x, y) => {
      const dx = Number(x.slice(x.indexOf("|") + 1)), dy = Number(y.slice(y.indexOf("|") + 1));
      return dx - dy || (x < y ? -1 : x > y ? 1 : 0);
    });
    for (const key of keys) {
      const row = perNodeDay.get(key)!;
      const [host, day] = key.split("|");
      emit("chameleon_usage.node_usage", {
        id: nextId("chameleon_usage.node_usage"),
        node_name: host,
        date: Number(day),
        reserved_hours: round3(row.reserved),
        used_hours: round3(row.used),
        project_id: row.project,
      });
    }
    for (let d = this.firstDay; d < this.lastDay; d++) {
      for (let t = 0; t < nt; t++) {
        if (d < this.types[t].introDay) continue;
        const cell = (d - this.firstDay) * nt + t;
        const total = this.#cnt[cell] * 24;
        const maint = this.#maint[cell], reserved = this.#reserved[cell], used = this.#used[cell];
        emit("chameleon_usage.node_usage_report_cache", {
          id: nextId("chameleon_usage.node_usage_report_cache"),
          date: d,
          node_type: this.types[t].name,
          total_hours: total,
          maint_hours: round3(maint),
          reserved_hours: round3(reserved),
          used_hours: round3(used),
          idle_hours: round3(Math.max(0, total - maint - reserved - used)),
        });
        emit("chameleon_usage.node_count_cache", {
          id: nextId("chameleon_usage.node_count_cache"),
          date: d,
          node_type: this.types[t].name,
          cnt: this.#cnt[cell],
        });
      }
    }
    const projectKeys = [...perProjectDay.keys()].map((k) => k.split("|")).sort((x, y) =>
      Number(x[0]) - Number(y[0]) || Number(x[1]) - Number(y[1]) ||
      (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0)
    );
    for (const [day, type, project] of projectKeys) {
      const row = perProjectDay.get(`${day}|${type}|${project}`)!;
      emit("chameleon_usage.node_project_usage_report_cache", {
        id: nextId("chameleon_usage.node_project_usage_report_cache"),
        date: Number(day),
        project_id: project,
        node_type: this.types[Number(type)].name,
        reserved_hours: round3(row.reserved),
        used_hours: round3(row.used),
      });
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
