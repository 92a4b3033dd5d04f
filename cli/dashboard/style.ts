/** The pages' stylesheet, served as /assets/dashboard.css. No fonts or images to fetch: clusters are often offline. */
export const STYLE = `
:root {
  --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --panel: #fff;
  --old: #3b6fd8; --new: #e8772e; --avail: #8e44ad; --weight: #2a9d6f;
  --ok: #1f8a4c; --warn: #b7791f; --bad: #c0392b; --idle: #98a2b3;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: #2457c5; text-decoration: none; }
a:hover { text-decoration: underline; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #f0f2f5; padding: 1px 4px; border-radius: 3px; }
.top { display: flex; gap: 16px; align-items: center; padding: 10px 20px; background: #1d2330; color: #fff; }
.top .brand { color: #fff; font-weight: 600; }
.top .scope { color: #c8cdd6; flex: 1; }
.stream-state { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--ok); }
.stream-state.offline { background: var(--bad); }
.notice { margin: 12px 20px 0; padding: 8px 12px; border-radius: 6px; background: #fff4e5; border: 1px solid #f3c98b; color: #7a4b00; }
.notice.reconnecting { background: #fdecea; border-color: #f1b0a9; color: #8a1f14; }
main { padding: 16px 20px 40px; }
h1 { font-size: 20px; margin: 0; }
h1 .where { font-weight: 400; color: var(--muted); font-size: 15px; }
h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 12px; flex-wrap: wrap; }
.toolbar h1 { flex: 1; }
input[type=search], select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
input[type=search] { width: 220px; }
.count { color: var(--muted); min-width: 60px; text-align: right; }
table { border-collapse: collapse; width: 100%; background: var(--panel); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; font-size: 12px; color: var(--muted); white-space: nowrap; }
th small { font-weight: 400; }
th button { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " \\25B2"; }
th[aria-sort=descending] button::after { content: " \\25BC"; }
.num { text-align: right; white-space: nowrap; }
#canaries { border: 1px solid var(--line); border-radius: 8px; }
#canaries td.name a { font-weight: 600; }
#canaries .msg { color: var(--muted); font-size: 12px; max-width: 300px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.sep { color: var(--idle); margin: 0 3px; }
.available.short { color: var(--warn); font-weight: 600; }
.derived { color: var(--muted); }
.rollback .reason { display: inline-block; max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; color: var(--bad); }
time.rel { color: var(--muted); white-space: nowrap; }
.next time.rel { color: inherit; }
.segs { display: inline-flex; gap: 2px; vertical-align: middle; margin-right: 6px; }
.seg { width: 18px; height: 10px; border-radius: 2px; background: #e4e7ec; }
.seg.done { background: var(--new); }
.seg.current { background: var(--new); box-shadow: 0 0 0 2px #fff, 0 0 0 3px var(--fg); }
.seg.pause { border-radius: 5px; width: 10px; background: repeating-linear-gradient(90deg, #98a2b3 0 3px, transparent 3px 5px); }
.seg.pause.done, .seg.pause.current { background: repeating-linear-gradient(90deg, var(--new) 0 3px, transparent 3px 5px); }
.steps { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--idle); }
.badge.p-running { background: var(--ok); }
.badge.p-waiting, .badge.p-paused { background: var(--warn); }
.badge.p-complete { background: #2457c5; }
.badge.p-error, .badge.p-rolled-back { background: var(--bad); }
.badge.p-stopped { background: #475467; }
.empty, .muted { color: var(--muted); }
.error { color: var(--bad); }
.crumbs { margin-bottom: 8px; }
.title { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; margin-bottom: 12px; }
.title h1 { flex: 1; }
.actions { display: flex; gap: 8px; }
button.command, dialog button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #c6ccd6; background: #fff; cursor: pointer; }
button.command:hover:not(:disabled) { background: #f0f2f5; }
button.command:disabled { color: var(--idle); cursor: not-allowed; }
button.danger { border-color: #e3a59e; color: var(--bad); }
dialog button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
dialog { border: 1px solid var(--line); border-radius: 10px; padding: 20px; max-width: 480px; }
dialog::backdrop { background: rgba(16, 24, 40, .35); }
dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
.result { white-space: pre-wrap; font: 12px ui-monospace, "DejaVu Sans Mono", monospace; padding: 10px 12px; border-radius: 6px; margin-bottom: 12px; border: 1px solid var(--line); background: #fff; }
.result.ok { border-color: #9fd6b4; background: #eefaf2; }
.result.error { border-color: #f1b0a9; background: #fdecea; }
#canary-live { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 14px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; overflow-x: auto; }
.panel table { font-size: 13px; }
.panel th, .panel td { padding: 4px 8px; }
.summary dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 0; }
.summary dt { color: var(--muted); }
.summary dd { margin: 0; }
.plan tr.done td, .plan tr.before td { color: var(--muted); }
.plan tr.current td { font-weight: 600; background: #fff7ef; }
.events tr.ev-Warning td:first-child, .conditions tr.cond-False td:nth-child(2) { color: var(--bad); }
.chart-panel { grid-column: 1 / -1; }
svg.chart { width: 100%; height: auto; max-height: 260px; }
svg.chart .axis { stroke: #c6ccd6; }
svg.chart .tick { fill: var(--muted); font-size: 11px; }
svg.chart .line { fill: none; stroke-width: 2; }
svg.chart .line.old { stroke: var(--old); }
svg.chart .line.new { stroke: var(--new); }
svg.chart .line.newAvailable { stroke: var(--avail); stroke-dasharray: 2 3; }
svg.chart .line.weight { stroke: var(--weight); stroke-dasharray: 6 4; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); flex-wrap: wrap; }
.legend .key::before { content: ""; display: inline-block; width: 14px; height: 3px; margin-right: 5px; vertical-align: middle; }
.legend .old::before { background: var(--old); }
.legend .new::before { background: var(--new); }
.legend .newAvailable::before { background: var(--avail); }
.legend .weight::before { background: var(--weight); }
.legend .points { margin-left: auto; }
`;
