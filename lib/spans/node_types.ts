/**
 * Node types and host attributes per host window (docs/design.md §7).
 *
 * A host window is a maximal interval of `total` (Nova registrations and evidence) for one
 * hostname. Its node type comes from the Blazar host records of the same hostname that overlap
 * the window, through the extra capability `node_type`, in any of the three schema eras:
 *
 * | era | key of the capability |
 * |---|---|
 * | original | `computehost_extra_capabilities.capability_name` |
 * | Chameleon fork 2020-2024 | `capability_id` -> `extra_capabilities.capability_name` |
 * | current (fork and upstream) | `property_id` -> `resource_properties.property_name` |
 *
 * | case | node type |
 * |---|---|
 * | no Blazar record overlaps the window | `unknown` |
 * | records of one type overlap | that type |
 * | records of several types overlap | the type with the most overlapping time (ties: the latest record); listed as a conflict |
 *
 * Edge devices (`blazar.devices`) are records of the same kind, named by their `name`: their
 * node type is the `machine_name` capability (property of `resource_type` `device`, newest
 * first), else their `device_type`.
 *
 * Host size (vcpus, memory, disk) comes from the window's latest compute-node row with non-zero
 * values, else from its Blazar records (Ironic reports zeros in Nova since resource classes). The
 * CPU overcommit ratio comes from the same compute-node row (rounded to 6 decimals: Nova stores a
 * FLOAT), NULL when it has none.
 *
 * @module
 */
import { sqlBigint } from "../db/duckdb.ts";
import { mergeWindows } from "../math/windows.ts";
import type { SpanContext } from "./context.ts";
import { type TableHandle, tableHandle } from "./plan.ts";

/**
 * `host_windows(window_id, hostname, s, e, node_type, hypervisor_type, vcpus, memory_mb,
 * disk_gb, cpu_allocation_ratio)`: built by {@linkcode hostWindows}, read by the pool and the final tables.
 */
export const HOST_WINDOWS: TableHandle<"host_windows"> = tableHandle(
  "host_windows",
  "host_windows",
);

/**
 * Builds `blazar_node_types(computehost_id, node_type)`: the newest `node_type` capability of each
 * Blazar host record, whatever the schema era.
 */
async function blazarNodeTypes(ctx: SpanContext): Promise<void> {
  await ctx.db.run(`
    CREATE OR REPLACE TABLE blazar_node_types AS
    SELECT c.computehost_id, trim(c.capability_value) AS node_type
    FROM stg_blazar_computehost_extra_capabilities c
    LEFT JOIN stg_blazar_extra_capabilities x ON x.id = c.capability_id
    LEFT JOIN stg_blazar_resource_properties p ON p.id = c.property_id
    WHERE coalesce(c.capability_name, x.capability_name, p.property_name) = 'node_type'
      AND nullif(trim(c.capability_value), '') IS NOT NULL
    QUALIFY row_number() OVER (
      PARTITION BY c.computehost_id ORDER BY c.created_at DESC NULLS LAST, c.id DESC) = 1`);
}

/**
 * SQL: the device records as Blazar records (`id, hostname, s, e, node_type` and NULL sizes):
 * node type from the newest `machine_name` capability, else `device_type`.
 */
function deviceRecords(asOf: string): string {
  return `
    SELECT d.id, d.name AS hostname, epoch_us(d.created_at) AS s,
      least(coalesce(epoch_us(d.deleted_at), ${asOf}), ${asOf}) AS e,
      coalesce(m.machine_name, nullif(trim(CAST(d.device_type AS VARCHAR)), '')) AS node_type,
      NULL AS hypervisor_type, NULL::INTEGER AS vcpus, NULL::INTEGER AS memory_mb,
      NULL::INTEGER AS local_gb
    FROM stg_blazar_devices d LEFT JOIN (
      SELECT c.device_id, trim(c.capability_value) AS machine_name
      FROM stg_blazar_device_extra_capabilities c
      JOIN stg_blazar_resource_properties p ON p.id = c.property_id
      WHERE p.property_name = 'machine_name' AND p.resource_type = 'device'
        AND nullif(trim(c.capability_value), '') IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY c.device_id
        ORDER BY c.deleted_at IS NULL DESC, c.created_at DESC NULLS LAST, c.id DESC) = 1
    ) m ON m.device_id = d.id
    WHERE d.created_at IS NOT NULL AND d.name IS NOT NULL`;
}

/**
 * Builds {@linkcode HOST_WINDOWS} from the `total` span pieces, and `node_type_conflicts` for
 * windows that several node types claim.
 */
export async function hostWindows(ctx: SpanContext): Promise<TableHandle<"host_windows">> {
  const asOf = sqlBigint(ctx.asOfUs);
  await blazarNodeTypes(ctx);
  // The maximal intervals of each hostname's total pieces, numbered by hostname and start.
  await ctx.db.run(
    "CREATE OR REPLACE VIEW total_pieces AS SELECT hostname, s, e FROM span_pieces WHERE metric = 'total'",
  );
  await mergeWindows(ctx.db, { input: "total_pieces", output: "total_windows", key: "hostname" });
  await ctx.db.run(`
    CREATE OR REPLACE TABLE host_windows AS
    SELECT row_number() OVER (ORDER BY hostname, s) AS window_id, hostname, s, e FROM total_windows;
    DROP TABLE total_windows; DROP VIEW total_pieces;`);
  // Blazar records with their node types and sizes, as intervals.
  await ctx.db.run(`
    CREATE OR REPLACE TABLE blazar_records AS
    SELECT h.id, h.hypervisor_hostname AS hostname, epoch_us(h.created_at) AS s,
      least(coalesce(epoch_us(h.deleted_at), ${asOf}), ${asOf}) AS e,
      t.node_type, h.hypervisor_type, h.vcpus, h.memory_mb, h.local_gb
    FROM stg_blazar_computehosts h LEFT JOIN blazar_node_types t ON t.computehost_id = h.id
    WHERE h.created_at IS NOT NULL AND h.hypervisor_hostname IS NOT NULL
    UNION ALL ${deviceRecords(asOf)}`);
  await ctx.db.run(`
    CREATE OR REPLACE TABLE window_types AS
    SELECT w.window_id, b.node_type,
      sum(least(w.e, b.e) - greatest(w.s, b.s)) AS overlap, max(b.s) AS latest
    FROM host_windows w JOIN blazar_records b
      ON b.hostname = w.hostname AND b.s < w.e AND w.s < b.e AND b.node_type IS NOT NULL
    GROUP BY ALL`);
  await ctx.db.run(`
    CREATE OR REPLACE TABLE node_type_conflicts AS
    SELECT w.hostname, w.s, w.e, list(t.node_type ORDER BY t.overlap DESC, t.node_type) AS node_types
    FROM host_windows w JOIN window_types t USING (window_id)
    GROUP BY ALL HAVING count(*) > 1`);
  await ctx.db.run(`
    CREATE OR REPLACE TABLE host_windows AS
    WITH best AS (
      SELECT window_id, node_type FROM window_types
      QUALIFY row_number() OVER (PARTITION BY window_id ORDER BY overlap DESC, latest DESC, node_type) = 1
    ), nova AS (
      SELECT w.window_id, c.hypervisor_type, c.vcpus, c.memory_mb, c.local_gb, c.cpu_allocation_ratio
      FROM host_windows w JOIN stg_nova_compute_nodes c
        ON c.hypervisor_hostname = w.hostname AND epoch_us(c.created_at) < w.e
        AND w.s < coalesce(epoch_us(c.deleted_at), ${asOf})
      QUALIFY row_number() OVER (PARTITION BY w.window_id ORDER BY (c.vcpus > 0) DESC, c.created_at DESC, c.id DESC) = 1
    ), blz AS (
      SELECT w.window_id, b.hypervisor_type, b.vcpus, b.memory_mb, b.local_gb
      FROM host_windows w JOIN blazar_records b ON b.hostname = w.hostname AND b.s < w.e AND w.s < b.e
      QUALIFY row_number() OVER (PARTITION BY w.window_id ORDER BY (b.vcpus > 0) DESC, b.s DESC, b.id DESC) = 1
    )
    SELECT w.*, coalesce(best.node_type, 'unknown') AS node_type,
      lower(coalesce(nova.hypervisor_type, blz.hypervisor_type, 'ironic')) AS hypervisor_type,
      coalesce(nullif(nova.vcpus, 0), nullif(blz.vcpus, 0))::DOUBLE AS vcpus,
      coalesce(nullif(nova.memory_mb, 0), nullif(blz.memory_mb, 0))::DOUBLE AS memory_mb,
      coalesce(nullif(nova.local_gb, 0), nullif(blz.local_gb, 0))::DOUBLE AS disk_gb,
      round(nova.cpu_allocation_ratio::DOUBLE, 6) AS cpu_allocation_ratio
    FROM host_windows w LEFT JOIN best USING (window_id) LEFT JOIN nova USING (window_id)
      LEFT JOIN blz USING (window_id)`);
  await ctx.db.run(
    "DROP TABLE blazar_records; DROP TABLE window_types; DROP TABLE blazar_node_types",
  );
  return HOST_WINDOWS;
}
