/// <reference lib="dom" />
/**
 * The DOM that Observable Plot renders into outside a browser: a linkedom document.
 *
 * @module
 */
import { parseHTML } from "linkedom";

/**
 * A fresh, empty linkedom document for `Plot.plot({ document })`. Every render function of
 * `lib/plots/` uses one when its `document` option is not given.
 *
 * @returns An HTML document with an empty body.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { plotDocument } from "./dom.ts";
 * const doc = plotDocument();
 * const p = doc.createElement("p");
 * p.textContent = "<b>";
 * equal(p.outerHTML, "<p>&lt;b&gt;</p>");
 * ```
 */
export function plotDocument(): Document {
  return parseHTML("<!DOCTYPE html><html><head></head><body></body></html>")
    .document as unknown as Document;
}
