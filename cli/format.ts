/**
 * Everything the plugin prints, as pure functions of the objects and the
 * time: tables, the progress bar, countdowns, the status page and the plan.
 * The commands in `commands.ts` fetch and write; nothing here does I/O.
 */
import { COMMAND_ANNOTATION, type Canary, type Condition, type ObservedStatus } from '../hooks/wire/index.js';
import type { RolloutPlan } from '../hooks/plan.js';
import type { CanarySpec } from '../hooks/spec/parse.js';
import { formatListPlan } from './plan-list.js';
import { table } from './table.js';
import type { RouteView } from './dashboard/route.js';
import { routeLines } from './route-format.js';
import { formatDuration, formatUtc, formatZoned, relativeTo } from './time.js';

function status(canary: Canary): ObservedStatus {
  return canary.status ?? {};
}

function numberOr(value: unknown, fallback: string): string {
  return typeof value === 'number' ? String(value) : fallback;
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** "2/5", or "-" before the service has written a status. */
export function stepText(s: ObservedStatus): string {
  if (typeof s.currentStep !== 'number') return '-';
  return `${s.currentStep}/${numberOr(s.totalSteps, '?')}`;
}

/** The next step time with its countdown, or why there is none. */
export function nextStepText(s: ObservedStatus, now: Date): string {
  const next = parseTime(s.nextStepTime);
  if (next) {
    const due = next.getTime() <= now.getTime();
    return `${formatUtc(next)} (${due ? 'due ' : ''}${relativeTo(next, now)})`;
  }
  return '-';
}

export interface ListOptions {
  allNamespaces: boolean;
  now: Date;
}

export function formatList(canaries: readonly Canary[], options: ListOptions): string {
  if (canaries.length === 0) return '';
  const header = ['NAME', 'OLD', 'NEW', 'WEIGHT', 'STEP', 'STATE', 'NEXT STEP'];
  if (options.allNamespaces) header.unshift('NAMESPACE');
  const sorted = [...canaries].sort(
    (a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  const rows = sorted.map((c) => {
    const s = status(c);
    const row = [
      c.metadata.name,
      numberOr(s.oldReplicas, '-'),
      numberOr(s.newReplicas, '-'),
      typeof s.weight === 'number' ? `${s.weight}%` : '-',
      stepText(s),
      typeof s.state === 'string' ? s.state : '-',
      nextStepText(s, options.now),
    ];
    if (options.allNamespaces) row.unshift(c.metadata.namespace ?? '');
    return row;
  });
  return table(header, rows);
}

/**
 * One block per step, filled up to the current one: `[###|###|...|...] 2/4`.
 * A Canary in error or rolled back keeps its step; the label says which.
 */
export function progressBar(current: number, total: number, width = 40): string {
  if (total <= 0) return '[] 0/0';
  const step = Math.min(Math.max(0, Math.trunc(current)), total);
  const cell = Math.max(1, Math.floor((width - (total - 1)) / total));
  const blocks: string[] = [];
  for (let i = 1; i <= total; i++) blocks.push((i <= step ? '#' : '.').repeat(cell));
  const percent = Math.round((step / total) * 100);
  return `[${blocks.join('|')}] ${step}/${total} (${percent}%)`;
}

/** What the status page knows of a Deployment: its object, or why it could not be read. */
export type DeploymentView =
  | { found: true; name: string; replicas: number | undefined; available: number; ready: number }
  | { found: false; name: string; why: string };

function replicaLine(role: string, asked: unknown, d: DeploymentView | undefined): string {
  const askedText = numberOr(asked, '-');
  if (!d) return `${role}  -`;
  if (!d.found) return `${role}  ${d.name}: asked ${askedText}, ${d.why}`;
  const spec = d.replicas === undefined ? '-' : String(d.replicas);
  return `${role}  ${d.name}: asked ${askedText}, spec ${spec}, available ${d.available}, ready ${d.ready}`;
}

function age(time: string, now: Date): string {
  const t = parseTime(time);
  return t ? formatDuration(now.getTime() - t.getTime()) : '-';
}

function conditionsTable(conditions: readonly Condition[], now: Date): string {
  if (conditions.length === 0) return '  <none>\n';
  const rows = conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime, now), c.message]);
  return table(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], rows)
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
}

export interface StatusView {
  canary: Canary;
  oldDeployment?: DeploymentView;
  newDeployment?: DeploymentView;
  /** The route of spec.trafficRouting as the plugin read it; undefined without routing. */
  route?: RouteView;
  /** spec.totalReplicas and who sets it (cli/scale.ts). */
  total?: string;
  now: Date;
}

function specString(canary: Canary, field: string): string | undefined {
  const value = (canary.spec as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function formatStatus(view: StatusView): string {
  const { canary, now } = view;
  const s = status(canary);
  const lines: string[] = [];
  const field = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(13)}${value}`);
  field('Name', canary.metadata.name);
  field('Namespace', canary.metadata.namespace ?? 'default');
  field('State', typeof s.state === 'string' ? s.state : '- (no status yet: is canary-hooks running?)');
  if (typeof s.message === 'string' && s.message !== '') field('Message', s.message);
  const total = typeof s.totalSteps === 'number' ? s.totalSteps : 0;
  field('Progress', progressBar(typeof s.currentStep === 'number' ? s.currentStep : 0, total));
  if (typeof s.weight === 'number') field('Weight', `${s.weight}% on the new version`);
  if (view.route) {
    const [first = '', ...more] = routeLines(view.route, typeof s.weight === 'number' ? s.weight : undefined);
    field('Route', first);
    for (const line of more) lines.push(`${''.padEnd(13)}${line}`);
  }
  if (s.pause) {
    const until = parseTime(s.pause.until);
    field(
      'Paused',
      `${s.pause.kind} since ${s.pause.since}, ` +
        (until ? `until ${formatUtc(until)} (${relativeTo(until, now)})` : 'until kubectl canary promote'),
    );
  }
  if (view.total !== undefined) field('Total', view.total);
  field('Replicas', replicaLine('old', s.oldReplicas, view.oldDeployment));
  lines.push(`${''.padEnd(13)}${replicaLine('new', s.newReplicas, view.newDeployment)}`);
  const schedule = specString(canary, 'cronSchedule');
  if (schedule) field('Schedule', `${schedule} (${specString(canary, 'timeZone') ?? 'UTC'})`);
  const last = parseTime(s.lastStepTime);
  field('Last step', last ? `${formatUtc(last)} (${relativeTo(last, now)})` : '-');
  field('Next step', nextStepText(s, now));
  const annotated = canary.metadata.annotations?.[COMMAND_ANNOTATION];
  const observed =
    typeof s.observedCommand === 'string' && s.observedCommand !== '' ? s.observedCommand : '-';
  field('Command', `${annotated ?? '-'} (acted on: ${observed})`);
  const rollback = s.rollback;
  if (rollback && typeof rollback === 'object') {
    const when = parseTime(rollback.time);
    field(
      'Rollback',
      `${when ? `${formatUtc(when)} (${relativeTo(when, now)})` : '-'}: ${rollback.reason}` +
        (rollback.revision ? ` [revision ${rollback.revision}]` : ''),
    );
  } else {
    field('Rollback', 'none');
  }
  lines.push('Conditions:');
  return `${lines.join('\n')}\n${conditionsTable(Array.isArray(s.conditions) ? s.conditions : [], now)}`;
}

export function formatPlan(name: string, spec: CanarySpec, plan: RolloutPlan, appliedAt: Date): string {
  if (spec.steps !== undefined) return formatListPlan(name, spec, plan, appliedAt);
  const zone = spec.timeZone;
  const out: string[] = [];
  out.push(
    `Canary ${name}: ${spec.oldDeployment} -> ${spec.newDeployment}, ` +
      `${spec.totalReplicas} replicas, ${spec.stepReplicas} per step, ${plan.totalSteps} steps`,
  );
  out.push(`Schedule "${spec.cronSchedule}" in ${zone}; applied ${formatUtc(appliedAt)}`);
  out.push('');
  const zoneHeader = zone === 'UTC' ? 'TIME (UTC)' : `TIME (${zone})`;
  const header = ['STEP', 'OLD', 'NEW', zoneHeader];
  if (zone !== 'UTC') header.push('UTC');
  header.push('AFTER APPLY');
  const rows: string[][] = [];
  const pending = ['0', String(spec.totalReplicas), '0', 'before apply'];
  if (zone !== 'UTC') pending.push('');
  pending.push('');
  rows.push(pending);
  for (const s of plan.steps) {
    const row = [String(s.step), String(s.oldReplicas), String(s.newReplicas), formatZoned(s.time, zone)];
    if (zone !== 'UTC') row.push(formatUtc(s.time));
    row.push(s.step === 1 ? 'at apply' : `+${formatDuration(s.time.getTime() - appliedAt.getTime())}`);
    rows.push(row);
  }
  out.push(table(header, rows).trimEnd());
  const last = plan.steps[plan.steps.length - 1];
  if (last) {
    out.push('');
    out.push(
      `Complete at step ${last.step}: ${formatZoned(last.time, zone)}` +
        (zone === 'UTC' ? '' : ` (${formatUtc(last.time)})`) +
        `, ${formatDuration(last.time.getTime() - appliedAt.getTime())} after apply.`,
    );
    out.push(
      "Assumes each step's new replicas become available before the next tick; a step waits for them otherwise.",
    );
  }
  return out.join('\n') + '\n';
}
