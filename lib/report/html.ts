/**
 * HTML building blocks shared by notebooks and reports: escaping, tables and number formats.
 * Every value that may come from a database (hostnames, node types, project ids) goes through
 * {@linkcode escapeHtml}; only markup this project builds itself (SVG from Observable Plot,
 * whose text nodes are escaped by the DOM) is inserted raw, through {@linkcode rawHtml}.
 *
 * @module
 */

const ESC: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML text and attribute values.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { escapeHtml } from "./html.ts";
 * equal(escapeHtml(`<img src=x onerror="alert(1)">`), "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESC[c]);
}

/** Markup built by this project, inserted without escaping. */
export interface RawHtml {
  readonly html: string;
}

/**
 * Marks markup as trusted (charts and tables this project built); anything else is escaped.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { markup, rawHtml } from "./html.ts";
 * equal(markup`<p>${rawHtml("<b>ok</b>")} ${"<b>"}</p>`.html, "<p><b>ok</b> &lt;b&gt;</p>");
 * ```
 */
export function rawHtml(markup: string): RawHtml {
  return { html: markup };
}

function isRaw(v: unknown): v is RawHtml {
  return typeof v === "object" && v !== null && "html" in v &&
    typeof (v as RawHtml).html === "string" && Object.keys(v).length === 1;
}

/**
 * A tagged template that escapes every interpolated value unless it is {@linkcode RawHtml};
 * arrays are joined. Returns trusted markup.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { markup } from "./html.ts";
 * const host = "<img src=x onerror=alert(1)>";
 * equal(markup`<td>${host}</td>`.html, "<td>&lt;img src=x onerror=alert(1)&gt;</td>");
 * equal(markup`<ul>${["a", "b"].map((x) => markup`<li>${x}</li>`)}</ul>`.html, "<ul><li>a</li><li>b</li></ul>");
 * ```
 */
export function markup(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    out += render(values[i]) + strings[i + 1];
  }
  return { html: out };
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return "";
  if (Array.isArray(v)) return v.map(render).join("");
  if (isRaw(v)) return v.html;
  return escapeHtml(String(v));
}

/** Options of {@linkcode formatNumber}. */
export interface FormatOptions {
  /** Digits after the point. @default {0} */
  digits?: number;
  /** Show a sign for positive numbers. @default {false} */
  signed?: boolean;
}

/**
 * Formats a number for tables: thousands separated by a narrow no-break space (U+202F, so a number
 * never wraps at its separator, in a report or an exported notebook), fixed digits, `−` for minus,
 * an empty string for null. Never rounds a non-zero value to a bare "0" without its sign.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatNumber } from "./html.ts";
 * equal(formatNumber(1234567.891, { digits: 1 }), "1\u202f234\u202f567.9");
 * equal(formatNumber(-42), "−42");
 * equal(formatNumber(5, { signed: true }), "+5");
 * equal(formatNumber(null), "");
 * ```
 */
export function formatNumber(
  value: number | null | undefined,
  options: FormatOptions = {},
): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  const digits = options.digits ?? 0;
  const fixed = Math.abs(value).toFixed(digits);
  const [int, frac] = fixed.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
  const body = frac ? `${grouped}.${frac}` : grouped;
  const zero = Number(fixed) === 0;
  const sign = value < 0 && !zero ? "\u2212" : value > 0 && options.signed && !zero ? "+" : "";
  return sign + body;
}

/**
 * Formats a fraction as a percentage.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { formatPercent } from "./html.ts";
 * equal(formatPercent(0.4567), "45.7%");
 * equal(formatPercent(null), "");
 * ```
 */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "";
  return `${formatNumber(value * 100, { digits })}%`;
}

/**
 * The adjective of a bucket: `daily`, `weekly`, `monthly` (never "dayly").
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { bucketAdjective } from "./html.ts";
 * equal(bucketAdjective("day"), "daily");
 * equal(bucketAdjective("month"), "monthly");
 * ```
 */
export function bucketAdjective(bucket: string): string {
  return bucket === "day" ? "daily" : `${bucket}ly`;
}

const UNIT_HOURS: Record<string, string> = {
  nodes: "node-hours",
  vcpus: "vCPU-hours",
  vcpus_overcommit: "vCPU-hours (overcommitted)",
  memory_mb: "MB-hours of memory",
  disk_gb: "GB-hours of disk",
  devices: "device-hours",
  containers: "container-hours",
};

/**
 * The unit of a resource's hours: `node-hours` for `nodes` (never "nodes-hours").
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { resourceHours } from "./html.ts";
 * equal(resourceHours("nodes"), "node-hours");
 * equal(resourceHours("vcpus"), "vCPU-hours");
 * ```
 */
export function resourceHours(resource: string): string {
  return UNIT_HOURS[resource] ?? `${resource}-hours`;
}

/** One column of {@linkcode htmlTable}. */
export interface Column<T> {
  /** Header text. */
  label: string;
  /** The cell's value. Strings are escaped; numbers formatted with `digits`. */
  value: (row: T) => string | number | null | undefined | RawHtml;
  /** Digits for numbers. @default {0} */
  digits?: number;
  /** Right-align (default for numbers). */
  numeric?: boolean;
}

/**
 * An HTML table from rows and column definitions; every string cell is escaped.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { htmlTable } from "./html.ts";
 * const t = htmlTable([{ host: "<b>", h: 1.5 }], [
 *   { label: "host", value: (r) => r.host },
 *   { label: "hours", value: (r) => r.h, digits: 1 },
 * ]);
 * equal(t.html, '<div class="scroll"><table class="ledger"><thead><tr><th>host</th><th class="num">hours</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td class="num">1.5</td></tr></tbody></table></div>');
 * // A header may wrap after "_"; a number never wraps (narrow no-break separator).
 * const m = htmlTable([{ v: 29861 }], [{ label: "occupied_reservation", value: (r) => r.v }]);
 * equal(m.html.includes("<th class=\"num\">occupied_<wbr>reservation</th>"), true);
 * equal(m.html.includes("<td class=\"num\">29\u202f861</td>"), true);
 * ```
 */
export function htmlTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  options: { caption?: string } = {},
): RawHtml {
  const numericCol = columns.map((c) =>
    c.numeric ?? (rows.length > 0 && typeof c.value(rows[0]) === "number")
  );
  // Headers wrap (numbers never do): a metric name may break after each "_".
  const th = columns.map((c, i) => {
    const label = rawHtml(escapeHtml(c.label).replace(/_/g, "_<wbr>"));
    return numericCol[i] ? markup`<th class="num">${label}</th>` : markup`<th>${label}</th>`;
  });
  const body = rows.map((r) =>
    markup`<tr>${
      columns.map((c, i) => {
        const v = c.value(r);
        const text = typeof v === "number" ? formatNumber(v, { digits: c.digits ?? 0 }) : v;
        return numericCol[i] ? markup`<td class="num">${text}</td>` : markup`<td>${text}</td>`;
      })
    }</tr>`
  );
  const caption = options.caption ? markup`<caption>${options.caption}</caption>` : "";
  return markup`<div class="scroll"><table class="ledger">${caption}<thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}
