/**
 * Opens an HTML file from disk in Debian's headless Chromium and reports what a reader's browser
 * would see go wrong: console errors, uncaught exceptions, failed or external requests, opened
 * dialogs (an `alert()` from injected markup), and how many marks the page's SVG charts hold. A
 * screenshot can be saved. Talks the Chrome DevTools Protocol over a WebSocket: no downloaded
 * browser, no npm dependency.
 *
 * @module
 */

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** What the page did. */
export interface PageCheck {
  url: string;
  title: string;
  consoleErrors: string[];
  exceptions: string[];
  /** Requests that failed (file or network). */
  failedRequests: string[];
  /** Requests to anything other than the file itself and `data:` URLs. */
  externalRequests: string[];
  /** Messages of dialogs the page opened (`alert`, `confirm`, ...). */
  dialogs: string[];
  /** Top-level SVG charts in the page. */
  svgs: number;
  /** Marks (`path`, `rect`, `circle`, `line`, `text`) inside those SVGs. */
  svgMarks: number;
  /** Charts without a single mark. */
  emptySvgs: number;
  /** Text of the page's first `h1`, if any. */
  heading: string;
  /**
   * Tables whose columns do not all show at this width: wider than their box (cut off or behind a
   * scroll bar) or past the right edge of the page; each as `"<title>": <table> px in <box> px`.
   */
  clippedTables: string[];
  /** Number cells whose text wraps onto a second line (`"<title>": "<text>"`), at most 10. */
  wrappedNumbers: string[];
}

/** Options of {@linkcode checkPage}. */
export interface CheckPageOptions {
  /** Save a PNG screenshot of the first screen here. */
  screenshot?: string;
  /** Browser executable. @default {CHROMIUM} */
  executable?: string;
  /** Viewport width in CSS pixels. @default {1280} */
  width?: number;
  /** Viewport height in CSS pixels. @default {900} */
  height?: number;
  /** Milliseconds to wait for the page. @default {60000} */
  timeoutMs?: number;
  /** CSS media to emulate; `print` checks the printed page (set `width` to the paper's). @default {"screen"} */
  media?: "screen" | "print";
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/**
 * Opens `path` in headless Chromium and reports console errors, failed and external requests,
 * dialogs and the marks of its SVG charts.
 *
 * @example
 * ```ts ignore
 * const r = await checkPage("output/demo/report.html", { screenshot: "output/demo/report.png" });
 * console.log(r.consoleErrors.length, r.svgMarks);
 * ```
 */
export async function checkPage(path: string, options: CheckPageOptions = {}): Promise<PageCheck> {
  const abs = await Deno.realPath(path);
  const url = `file://${abs}`;
  const profile = await Deno.makeTempDir({ prefix: "ledger-chromium-" });
  const width = options.width ?? 1280, height = options.height ?? 900;
  const child = new Deno.Command(options.executable ?? CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Cannot check "${path}" in Chromium: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  let ws: WebSocket | undefined;
  try {
    const wsUrl = await Promise.race([devtoolsUrl(child.stderr), timeout]);
    ws = new WebSocket(wsUrl);
    const socket = ws;
    await Promise.race([
      new Promise<void>((res, rej) => {
        socket.onopen = () => res();
        socket.onerror = () => rej(new Error(`Cannot connect to Chromium at ${wsUrl}`));
      }),
      timeout,
    ]);
    const result: PageCheck = {
      url,
      title: "",
      consoleErrors: [],
      exceptions: [],
      failedRequests: [],
      externalRequests: [],
      dialogs: [],
      svgs: 0,
      svgMarks: 0,
      emptySvgs: 0,
      heading: "",
      clippedTables: [],
      wrappedNumbers: [],
    };
    let nextId = 1;
    const pending = new Map<number, (m: CdpMessage) => void>();
    let loaded: () => void = () => {};
    const loadedP = new Promise<void>((res) => (loaded = res));
    let sessionId = "";
    const send = (method: string, params: Record<string, unknown> = {}, session = sessionId) => {
      const id = nextId++;
      socket.send(
        JSON.stringify({ id, method, params, ...(session ? { sessionId: session } : {}) }),
      );
      return Promise.race([
        new Promise<Record<string, unknown>>((res, rej) =>
          pending.set(
            id,
            (
              m,
            ) => (m.error ? rej(new Error(`${method}: ${m.error.message}`)) : res(m.result ?? {})),
          )
        ),
        timeout,
      ]);
    };
    socket.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data)) as CdpMessage;
      if (m.id !== undefined) {
        pending.get(m.id)?.(m);
        pending.delete(m.id);
        return;
      }
      // deno-lint-ignore no-explicit-any
      const p = (m.params ?? {}) as Record<string, any>;
      switch (m.method) {
        case "Runtime.consoleAPICalled":
          if (p.type === "error" || p.type === "assert") {
            result.consoleErrors.push(
              (p.args ?? []).map((a: { value?: unknown; description?: string }) =>
                String(a.value ?? a.description ?? "")
              ).join(" "),
            );
          }
          break;
        case "Runtime.exceptionThrown":
          result.exceptions.push(
            String(p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text ?? ""),
          );
          break;
        case "Log.entryAdded":
          if (p.entry?.level === "error") {
            result.consoleErrors.push(
              `${p.entry.source}: ${p.entry.text} ${p.entry.url ?? ""}`.trim(),
            );
          }
          break;
        case "Network.requestWillBeSent": {
          const u = String(p.request?.url ?? "");
          if (u !== url && !u.startsWith("data:") && u !== "about:blank") {
            result.externalRequests.push(u);
          }
          break;
        }
        case "Network.loadingFailed":
          result.failedRequests.push(`${p.errorText ?? "failed"} (${p.type ?? ""})`);
          break;
        case "Page.javascriptDialogOpening":
          result.dialogs.push(String(p.message ?? ""));
          void send("Page.handleJavaScriptDialog", { accept: true });
          break;
        case "Page.loadEventFired":
          loaded();
          break;
      }
    };
    const target = await send("Target.createTarget", { url: "about:blank" }, "");
    const attached = await send(
      "Target.attachToTarget",
      { targetId: target.targetId, flatten: true },
      "",
    );
    sessionId = String(attached.sessionId);
    for (const domain of ["Page", "Runtime", "Log", "Network"]) await send(`${domain}.enable`);
    await send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    if (options.media === "print") await send("Emulation.setEmulatedMedia", { media: "print" });
    await send("Page.navigate", { url });
    await Promise.race([loadedP, timeout]);
    // Let late scripts or image loads (from injected markup) show themselves.
    await new Promise((r) => setTimeout(r, 300));
    const probe = await send("Runtime.evaluate", {
      returnByValue: true,
      expression: `(() => {
        const svgs = [...document.querySelectorAll("svg")].filter((s) => !s.parentElement.closest("svg"));
        const marks = (s) => s.querySelectorAll("path, rect, circle, line, polyline, polygon, text").length;
        return { title: document.title, svgs: svgs.length,
          marks: svgs.reduce((a, s) => a + marks(s), 0),
          empty: svgs.filter((s) => marks(s) === 0).length,
          heading: document.querySelector("h1")?.textContent?.trim() ?? "",
          ...(${TABLE_PROBE})() };
      })()`,
    });
    const v = (probe.result as { value: Record<string, unknown> }).value;
    result.title = String(v.title);
    result.svgs = Number(v.svgs);
    result.svgMarks = Number(v.marks);
    result.emptySvgs = Number(v.empty);
    result.heading = String(v.heading);
    result.clippedTables = v.clipped as string[];
    result.wrappedNumbers = v.wrapped as string[];
    if (options.screenshot) {
      const shot = await send("Page.captureScreenshot", { format: "png" });
      const bytes = Uint8Array.from(atob(String(shot.data)), (c) => c.charCodeAt(0));
      await Deno.writeFile(options.screenshot, bytes);
    }
    return result;
  } finally {
    clearTimeout(timer);
    try {
      ws?.close();
    } catch { /* already closed */ }
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status.catch(() => {});
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs in the page: every table whose columns do not all show (wider than the box around it,
 * which cuts it off or scrolls it, or past the page's right edge), and number cells whose text
 * wraps. A table is named by its caption, else the nearest heading above it.
 */
const TABLE_PROBE = `() => {
  const title = (t) => {
    const cap = t.querySelector("caption");
    if (cap) return cap.textContent.trim().slice(0, 60);
    let el = t;
    while (el && el !== document.body) {
      let p = el.previousElementSibling;
      while (p) {
        if (/^H[1-4]$/.test(p.tagName)) return p.textContent.trim().slice(0, 60);
        const h = p.querySelector && [...p.querySelectorAll("h1,h2,h3,h4")].at(-1);
        if (h) return h.textContent.trim().slice(0, 60);
        p = p.previousElementSibling;
      }
      el = el.parentElement;
    }
    return "table";
  };
  const pageRight = document.documentElement.clientWidth;
  const clipped = [];
  const wrapped = [];
  for (const t of document.querySelectorAll("table")) {
    const w = Math.ceil(t.getBoundingClientRect().width);
    let box = t.parentElement;
    while (box && box !== document.body && getComputedStyle(box).overflowX === "visible") {
      box = box.parentElement;
    }
    const boxW = box && box !== document.body ? box.clientWidth : pageRight;
    const right = t.getBoundingClientRect().right;
    if (w > boxW + 1 || right > pageRight + 1) {
      clipped.push(JSON.stringify(title(t)) + ": " + w + " px in " + Math.min(boxW, pageRight) + " px");
    }
    for (const td of t.querySelectorAll("td")) {
      const text = td.textContent.trim();
      if (!/^[-+\u2212]?[0-9][0-9\s\u2009\u202f,.]*%?$/.test(text)) continue;
      const r = document.createRange();
      r.selectNodeContents(td);
      const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
      if (lines.size > 1 && wrapped.length < 10) wrapped.push(JSON.stringify(title(t)) + ": " + JSON.stringify(text));
    }
  }
  return { clipped, wrapped };
}`;

/**
 * Reads Chromium's stderr until it prints its DevTools WebSocket URL, and keeps draining it
 * afterwards so the browser never blocks on a full pipe.
 */
function devtoolsUrl(stderr: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const dec = new TextDecoder();
    let text = "";
    let found = false;
    (async () => {
      for await (const chunk of stderr) {
        if (found) continue;
        text += dec.decode(chunk, { stream: true });
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
        if (m) {
          found = true;
          resolve(m[1]);
        }
      }
      if (!found) {
        reject(
          new Error(
            `Cannot start Chromium: it exited before listening (${
              text.trim().split("\n").at(-1) ?? ""
            })`,
          ),
        );
      }
    })().catch((e) => {
      if (!found) reject(e);
    });
  });
}
