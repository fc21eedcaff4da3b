/**
 * Audit reason codes: why a source row, or a piece of it, is not (wholly) a valid span.
 * Each rejected row or piece carries exactly one; the first matching rule of a source's
 * decision table wins. The set may grow; every code is documented here.
 *
 * @module
 */

/** Every reason code with its meaning. */
export const REASONS = {
  missing_start: "The row has no start time (e.g. created_at or the maintenance date is NULL).",
  missing_end:
    "The row is marked deleted but has no deletion time, so its end is unknown; the whole row is set apart.",
  missing_host:
    "The join key is NULL: no hypervisor hostname, or an instance with no node and no compute event naming a host.",
  phantom_span: "The end is at or before the start: a zero-length or reversed interval.",
  never_launched: "An instance that was never launched (launched_at is NULL): it occupied nothing.",
  deleted_before_start: "A lease (or its reservation or allocation) was deleted before it started.",
  after_as_of: "The part scheduled after the snapshot's as_of time (future leases, clock skew).",
  duplicate_conflict:
    "The part of a record that an earlier record of the same host already covers (duplicate Blazar hosts, overlapping compute-node registrations); the host counts once.",
  orphan:
    "No parent window overlaps the row at all (no host, reservation or allocation to hold it).",
  clipped:
    "The part of the row outside its parent windows (e.g. an instance running past its lease).",
  shelved_offloaded:
    "The time an instance spent shelved and offloaded between its occupancy segments: it held no host.",
  duplicate_key:
    "A row whose primary key an earlier row of the same table (file order) already has: set apart at staging, the first row of the key is read; its interval is not read (0 seconds). The detail names schema.table, the key column and the key.",
  unreadable_value:
    "A value that cannot be read as what it stands for (a legacy maintenance row whose hours are not a finite number, or absurdly large such as 1e300): the row is set apart with 0 seconds and the value and column named in its detail.",
  committed_overlap:
    "Maintenance recorded while a Blazar allocation held the host: committed wins, the overlap is reported.",
  operator_hold:
    "An instance in a reservation of one of the site's ops_projects (an operator hold): the host counts as held by the operators (operator_hold), not as occupied by users; only at sites that list ops_projects.",
} as const;

/** One reason code. */
export type Reason = keyof typeof REASONS;
