/**
 * The pipeline's last step: the site report (`lib/report/site_report.ts`), rendered into the
 * finished set before the pipeline publishes it, so the report is part of the set it shows.
 *
 * @module
 */
import type { SiteConfig } from "./config.ts";
import { writeSiteReport } from "./report/site_report.ts";

/**
 * A `beforePublish` hook for `runPipeline`: writes the report of the set in `setDir`.
 *
 * @example
 * ```ts ignore
 * await runPipeline(site, { beforePublish: reportHook(site, console.error) });
 * ```
 */
export function reportHook(
  site: SiteConfig,
  log: (line: string) => void,
): (setDir: string) => Promise<void> {
  return async (setDir: string) => {
    const t0 = performance.now();
    log("report ...");
    await writeSiteReport(site, { setDir });
    log(`report done in ${Math.round(performance.now() - t0) / 1000} s`);
  };
}
