/**
 * Helpers of the chart tests: counting marks and checking markup is self-contained.
 *
 * @module
 */
import { equal, ok } from "node:assert/strict";

/** A string from a database that must only ever appear escaped. */
export const EVIL = "<img src=x onerror=alert(1)>";

/** How often `needle` occurs in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The markup has no script, no raw `<img` and shows the evil string escaped. */
export function assertEscaped(markup: string): void {
  ok(!markup.includes("<img"), "no raw <img");
  ok(!/<script/i.test(markup), "no script");
  ok(!/\son[a-z]+=/i.test(markup.replaceAll("onerror=alert", "")), "no event attribute");
  ok(markup.includes("&lt;img src=x onerror=alert(1)&gt;"), "the string shows, escaped");
}

/** The markup is well formed enough for a report: no script, no external reference. */
export function assertSelfContained(markup: string): void {
  ok(!/<script/i.test(markup), "no script");
  ok(!/(?:href|src)=["']?https?:/i.test(markup), "no external reference");
  equal(count(markup, "<svg"), count(markup, "</svg>"));
}

/** The markup of each group (`<g aria-label="...">` and its content) with this aria-label. */
export function groupsOf(markup: string, ariaLabel: string): string[] {
  const out: string[] = [];
  const open = new RegExp(`<g[^>]* aria-label="${ariaLabel}"[^>]*>`, "g");
  for (const o of markup.matchAll(open)) {
    const tags = /<g[\s>]|<\/g>/g;
    tags.lastIndex = o.index;
    let depth = 0;
    for (let m = tags.exec(markup); m; m = tags.exec(markup)) {
      depth += m[0] === "</g>" ? -1 : 1;
      if (depth === 0) {
        out.push(markup.slice(o.index, m.index + 4));
        break;
      }
    }
  }
  return out;
}

/** The `d` attributes of the paths of the groups with this aria-label. */
export function pathsOf(markup: string, ariaLabel: string): string[] {
  return groupsOf(markup, ariaLabel).flatMap((g) =>
    [...g.matchAll(/ d="([^"]*)"/g)].map((m) => m[1])
  );
}
