/**
 * Stage 03: spans -> step functions per metric, resource and node type -> derived metrics ->
 * exact daily means and resource-hours per month and year (docs/design.md §2, §6, §8.3, §9).
 *
 * | step | how |
 * |---|---|
 * | spans to deltas | each span adds its resource amount at its start and removes it at its end |
 * | derived metrics | linear combinations of measured deltas (`coefficients.ts`), so they are exact at every instant |
 * | steps | running sum per (metric, resource, node type); exact, in integer lanes, when resources are whole numbers |
 * | fractions of nodes | a share of a KVM host (`host_vcpus` set) counts `vcpus x (U / host_vcpus)` node units, a whole host `U`, with `U` the least common multiple of the hosts' vCPUs: whole numbers, summed exactly; divided by `U` only in the outputs (docs/decisions/0014-kvm-fractions.md) |
 * | stack check | leaves minus total, recomputed from the written steps, is zero at every instant |
 * | negative values | counted per metric with their duration and resource-hours below zero, never clamped |
 * | daily means, hours | running integral at bucket edges (`lib/math/resample.ts`) |
 * | project hours | straight from the spans per project (`projects.ts`), checked to sum to the site's hours |
 *
 * Site totals are sums over node types; no output holds both.
 *
 * @module
 */
import { join } from "node:path";
import type { Duck } from "../db/duckdb.ts";
import { enumConstant, enumType } from "../db/duckdb.ts";
import { sqlLiteral } from "../sql.ts";
import { atomicWrite } from "../fs.ts";
import { isoOfUs, utcUs } from "../time.ts";
import { intervalsToCombinedSteps } from "../math/sweepline.ts";
import { resampleSteps } from "../math/resample.ts";
import type { Lane } from "../math/lanes.ts";
import { COLLECTOR_CURRENT, LEAF_METRICS, MEASURED_METRICS, RESOURCES } from "../metrics.ts";
import { metricTerms } from "./coefficients.ts";
import { buildProjectIntegrals, type ProjectSumsCheck, projectSumsCheck } from "./projects.ts";

/** Options of {@linkcode buildLedger}. */
export interface LedgerOptions {
  /** The snapshot's as_of, ISO UTC (`YYYY-MM-DDTHH:MM:SS`). */
  asOf: string;
  /** Start of the view window, `YYYY-MM-DD`; default: the day of the earliest span. */
  start?: string;
  /** End of the view window (exclusive), `YYYY-MM-DD`; default and at most: as_of. */
  end?: string;
}

/** A derived (or measured) series that went below zero: a data conflict, shown, not clamped. */
export interface NegativeSeries {
  metric: string;
  resource: string;
  node_type: string;
  /** Steps with a negative value. */
  steps: number;
  /** Time spent below zero. */
  hours: number;
  /** Integral of the negative part, as a positive number of resource-hours. */
  resource_hours: number;
  min_value: number;
}

/** The stack check of docs/design.md §8.3 and the negative-value diagnostics. */
export interface LedgerChecks {
  stack: { ok: boolean; instants: number; violations: number; max_abs_residual: number };
  /** How the step functions were summed: `exact` when every resource was (whole numbers), in
   * these lanes (`lanes.ts`); the resources in `rounded` were summed in DOUBLE and rounded to 9
   * decimals. */
  sums: { exact: boolean; lanes: string[]; rounded: string[]; node_units: number };
  negatives: NegativeSeries[];
  window: { start: string; end: string };
  /** Per-project hours summed over projects against the site's hours (docs/design.md §8.5). */
  projects: ProjectSumsCheck;
}

/** What {@linkcode buildSteps} summed: the lanes, the resources and the node unit. */
export interface StepsPlan {
  lanes: Lane[];
  /** The resources of the site: `vcpus_overcommit` only where some span carries it (KVM). */
  resources: string[];
  /** Node units per node in `steps` (1 unless some span is a share of a host). */
  nodeUnits: number;
}

/** Largest node unit used; above it `nodes` is summed as fractions (inexact, rounded). */
export const MAX_NODE_UNITS = 2 ** 32;

/**
 * The node unit of a set of host vCPU counts: their least common multiple, so that a share
 * `v / h` of any of them is the whole number `v x (U / h)` of units; 1 when there is none, or
 * when one is not a positive whole number or the multiple passes {@linkcode MAX_NODE_UNITS}.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { nodeUnitsOf } from "./build.ts";
 * equal(nodeUnitsOf([48, 64, 40]), 960);
 * equal(nodeUnitsOf([]), 1);
 * equal(nodeUnitsOf([48, 2.5]), 1);
 * ```
 */
export function nodeUnitsOf(hostVcpus: readonly number[]): number {
  const gcd = (a: number, b: number): number => b === 0 ? a : gcd(b, a % b);
  let u = 1;
  for (const h of hostVcpus) {
    if (!(Number.isSafeInteger(h) && h > 0)) return 1;
    u = u / gcd(u, h) * h;
    if (u > MAX_NODE_UNITS) return 1;
  }
  return u;
}

/**
 * SQL: a value in the outputs from its value in node units, on rows with a `resource` column
 * (`nodes` divided by the node unit; unchanged when the unit is 1).
 */
function inNodes(expr: string, nodeUnits: number): string {
  return nodeUnits === 1
    ? expr
    : `CASE WHEN resource = 'nodes' THEN ${expr} / ${nodeUnits} ELSE ${expr} END`;
}

/**
 * The sweepline of stage 03: from the table (or view) `spans`, the table `steps` (`metric,
 * node_type, t` in microseconds, one column per resource, and `t_next`, the series' next instant,
 * NULL on its last step): each span adds its resources at its
 * start and removes them at its end (clipped to as_of), derived metrics are the linear
 * combinations of the measured deltas, and a running sum per metric and node type gives the step
 * functions. Also leaves the table `metric_terms` (the derived metrics' coefficients), which the
 * resampling reuses. Whole-number resources are summed exactly and unrounded (`lanes.ts`);
 * others in DOUBLE, rounded to 9 decimals. Returns the lanes the resources were summed in.
 *
 * @example
 * ```ts ignore
 * await db.run("CREATE VIEW spans AS SELECT * FROM 'output/demo/spans.parquet'");
 * await buildSteps(db, 1780272000000000n);
 * ```
 */
export async function buildSteps(
  db: Duck,
  asOfUs: bigint,
): Promise<StepsPlan> {
  const asOf = `${asOfUs}::BIGINT`;
  const columns = new Set(
    (await db.json<{ column_name: string }>("DESCRIBE spans")).map((c) => c.column_name),
  );
  const overcommit = columns.has("vcpus_overcommit") &&
    await db.value<boolean>("SELECT count(vcpus_overcommit) > 0 FROM spans");
  // Devices only at a site with some (Edge): a host site's outputs carry no all-zero device series,
  // and spans written before the resource existed (no such column) hold none.
  const devices = columns.has("devices") &&
    await db.value<boolean>("SELECT coalesce(bool_or(devices <> 0), false) FROM spans");
  const values: string[] = RESOURCES.filter((r) =>
    (r !== "vcpus_overcommit" || overcommit) && (r !== "devices" || devices)
  );
  const shares = columns.has("host_vcpus")
    ? (await db.json<{ h: number }>(
      "SELECT DISTINCT host_vcpus AS h FROM spans WHERE host_vcpus IS NOT NULL ORDER BY 1",
    )).map((r) => Number(r.h))
    : [];
  const nodeUnits = nodeUnitsOf(shares);
  // Bare metal (no share of a host): nodes as they are. Else whole numbers of node units, or,
  // past MAX_NODE_UNITS, the fractions themselves (then the lane is inexact and rounded).
  const nodes = shares.length === 0
    ? "nodes"
    : `CASE WHEN host_vcpus IS NULL THEN nodes * ${nodeUnits} ELSE vcpus * (${nodeUnits} / host_vcpus) END AS nodes`;
  const terms = metricTerms();
  // Metric and node type as ENUMs (one byte each) through the sweepline: its aggregations and
  // windows group by them, and fixed-width keys hash and sort faster than strings (tacc: 1 s of
  // 7). They stay ENUMs into the parquet outputs, which read back as VARCHAR (enumType()).
  const found = await db.json<{ metric: string | null; node_type: string | null }>(
    "SELECT DISTINCT metric, node_type FROM spans",
  );
  const enumOf = (names: (string | null)[]) =>
    enumType(names.filter((n): n is string => n !== null));
  const metricType = enumOf([
    ...terms.flatMap((t) => [t.out, t.series]),
    ...found.map((f) => f.metric),
  ]);
  const nodeType = enumOf(found.map((f) => f.node_type));
  // Views down to the steps (span values, deltas, combined deltas): the steps are one statement
  // from spans.parquet, with no table in between (intervalsToDeltas reads the spans twice, for
  // starts and ends).
  await db.run(`
    CREATE OR REPLACE TEMP VIEW span_values AS
    SELECT CAST(metric AS ${metricType}) AS metric, CAST(node_type AS ${nodeType}) AS node_type,
      epoch_us(start) AS s,
      CASE WHEN "end" IS NULL THEN NULL ELSE least(epoch_us("end"), ${asOf}) END AS e,
      ${nodes}, ${values.filter((v) => v !== "nodes").join(", ")}
    FROM spans WHERE epoch_us(start) < ${asOf}`);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE metric_terms (out ${metricType}, series ${metricType}, k DOUBLE)`,
  );
  await db.run(
    `INSERT INTO metric_terms VALUES ${
      terms.map((t) => `(${sqlLiteral(t.out)}, ${sqlLiteral(t.series)}, ${t.k})`).join(", ")
    }`,
  );
  // Whole-number resources (what Nova and Blazar record; a KVM instance's share of a node is
  // not) are summed exactly, unrounded, two to a DOUBLE where they fit (lanes.ts): fewer sums
  // and running sums (tacc: 2 instead of 4).
  const lanes = await intervalsToCombinedSteps(db, {
    input: "span_values",
    seriesColumn: "metric",
    groups: ["node_type"],
    values,
    coefficients: "metric_terms",
    output: "steps",
    // Each step's end, from the running sums' window: the resampling and the negative-value
    // diagnostics read it instead of sorting the steps again (tacc: 1.8M steps).
    next: "t_next",
  });
  await db.run("DROP VIEW span_values");
  return { lanes, resources: values, nodeUnits };
}

/**
 * Builds the table `steps` (the step functions), the views `usage_t` and `usage_daily_t` and the
 * table `hours_t` from the table (or view) `spans` (docs/design.md §2 columns), and checks the stack.
 *
 * @example
 * ```ts ignore
 * await db.run("CREATE TABLE spans AS SELECT * FROM 'output/demo/spans.parquet'");
 * const checks = await buildLedger(db, "demo", { asOf: "2026-06-01T00:00:00" });
 * ```
 */
export async function buildLedger(
  db: Duck,
  site: string,
  options: LedgerOptions,
): Promise<LedgerChecks> {
  const asOfUs = utcUs(options.asOf);
  const { lanes, resources: values, nodeUnits } = await buildSteps(db, asOfUs);
  const sums = {
    exact: lanes.every((l) => l.exact),
    lanes: lanes.map((l) => l.column),
    rounded: lanes.filter((l) => !l.exact).map((l) => l.hi),
    node_units: nodeUnits,
  };

  // Window of the views.
  const first = await db.value<bigint | null>("SELECT min(t) FROM steps");
  const startUs = options.start
    ? utcUs(options.start)
    : first === null || first === undefined
    ? asOfUs - 86_400_000_000n
    : (BigInt(first) / 86_400_000_000n) * 86_400_000_000n;
  let endUs = options.end ? utcUs(options.end) : asOfUs;
  if (endUs > asOfUs) endUs = asOfUs;
  // A window that holds no data is an error, never an empty page (docs/design.md §12).
  const firstUs = first === null || first === undefined ? null : BigInt(first);
  if (endUs <= startUs || firstUs === null || endUs <= firstUs) {
    const asked = `[${options.start ?? isoOfUs(startUs).slice(0, 10)}, ${
      options.end ?? isoOfUs(endUs).slice(0, 10)
    })`;
    throw new Error(
      firstUs === null
        ? `Cannot build the ledger of "${site}": the window ${asked} holds no data: the site has no span at all`
        : `Cannot build the ledger of "${site}": the window ${asked} holds no data: the site's data spans ${
          isoOfUs(firstUs).slice(0, 10)
        }..${isoOfUs(asOfUs).slice(0, 10)}`,
    );
  }

  const checks = await ledgerChecks(db, asOfUs, nodeUnits);
  // The outputs' small string columns as ENUMs (enumType()): the parquet writer takes their
  // dictionaries as they are (tacc: 7M usage rows written in 0.3 s instead of 0.8 s).
  const resourceType = enumType(values);
  const constants = `${enumConstant(site)} AS site, ${
    enumConstant(COLLECTOR_CURRENT)
  } AS collector_type`;
  // Integrals of the measured series only; derived ones follow by linearity, exactly.
  const measured = MEASURED_METRICS.map((m) => sqlLiteral(m)).join(", ");
  // A view: the resampling reads these steps once, no copy is needed.
  await db.run(
    `CREATE OR REPLACE TEMP VIEW measured_steps AS SELECT * FROM steps WHERE metric IN (${measured})`,
  );
  await resampleSteps(db, {
    steps: "measured_steps",
    groups: ["metric", "node_type"],
    values,
    bucket: "day",
    from: startUs,
    to: endUs,
    output: "daily_m",
    next: "t_next",
    // A row for every day of the window for every series that has one anywhere (docs/design.md
    // §12: a missing row never stands for zero), filled while wide: a quarter of the rows.
    fill: true,
  });
  // Every metric as its combination of measured ones, then long over resources. Combined while
  // wide (one row per metric, node type and day, four sums) and unpivoted after: a quarter of
  // the rows through the join and the aggregation, the same terms in each sum.
  await db.run(`
    CREATE OR REPLACE TABLE daily_r AS
    SELECT * REPLACE (CAST(resource AS ${resourceType}) AS resource)
    FROM (UNPIVOT (
      SELECT k.out AS metric, d.node_type, d.bucket_start, any_value(d.seconds) AS seconds,
        ${values.map((v) => `sum(k.k * d.integral_${v}) AS ${v}`).join(", ")}
      FROM daily_m d JOIN metric_terms k ON k.series = d.metric
      GROUP BY ALL
    ) ON ${values.join(", ")} INTO NAME resource VALUE integral)`);
  await db.run("DROP TABLE daily_m; DROP VIEW measured_steps");
  // A view, like usage_t: written once by writeLedgerOutputs, never copied.
  await db.run(`
    CREATE OR REPLACE VIEW usage_daily_t AS
    SELECT ${constants}, metric, resource, node_type,
      bucket_start AS timestamp, round(${inNodes("integral", nodeUnits)} / seconds, 9) AS value
    FROM daily_r`);
  await db.run(
    "CREATE OR REPLACE TABLE hours_t (site VARCHAR, collector_type VARCHAR, metric VARCHAR, resource VARCHAR, node_type VARCHAR, period VARCHAR, period_start DATE, hours DOUBLE)",
  );
  // Months are sums of whole days (resampleSteps sums the same day atoms into its month buckets)
  // and years sums of months: summed from the daily integrals instead of resampling the steps
  // twice more. Integer values over whole seconds give integer integrals, whose sums are exact in
  // any order; fractional ones may differ in the last bits, as any parallel sum may.
  await db.run(`
    CREATE OR REPLACE TABLE month_integrals AS
    SELECT metric, resource, node_type, CAST(date_trunc('month', bucket_start) AS DATE) AS period_start,
      sum(integral) AS integral
    FROM daily_r GROUP BY ALL`);
  for (const period of ["month", "year"] as const) {
    await db.run(`
      INSERT INTO hours_t
      SELECT ${sqlLiteral(site)}, '${COLLECTOR_CURRENT}', metric::VARCHAR, resource::VARCHAR,
        node_type::VARCHAR, '${period}', period_start, ${inNodes("integral", nodeUnits)} / 3600
      FROM (
        SELECT metric, resource, node_type, CAST(date_trunc('${period}', period_start) AS DATE) AS period_start,
          sum(integral) AS integral
        FROM month_integrals GROUP BY ALL
      )`);
  }
  // Per project, from the spans, and the check that the projects add up to the site's integrals.
  await db.run(`
    CREATE OR REPLACE TABLE site_integrals AS
    WITH m AS (
      SELECT metric::VARCHAR AS metric, resource::VARCHAR AS resource, node_type::VARCHAR AS node_type,
        period_start, ${inNodes("integral", nodeUnits)} AS integral
      FROM month_integrals
    )
    SELECT metric, resource, node_type, 'month' AS period, period_start, integral FROM m
    UNION ALL
    SELECT metric, resource, node_type, 'year', CAST(date_trunc('year', period_start) AS DATE),
      sum(integral)
    FROM m GROUP BY ALL`);
  await db.run("DROP TABLE month_integrals");
  await buildProjectIntegrals(db, startUs, endUs, asOfUs, values);
  // Shares of a node (node units other than 1) are fractions on the spans: compared within 1e-6.
  const projects = await projectSumsCheck(
    db,
    nodeUnits === 1 ? sums.rounded : [...new Set([...sums.rounded, "nodes"])],
  );
  // A view, like usage_t: written once by writeLedgerOutputs, never copied.
  await db.run(`
    CREATE OR REPLACE VIEW project_hours_t AS
    SELECT ${
    enumConstant(site)
  } AS site, project_id, metric, resource, node_type, period, period_start,
      (integral / 3600)::DOUBLE AS hours
    FROM project_integrals`);
  await db.run("DROP TABLE site_integrals");
  // The step functions in the long shape of docs/design.md §2, as a view: written once, never copied.
  await db.run(`
    CREATE OR REPLACE VIEW usage_t AS
    SELECT ${constants}, metric, CAST(resource AS ${resourceType}) AS resource, node_type,
      make_timestamp(t) AS timestamp, ${inNodes("value", nodeUnits)} AS value
    FROM (UNPIVOT steps ON ${values.join(", ")} INTO NAME resource VALUE value)`);
  return {
    ...checks,
    sums,
    window: { start: isoOfUs(startUs), end: isoOfUs(endUs) },
    projects,
  };
}

/**
 * The stack check, recomputed from the table `steps` (as {@linkcode buildSteps} leaves it, `nodes`
 * in node units: `nodeUnits` per node, so the check is exact on whole numbers): per resource and
 * node type, the leaves' values summed minus `total` at every instant any of them
 * changes (a violation where it is more than 1e-6 away from zero). And every series' negative
 * stretches.
 *
 * @example
 * ```ts ignore
 * await buildSteps(db, asOfUs);
 * const { stack, negatives } = await ledgerChecks(db, asOfUs);
 * ```
 */
export async function ledgerChecks(
  db: Duck,
  asOfUs: bigint,
  nodeUnits = 1,
): Promise<Omit<LedgerChecks, "window" | "sums" | "projects">> {
  const leaves = LEAF_METRICS.map((m) => sqlLiteral(m)).join(", ");
  const have = new Set(
    (await db.json<{ column_name: string }>("DESCRIBE steps")).map((c) => c.column_name),
  );
  const r = RESOURCES.filter((v) => have.has(v));
  // The residual's change at each instant where a leaf or total changes. Where every change is
  // exactly zero (every site with whole-number values), so is the residual itself, at every
  // instant: its running sum is computed only when some change is not.
  await db.run(`
    CREATE OR REPLACE TABLE stack_net AS
    WITH s AS (
      SELECT node_type, t, ${
    r.map((v) =>
      `(CASE WHEN metric = 'total' THEN -1 ELSE 1 END) * (${v} - coalesce(lag(${v}) OVER (PARTITION BY metric, node_type ORDER BY t), 0)) AS ${v}`
    ).join(", ")
  }
      FROM steps WHERE metric IN (${leaves}) OR metric = 'total'
    )
    SELECT node_type, t, ${r.map((v) => `sum(${v}) AS ${v}`).join(", ")} FROM s GROUP BY ALL`);
  const [net] = await db.json<{ instants: string; changes: string }>(
    `SELECT count(*) AS instants, count(*) FILTER (WHERE ${
      r.map((v) => `${v} <> 0`).join(" OR ")
    }) AS changes FROM stack_net`,
  );
  const [stack] = Number(net.changes) === 0
    ? [{ instants: net.instants, violations: "0", max_abs: 0 }]
    : await db.json<{ instants: string; violations: string; max_abs: number | null }>(`
    WITH run AS (
      SELECT ${
      r.map((v) =>
        `sum(${v}) OVER (PARTITION BY node_type ORDER BY t ROWS UNBOUNDED PRECEDING) AS ${v}`
      ).join(", ")
    }
      FROM stack_net
    )
    SELECT count(*) AS instants,
      count(*) FILTER (WHERE ${r.map((v) => `abs(${v}) > 1e-6`).join(" OR ")}) AS violations,
      max(greatest(${r.map((v) => `abs(${v})`).join(", ")})) AS max_abs FROM run`);
  await db.run("DROP TABLE stack_net");
  // Every resource of a step holds for the same duration (steps have one row per instant and no
  // NULL values), so durations come from one window over the steps, and only the few steps with a
  // negative value are unpivoted (not every step, four times).
  const negatives = await db.json<NegativeSeries>(`
    WITH d AS (
      SELECT *, coalesce(t_next, ${asOfUs}::BIGINT) - t AS dur
      FROM steps
    ), s AS (
      UNPIVOT (SELECT CAST(metric AS VARCHAR) AS metric, CAST(node_type AS VARCHAR) AS node_type,
          t, dur, ${r.join(", ")} FROM d
        WHERE (${r.map((v) => `${v} < -1e-9`).join(" OR ")}) AND dur > 0)
      ON ${r.join(", ")} INTO NAME resource VALUE value
    )
    SELECT metric, resource, node_type, steps, hours,
      (${inNodes("below", nodeUnits)} / 3.6e9)::DOUBLE AS resource_hours,
      (${inNodes("low", nodeUnits)})::DOUBLE AS min_value
    FROM (
      SELECT metric, resource, node_type, count(*)::INTEGER AS steps, (sum(dur) / 3.6e9)::DOUBLE AS hours,
        -sum(value * dur) AS below, min(value) AS low
      FROM s WHERE value < -1e-9 AND dur > 0
      GROUP BY ALL)
    ORDER BY resource_hours DESC, metric, resource, node_type`);
  const violations = Number(stack.violations);
  return {
    stack: {
      ok: violations === 0,
      instants: Number(stack.instants),
      violations,
      max_abs_residual: Number(stack.max_abs ?? 0),
    },
    negatives,
  };
}

/**
 * Writes `usage.parquet`, `usage_daily.parquet`, `hours.parquet` and `project_hours.parquet`
 * atomically.
 *
 * @example
 * ```ts ignore
 * await writeLedgerOutputs(db, "output/demo");
 * ```
 */
export async function writeLedgerOutputs(db: Duck, outputDir: string): Promise<void> {
  await Deno.mkdir(outputDir, { recursive: true });
  const copy = async (table: string, file: string, order = "") => {
    await atomicWrite(join(outputDir, `${file}.parquet`), async (tmp) => {
      await db.run(
        `COPY (SELECT * FROM ${table}${order}) TO ${
          sqlLiteral(tmp)
        } (FORMAT parquet, COMPRESSION zstd)`,
      );
    });
  };
  // The steps and daily means have no row order (they come out of window and hash operators, so
  // it changes from run to run anyway; readers order them): written by all threads at once, not
  // in insertion order (3x faster on 7M usage rows). hours_t keeps its insertion order.
  // See docs/decisions/0008-stage-performance.md.
  const keep = await db.value<boolean>("SELECT current_setting('preserve_insertion_order')");
  await db.run("SET preserve_insertion_order = false");
  try {
    await copy("usage_t", "usage");
    await copy("usage_daily_t", "usage_daily");
  } finally {
    await db.run(`SET preserve_insertion_order = ${keep ? "true" : "false"}`);
  }
  await copy("hours_t", "hours", " ORDER BY period, metric, resource, node_type, period_start");
  await copy(
    "project_hours_t",
    "project_hours",
    " ORDER BY period, metric, resource, node_type, period_start, project_id",
  );
}
