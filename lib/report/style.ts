/**
 * The one stylesheet of the HTML reports, inlined into every page (reports open offline: no CDN,
 * no external file).
 *
 * @module
 */

/** CSS of the reports. */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6877; --line: #d9dee5; --ok: #1a7f37;
  --bad: #b42318; --bg-soft: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 64px; }
header.top { border-bottom: 1px solid var(--line); padding-bottom: 12px; margin-bottom: 16px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
p { margin: 6px 0; }
.sub { color: var(--muted); margin: 0; }
.badges { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 0; padding: 0; list-style: none; }
.badge { border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px; background: var(--bg-soft); }
.badge.ok { border-color: #a6dcb5; background: #eaf7ee; color: var(--ok); }
.badge.bad { border-color: #f3b5ae; background: #fdeceb; color: var(--bad); font-weight: 600; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 10px; margin: 12px 0; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--bg-soft); }
.tile .v { font-size: 24px; font-weight: 650; }
.tile .k { color: var(--muted); font-size: 12.5px; }
nav.toc { font-size: 13px; color: var(--muted); margin: 8px 0 0; }
nav.toc a { color: inherit; margin-right: 12px; }
table.ledger { border-collapse: collapse; margin: 8px 0; font-size: 13px; font-variant-numeric: tabular-nums; }
table.ledger caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
table.ledger th, table.ledger td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
table.ledger th { font-weight: 600; vertical-align: bottom; white-space: normal; overflow-wrap: normal; }
table.ledger .num { text-align: right; }
table.ledger td.num { white-space: nowrap; }
.ok { color: var(--ok); }
.bad { color: var(--bad); font-weight: 600; }
.note { color: var(--muted); font-size: 12.5px; }
ul.notes { color: var(--muted); font-size: 13px; }
figure { margin: 8px 0 16px; }
figure svg { max-width: 100%; height: auto; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
.scroll { overflow-x: auto; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
@media print {
  @page { margin: 12mm; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  .scroll { overflow: visible; }
  table.ledger { font-size: 9.5px; }
  table.ledger th, table.ledger td { padding: 2px 6px 2px 0; }
  table.ledger tr, figure, .tile { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  nav.toc, details > summary { display: none; }
  details { display: block; }
}
`;
