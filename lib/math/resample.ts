/**
 * Exact time-weighted resampling of step functions, in SQL on DuckDB, with no domain knowledge.
 *
 * A bucket's value is the integral of the step function over the bucket divided by the bucket's
 * length: never the last value, never a point sample. Each step `[t, next t)` is cut at the edges
 * of the atoms it crosses (hours for hourly buckets, days otherwise) and contributes
 * `value x seconds` to each; weeks, months and years are sums of whole days. Integer values over
 * whole seconds give integer products, summed exactly in DOUBLE far beyond a decade of a site's
 * capacity, so mean x length equals the integral.
 *
 * Before its first step a group's value is 0; the last step holds until `to`. Buckets are
 * `[start, next start)` within `[from, to)`: the first and last may be partial, and their length
 * (`seconds`) says so. Weeks start on Monday (ISO), all in UTC.
 *
 * @module
 */
import type { Duck } from "../db/duckdb.ts";
import { sqlIdent } from "../sql.ts";

/** A caller's table or column name as a DuckDB identifier. */
const id = (name: string) => sqlIdent(name);

/** Bucket sizes. */
export type Bucket = "hour" | "day" | "week" | "month" | "year";

const HOUR_US = 3_600_000_000n;
const DAY_US = 86_400_000_000n;

/**
 * Replaces `output` by `(groups..., bucket_start TIMESTAMP, seconds DOUBLE, integral_<value>
 * DOUBLE, mean_<value> DOUBLE...)`: per group and bucket, the bucket's length in seconds (within
 * the range), the integral of each step function over it (value x seconds) and its time-weighted
 * mean. `steps` has the group columns, `t` (BIGINT microseconds) and the value columns; `from`
 * and `to` are microseconds.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { Duck } from "../db/duckdb.ts";
 * import { resampleSteps } from "./resample.ts";
 * using db = await Duck.open();
 * const H = 3600_000000n;
 * // 2 from 06:00, 4 from 18:00: the first day's mean is (12 h x 2 + 6 h x 4) / 24 h = 2
 * await db.run(`CREATE TABLE s AS SELECT * FROM (VALUES ('a', ${6n * H}, 2.0), ('a', ${18n * H}, 4.0)) t(g, t, v)`);
 * await resampleSteps(db, { steps: "s", groups: ["g"], values: ["v"], bucket: "day", from: 0n, to: 48n * H, output: "r" });
 * deepEqual(await db.json("SELECT seconds, mean_v, integral_v FROM r ORDER BY bucket_start"), [
 *   { seconds: 86400, mean_v: 2, integral_v: 172800 }, { seconds: 86400, mean_v: 4, integral_v: 345600 },
 * ]);
 * ```
 */
export async function resampleSteps(
  db: Duck,
  options: {
    steps: string;
    groups: readonly string[];
    values: readonly string[];
    bucket: Bucket;
    from: bigint;
    to: bigint;
    output: string;
    /**
     * Give every group that has a row a row for every bucket of `[from, to)`, its integrals 0 where
     * it had none (before its first step). @default {false}
     */
    fill?: boolean;
    /**
     * A column of `steps` holding each step's next instant in its group (NULL on the last), as
     * `deltasToSteps` writes it with `next`: read instead of a window over the steps.
     */
    next?: string;
  },
): Promise<void> {
  const { from, to, bucket } = options;
  if (to <= from) {
    throw new Error(`Cannot resample: expected from < to, found ${from} >= ${to}`);
  }
  const g = options.groups.map(id);
  const gc = g.length > 0 ? `${g.join(", ")}, ` : "";
  const part = g.length > 0 ? `PARTITION BY ${g.join(", ")}` : "";
  const atom = bucket === "hour" ? HOUR_US : DAY_US;
  const vals = options.values.map((v) => ({
    v: id(v),
    i: id(`integral_${v}`),
    m: id(`mean_${v}`),
  }));
  const F = `${from}::BIGINT`, T = `${to}::BIGINT`, A = `${atom}::BIGINT`;
  const nextT = options.next ? id(options.next) : `lead(t) OVER (${part} ORDER BY t)`;
  // The bucket holding an atom, as a timestamp (clipped to `from` for the first one).
  const bucketOf = bucket === "hour" || bucket === "day"
    ? `make_timestamp(greatest(atom * ${A}, ${F}))`
    : `make_timestamp(greatest(epoch_us(date_trunc('${bucket}', make_timestamp(atom * ${A}))), ${F}))`;
  const nextOf = bucket === "hour" || bucket === "day"
    ? `least((atom + 1) * ${A}, ${T})`
    : `least(epoch_us(date_trunc('${bucket}', make_timestamp(atom * ${A})) + INTERVAL 1 ${bucket}), ${T})`;
  await db.run(`
    CREATE OR REPLACE TABLE ${id(options.output)} AS
    WITH n AS (
      SELECT ${gc} greatest(t, ${F}) AS s, least(coalesce(${nextT}, ${T}), ${T}) AS e,
        ${vals.map((c) => c.v).join(", ")}
      FROM ${id(options.steps)}
    ), cut AS (
      SELECT ${gc} s, e, ${vals.map((c) => c.v).join(", ")},
        unnest(range(s // ${A}, (e - 1) // ${A} + 1)) AS atom
      FROM n WHERE e > s
    ), atoms AS (
      SELECT ${gc} atom, ${
    vals.map((c) =>
      `sum(coalesce(${c.v}, 0) * ((least(e, (atom + 1) * ${A}) - greatest(s, atom * ${A})) / 1e6)) AS ${c.i}`
    ).join(", ")
  }
      FROM cut GROUP BY ALL
    ), buckets AS (
      SELECT ${gc} ${bucketOf} AS bucket_start, any_value(${nextOf}) AS bucket_end,
        ${vals.map((c) => `sum(${c.i}) AS ${c.i}`).join(", ")}
      FROM atoms GROUP BY ALL
    )
    ${
    options.fill
      ? `, every AS (
      SELECT DISTINCT ${bucketOf} AS bucket_start, ${nextOf} AS bucket_end
      FROM range(${F} // ${A}, (${T} - 1) // ${A} + 1) a(atom)
    ), filled AS (
      SELECT ${g.map((x) => `k.${x}`).join(", ")}${
        g.length > 0 ? ", " : ""
      }d.bucket_start, d.bucket_end,
        ${vals.map((c) => `coalesce(b.${c.i}, 0) AS ${c.i}`).join(", ")}
      FROM (SELECT DISTINCT ${
        g.length > 0 ? g.join(", ") : "1 AS one"
      } FROM buckets) k CROSS JOIN every d
      LEFT JOIN buckets b ON b.bucket_start = d.bucket_start${
        g.map((x) => ` AND b.${x} IS NOT DISTINCT FROM k.${x}`).join("")
      }
    )`
      : ""
  }
    SELECT ${gc} bucket_start, ((bucket_end - epoch_us(bucket_start)) / 1e6)::DOUBLE AS seconds,
      ${
    vals.map((c) =>
      `${c.i}::DOUBLE AS ${c.i}, (${c.i} / ((bucket_end - epoch_us(bucket_start)) / 1e6))::DOUBLE AS ${c.m}`
    ).join(", ")
  }
    FROM ${options.fill ? "filled" : "buckets"}`);
}
