/**
 * The source tables, one list per logical schema, in pipeline order. `lib/registry.ts` joins
 * them into `REGISTRY`; a new source (a KVM or Edge table) goes in its schema's list.
 *
 * @module
 */
import { ccSoftDelete, col, novaSoftDelete, type TableSpec, ts, v255, v36 } from "./spec.ts";
import { BLAZAR_DEVICE_TABLES } from "./edge_tables.ts";

export { ZUN_TABLES } from "./edge_tables.ts";

/**
 * Source tables of the `nova` schema: compute nodes, services, instances and their actions.
 *
 * In pipeline order.
 */
export const NOVA_TABLES: readonly TableSpec[] = [
  {
    schema: "nova",
    table: "compute_nodes",
    key: "id",
    optional: true,
    doc: "One row per registration of a hypervisor: the spine of host existence (total).",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      col("service_id", "INT"),
      col("host", "VARCHAR(255)"),
      v255("hypervisor_hostname"),
      col("hypervisor_type", "MEDIUMTEXT", false),
      col("vcpus", "INT", false),
      col("memory_mb", "INT", false),
      col("local_gb", "INT", false),
      col("cpu_allocation_ratio", "FLOAT"),
      col("ram_allocation_ratio", "FLOAT"),
      col("disk_allocation_ratio", "FLOAT", true, true),
      v36("uuid"),
    ],
  },
  {
    schema: "nova",
    table: "services",
    key: "id",
    optional: true,
    doc: "nova-compute services: when a compute host (or an Ironic conductor) existed.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      v255("host"),
      v255("binary"),
      v255("topic"),
      col("report_count", "INT", false),
      col("disabled", "TINYINT(1)"),
      v255("disabled_reason"),
      ts("last_seen_up"),
      col("forced_down", "TINYINT(1)"),
      v36("uuid"),
    ],
  },
  {
    schema: "nova",
    table: "instances",
    key: "id",
    optional: true,
    doc: "Instances: occupied spans from launch to termination.",
    columns: [
      col("id", "INT", false),
      col("uuid", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      ts("launched_at"),
      ts("terminated_at"),
      v255("user_id"),
      v255("project_id"),
      v255("host"),
      v255("node"),
      col("vcpus", "INT"),
      col("memory_mb", "INT"),
      col("root_gb", "INT"),
      col("ephemeral_gb", "INT"),
      v255("vm_state"),
      col("power_state", "INT"),
      v255("task_state"),
      v255("reservation_id"),
      v255("display_name"),
      v255("availability_zone"),
      col("locked_by", "ENUM('owner','admin')"),
      col("compute_id", "BIGINT", true, true),
    ],
  },
  {
    schema: "nova",
    table: "instance_actions",
    key: "id",
    optional: true,
    doc: "User and system actions on instances (create, stop, start, shelve, delete, ...).",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      v255("action"),
      v36("instance_uuid"),
      v255("request_id"),
      v255("project_id"),
      ts("start_time"),
      ts("finish_time"),
      v255("message"),
    ],
  },
  {
    schema: "nova",
    table: "instance_actions_events",
    key: "id",
    optional: true,
    doc: "Events of each action: their host, times and result give the life of an instance.",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      ...novaSoftDelete,
      v255("event"),
      col("action_id", "INT"),
      ts("start_time"),
      ts("finish_time"),
      v255("result"),
      v255("host"),
    ],
  },
];

/**
 * Source tables of the `nova_api` schema: request specs (the reservation hint of an instance).
 *
 * In pipeline order.
 */
export const NOVA_API_TABLES: readonly TableSpec[] = [
  {
    schema: "nova_api",
    table: "request_specs",
    key: "id",
    optional: true,
    doc: "Scheduling requests: the Blazar reservation of an instance (hint or flavor name).",
    columns: [
      col("id", "INT", false),
      ts("created_at"),
      ts("updated_at"),
      col("instance_uuid", "VARCHAR(36)", false),
      col("spec", "MEDIUMTEXT", false),
    ],
  },
];

/**
 * Source tables of the `blazar` schema: hosts, their capabilities, leases, reservations and
 * allocations, in each schema era; then the devices of CHI@Edge (edge_tables.ts).
 *
 * In pipeline order.
 */
export const BLAZAR_TABLES: readonly TableSpec[] = [
  {
    schema: "blazar",
    table: "leases",
    key: "id",
    optional: true,
    doc: "Leases: the time frame of every reservation.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("name", "VARCHAR(80)", false),
      v255("user_id"),
      v255("project_id"),
      ts("start_date", false),
      ts("end_date", false),
      v255("status"),
      col("degraded", "TINYINT(1)", false),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "reservations",
    key: "id",
    optional: true,
    doc: "Reservations of a lease, by resource type (physical:host, flavor:instance, ...).",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("lease_id", "VARCHAR(36)", false),
      v36("resource_id"),
      col("resource_type", "VARCHAR(66)"),
      col("status", "VARCHAR(13)"),
      col("missing_resources", "TINYINT(1)", false),
      col("resources_changed", "TINYINT(1)", false),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "computehosts",
    key: "id",
    optional: true,
    doc: "Hosts enrolled in Blazar: the reservable pool.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v255("hypervisor_hostname"),
      col("hypervisor_type", "MEDIUMTEXT", false),
      col("vcpus", "INT", false),
      col("memory_mb", "INT", false),
      col("local_gb", "INT", false),
      v255("service_name"),
      col("status", "VARCHAR(13)"),
      col("reservable", "TINYINT(1)", false),
      col("availability_zone", "VARCHAR(255)", false),
      ...ccSoftDelete,
      col("disabled", "TINYINT(1)", true, true),
    ],
  },
  {
    schema: "blazar",
    table: "computehost_allocations",
    key: "id",
    optional: true,
    doc: "Allocations of hosts to reservations: committed spans.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("compute_host_id"),
      v36("reservation_id"),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "computehost_extra_capabilities",
    key: "id",
    optional: true,
    doc: "Per-host key/value capabilities; the key `node_type` gives the node type.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("computehost_id"),
      col("capability_value", "MEDIUMTEXT", false),
      // The key column of the three schema eras: inline name, fork FK, renamed FK.
      col("capability_name", "VARCHAR(64)", true, true),
      col("capability_id", "VARCHAR(255)", true, true),
      col("property_id", "VARCHAR(255)", true, true),
      ...ccSoftDelete,
    ],
  },
  {
    schema: "blazar",
    table: "extra_capabilities",
    key: "id",
    optional: true,
    doc: "Capability names of the fork's 2020-2024 era (capability_id -> capability_name).",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("resource_type", "VARCHAR(255)", false),
      col("capability_name", "VARCHAR(255)", false),
    ],
  },
  {
    schema: "blazar",
    table: "resource_properties",
    key: "id",
    optional: true,
    doc: "Capability names of the current era (property_id -> property_name).",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      col("resource_type", "VARCHAR(255)", false),
      col("property_name", "VARCHAR(255)"),
    ],
  },
  {
    schema: "blazar",
    table: "instance_reservations",
    key: "id",
    optional: true,
    doc: "Flavor sizes of flavor:instance and virtual:instance reservations.",
    columns: [
      col("id", "VARCHAR(36)", false),
      ts("created_at"),
      ts("updated_at"),
      v36("reservation_id"),
      col("vcpus", "INT", false),
      col("memory_mb", "INT", false),
      col("disk_gb", "INT", false),
      col("amount", "INT", false),
      col("affinity", "TINYINT(1)"),
      v36("flavor_id"),
      col("resource_inventory", "MEDIUMTEXT", true, true),
      ...ccSoftDelete,
    ],
  },
  ...BLAZAR_DEVICE_TABLES,
];

/**
 * Source tables of the legacy `chameleon_usage` schema: maintenance and the per-day caches of the
 * legacy method.
 *
 * In pipeline order.
 */
export const CHAMELEON_USAGE_TABLES: readonly TableSpec[] = [
  {
    schema: "chameleon_usage",
    table: "node_usage_report_cache",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy hours per day per node type (total, maintenance, reserved, used, idle).",
    columns: [
      col("id", "INT", false),
      col("date", "DATE", false),
      v255("node_type"),
      col("total_hours", "DOUBLE"),
      col("maint_hours", "DOUBLE"),
      col("reserved_hours", "DOUBLE"),
      col("used_hours", "DOUBLE"),
      col("idle_hours", "DOUBLE"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_count_cache",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy node count per day per node type.",
    columns: [
      col("id", "INT", false),
      col("date", "DATE", false),
      v255("node_type"),
      col("cnt", "INT"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_maintenance",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy maintenance of nodes over time; columns mapped per site (docs/design.md §4).",
    columns: [
      col("id", "INT", false),
      v255("node_name"),
      col("date", "DATE", false),
      col("hours", "DOUBLE"),
      v255("reason"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_usage",
    key: "id",
    optional: true,
    selectAll: true,
    doc: "Legacy per-node daily usage; fetched for the record, not read by the stages.",
    columns: [
      col("id", "INT", false),
      v255("node_name"),
      col("date", "DATE", false),
      col("reserved_hours", "DOUBLE"),
      col("used_hours", "DOUBLE"),
      v255("project_id"),
    ],
  },
  {
    schema: "chameleon_usage",
    table: "node_project_usage_report_cache",
    key: "id",
    optional: true,
    selectAll: true,
    doc:
      "Legacy hours per day per project and node type (reserved, used); its columns are not public, this is the shape 04 assumes (docs/decisions/0016).",
    columns: [
      col("id", "INT", false),
      col("date", "DATE", false),
      v255("project_id"),
      v255("node_type"),
      col("reserved_hours", "DOUBLE"),
      col("used_hours", "DOUBLE"),
    ],
  },
];
