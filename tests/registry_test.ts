import { deepEqual, equal, match, throws } from "node:assert/strict";
import {
  columnSpec,
  createTableSql,
  duckdbType,
  postgresType,
  qualifiedName,
  REGISTRY,
  SCHEMAS,
  tableSpec,
} from "../lib/registry.ts";
import {
  BLAZAR_TABLES,
  CHAMELEON_USAGE_TABLES,
  NOVA_API_TABLES,
  NOVA_TABLES,
  ZUN_TABLES,
} from "../lib/registry/tables.ts";

Deno.test("REGISTRY holds every source table of docs/design.md §4 once", () => {
  const names = REGISTRY.map(qualifiedName);
  equal(new Set(names).size, names.length);
  for (
    const t of [
      "nova.compute_nodes",
      "nova.services",
      "nova.instances",
      "nova.instance_actions",
      "nova.instance_actions_events",
      "nova_api.request_specs",
      "blazar.leases",
      "blazar.reservations",
      "blazar.computehost_allocations",
      "blazar.computehosts",
      "blazar.computehost_extra_capabilities",
      "blazar.instance_reservations",
      "chameleon_usage.node_usage_report_cache",
      "chameleon_usage.node_count_cache",
      "chameleon_usage.node_maintenance",
    ]
  ) equal(names.includes(t as never), true, `missing ${t}`);
});

Deno.test("REGISTRY columns follow SCHEMAS.md types and nullability", () => {
  equal(columnSpec("nova.compute_nodes", "hypervisor_type").type, "MEDIUMTEXT");
  equal(columnSpec("nova.compute_nodes", "deleted").type, "INT");
  equal(columnSpec("blazar.leases", "deleted").type, "VARCHAR(36)");
  equal(columnSpec("blazar.leases", "start_date").nullable, false);
  equal(columnSpec("nova.instances", "uuid").nullable, false);
  equal(columnSpec("nova.instances", "compute_id").optional, true);
  equal(columnSpec("nova.services", "disabled").type, "TINYINT(1)");
  equal(columnSpec("nova_api.request_specs", "spec").type, "MEDIUMTEXT");
  equal(columnSpec("blazar.computehost_extra_capabilities", "property_id").optional, true);
  for (const t of REGISTRY) {
    equal(t.columns.some((c) => c.name === t.key && !c.nullable), true, `${qualifiedName(t)} key`);
    const names = t.columns.map((c) => c.name);
    equal(new Set(names).size, names.length, `${qualifiedName(t)} has a duplicate column`);
  }
});

Deno.test("type mapping covers every registry type in all three dialects", () => {
  for (const t of REGISTRY) {
    for (const c of t.columns) {
      duckdbType(c.type);
      postgresType(c.type);
    }
  }
  equal(duckdbType("ENUM('owner','admin')"), "VARCHAR");
  equal(postgresType("TINYINT(1)"), "boolean");
  equal(duckdbType("DECIMAL(10,2)"), "DECIMAL(10,2)");
  throws(() => duckdbType("GEOMETRY"), /unknown base type "GEOMETRY"/);
});

Deno.test("createTableSql() derives OpenStack-shaped DDL from the registry", () => {
  const spec = tableSpec("nova.services");
  const mysql = createTableSql(spec, "mysql");
  match(mysql, /^CREATE TABLE `nova`\.`services` \(/);
  match(mysql, /`binary` VARCHAR\(255\) NULL/);
  match(mysql, /`id` INT NOT NULL/);
  match(mysql, /PRIMARY KEY \(`id`\)/);
  const pg = createTableSql(tableSpec("blazar.leases"), "postgres", { schema: "blazar_x" });
  match(pg, /^CREATE TABLE "blazar_x"\."leases"/);
  match(pg, /"start_date" timestamp without time zone NOT NULL/);
  const duck = createTableSql(tableSpec("nova.instances"), "duckdb", {
    omitColumns: ["compute_id"],
  });
  equal(duck.includes("compute_id"), false);
  match(duck, /"locked_by" VARCHAR NULL/);
});

Deno.test("REGISTRY is the per-schema lists in schema order, each holding only its schema", () => {
  const lists = [NOVA_TABLES, NOVA_API_TABLES, BLAZAR_TABLES, CHAMELEON_USAGE_TABLES, ZUN_TABLES];
  deepEqual(REGISTRY, lists.flat());
  deepEqual(lists.map((l) => [...new Set(l.map((t) => t.schema))]), SCHEMAS.map((s) => [s]));
  equal(new Set(REGISTRY.map(qualifiedName)).size, REGISTRY.length);
});

Deno.test("tableSpec() names an unknown table", () => {
  throws(
    () => tableSpec("nova.flavors"),
    /Cannot find table "nova\.flavors" in the source-table registry/,
  );
  deepEqual(tableSpec("blazar.computehosts").optional, true);
});
