/**
 * The demo world of an Edge site (CHI@Edge): Blazar devices of several machine types, device
 * leases, Zun containers on the leased devices, and the true device-time of each state.
 *
 * | entity | how | rows |
 * |---|---|---|
 * | devices | per machine type, enrolled over the first months; some deleted (retired) before the snapshot; some not reservable; a few without a `machine_name` capability (node type = `device_type`) | `blazar.devices`, `device_extra_capabilities`, `resource_properties` |
 * | device leases | one device each, back to back on every reservable device: hours to a week, some deleted early, a few deleted before they start, some in the future; the last lease of a deleted device may outlive it (`clipped`) | `blazar.leases`, `reservations` (`device`), `device_reservations`, `device_allocations` |
 * | allocations of hard-deleted devices | a few, naming a device id that has no row (`orphan`) | `blazar.device_allocations` |
 * | containers | most committed windows run one; Zun hard-deletes, so only the containers still running at the snapshot and a share of stopped ones leave a row; a few second containers beside the first (`duplicate_conflict`), a few never started (`missing_start`), a few on a host that is no device (`orphan`) | `zun.container`, `container_actions`, `container_actions_events` |
 *
 * Truth (resource `devices`, one per device): `total` is each device's life, `reservable` the
 * life of the devices whose flag is set, `committed` each lease's effective window within its
 * device's life, and `occupied_reservation` = `active_reservation` the union of the surviving
 * containers' intervals on each device. Containers that Zun deleted are not in the truth: they
 * left no row, and their device-time is recorded as one informational defect (`zun_hard_delete`).
 *
 * @module
 */
import { type Interval, normalize } from "../math/intervals.ts";
import { Rng } from "./rng.ts";
import type { World } from "./world_state.ts";
import { DAY, HOUR, MIN } from "./world_state.ts";
import { emitLease, emitReservation, newLease } from "./leases.ts";

/** One machine type of an Edge site. */
export interface EdgeMachine {
  /** The `machine_name` capability, e.g. `raspberrypi4-64`. */
  readonly name: string;
  /** Name prefix of its devices. */
  readonly prefix: string;
  /** Devices at scale 1. */
  readonly count: number;
  /** Days after the profile start when its first device is enrolled. */
  readonly introDays: number;
  /** Mean idle gap between two leases of one device, in hours. */
  readonly gapHours: number;
}

/** The Edge part of a profile. */
export interface EdgeSpec {
  readonly machines: readonly EdgeMachine[];
  /** Share of devices deleted before the snapshot. */
  readonly deletedShare: number;
  /** Share of devices whose reservable flag is unset. */
  readonly nonReservableShare: number;
  /** Share of devices without a `machine_name` capability. */
  readonly noCapabilityShare: number;
  /** Share of stopped containers whose row survives Zun's hard delete. */
  readonly survivingShare: number;
}

/** One device as generated. */
interface Device {
  id: string;
  name: string;
  nodeType: string;
  created: number;
  deleted: number | null;
  reservable: boolean;
  committed: Interval[];
  occupied: Interval[];
}

const minute = (t: number) => Math.floor(t / MIN) * MIN;

/** Writes the property table's device properties; returns the id of `machine_name`. */
function writeProperties(w: World): string {
  let machine = "";
  for (const name of ["machine_name", "board_revision", "platform_version"]) {
    const id = w.idRng.uuid();
    if (name === "machine_name") machine = id;
    w.emit("blazar.resource_properties", {
      id,
      created_at: w.t0,
      updated_at: null,
      resource_type: "device",
      property_name: name,
    });
  }
  return machine;
}

/** Enrols the devices of every machine type, with their capabilities. */
function writeDevices(w: World, spec: EdgeSpec, r: Rng, machineProp: string): Device[] {
  const devices: Device[] = [];
  for (const m of spec.machines) {
    const n = Math.max(1, Math.round(m.count * w.opt.scale));
    for (let i = 0; i < n; i++) {
      const created = minute(w.t0 + m.introDays * DAY + r.int(0, 90 * DAY));
      let deleted: number | null = null;
      if (r.chance(spec.deletedShare)) {
        const d = minute(created + r.int(60 * DAY, 500 * DAY));
        if (d < w.asOf - DAY) deleted = d;
      }
      const reservable = !r.chance(spec.nonReservableShare);
      const hasCap = !r.chance(spec.noCapabilityShare);
      const id = w.idRng.uuid();
      const name = `${m.prefix}-${String(i + 1).padStart(3, "0")}`;
      w.emit("blazar.devices", {
        id,
        created_at: created,
        updated_at: deleted ?? created,
        name,
        device_type: "container",
        device_driver: "zun",
        reservable,
        deleted: deleted === null ? null : id,
        deleted_at: deleted,
      });
      if (hasCap) {
        w.emit("blazar.device_extra_capabilities", {
          id: w.idRng.uuid(),
          created_at: created,
          updated_at: null,
          device_id: id,
          property_id: machineProp,
          capability_value: m.name,
          deleted: null,
          deleted_at: null,
        });
      }
      const nodeType = hasCap ? m.name : "container";
      devices.push({
        id,
        name,
        nodeType,
        created,
        deleted,
        reservable,
        committed: [],
        occupied: [],
      });
    }
  }
  return devices;
}

/** Writes one device lease (lease, reservation, device reservation, allocation). */
function writeDeviceLease(
  w: World,
  device: { id: string },
  machine: string,
  times: { created: number; start: number; end: number; deleted: number | null },
): string {
  const lease = newLease(w, times.created, times.start, times.end, times.deleted);
  emitLease(w, lease, times.deleted ?? times.created);
  const reservationId = w.idRng.uuid();
  const deviceReservationId = w.idRng.uuid();
  emitReservation(w, reservationId, lease, "device", deviceReservationId);
  w.emit("blazar.device_reservations", {
    id: deviceReservationId,
    created_at: times.created,
    updated_at: null,
    reservation_id: reservationId,
    count_range: "1-1",
    resource_properties: JSON.stringify(["==", "$machine_name", machine]),
    before_end: "default",
    deleted: times.deleted === null ? null : deviceReservationId,
    deleted_at: times.deleted,
  });
  const allocationId = w.idRng.uuid();
  w.emit("blazar.device_allocations", {
    id: allocationId,
    created_at: times.created,
    updated_at: null,
    device_id: device.id,
    reservation_id: reservationId,
    deleted: times.deleted === null ? null : allocationId,
    deleted_at: times.deleted,
  });
  return allocationId;
}

/** Leases of one reservable device, back to back from its enrolment to past the snapshot. */
function writeLeasesOf(w: World, d: Device, machine: EdgeMachine, r: Rng) {
  const life: Interval = [d.created, d.deleted ?? w.asOf];
  let t = minute(d.created + r.exp(machine.gapHours * HOUR) + HOUR);
  const stop = Math.min(d.deleted ?? Infinity, w.asOf + 10 * DAY);
  while (t < stop) {
    const u = r.next();
    const duration = u < 0.3
      ? r.int(HOUR, 8 * HOUR)
      : u < 0.75
      ? r.int(8 * HOUR, 3 * DAY)
      : r.int(3 * DAY, 7 * DAY);
    const start = t, end = minute(start + duration);
    const created = r.chance(0.5) ? start : minute(start - r.int(HOUR, 5 * DAY));
    let deleted: number | null = null;
    const v = r.next();
    if (v < 0.02 && created + MIN < start) {
      deleted = created + r.int(1, Math.max(1, start - created - 1)); // before it starts
    } else if (v < 0.12 && end - start > 2 * HOUR) {
      deleted = start + r.int(HOUR, end - start - HOUR); // ended early
    }
    if (deleted !== null && deleted >= w.asOf) deleted = null;
    const allocationId = writeDeviceLease(w, d, machine.name, { created, start, end, deleted });
    const ce = Math.min(deleted ?? end, life[1], w.asOf);
    const cs = Math.max(start, created);
    if (deleted !== null && deleted <= cs) {
      w.flag(
        "deleted_before_start",
        "blazar.device_allocations",
        allocationId,
        "deleted_before_start",
      );
    } else if (cs < ce) {
      d.committed.push([cs, ce]);
      if (d.deleted !== null && Math.min(deleted ?? end, w.asOf) > d.deleted) {
        w.flag("lease_outlives_device", "blazar.device_allocations", allocationId, "clipped", {
          hostname: d.name,
        });
      }
    }
    t = minute(end + r.exp(machine.gapHours * HOUR) + MIN);
  }
}

/** One `zun.container` row with its create action and event. */
function emitContainer(
  w: World,
  r: Rng,
  c: { host: string | null; start: number | null; end: number | null; status: string },
): number {
  const id = w.next("zun.container");
  const uuid = w.idRng.uuid();
  const created = c.start === null ? w.asOf - r.int(HOUR, 30 * DAY) : c.start - r.int(5, 90);
  w.emit("zun.container", {
    id,
    created_at: created,
    updated_at: c.end ?? c.start ?? created,
    uuid,
    name: `zun-${w.idRng.hex(8)}`,
    status: c.status,
    status_reason: c.status === "Error" ? "No such image" : null,
    status_detail: null,
    container_id: c.start === null ? null : w.idRng.hex(64),
    hostname: c.host,
    host: c.host,
    labels: "{}",
    started_at: c.start,
    cpu: 1,
    memory: "512",
    disk: 0,
  });
  const actionId = w.next("zun.container_actions");
  w.emit("zun.container_actions", {
    id: actionId,
    created_at: created,
    updated_at: null,
    action: "create",
    container_uuid: uuid,
    request_id: `req-${w.idRng.uuid()}`,
    start_time: created,
    finish_time: c.start ?? created + 5,
    message: c.status === "Error" ? "Error" : null,
  });
  w.emit("zun.container_actions_events", {
    id: w.next("zun.container_actions_events"),
    created_at: created,
    updated_at: null,
    event: "compute__do_container_create",
    action_id: actionId,
    start_time: created,
    finish_time: c.start ?? created + 5,
    result: c.status === "Error" ? "Error" : "Success",
    traceback: null,
  });
  return id;
}

/** Containers in the committed windows of every device (see the module's table). */
function writeContainers(w: World, spec: EdgeSpec, devices: Device[], r: Rng) {
  let lost = 0, lostSeconds = 0, k = 0;
  for (const d of devices) {
    for (const [cs, ce] of d.committed) {
      if (ce - cs < 20 * MIN || !r.chance(0.7)) continue;
      const start = cs + r.int(MIN, Math.min(30 * MIN, Math.floor((ce - cs) / 4)));
      const running = ce === w.asOf && d.deleted === null;
      const end = running ? null : ce - r.int(0, Math.floor((ce - start) / 3));
      if (!running && !r.chance(spec.survivingShare)) {
        lost++;
        lostSeconds += end! - start;
        continue;
      }
      const id = emitContainer(w, r, {
        host: d.name,
        start,
        end,
        status: running ? "Running" : "Stopped",
      });
      d.occupied.push([start, end ?? w.asOf]);
      if (++k % 25 === 0 && (end ?? w.asOf) - start > 2 * HOUR) {
        // A second container beside the first: the device counts once.
        const s2 = start + HOUR;
        const id2 = emitContainer(w, r, {
          host: d.name,
          start: s2,
          end: end === null ? null : end - r.int(0, Math.floor((end - s2) / 2)),
          status: end === null ? "Running" : "Stopped",
        });
        w.flag("second_container", "zun.container", id2, "duplicate_conflict", { beside: id });
      }
    }
  }
  for (let i = 0; i < Math.max(2, Math.round(6 * w.opt.scale)); i++) {
    const start = minute(w.asOf - r.int(2 * DAY, 200 * DAY));
    const id = emitContainer(w, r, {
      host: `zun-compute-${i % 2 + 1}`,
      start,
      end: i % 2 === 0 ? null : start + r.int(HOUR, DAY),
      status: i % 2 === 0 ? "Running" : "Stopped",
    });
    w.flag("container_on_no_device", "zun.container", id, "orphan");
    const never = emitContainer(w, r, {
      host: r.pick(devices).name,
      start: null,
      end: null,
      status: "Error",
    });
    w.flag("container_never_started", "zun.container", never, "missing_start");
  }
  w.defect({
    kind: "zun_hard_delete",
    table: "zun.container",
    row_id: "*",
    reason: null,
    detail: { deleted_containers: lost, device_hours_lost: lostSeconds / 3600 },
  });
}

/** A few allocations of devices whose rows are gone (hard-deleted before the fork's soft delete). */
function writeOrphanAllocations(w: World, devices: Device[], r: Rng) {
  for (let i = 0; i < Math.max(2, Math.round(4 * w.opt.scale)); i++) {
    const start = minute(w.t0 + r.int(10 * DAY, 300 * DAY));
    const id = writeDeviceLease(w, { id: w.idRng.uuid() }, r.pick(devices).nodeType, {
      created: start,
      start,
      end: start + r.int(HOUR, 3 * DAY),
      deleted: null,
    });
    w.flag("allocation_of_missing_device", "blazar.device_allocations", id, "orphan");
  }
}

/**
 * Writes the Edge world of `spec` (see the module's table) and adds its truth to `w.truth`
 * (resource `devices`).
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { generateWorld } from "./world.ts";
 * import { profileByName } from "./profiles.ts";
 * const counts: Record<string, number> = {};
 * const sink = { row: (t: string) => void (counts[t] = (counts[t] ?? 0) + 1) };
 * generateWorld(profileByName("edge"), sink, { scale: 0.1, seed: 1, blazarEra: "property" });
 * ok(counts["blazar.devices"] > 10 && counts["zun.container"] > 0);
 * ```
 */
export function writeEdge(w: World, spec: EdgeSpec): void {
  const r = new Rng(w.opt.seed, "edge");
  const machineProp = writeProperties(w);
  const devices = writeDevices(w, spec, r, machineProp);
  const byName = new Map(spec.machines.map((m) => [m.name, m]));
  const machineOf = (d: Device, i: number) =>
    byName.get(d.nodeType) ?? spec.machines[i % spec.machines.length];
  devices.forEach((d, i) => {
    if (d.reservable) writeLeasesOf(w, d, machineOf(d, i), r);
  });
  writeOrphanAllocations(w, devices, r);
  writeContainers(w, spec, devices, r);
  for (const d of devices) {
    const life: Interval[] = [[d.created, d.deleted ?? w.asOf]];
    w.truth.add("total", d.nodeType, [1], life);
    if (d.reservable) w.truth.add("reservable", d.nodeType, [1], life);
    w.truth.add("committed", d.nodeType, [1], normalize(d.committed));
    const occupied = normalize(d.occupied);
    w.truth.add("occupied_reservation", d.nodeType, [1], occupied);
    w.truth.add("active_reservation", d.nodeType, [1], occupied);
  }
}
