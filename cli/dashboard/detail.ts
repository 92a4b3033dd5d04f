/**
 * One Canary's page: the buttons (drawn once), and the live part the stream
 * replaces whenever the Canary, one of its Deployments or its Events change:
 * summary, chart, step plan, Deployments, route, conditions and Events.
 */
import { COMMAND_ANNOTATION, type Canary, type Condition } from '../../hooks/wire/index.js';
import { formatUtc, formatZoned } from '../time.js';
import { chartSvg } from './chart.js';
import { escapeHtml as e } from './escape.js';
import { nextHtml, phaseBadge, segmentsHtml, stepLabel, timeTag, weightHtml } from './html.js';
import type { DeploymentSlim, EventSlim } from './model.js';
import { planView } from './plan.js';
import type { RouteView } from './route.js';
import type { Sample } from './store.js';
import { parseTime, rowView, type RowView } from './views.js';

export interface CommandButton {
  /** The plugin command: apply, stop, promote, rollback, complete. */
  command: string;
  /** The annotation value it sets. */
  value: string | undefined;
  /** undefined when the button works; else why it is disabled. */
  unavailable?: string;
}

/** What the confirmation says each command does (as `kubectl canary --help` says it). */
const WHAT: Record<string, string> = {
  apply: 'start or resume the rollout',
  stop: 'hold it at the current step',
  promote: 'end the current pause, or take a step waiting for its tick, now',
  rollback: 'go back to step 0, every replica on the old version',
  complete: 'jump to the last step, every replica on the new version',
};

export function detailBody(
  canary: { namespace: string; name: string },
  buttons: CommandButton[],
  live: string,
): string {
  const items = buttons
    .map((b) => {
      const disabled = b.unavailable === undefined ? '' : ` disabled title="${e(b.unavailable)}"`;
      const confirm =
        `${b.command} ${canary.namespace}/${canary.name}: ${WHAT[b.command] ?? b.command}? ` +
        `This sets ${COMMAND_ANNOTATION}=${b.value ?? b.command}, as kubectl canary ${b.command} does.`;
      const kind = b.command === 'rollback' ? ' danger' : '';
      return `<button type="button" class="command${kind}" data-command="${e(b.command)}" data-confirm="${e(confirm)}"${disabled}>${e(b.command)}</button>`;
    })
    .join('');
  return `<nav class="crumbs"><a href="/">All Canaries</a></nav>
<section class="canary">
<div class="title"><h1>${e(canary.name)} <span class="where">in ${e(canary.namespace)}</span></h1>
<div class="actions" role="group" aria-label="Commands">${items}</div></div>
<div id="result" class="result" role="status" hidden></div>
<div id="canary-live">${live}</div>
</section>`;
}

export function missingBody(namespace: string, name: string): string {
  return `<nav class="crumbs"><a href="/">All Canaries</a></nav>
<section class="canary"><h1>${e(name)} <span class="where">in ${e(namespace)}</span></h1>
<p class="empty">There is no Canary ${e(name)} in namespace ${e(namespace)} (or it is not in the namespaces this dashboard watches).</p></section>`;
}

export interface DetailInput {
  canary: Canary;
  deployments: { old?: DeploymentSlim; new?: DeploymentSlim };
  events: readonly EventSlim[];
  history: readonly Sample[];
  route: RouteView | undefined;
  now: Date;
}

type Json = Record<string, unknown>;

function field(label: string, value: string): string {
  return `<dt>${e(label)}</dt><dd>${value}</dd>`;
}

function summary(row: RowView, canary: Canary, now: Date): string {
  const spec = canary.spec as Json;
  const status = canary.status ?? {};
  const lastStep = parseTime(status.lastStepTime);
  const annotated = canary.metadata.annotations?.[COMMAND_ANNOTATION];
  const observed =
    typeof status.observedCommand === 'string' && status.observedCommand ? status.observedCommand : '-';
  const schedule = typeof spec.cronSchedule === 'string' ? spec.cronSchedule : undefined;
  const zone = typeof spec.timeZone === 'string' && spec.timeZone ? spec.timeZone : 'UTC';
  const rollback = status.rollback && typeof status.rollback === 'object' ? status.rollback : undefined;
  const dl = [
    field(
      'State',
      `${phaseBadge(row)} <span class="msg">${e(row.message || '(no status yet: is canary-hooks running?)')}</span>`,
    ),
    field(
      'Progress',
      `${segmentsHtml(row.segments, `step ${stepLabel(row)}`)} <span class="steps">${stepLabel(row)}</span>`,
    ),
    field('Weight', weightHtml(row)),
    field('Next step', nextHtml(row, now)),
    field('Last step', lastStep ? `${e(formatUtc(lastStep))} ${timeTag(lastStep, now)}` : '-'),
    field('Schedule', schedule ? `<code>${e(schedule)}</code> in ${e(zone)}` : '-'),
    field('Command', `${e(annotated ?? '-')} <span class="muted">(acted on: ${e(observed)})</span>`),
  ];
  if (row.pause) {
    const until = row.pause.until ? `until ${e(formatUtc(row.pause.until))}` : 'until promote';
    dl.push(field('Pause', `${e(row.pause.kind)}, ${until}`));
  }
  dl.push(
    field(
      'Last rollback',
      rollback
        ? `<span class="reason">${e(String(rollback.reason ?? ''))}</span>` +
            (row.rollback?.time ? ` ${timeTag(row.rollback.time, now)}` : '') +
            (rollback.revision ? ` <span class="muted">revision ${e(String(rollback.revision))}</span>` : '')
        : 'none',
    ),
  );
  return `<section class="panel summary"><h2>Status</h2><dl>${dl.join('')}</dl></section>`;
}

function planTable(input: DetailInput): string {
  const plan = planView(input.canary, input.history, input.now);
  if (!plan.ok)
    return `<section class="panel plan"><h2>Step plan</h2><p class="error">${e(plan.problem)}</p></section>`;
  const utc = plan.zone !== 'UTC';
  // The pause column only for a list with pauses.
  const pauses = plan.rows.some((r) => r.pause !== undefined);
  const head =
    '<tr><th>Step</th><th class="num">Old</th><th class="num">New</th><th class="num">Weight</th>' +
    `${pauses ? '<th>Pause</th>' : ''}<th>Time (${e(plan.zone)})</th>${utc ? '<th>UTC</th>' : ''}<th></th></tr>`;
  const rows = plan.rows.map((r) => {
    const label = { before: 'before apply', done: 'done', current: 'current', planned: 'planned' }[r.status];
    const zoned = r.time
      ? e(formatZoned(r.time, plan.zone))
      : r.status === 'before'
        ? ''
        : r.status === 'planned'
          ? 'not due'
          : 'earlier';
    const due = r.time && r.status === 'planned' ? ` ${timeTag(r.time, input.now, 'next')}` : '';
    const promote = r.afterPromote ? ' <span class="muted">at the earliest: after a promote</span>' : '';
    return (
      `<tr class="${r.status}"><td>${r.step}</td><td class="num">${r.old}</td><td class="num">${r.new}</td>` +
      `<td class="num">${r.weight}%</td>${pauses ? `<td>${e(r.pause ?? '')}</td>` : ''}` +
      `<td>${zoned}</td>${utc ? `<td>${r.time ? e(formatUtc(r.time)) : ''}</td>` : ''}` +
      `<td>${e(label)}${due}${promote}</td></tr>`
    );
  });
  return `<section class="panel plan"><h2>Step plan</h2><p class="muted">${e(plan.basis)}; assumes each step's new replicas are available in time.</p><table>${head}${rows.join('')}</table></section>`;
}

function deploymentsTable(row: RowView, deployments: DetailInput['deployments']): string {
  const line = (role: 'old' | 'new', d: DeploymentSlim | undefined) => {
    const view = row[role];
    if (!view.deployment)
      return `<tr><td>${role}</td><td colspan="7" class="muted">not named in the spec</td></tr>`;
    if (!d) {
      return `<tr><td>${role}</td><td>${e(view.deployment)}</td><td class="num">${view.asked ?? '-'}</td><td colspan="5" class="error">not found</td></tr>`;
    }
    return (
      `<tr><td>${role}</td><td>${e(d.name)}</td><td class="num">${view.asked ?? '-'}</td>` +
      `<td class="num">${d.replicas ?? '-'}</td><td class="num">${d.available}</td><td class="num">${d.ready}</td>` +
      `<td class="num">${d.updated}</td><td class="image">${d.images.map((i) => `<code>${e(i)}</code>`).join(' ')}</td></tr>`
    );
  };
  return (
    `<section class="panel deployments"><h2>Deployments</h2><table>` +
    `<tr><th></th><th>Name</th><th class="num">Asked</th><th class="num">Spec</th><th class="num">Available</th><th class="num">Ready</th><th class="num">Updated</th><th>Image</th></tr>` +
    `${line('old', deployments.old)}${line('new', deployments.new)}</table></section>`
  );
}

function routeSection(route: RouteView | undefined): string {
  if (!route) return '';
  const body = route.error
    ? `<p class="error">${e(route.error)}</p>`
    : route.problem
      ? `<p class="error">No weight can be set: ${e(route.problem)}</p>`
      : `<table><tr><th>Rule</th><th class="num">${e(route.oldBackend)}</th><th class="num">${e(route.newBackend)}</th></tr>` +
        route.rules
          .map(
            (r) =>
              `<tr><td>${e(r.label)}</td><td class="num">${r.old ?? '-'}</td><td class="num">${r.new ?? '-'}</td></tr>`,
          )
          .join('') +
        '</table>';
  return `<section class="panel route"><h2>Route: ${e(route.kind)} ${e(route.name)}</h2>${body}</section>`;
}

/** A panel of one five-column table: its header cells, and its rows or, with none, a muted line. */
function tablePanel(
  name: string,
  title: string,
  header: string,
  rows: readonly string[],
  none: string,
): string {
  const body = rows.length === 0 ? `<tr><td colspan="5" class="muted">${none}</td></tr>` : rows.join('');
  return `<section class="panel ${name}"><h2>${title}</h2><table><tr>${header}</tr>${body}</table></section>`;
}

function conditionsTable(canary: Canary, now: Date): string {
  const conditions: Condition[] = Array.isArray(canary.status?.conditions) ? canary.status.conditions : [];
  const rows = conditions.map((c) => {
    const t = parseTime(c.lastTransitionTime);
    return `<tr class="cond-${e(String(c.status))}"><td>${e(String(c.type))}</td><td>${e(String(c.status))}</td><td>${e(String(c.reason))}</td><td>${t ? timeTag(t, now) : '-'}</td><td>${e(String(c.message))}</td></tr>`;
  });
  const header = '<th>Type</th><th>Status</th><th>Reason</th><th>Changed</th><th>Message</th>';
  return tablePanel('conditions', 'Conditions', header, rows, 'none');
}

function eventsTable(events: readonly EventSlim[], now: Date): string {
  const rows = events.map((ev) => {
    const t = parseTime(ev.time);
    return `<tr class="ev-${e(ev.type)}"><td>${e(ev.type)}</td><td>${e(ev.reason)}</td><td>${t ? timeTag(t, now) : '-'}</td><td class="num">${ev.count}</td><td>${e(ev.message)}</td></tr>`;
  });
  const header = '<th>Type</th><th>Reason</th><th>When</th><th class="num">Count</th><th>Message</th>';
  return tablePanel('events', 'Events', header, rows, 'none seen');
}

export function detailLive(input: DetailInput): string {
  const { canary, now } = input;
  const row = rowView(canary, input.deployments);
  const total =
    typeof (canary.spec as Json).totalReplicas === 'number'
      ? ((canary.spec as Json).totalReplicas as number)
      : undefined;
  return [
    summary(row, canary, now),
    deploymentsTable(row, input.deployments),
    `<section class="panel chart-panel"><h2>Replicas and weight seen</h2>${chartSvg(input.history, now, total)}</section>`,
    planTable(input),
    routeSection(input.route),
    conditionsTable(canary, now),
    eventsTable(input.events, now),
  ].join('\n');
}
