/**
 * What notebook 01 shows: the masked site configuration and the snapshot's status per table as
 * HTML tables (every value escaped), and the fetch-or-list step. Presentation, so it lives with
 * the report, not in the fetch stage (which imports nothing of lib/report or lib/plots).
 *
 * @module
 */
import { publicSite, type SiteConfig } from "../config.ts";
import { fetchSite } from "../fetch/fetch.ts";
import { loadSnapshot, type Snapshot, snapshotDates } from "../fetch/manifest.ts";
import { Progress } from "../fetch/progress.ts";
import { escapeHtml } from "./html.ts";

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const trs = rows.map((r) =>
    `<tr>${
      r.map((v) => `<td>${escapeHtml(v === null || v === undefined ? "" : String(v))}</td>`).join(
        "",
      )
    }</tr>`
  );
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs.join("")}</tbody></table>`;
}

/**
 * The site's configuration with every URI masked, as an HTML table.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { parseSitesConfig } from "../config.ts";
 * import { siteConfigHtml } from "./snapshot_views.ts";
 * const cfg = parseSitesConfig("sites:\n  a:\n    site_name: A\n    db_uri: mysql://u:pw@h/x\n");
 * match(siteConfigHtml(cfg.sites.get("a")!), /mysql:\/\/u:\*\*\*@h\/x/);
 * ```
 */
export function siteConfigHtml(site: SiteConfig): string {
  const p = publicSite(site);
  const rows: [string, string][] = [
    ["key", p.key],
    ["site_name", p.site_name],
    ...Object.entries(p.db_uris).map(([k, v]) => [`db_uris.${k}`, v] as [string, string]),
    ["input_dir", p.input_dir],
    ["output_dir", p.output_dir],
    ["blazar_coverage_start", p.blazar_coverage_start ?? ""],
    ["legacy.node_maintenance", JSON.stringify(p.maintenance)],
  ];
  return table(["setting", "value"], rows);
}

/**
 * A snapshot's status and row count per table, as an HTML table.
 *
 * @example
 * ```ts ignore
 * Deno.jupyter.html(snapshotStatusHtml(await loadSnapshot("input/demo")));
 * ```
 */
export function snapshotStatusHtml(snapshot: Snapshot): string {
  const rows = Object.values(snapshot.tables).map((t) => {
    const m = snapshot.manifest.tables[t.table];
    return [
      t.table,
      t.status,
      t.rows >= 0 ? t.rows : "",
      t.date ?? "",
      m?.absent_columns.join(", ") ?? "",
      Object.entries(m?.zero_dates ?? {}).map(([c, n]) => `${c}: ${n}`).join(", "),
      t.message ?? "",
    ];
  });
  const head = `<p>snapshot ${escapeHtml(snapshot.date)}, as_of ${escapeHtml(snapshot.asOf)} (${
    escapeHtml(snapshot.manifest.as_of_source)
  })</p>`;
  return head +
    table(
      ["table", "status", "rows", "file date", "absent columns", "zero dates", "message"],
      rows,
    );
}

/**
 * Fetches the site (when `fetch` is true) and loads its newest snapshot; otherwise only loads
 * the newest existing one. Also returns every snapshot date present.
 *
 * @example
 * ```ts ignore
 * const { snapshot, dates } = await fetchOrList(site, { fetch: false });
 * ```
 */
export async function fetchOrList(
  site: SiteConfig,
  options: { fetch: boolean },
): Promise<{ snapshot: Snapshot; dates: string[]; failures: string[] }> {
  let failures: string[] = [];
  if (options.fetch) {
    failures = (await fetchSite(site, { progress: new Progress(site.key, "quiet") })).failures;
  }
  const dates = await snapshotDates(site.inputDir);
  return { snapshot: await loadSnapshot(site.inputDir), dates, failures };
}
