/**
 * The pipeline's last step: the site report, once `lib/report` exists.
 *
 * @module
 */
import type { SiteConfig, SitesConfig } from "./config.ts";

/** Writes the site's report.html and returns its path, or null when the report stage is absent. */
export function writeSiteReportIfAvailable(
  _config: SitesConfig,
  _site: SiteConfig,
  log: (line: string) => void,
): Promise<string | null> {
  log("report: not built yet");
  return Promise.resolve(null);
}
