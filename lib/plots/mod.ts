/**
 * Charts of the ledger, rendered with Observable Plot into self-contained SVG or HTML markup
 * (no script): pure `prepare*` functions shape plain rows (tested with exact numbers), thin
 * `render*` functions build the Plot options and return markup. Colors and labels of every
 * series come from one registry (`series.ts`); `read.ts` loads exactly the rows a chart needs
 * from a site's parquet outputs.
 *
 * | chart | prepare | render | input rows |
 * |---|---|---|---|
 * | stacked usage of one resource | `prepareUsageStack` | `renderUsageStack` | `usage_daily.parquet` |
 * | sites side by side | `prepareCrossSite` | `renderCrossSite` | `usage_daily.parquet` of several sites |
 * | legacy vs current per metric | `prepareLegacyLines` | `renderLegacyLines` | `legacy_comparison.parquet` |
 * | discrepancy heatmap, year x metric | `prepareLegacyHeatmap` | `renderLegacyHeatmap` | `legacy_ranking.parquet` |
 * | largest discrepancies | `prepareLegacyTop` | `renderLegacyTop` | `legacy_ranking.parquet` |
 * | rejected hours by reason and year | `prepareAudit` | `renderAudit` | `auditSummary()` |
 * | one host across all layers | `prepareHostTimeline` (host: `busiestHost` of `lib/spans/summary.ts`) | `renderHostTimeline` | `spans.parquet` |
 * | legacy usage caches | (`prepareLegacyCaches` of `lib/fetch`) | `renderLegacyCaches` | legacy caches |
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderUsageStack } from "./mod.ts";
 * match(renderUsageStack([{ metric: "total", resource: "nodes", node_type: "a",
 *   timestamp: "2024-01-01", value: 1 }]), /<svg/);
 * ```
 *
 * @module
 */
export * from "./series.ts";
export * from "./dom.ts";
export * from "./usage_stack.ts";
export * from "./cross_site.ts";
export * from "./legacy_comparison.ts";
export * from "./audit.ts";
export * from "./host_timeline.ts";
export * from "./legacy_caches.ts";
export * from "./read.ts";
