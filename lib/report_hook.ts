/**
 * The pipeline's last step: the site report (`lib/report/site_report.ts`).
 *
 * @module
 */
import type { SiteConfig, SitesConfig } from "./config.ts";
import { writeSiteReport } from "./report/site_report.ts";

/**
 * Writes the site's report.html and returns its path (the report stage always runs: a failure
 * throws).
 *
 * @example
 * ```ts ignore
 * const path = await writeSiteReportIfAvailable(config, site, console.error);
 * ```
 */
export async function writeSiteReportIfAvailable(
  _config: SitesConfig,
  site: SiteConfig,
  log: (line: string) => void,
): Promise<string> {
  const t0 = performance.now();
  log("report ...");
  const path = await writeSiteReport(site);
  log(`report done in ${Math.round(performance.now() - t0) / 1000} s`);
  return path;
}
