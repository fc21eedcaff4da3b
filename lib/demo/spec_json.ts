/**
 * The `nova_api.request_specs.spec` JSON of the demo site, in Nova's object envelope
 * (`nova_object.name`, `nova_object.data`, ...), as SCHEMAS.md describes it.
 *
 * @module
 */

/** What a request spec of the demo carries. */
export interface SpecInput {
  instanceUuid: string;
  projectId: string;
  /** Blazar reservation passed as a scheduler hint (physical:host reservations). */
  reservation?: string;
  /** Flavor name: `reservation:<id>` for flavor:instance reservations. */
  flavorName: string;
  flavorId: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  /** The flavor's extra specs (default: Blazar's for a `reservation:` flavor, else bare metal's). */
  extraSpecs?: Record<string, string>;
}

/**
 * Serializes a request spec the way `jsonutils.dumps(RequestSpec.obj_to_primitive())` does.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { requestSpecJson } from "./spec_json.ts";
 * const spec = JSON.parse(requestSpecJson({ instanceUuid: "u", projectId: "p", reservation: "r1",
 *   flavorName: "baremetal", flavorId: "baremetal", vcpus: 48, memoryMb: 1024, rootGb: 10 }));
 * equal(spec["nova_object.data"].scheduler_hints.reservation[0], "r1");
 * ```
 */
export function requestSpecJson(s: SpecInput): string {
  const reservationSpecs: Record<string, string> = s.extraSpecs ??
    (s.flavorName.startsWith("reservation:")
      ? {
        "aggregate_instance_extra_specs:reservation": s.flavorId,
        [`resources:CUSTOM_RESERVATION_${s.flavorId.toUpperCase().replaceAll("-", "_")}`]: "1",
      }
      : { "resources:CUSTOM_BAREMETAL": "1", "resources:VCPU": "0", "resources:MEMORY_MB": "0" });
  const data: Record<string, unknown> = {
    instance_uuid: s.instanceUuid,
    project_id: s.projectId,
    user_id: null,
    availability_zone: null,
    num_instances: 1,
    ignore_hosts: null,
    force_hosts: null,
    force_nodes: null,
    retry: null,
    requested_destination: null,
    image: {
      "nova_object.name": "ImageMeta",
      "nova_object.namespace": "nova",
      "nova_object.version": "1.8",
      "nova_object.data": {
        name: "CC-Ubuntu22.04",
        disk_format: "qcow2",
        container_format: "bare",
        min_disk: 0,
        min_ram: 0,
        properties: {
          "nova_object.name": "ImageMetaProps",
          "nova_object.namespace": "nova",
          "nova_object.version": "1.25",
          "nova_object.data": { os_distro: "ubuntu", hw_firmware_type: "uefi" },
        },
      },
    },
    flavor: {
      "nova_object.name": "Flavor",
      "nova_object.namespace": "nova",
      "nova_object.version": "1.2",
      "nova_object.data": {
        name: s.flavorName,
        flavorid: s.flavorId,
        vcpus: s.vcpus,
        memory_mb: s.memoryMb,
        root_gb: s.rootGb,
        ephemeral_gb: 0,
        swap: 0,
        is_public: !s.flavorName.startsWith("reservation:"),
        extra_specs: reservationSpecs,
      },
    },
  };
  if (s.reservation !== undefined) data.scheduler_hints = { reservation: [s.reservation] };
  return JSON.stringify({
    "nova_object.name": "RequestSpec",
    "nova_object.namespace": "nova",
    "nova_object.version": "1.12",
    "nova_object.data": data,
    "nova_object.changes": ["instance_uuid", "flavor", "image", "num_instances"],
  });
}
