/**
 * The chart inputs' readers live with the artifacts they read, in `lib/outputs/read.ts`; this
 * module re-exports them for the charts.
 *
 * @module
 */
export * from "../outputs/read.ts";
export * from "../outputs/read_buckets.ts";
