/**
 * What every span source gets: the database with the staged tables, the snapshot's `as_of`
 * (microseconds) and the site's settings.
 *
 * @module
 */
import type { Duck } from "../db/duckdb.ts";
import type { MaintenanceMapping } from "../config.ts";

/** Switches of the augmentation rules (all on by default). */
export interface SpanRules {
  /** Exclude overlapping records of one host (`duplicate_conflict`). @default {true} */
  conflicts: boolean;
  /** Fill gaps of upper layers from lower ones (allocations, instances). @default {true} */
  evidence: boolean;
  /** Replay instance actions into active spans. @default {true} */
  active: boolean;
  /** Maintenance spans from the legacy table. @default {true} */
  maintenance: boolean;
  /** Three-state pool membership (`pool_unknown`). @default {true} */
  pool: boolean;
}

/** The default rules: everything on. */
export const DEFAULT_RULES: SpanRules = {
  conflicts: true,
  evidence: true,
  active: true,
  maintenance: true,
  pool: true,
};

/** Context of one spans run. */
export interface SpanContext {
  db: Duck;
  site: string;
  /** Snapshot time in microseconds since the epoch. */
  asOfUs: bigint;
  /** Date (YYYY-MM-DD) before which pool membership is unknown, if configured. */
  blazarCoverageStart?: string;
  maintenance: MaintenanceMapping;
  /** Projects whose reservations are operator holds (`ops_projects`); none by default. */
  opsProjects?: readonly string[];
  rules: SpanRules;
  /** Tables present in the snapshot. */
  present: Set<string>;
}
