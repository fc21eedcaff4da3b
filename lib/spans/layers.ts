/**
 * The window layers span sources are clamped to (docs/design.md §7): each is a table
 * `(parent_key, s, e)` built from the span pieces of some metrics once every plan writing them
 * has run.
 *
 * | layer | key | windows | built from |
 * |---|---|---|---|
 * | `total` | hostname | maximal `total` intervals (host windows, with node type and size) | `total` |
 * | `reservable` | hostname | `reservable` pieces | `reservable` |
 * | `committed` | hostname | `committed` and `operator_hold` pieces (any allocation holds the host) | `committed`, `operator_hold` |
 * | `occupancy` | `res\|<reservation>\|<hostname>` or `host\|<hostname>` | committed pieces of each reservation on its host, and the host windows | `committed`, `total` |
 *
 * @module
 */
import { sqlLiteral } from "../sql.ts";
import type { SpanContext } from "./context.ts";
import { type LayerName, type Metric, type TableHandle, tableHandle } from "./plan.ts";
import { HOST_WINDOWS, hostWindows } from "./node_types.ts";

/** How one layer is built. */
export interface LayerSpec {
  /** Metrics whose every writer must have run first. */
  readonly from: readonly Metric[];
  /** Layers it is built from (built first). */
  readonly layers: readonly LayerName[];
  /** Builds the windows table (on the run's main connection). */
  readonly build: (ctx: SpanContext) => Promise<TableHandle<"windows">>;
}

/** Windows of some metrics' pieces, keyed by hostname. */
function piecesOf(metrics: readonly Metric[], name: string): LayerSpec["build"] {
  return async (ctx) => {
    const w = tableHandle("windows", name);
    await ctx.db.run(
      `CREATE OR REPLACE TABLE ${w.name} AS SELECT hostname AS parent_key, s, e FROM span_pieces WHERE metric IN (${
        metrics.map((m) => sqlLiteral(m)).join(", ")
      })`,
    );
    return w;
  };
}

/**
 * Every layer (see the module's table).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { LAYERS } from "./layers.ts";
 * deepEqual(LAYERS.occupancy.from, ["committed", "total"]);
 * ```
 */
export const LAYERS: Readonly<Record<LayerName, LayerSpec>> = {
  total: {
    from: ["total"],
    layers: [],
    build: async (ctx) => {
      const hw = await hostWindows(ctx);
      const w = tableHandle("windows", "win_total");
      await ctx.db.run(
        `CREATE OR REPLACE TABLE ${w.name} AS SELECT hostname AS parent_key, s, e FROM ${hw.name}`,
      );
      return w;
    },
  },
  reservable: {
    from: ["reservable"],
    layers: [],
    build: piecesOf(["reservable"], "win_reservable"),
  },
  committed: {
    from: ["committed", "operator_hold"],
    layers: [],
    build: piecesOf(["committed", "operator_hold"], "win_committed_host"),
  },
  occupancy: {
    from: ["committed", "total"],
    layers: ["total"],
    build: async (ctx) => {
      const w = tableHandle("windows", "win_occupancy");
      await ctx.db.run(`
        CREATE OR REPLACE TABLE ${w.name} AS
        SELECT 'res|' || entity_id || '|' || hostname AS parent_key, s, e FROM span_pieces WHERE metric = 'committed'
        UNION ALL SELECT 'host|' || hostname, s, e FROM ${HOST_WINDOWS.name}`);
      return w;
    },
  },
};
