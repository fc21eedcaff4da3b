/**
 * The all-sites report: one self-contained page with the cross-site chart (one color family per
 * site: dark = used, light = available) and each site's headline year, for every site of the
 * config whose output directory holds a finished run. Sites without outputs are listed as left
 * out, with the reason.
 *
 * @module
 */
import { join } from "node:path";
import { Duck } from "../db/duckdb.ts";
import type { SitesConfig } from "../config.ts";
import { atomicWriteText, exists } from "../fs.ts";
import { OUTPUT_FILES } from "../outputs/files.ts";
import { CROSS_SITE_PARTS, readUsageDaily, renderCrossSite, type UsageRow } from "../plots/mod.ts";
import {
  headlineYear,
  readRun,
  siteHeadline,
  utilizationByYear,
  type YearUtilization,
} from "./data.ts";
import { formatNumber, formatPercent, htmlTable, markup, rawHtml } from "./html.ts";
import { REPORT_CSS } from "./style.ts";

/** One site of the all-sites report. */
export interface SiteSummary {
  site: string;
  siteName: string;
  asOf: string;
  invariantsOk: boolean;
  /** The site's headline resource: `devices` at an Edge site, else `nodes`. */
  resource?: string;
  /** The headline year, in the headline resource. */
  year: YearUtilization | null;
}

/** Everything the all-sites report shows. */
export interface AllSitesInput {
  sites: SiteSummary[];
  /** Daily rows of every site (nodes; the cross-site chart's metrics). */
  usage: UsageRow[];
  skipped: { site: string; reason: string }[];
}

/**
 * Reads the summaries and daily rows of every site that has outputs.
 *
 * @example
 * ```ts ignore
 * const input = await collectAllSites(await loadSitesConfig("etc/sites.yaml"));
 * ```
 */
export async function collectAllSites(config: SitesConfig): Promise<AllSitesInput> {
  const sites: SiteSummary[] = [];
  const usage: UsageRow[] = [];
  const skipped: { site: string; reason: string }[] = [];
  const metrics = [
    ...new Set(Object.values(CROSS_SITE_PARTS).flatMap((p) => [...p.used, ...p.available])),
  ];
  using db = await Duck.open();
  for (const site of config.sites.values()) {
    if (!(await exists(join(site.outputDir, OUTPUT_FILES.run)))) {
      skipped.push({ site: site.key, reason: `no finished run in "${site.outputDir}"` });
      continue;
    }
    // One verified set per site; a mixed or damaged one fails the report with one line.
    const { set, run, invariants } = await readRun(site.outputDir);
    // Each site in its headline resource: devices at an Edge site, vCPUs at a KVM site, else nodes
    // (docs/design.md §11).
    const resource = await siteHeadline(db, set.dir);
    const years = await utilizationByYear(db, set.dir, run.window, resource);
    sites.push({
      site: site.key,
      siteName: site.siteName,
      asOf: run.as_of,
      invariantsOk: invariants.ok,
      resource,
      year: headlineYear(years),
    });
    const rows = await readUsageDaily(set.path(OUTPUT_FILES.usageDaily), {
      resource: "nodes",
      metrics,
      db,
    });
    for (const r of rows) usage.push({ ...r, site: site.key });
  }
  return { sites, usage, skipped };
}

/**
 * Renders the all-sites page; pure and deterministic.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderAllSitesReport } from "./all_sites_report.ts";
 * const page = renderAllSitesReport({ sites: [], usage: [], skipped: [{ site: "<x>", reason: "no run" }] });
 * match(page, /&lt;x&gt;: no run/);
 * ```
 */
export function renderAllSitesReport(input: AllSitesInput): string {
  const names = Object.fromEntries(input.sites.map((s) => [s.site, s.siteName]));
  const mean = (y: YearUtilization | null, h: number) =>
    y && y.days > 0
      ? `${formatNumber(h / (y.days * 24), { digits: 1 })} ${
        y.resource === "vcpus" ? "vCPUs" : "nodes"
      }`
      : "";
  const table = htmlTable(input.sites, [
    { label: "site", value: (s) => s.siteName },
    { label: "as_of (UTC)", value: (s) => s.asOf },
    { label: "invariants", value: (s) => (s.invariantsOk ? "hold" : "VIOLATED") },
    { label: "year", value: (s) => (s.year ? String(s.year.year) : "") },
    { label: "resource", value: (s) => s.resource ?? "nodes" },
    { label: "total (mean)", value: (s) => mean(s.year, s.year?.total ?? 0), numeric: true },
    {
      label: "reservable (mean)",
      value: (s) => mean(s.year, s.year?.reservable ?? 0),
      numeric: true,
    },
    {
      label: "committed share",
      value: (s) => formatPercent(s.year?.committed_share),
      numeric: true,
    },
    { label: "occupied share", value: (s) => formatPercent(s.year?.occupied_share), numeric: true },
  ]);
  const chart = input.usage.length
    ? rawHtml(renderCrossSite(input.usage, { siteNames: names, resource: "nodes" }))
    : markup`<p class="note">No site has outputs yet.</p>`;
  return markup`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>All sites: usage ledger report</title><style>${rawHtml(REPORT_CSS)}</style></head>
<body><main>
<header class="top"><h1>All sites: usage ledger report</h1>
<p class="sub">${input.sites.length} sites · nodes, daily time-weighted means</p></header>
<section id="sites"><h2>Sites</h2>${table}<p class="note">Each site's latest year (nearly) wholly inside its
report window, in its headline resource (devices at an Edge site, vCPUs at a KVM site, else
nodes); the chart below shows nodes. Committed share = committed / (reservable − maintenance); occupied share = occupied
by reservations / (reservable − maintenance).</p>${
    input.skipped.length
      ? markup`<ul class="notes">${
        input.skipped.map((s) => markup`<li>${s.site}: ${s.reason}</li>`)
      }</ul>`
      : ""
  }</section>
<section id="cross-site"><h2>Used and available nodes across sites</h2>
<p class="note">Dark = used (occupied by reservations or on demand), light = available (admittable,
not committed); one color family per site, stacked.</p>${chart}</section>
<footer>Written by <code>deno task report --all</code>.</footer>
</main></body></html>
`.html;
}

/**
 * Writes the all-sites report atomically.
 *
 * @example
 * ```ts ignore
 * await writeAllSitesReport(config, "output/report.html");
 * ```
 */
export async function writeAllSitesReport(
  config: SitesConfig,
  path: string,
): Promise<{ path: string; sites: SiteSummary[]; skipped: { site: string; reason: string }[] }> {
  const input = await collectAllSites(config);
  await atomicWriteText(path, renderAllSitesReport(input));
  return { path, sites: input.sites, skipped: input.skipped };
}
