/**
 * The site report: one self-contained `report.html` (inline CSS and SVG, no script, no network
 * request) from a site's output directory.
 *
 * | section | from |
 * |---|---|
 * | header: site, snapshot, as_of, window, invariant and legacy badges | `run.json`, `invariants.json` |
 * | headline tiles and utilization by year | `hours.parquet` (hours of the headline resource, summed over node types: node-hours, or vCPU-hours with the overcommitted capacity beside them at a KVM site, `siteHeadline()`) |
 * | stacked usage per resource, node-type facets for the headline resource | `usage_daily.parquet` (bucket means computed in DuckDB) |
 * | invariants, negative derived series | `invariants.json` |
 * | audit summary, rule effects, what each source adds | `audit.parquet`, `spans.parquet` |
 * | legacy comparison | `legacy_comparison.parquet` (summed over node types in DuckDB), `legacy_ranking.parquet` (or why it was skipped) |
 * | how it was made | `run.json`, the snapshot's manifest |
 *
 * Every string that comes from a database is escaped ({@linkcode markup}); charts are Plot's SVG,
 * whose text the DOM escapes. {@linkcode renderSiteReport} is pure: the same input gives the same
 * bytes.
 *
 * @module
 */
import { utcMs } from "../time.ts";
import { join } from "node:path";
import { Duck } from "../db/duckdb.ts";
import type { SiteConfig } from "../config.ts";
import { atomicWriteText } from "../fs.ts";
import { OUTPUT_FILES } from "../outputs/files.ts";
import type { RunRecord } from "../outputs/run.ts";
import { type Resource, RESOURCES } from "../metrics.ts";
import {
  auditSummary,
  type AuditSummaryRow,
  type RuleEffect,
  ruleEffects,
  type SourceHours,
  spansBySource,
} from "../spans/summary.ts";
import type { RankingRow } from "../legacy/build.ts";
import {
  type LegacyComparisonRow,
  renderAudit,
  renderLegacyHeatmap,
  renderLegacyLines,
  renderUsageStack,
  type UsageRow,
} from "../plots/mod.ts";
import {
  headlineYear,
  hoursByNodeType,
  type InvariantsDoc,
  legacyRanking,
  type NodeTypeHours,
  readRun,
  siteHeadline,
  type SnapshotTableRow,
  snapshotTables,
  utilizationByYear,
  type YearUtilization,
} from "./data.ts";
import {
  bucketAdjective,
  formatNumber,
  formatPercent,
  htmlTable,
  markup,
  type RawHtml,
  rawHtml,
  resourceHours,
} from "./html.ts";
import {
  auditByReason,
  auditSummaryTable,
  invariantsTable,
  legacyRankingTable,
  negativesTable,
  notesList,
  projectsTable,
  ruleEffectsTable,
  utilizationTable,
} from "./views.ts";
import { projectsByYear, type ProjectYear } from "../ledger/views.ts";
import { REPORT_CSS } from "./style.ts";
import { readChartData } from "./chart_data.ts";

/** Everything the report shows, read from the output directory. */
export interface SiteReportInput {
  /** The set folder the report was read from (every file of one run). */
  setDir: string;
  siteKey: string;
  siteName: string;
  run: RunRecord;
  invariants: InvariantsDoc;
  years: YearUtilization[];
  /** KVM sites: the years in `vcpus_overcommit` (capacity with overcommit, beside physical). */
  overcommit?: YearUtilization[];
  audit: AuditSummaryRow[];
  effects: RuleEffect[];
  sources: SourceHours[];
  /**
   * Means per chart bucket ({@linkcode chartBucket}) of the leaf states, total and reservable, per
   * resource, summed over node types (`readUsageBuckets`).
   */
  usage: Record<Resource, UsageRow[]>;
  /** Means per chart bucket of the same metrics for the headline resource, per node type (the facets). */
  nodesByType: UsageRow[];
  /**
   * The resource the tiles, the utilization table and the first chart lead with (lib/export/wide.ts
   * `headlineResource`): `devices` at an Edge site, `vcpus` at a KVM site, else `nodes`.
   */
  headline: Resource;
  /** Headline resource-hours per node type in the headline year (shown for devices). */
  byNodeType: NodeTypeHours[];
  /** The ranking, and the comparison summed over node types per day (`readLegacyDailySums`). */
  legacy: { ranking: RankingRow[]; comparison: LegacyComparisonRow[] } | null;
  snapshot: { asOfSource: string; tables: SnapshotTableRow[] } | null;
  /** Node-hours per project and year (null: the set has no `project_hours.parquet`). */
  projects?: ProjectYear[] | null;
}

/**
 * Reads what the report shows from the site's output directory (and its snapshot's manifest).
 *
 * @example
 * ```ts ignore
 * const input = await collectSiteReport(site);
 * ```
 */
export async function collectSiteReport(
  site: SiteConfig,
  options: { setDir?: string } = {},
): Promise<SiteReportInput> {
  // One verified set: every file below is of the same run.
  const { set, run, invariants } = await readRun(options.setDir ?? site.outputDir);
  const out = set.dir;
  using db = await Duck.open();
  const headline = await siteHeadline(db, out) as Resource;
  // The charts' reads run on a second connection, beside the tables' reads (DuckDB's threads).
  using side = await db.connect();
  const charts = readChartData(side, out, chartBucket(run.window), headline);
  const years = await utilizationByYear(db, out, run.window, headline);
  const year = headlineYear(years);
  const overcommit = headline === "vcpus"
    ? await utilizationByYear(db, out, run.window, "vcpus_overcommit")
    : [];
  const projects = await projectsByYear(db, out, headline);
  const auditPath = join(out, OUTPUT_FILES.audit);
  const spansPath = join(out, OUTPUT_FILES.spans);
  const audit = await auditSummary(db, auditPath);
  const effects = await ruleEffects(db, spansPath, auditPath, run.as_of);
  const sources = await spansBySource(db, spansPath, run.as_of);
  const ranking = await legacyRanking(db, out);
  const { usage, nodesByType, comparison } = await charts;
  const legacy = ranking && comparison ? { ranking, comparison } : null;
  return {
    setDir: set.dir,
    siteKey: site.key,
    siteName: site.siteName,
    run,
    invariants,
    years,
    ...(overcommit.length > 0 ? { overcommit } : {}),
    audit,
    effects,
    sources,
    usage,
    nodesByType,
    headline,
    byNodeType: headline === "devices" && year
      ? await hoursByNodeType(db, out, {
        resource: headline,
        period: "year",
        start: `${year.year}-01-01`,
      })
      : [],
    legacy,
    snapshot: await snapshotTables(site.inputDir, run.snapshot_date),
    projects,
  };
}

const RESOURCE_TITLE: Record<Resource, string> = {
  nodes: "Nodes",
  vcpus: "vCPUs",
  memory_mb: "Memory (MB)",
  disk_gb: "Disk (GB)",
  vcpus_overcommit: "vCPUs with overcommit (vCPUs x cpu_allocation_ratio)",
  devices: "Devices",
};

/** The words of the tiles for a headline resource: one unit, its hours, its total and pool. */
function unitWords(resource: string) {
  return resource === "devices"
    ? {
      hours: "device-hours",
      total: "devices enrolled in Blazar",
      pool: "devices reservable",
      occupied: "running a container",
    }
    : resource === "vcpus"
    ? {
      hours: "vCPU-hours",
      total: "vCPUs in Nova",
      pool: "vCPUs in the Blazar pool",
      occupied: "running a reservation's instance",
    }
    : {
      hours: "node-hours",
      total: "nodes in Nova",
      pool: "nodes in the Blazar pool",
      occupied: "running a reservation's instance",
    };
}

function tiles(y: YearUtilization | null, oc: YearUtilization | null = null): RawHtml {
  if (!y) return markup`<p class="note">No hours in the report window.</p>`;
  const w = unitWords(y.resource ?? "nodes");
  const hours = w.hours;
  const hoursInYear = y.days * 24;
  const mean = (h: number) => (hoursInYear > 0 ? h / hoursInYear : 0);
  const tile = (value: string, key: string) =>
    markup`<div class="tile"><div class="v">${value}</div><div class="k">${key}</div></div>`;
  return markup`<h3>${String(y.year)}${
    y.days < 360 ? ` (${formatNumber(y.days)} days in the window)` : ""
  } at a glance</h3><div class="tiles">${[
    tile(formatNumber(mean(y.total), { digits: 1 }), `${w.total}, on average`),
    ...(oc
      ? [
        tile(
          formatNumber(mean(oc.total), { digits: 1 }),
          "vCPUs with overcommit (x cpu_allocation_ratio), on average",
        ),
        tile(
          formatPercent(
            oc.total > 0 ? (oc.occupied_reservation + oc.occupied_ondemand) / oc.total : null,
          ),
          "of overcommitted vCPU-hours running an instance",
        ),
      ]
      : []),
    tile(formatNumber(mean(y.reservable), { digits: 1 }), `${w.pool}, on average`),
    tile(formatPercent(y.committed_share), `of admittable ${hours} committed to leases`),
    tile(formatPercent(y.occupied_share), `of admittable ${hours} ${w.occupied}`),
    tile(formatPercent(y.use_of_committed), `of committed ${hours} really used`),
    ...(y.pool_unknown > 0
      ? [
        tile(
          formatPercent(y.pool_unknown / Math.max(y.total, 1e-9)),
          `of ${hours} with pool membership unknown`,
        ),
      ]
      : []),
  ]}</div>`;
}

/** An Edge site's headline: device-hours per machine type in the headline year. */
function byNodeTypeTable(input: SiteReportInput): RawHtml {
  const rows = input.byNodeType;
  const y = headlineYear(input.years);
  if (rows.length === 0 || !y) return markup``;
  return markup`<h3>Device-hours by machine type, ${String(y.year)}</h3>${
    htmlTable(rows, [
      { label: "machine type", value: (r) => r.node_type },
      { label: "total", value: (r) => r.total, digits: 0 },
      { label: "reservable", value: (r) => r.reservable, digits: 0 },
      { label: "committed", value: (r) => r.committed, digits: 0 },
      { label: "available", value: (r) => r.available, digits: 0 },
      { label: "running a container", value: (r) => r.occupied_reservation, digits: 0 },
      { label: "committed share", value: (r) => formatPercent(r.committed_share), numeric: true },
    ])
  }<p class="note">Blazar keeps only each device's current reservable flag: a device is counted
reservable for its whole life when the flag is set now. Zun hard-deletes containers, so the
container hours are those of the containers that still exist (a lower bound).</p>`;
}

/**
 * Whether the report window holds any data: some node-hours of `total` in some year.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { windowHasData } from "./site_report.ts";
 * import type { YearUtilization } from "./data.ts";
 * equal(windowHasData([]), false);
 * equal(windowHasData([{ total: 24 } as YearUtilization]), true);
 * ```
 */
export function windowHasData(years: readonly YearUtilization[]): boolean {
  return years.some((y) => y.total > 0);
}

function badges(input: SiteReportInput): RawHtml {
  const empty = windowHasData(input.years)
    ? markup``
    : markup`<li class="badge bad">✘ no data in the window [${
      input.run.window.start.slice(0, 10)
    }, ${input.run.window.end.slice(0, 10)})</li>`;
  const failed = input.invariants.checks.filter((c) => !c.ok).length;
  const inv = failed === 0
    ? markup`<li class="badge ok">✔ invariants hold (${input.invariants.checks.length} checks)</li>`
    : markup`<li class="badge bad">✘ ${failed} invariant checks violated</li>`;
  const neg = (input.invariants.negative_derived ?? []).length;
  const negBadge = neg === 0
    ? markup`<li class="badge ok">no negative derived series</li>`
    : markup`<li class="badge bad">${neg} negative derived series</li>`;
  const sums = input.invariants.ledger_sums;
  const sumsBadge = sums === undefined
    ? markup``
    : sums.exact
    ? markup`<li class="badge ok">step functions summed exactly (whole numbers)</li>`
    : markup`<li class="badge">${
      sums.rounded.join(", ")
    } summed in floating point, rounded to 9 decimals</li>`;
  const legacyStage = input.run.stages.find((s) => s.name.startsWith("04"));
  const legacy = legacyStage?.skipped
    ? markup`<li class="badge">legacy comparison skipped</li>`
    : markup`<li class="badge">legacy comparison: ${
      input.legacy ? `${input.legacy.ranking.length} ranked cells` : "absent"
    }</li>`;
  return markup`<ul class="badges">${empty}${inv}${negBadge}${sumsBadge}${legacy}</ul>`;
}

/**
 * The chart bucket for a window: days up to ~13 months, weeks up to 6 years, months beyond, so a
 * chart stays readable and the page small. Every bucket is an exact time-weighted mean.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { chartBucket } from "./site_report.ts";
 * equal(chartBucket({ start: "2025-01-01T00:00:00", end: "2025-07-01T00:00:00" }), "day");
 * equal(chartBucket({ start: "2021-05-04T00:00:00", end: "2026-06-01T00:00:00" }), "week");
 * equal(chartBucket({ start: "2016-01-01T00:00:00", end: "2026-06-01T00:00:00" }), "month");
 * ```
 */
export function chartBucket(window: { start: string; end: string }): "day" | "week" | "month" {
  const days = (utcMs(window.end) - utcMs(window.start)) / 86_400_000;
  return days <= 400 ? "day" : days <= 6 * 366 ? "week" : "month";
}

function usageSection(input: SiteReportInput): RawHtml {
  const bucket = chartBucket(input.run.window);
  // The headline resource first (a KVM site: vCPUs, then vCPUs with overcommit); a resource the
  // site has none of (an Edge site's nodes, a bare-metal site's devices and overcommit) is left out.
  const lead = (r: Resource) =>
    r === input.headline ? 0 : input.headline === "vcpus" && r === "vcpus_overcommit" ? 1 : 2;
  const shown = RESOURCES.filter((r) =>
    r === input.headline || input.usage[r].some((u) => u.metric === "total" && u.value !== 0)
  ).sort((a, b) => lead(a) - lead(b));
  const charts = shown.map((resource) => {
    const rows = input.usage[resource];
    if (rows.length === 0) {
      return markup`<h3>${RESOURCE_TITLE[resource]}</h3><p class="note">No data.</p>`;
    }
    return markup`<h3>${RESOURCE_TITLE[resource]}</h3>${
      rawHtml(renderUsageStack(rows, { resource, bucket, bucketed: true }))
    }`;
  });
  const nodes = input.nodesByType;
  const facets = nodes.length === 0
    ? markup``
    : markup`<h3>${RESOURCE_TITLE[input.headline]} per ${
      input.headline === "devices" ? "machine" : "node"
    } type</h3>${
      rawHtml(
        renderUsageStack(nodes, {
          resource: input.headline,
          facet: "node_type",
          bucket,
          bucketed: true,
        }),
      )
    }`;
  return markup`<p class="note">Exclusive states stacked, as ${
    bucketAdjective(bucket)
  } time-weighted means (exact:
a bucket's value is the integral of the step function over the bucket divided by its length); the
black line is total, the dashed line reservable. A state below zero is a data conflict and is drawn
below the axis, not clamped.</p>${charts}${facets}`;
}

function auditSection(input: SiteReportInput): RawHtml {
  const reasons = auditByReason(input.audit);
  const sources = input.sources.filter((s) => s.metric === "total");
  return markup`<p>Every source row is either in a span or in <code>audit.parquet</code> with one
reason per rejected row or piece.</p>${
    input.audit.length === 0
      ? markup`<p class="ok">Nothing was rejected.</p>`
      : markup`${rawHtml(renderAudit(input.audit))}<h3>Rejected hours by reason</h3>${
        htmlTable(reasons, [
          { label: "reason", value: (r) => r.reason },
          { label: "rows", value: (r) => r.rows },
          { label: "hours", value: (r) => r.hours, digits: 1 },
        ])
      }<details><summary>By source, reason and year (largest first)</summary>${
        auditSummaryTable(input.audit)
      }</details>`
  }<h3>What each span rule did</h3>${
    ruleEffectsTable(input.effects)
  }<h3>Host existence: what each source adds</h3>${
    htmlTable(sources, [
      { label: "source", value: (s) => s.source },
      { label: "spans", value: (s) => s.spans },
      { label: "open at as_of", value: (s) => s.open },
      { label: "node-hours", value: (s) => s.node_hours, digits: 0 },
    ])
  }`;
}

function legacySection(input: SiteReportInput): RawHtml {
  const stage = input.run.stages.find((s) => s.name.startsWith("04"));
  if (!input.legacy) {
    return markup`<p class="note">Not compared: ${
      stage?.skipped ?? "the legacy comparison files are absent"
    }.</p>`;
  }
  const { ranking, comparison } = input.legacy;
  return markup`<p>Legacy daily hours (chameleon_usage) as mean node counts beside the ledger's
daily means, summed over node types; gaps where one side has no data. Discrepancies are ranked in
node-hours (|current − legacy| × 24 per day).</p>${
    comparison.length ? rawHtml(renderLegacyLines(comparison)) : ""
  }${ranking.length ? rawHtml(renderLegacyHeatmap(ranking)) : ""}<h3>Largest discrepancies</h3>${
    legacyRankingTable(ranking.slice(0, 15))
  }<p class="note">All rows: <code>legacy_comparison.parquet</code> / <code>.csv</code> and
<code>legacy_ranking.parquet</code> in the output directory.</p>`;
}

function madeSection(input: SiteReportInput): RawHtml {
  const r = input.run;
  const facts: [string, string][] = [
    ["site", `${input.siteName} (${input.siteKey})`],
    ["snapshot", r.snapshot_date],
    ["as_of", `${r.as_of} UTC${input.snapshot ? ` (from ${input.snapshot.asOfSource})` : ""}`],
    ["report window", `[${r.window.start}, ${r.window.end}) UTC`],
    [
      "run",
      `${r.run_id}${
        r.explore ? ` (exploration "${r.explore}")` : ""
      }, daily series per ${r.bucket}`,
    ],
    ["pool coverage start", r.coverage_start ?? "none (pool membership known throughout)"],
    [
      "versions",
      `usage ledger ${r.versions.ledger}, Deno ${r.versions.deno}, DuckDB ${r.versions.duckdb}`,
    ],
    ...r.stages.map((s) =>
      [`stage ${s.name}`, s.skipped ? `skipped: ${s.skipped}` : `${s.seconds} s`] as [
        string,
        string,
      ]
    ),
  ];
  const tables = input.snapshot
    ? htmlTable(input.snapshot.tables, [
      { label: "table", value: (t) => t.table },
      { label: "status", value: (t) => t.status },
      { label: "rows", value: (t) => t.rows },
      { label: "message", value: (t) => t.message ?? "" },
    ])
    : markup`<p class="note">The snapshot's manifest is no longer in the input directory.</p>`;
  return markup`${
    htmlTable(facts, [
      { label: "", value: (f) => f[0] },
      { label: "", value: (f) => f[1] },
    ])
  }${notesList(r.notes)}<h3>Snapshot tables</h3>${tables}`;
}

/** Projects: the headline year's top committers and idlest commitments, then earlier years. */
function projectsSection(input: SiteReportInput): RawHtml {
  const rows = input.projects ?? null;
  if (rows === null) {
    return markup`<p class="note">This run has no project_hours.parquet (made before per-project hours).</p>`;
  }
  const year = headlineYear(input.years)?.year;
  if (year === undefined) return markup`<p class="note">No year in the window.</p>`;
  const hours = resourceHours(input.headline ?? "nodes");
  const others = [...new Set(rows.map((r) => r.year))].filter((y) => y !== year).sort((a, b) =>
    b - a
  );
  return markup`<h3>Top projects by committed ${hours}, ${String(year)}</h3>${
    projectsTable(rows, year)
  }<h3>Projects with the most idle committed ${hours}, ${String(year)}</h3>${
    projectsTable(rows, year, { by: "idle" })
  }${
    others.map((y) =>
      markup`<details><summary>Top projects by committed ${hours}, ${String(y)}</summary>${
        projectsTable(rows, y)
      }</details>`
    )
  }`;
}

/**
 * Renders the report's HTML from its input; pure and deterministic.
 *
 * @example
 * ```ts ignore
 * const page = renderSiteReport(await collectSiteReport(site));
 * ```
 */
export function renderSiteReport(input: SiteReportInput): string {
  const r = input.run;
  const title = `${input.siteName}: usage ledger report`;
  const sections: [string, string, RawHtml][] = [
    [
      "utilization",
      "Utilization by year",
      markup`${utilizationTable(input.years)}${
        input.overcommit
          ? markup`<h3>With overcommit (vCPUs x cpu_allocation_ratio)</h3>${
            utilizationTable(input.overcommit)
          }`
          : ""
      }`,
    ],
    ["usage", "Usage over time", usageSection(input)],
    ["projects", "Projects", projectsSection(input)],
    [
      "invariants",
      "Invariants",
      markup`${invariantsTable(input.invariants)}<h3>Negative derived series</h3>${
        negativesTable(input.invariants.negative_derived ?? [])
      }`,
    ],
    ["audit", "Audit: what was rejected, and why", auditSection(input)],
    ["legacy", "Legacy comparison", legacySection(input)],
    ["made", "How this report was made", madeSection(input)],
  ];
  const page = markup`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${rawHtml(REPORT_CSS)}</style></head>
<body><main>
<header class="top"><h1>${title}</h1>
<p class="sub">Snapshot ${r.snapshot_date} · as_of ${r.as_of} UTC · window [${
    r.window.start.slice(0, 10)
  }, ${r.window.end.slice(0, 10)}) · ${
    r.bucket === "day" ? "daily" : `${r.bucket}ly`
  } means · run ${r.run_id}${
    r.explore ? ` · exploration "${r.explore}"` : ""
  } · usage ledger ${r.versions.ledger}</p>${badges(input)}
<nav class="toc">${
    sections.map(([id, name]) => markup`<a href="#${id}">${name}</a>`)
  }</nav></header>
${
    tiles(
      headlineYear(input.years),
      input.overcommit
        ? input.overcommit.find((y) => y.year === headlineYear(input.years)?.year) ?? null
        : null,
    )
  }${byNodeTypeTable(input)}
${sections.map(([id, name, body]) => markup`<section id="${id}"><h2>${name}</h2>${body}</section>`)}
<footer>Written by <code>deno task report --site ${input.siteKey}</code> from the files in the site's
output directory; every number traces back to a row of spans.parquet, and every span to a source
row.</footer>
</main></body></html>
`;
  return page.html;
}

/**
 * Writes the `report.html` of a site's current set (or of the set folder `setDir`, before the
 * pipeline publishes it) atomically into the set, and returns the documented path.
 *
 * @example
 * ```ts ignore
 * const path = await writeSiteReport(site);
 * ```
 */
export async function writeSiteReport(
  site: SiteConfig,
  options: { setDir?: string } = {},
): Promise<string> {
  const input = await collectSiteReport(site, options);
  await atomicWriteText(join(input.setDir, OUTPUT_FILES.report), renderSiteReport(input));
  return options.setDir ? join(options.setDir, OUTPUT_FILES.report) : join(
    site.outputDir,
    OUTPUT_FILES.report,
  );
}
