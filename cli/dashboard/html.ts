/**
 * The pages' HTML, rendered on the server from views.ts: the shell every
 * page shares, the overview table and one row of it, and the connection
 * notice. The page's script (client.ts) only swaps in fragments rendered
 * here and ticks the countdowns, so what a row says is decided in one place.
 */
import { formatUtc, relativeTo } from '../time.js';
import { escapeHtml as e, pathPart } from './escape.js';
import type { ConnectionState } from './store.js';
import type { Kind } from './model.js';
import type { RowView, Segment } from './views.js';

export interface Shell {
  title: string;
  view: 'overview' | 'canary' | 'missing';
  /** `<boot>.<seq>`: where the page's stream starts. */
  since: string;
  /** What the header says the dashboard looks at: context and namespace(s). */
  scope: string;
  connection: string;
  body: string;
  /** The Canary of a one-Canary page. */
  canaryKey?: string;
}

export function page(shell: Shell): string {
  const key = shell.canaryKey === undefined ? '' : ` data-canary="${e(shell.canaryKey)}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(shell.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body data-view="${shell.view}" data-since="${e(shell.since)}"${key}>
<header class="top"><a class="brand" href="/">canary-hooks</a><span class="scope">${e(shell.scope)}</span><span id="stream-state" class="stream-state">live</span></header>
${shell.connection}
<main>
${shell.body}
</main>
<dialog id="confirm"><form method="dialog"><p id="confirm-text"></p><div class="buttons"><button value="cancel" class="secondary">Cancel</button><button value="ok" id="confirm-ok" class="danger">Confirm</button></div></form></dialog>
</body>
</html>
`;
}

const KIND_LABEL: Record<Kind, string> = {
  canaries: 'Canaries',
  deployments: 'Deployments',
  events: 'Events',
};

/** The notice under the header; hidden while every watch is connected. */
export function connectionNotice(c: ConnectionState & { kinds: Kind[] }, now: Date): string {
  if (c.state === 'connected') return '<div id="connection" class="notice" role="status" hidden></div>';
  const what = c.kinds.map((k) => KIND_LABEL[k]).join(', ');
  const text =
    c.state === 'connecting'
      ? `Connecting to the Kubernetes API (${what})…`
      : `Reconnecting to the Kubernetes API (${what} watch)… since ${formatUtc(new Date(c.since))}` +
        ` (${relativeTo(new Date(c.since), now)})${c.error ? `: ${c.error}` : ''}. What is shown may be out of date.`;
  return `<div id="connection" class="notice ${c.state}" role="status" data-state="${c.state}">${e(text)}</div>`;
}

/** A time that the page's script keeps relative: "in 4m 30s", "5m ago". */
export function timeTag(time: Date, now: Date, mode: 'next' | 'ago' = 'ago'): string {
  const past = time.getTime() <= now.getTime();
  const text = `${mode === 'next' && past ? 'due ' : ''}${relativeTo(time, now)}`;
  return `<time class="rel" data-mode="${mode}" data-at="${time.getTime()}" datetime="${formatUtc(time)}" title="${formatUtc(time)}">${e(text)}</time>`;
}

export function segmentsHtml(segments: readonly Segment[], label: string): string {
  if (segments.length === 0) return '<span class="segs none">-</span>';
  const cells = segments
    .map(
      (s) =>
        `<span class="seg ${s.state}${s.pause ? ' pause' : ''}" title="step ${s.step}${s.pause ? ' (pause)' : ''}"></span>`,
    )
    .join('');
  return `<span class="segs" role="img" aria-label="${e(label)}">${cells}</span>`;
}

export function stepLabel(row: RowView): string {
  if (row.step === undefined) return '-';
  return `${row.step}/${row.totalSteps ?? '?'}`;
}

function replicas(asked: number | undefined, available: number | undefined, deployment?: string): string {
  const short = asked !== undefined && available !== undefined && available < asked ? ' short' : '';
  const title = deployment === undefined ? '' : ` title="${e(deployment)}"`;
  return (
    `<span class="asked"${title}>${asked ?? '-'}</span>` +
    `<span class="sep">/</span><span class="available${short}">${available ?? '-'}</span>`
  );
}

export function weightHtml(row: RowView): string {
  if (!row.weight) return '-';
  return row.weight.reported
    ? `${row.weight.value}%`
    : `<span class="derived" title="from the replicas (no status.weight)">${row.weight.value}%</span>`;
}

export function phaseBadge(row: RowView): string {
  return `<span class="badge p-${row.phase.replace(' ', '-')}">${e(row.phase)}</span>`;
}

export function canaryHref(namespace: string, name: string): string {
  return `/canaries/${pathPart(namespace)}/${pathPart(name)}`;
}

export function nextHtml(row: RowView, now: Date): string {
  if (row.pause) {
    const until = row.pause.until ? ` until ${timeTag(row.pause.until, now, 'next')}` : ' until promote';
    return `<span class="paused">paused (${e(row.pause.kind)})</span>${until}`;
  }
  return row.next ? timeTag(row.next, now, 'next') : '-';
}

export function rowHtml(row: RowView, options: { allNamespaces: boolean; now: Date }): string {
  const { now } = options;
  const total = row.totalSteps ?? 0;
  const progress = total > 0 && row.step !== undefined ? row.step / total : -1;
  const attrs = [
    `id="row-${e(row.key)}"`,
    `data-key="${e(row.key)}"`,
    `data-name="${e(row.name)}"`,
    `data-namespace="${e(row.namespace)}"`,
    `data-state="${e(row.state || 'none')}"`,
    `data-phase="${e(row.phase)}"`,
    `data-progress="${progress}"`,
    `data-next="${row.next?.getTime() ?? ''}"`,
    `data-weight="${row.weight?.value ?? -1}"`,
  ].join(' ');
  const rollback = row.rollback
    ? `<span class="reason" title="${e(row.rollback.reason)}">${e(row.rollback.reason)}</span>` +
      (row.rollback.time ? ` ${timeTag(row.rollback.time, now)}` : '')
    : '-';
  const cells = [
    `<td class="name"><a href="${canaryHref(row.namespace, row.name)}">${e(row.name)}</a></td>`,
    ...(options.allNamespaces ? [`<td class="ns">${e(row.namespace)}</td>`] : []),
    `<td class="progress">${segmentsHtml(row.segments, `step ${stepLabel(row)}`)}<span class="steps">${stepLabel(row)}</span></td>`,
    `<td class="state">${phaseBadge(row)}<div class="msg" title="${e(row.message)}">${e(row.message)}</div></td>`,
    `<td class="num old">${replicas(row.old.asked, row.old.available, row.old.deployment)}</td>`,
    `<td class="num new">${replicas(row.new.asked, row.new.available, row.new.deployment)}</td>`,
    `<td class="num weight">${weightHtml(row)}</td>`,
    `<td class="next">${nextHtml(row, now)}</td>`,
    `<td class="rollback">${rollback}</td>`,
  ];
  return `<tr ${attrs}>${cells.join('')}</tr>`;
}

const STATES = ['running', 'stop', 'complete', 'error', 'none'];

export function overviewBody(rows: string[], options: { allNamespaces: boolean; where: string }): string {
  const th = (key: string, label: string, cls = '') =>
    `<th data-sort="${key}"${cls ? ` class="${cls}"` : ''} aria-sort="none"><button type="button">${label}</button></th>`;
  const stateOptions = STATES.map(
    (s) => `<option value="${s}">${s === 'none' ? 'no status' : s}</option>`,
  ).join('');
  return `<section class="overview">
<div class="toolbar">
<h1>Canaries <span class="where">${e(options.where)}</span></h1>
<input id="filter" type="search" placeholder="Filter by name" aria-label="Filter by name" autocomplete="off">
<select id="state-filter" aria-label="Filter by state"><option value="">every state</option>${stateOptions}</select>
<span id="count" class="count"></span>
</div>
<table id="canaries">
<thead><tr>${th('name', 'Name')}${options.allNamespaces ? th('namespace', 'Namespace') : ''}${th('progress', 'Progress')}${th('state', 'State')}<th class="num">Old<br><small>asked / available</small></th><th class="num">New<br><small>asked / available</small></th>${th('weight', 'Weight', 'num')}${th('next', 'Next step')}<th>Last rollback</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p id="empty" class="empty"${rows.length === 0 ? '' : ' hidden'}>No Canaries ${e(options.where)} yet. New ones appear here as they are created.</p>
</section>`;
}
