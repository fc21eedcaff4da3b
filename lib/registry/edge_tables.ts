/**
 * The source tables of CHI@Edge: Blazar's device tables (Chameleon's fork only) and Zun's
 * containers. All optional: a site without Edge has none of them, and the device and container
 * series are then absent, not zero.
 *
 * @module
 */
import { ccSoftDelete, col, type TableSpec, ts, v255, v36 } from "./spec.ts";

/**
 * Source tables of the `blazar` schema for devices (Raspberry Pis, Jetsons, ...): the device
 * records, their capabilities and the allocations of device reservations.
 *
 * In pipeline order.
 */
export const BLAZAR_DEVICE_TABLES: readonly TableSpec[] = [
  {
    schema: "blazar",
    table: "devices",
    key: "id",
    optional: true,
    doc: "Edge devices enrolled in Blazar: device existence (total) and the reservable flag.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("name", "VARCHAR(255)", false),
      col("device_type", "ENUM('container','vm','shell')", false),
      col("device_driver", "ENUM('zun','k8s')", false),
      col("reservable", "TINYINT(1)", false),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "device_extra_capabilities",
    key: "id",
    optional: true,
    doc: "Per-device capabilities; the property `machine_name` gives the device's node type.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("device_id", "VARCHAR(36)", false),
      col("property_id", "VARCHAR(36)", false),
      col("capability_value", "MEDIUMTEXT", false),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "device_reservations",
    key: "id",
    optional: true,
    doc: "Device reservations (a reservation with resource_type `device`); read for the record.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("reservation_id"),
      v36("count_range"),
      col("resource_properties", "MEDIUMTEXT"),
      v36("before_end"),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "device_allocations",
    key: "id",
    optional: true,
    doc: "Allocations of devices to reservations: committed device spans.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("device_id"),
      v36("reservation_id"),
      ...ccSoftDelete,
    ],
  },
];

/**
 * Source tables of the `zun` schema: containers (hard-deleted: a deleted container leaves no
 * row), their actions and the actions' events.
 *
 * In pipeline order.
 */
export const ZUN_TABLES: readonly TableSpec[] = [
  {
    schema: "zun",
    table: "container",
    key: "id",
    optional: true,
    doc: "Zun containers that still exist: container spans, on a device where `host` names one.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      v36("uuid"),
      v255("name"),
      v255("status"),
      col("status_reason", "TEXT"),
      v255("status_detail"),
      v255("container_id"),
      v255("hostname"),
      v255("host"),
      col("labels", "MEDIUMTEXT"),
      ts("started_at"),
      col("cpu", "FLOAT"),
      v255("memory"),
      col("disk", "INT"),
    ],
  },
  {
    schema: "zun",
    table: "container_actions",
    key: "id",
    optional: true,
    doc: "Actions on containers (create, start, stop, delete, ...); fetched for the record.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      v255("action"),
      v36("container_uuid"),
      v255("request_id"),
      ts("start_time"),
      ts("finish_time"),
      v255("message"),
    ],
  },
  {
    schema: "zun",
    table: "container_actions_events",
    key: "id",
    optional: true,
    doc: "Events of container actions; fetched for the record.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      v255("event"),
      col("action_id", "INT"),
      ts("start_time"),
      ts("finish_time"),
      v255("result"),
      col("traceback", "TEXT"),
    ],
  },
];
