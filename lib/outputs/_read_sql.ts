/**
 * What the readers of output files share (`read.ts`, `read_buckets.ts`): the parameterised WHERE
 * of a usage filter, the row shape of a usage row, and an own database when none is given.
 *
 * @module
 */
import { Duck } from "../db/duckdb.ts";
import type { UsageFilter } from "./read.ts";
import type { UsageRow } from "./rows.ts";

/** A nullable number column as a number or null. */
export const num = (
  v: unknown,
): number | null => (v === null || v === undefined ? null : Number(v));

/** WHERE clauses and their bound parameters. */
export class Where {
  readonly parts: string[] = ["true"];
  readonly params: (string | number)[] = [];
  add(sql: (p: (v: string | number) => string) => string): this {
    this.parts.push(sql((v) => {
      this.params.push(v);
      return `$${this.params.length}`;
    }));
    return this;
  }
  eq(col: string, v: string | number | undefined | null): this {
    return v === undefined || v === null ? this : this.add((p) => `"${col}" = ${p(v)}`);
  }
  in(col: string, vs: readonly string[] | undefined): this {
    if (vs === undefined) return this;
    if (vs.length === 0) return this.add(() => "false");
    return this.add((p) => `"${col}" IN (${vs.map(p).join(", ")})`);
  }
  toString(): string {
    return this.parts.join(" AND ");
  }
}

export async function withDb<T>(db: Duck | undefined, f: (db: Duck) => Promise<T>): Promise<T> {
  if (db) return await f(db);
  using own = await Duck.open();
  return await f(own);
}

export function usageWhere(f: UsageFilter): Where {
  return new Where()
    .eq("resource", f.resource)
    .eq("node_type", f.nodeType)
    .eq("site", f.site)
    .eq("collector_type", f.collector === undefined ? "current" : f.collector)
    .in("metric", f.metrics);
}

export function toUsage(r: Record<string, unknown>): UsageRow {
  return {
    site: String(r.site),
    collector_type: String(r.collector_type),
    metric: String(r.metric),
    resource: String(r.resource),
    node_type: String(r.node_type),
    timestamp: String(r.timestamp),
    value: Number(r.value),
  };
}
