/**
 * `kubectl canary plan` for a step list: each step with its replica split
 * and weight, each pause with how and when it ends, and what a pause until
 * promote does to the times after it (they count from the promote).
 */
import type { PlannedStep, RolloutPlan } from '../hooks/plan.js';
import type { CanarySpec, SpecStep } from '../hooks/spec/parse.js';
import { table } from './table.js';
import { formatDuration, formatUtc, formatZoned } from './time.js';

function kindText(step: SpecStep): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}`;
  if ('setReplicas' in step) return `setReplicas ${step.setReplicas}`;
  return 'pause';
}

/** When a planned moment is: a time from apply, or one counted from the last promote. */
function when(time: Date, appliedAt: Date, promotedAt: Date | undefined): string {
  if (promotedAt === undefined)
    return time === appliedAt ? 'at apply' : `+${formatDuration(time.getTime() - appliedAt.getTime())}`;
  return `promote +${formatDuration(time.getTime() - promotedAt.getTime())}`;
}

function pauseEnd(s: PlannedStep, zone: string, appliedAt: Date, promotedAt: Date | undefined): string {
  const pause = s.pause as NonNullable<PlannedStep['pause']> & { until: Date };
  const at = `${formatZoned(pause.until, zone)}${zone === 'UTC' ? '' : ` (${formatUtc(pause.until)})`}`;
  return promotedAt === undefined
    ? `ends ${at}, ${when(pause.until, appliedAt, undefined)}`
    : `ends ${when(pause.until, appliedAt, promotedAt)}`;
}

export function formatListPlan(name: string, spec: CanarySpec, plan: RolloutPlan, appliedAt: Date): string {
  const zone = spec.timeZone;
  const steps = spec.steps ?? [];
  const out: string[] = [
    `Canary ${name}: ${spec.oldDeployment} -> ${spec.newDeployment}, ${spec.totalReplicas} replicas, ` +
      `a list of ${plan.totalSteps} steps`,
    spec.cronSchedule === undefined
      ? `No cronSchedule: each step follows once the one before is done; applied ${formatUtc(appliedAt)}`
      : `Each set-step after the first waits for a tick of "${spec.cronSchedule}" in ${zone}; ` +
        `applied ${formatUtc(appliedAt)}`,
    '',
  ];
  const header = ['STEP', 'OLD', 'NEW', 'WEIGHT', 'KIND', zone === 'UTC' ? 'TIME (UTC)' : `TIME (${zone})`];
  if (zone !== 'UTC') header.push('UTC');
  header.push('AFTER APPLY', 'PAUSE');
  const rows: string[][] = [];
  const before = ['0', String(spec.totalReplicas), '0', '0%', '', 'before apply'];
  rows.push(zone === 'UTC' ? [...before, '', ''] : [...before, '', '', '']);
  // After a pause until promote nothing is known in wall-clock time: count from the promote.
  let promotedAt: Date | undefined;
  for (const s of plan.steps) {
    const known = promotedAt === undefined;
    const row = [String(s.step), String(s.oldReplicas), String(s.newReplicas), `${s.weight}%`];
    row.push(kindText(steps[s.step - 1] ?? { pause: { kind: 'Manual' } }));
    row.push(known ? formatZoned(s.time, zone) : '-');
    if (zone !== 'UTC') row.push(known ? formatUtc(s.time) : '-');
    row.push(when(s.time, appliedAt, promotedAt));
    const manual = s.pause?.until === null;
    row.push(
      s.pause ? (manual ? s.pause.text : `${s.pause.text}: ${pauseEnd(s, zone, appliedAt, promotedAt)}`) : '',
    );
    rows.push(row);
    if (s.pause && s.pause.until === null) promotedAt = s.time;
  }
  out.push(table(header, rows).trimEnd(), '');
  const done = plan.completeAt;
  out.push(
    promotedAt === undefined
      ? `Complete: ${formatZoned(done, zone)}${zone === 'UTC' ? '' : ` (${formatUtc(done)})`}, ` +
          `${formatDuration(done.getTime() - appliedAt.getTime())} after apply.`
      : `Complete: ${when(done, appliedAt, promotedAt)} (the last promote).`,
  );
  if (plan.steps.some((s) => s.pause?.until === null)) {
    out.push(
      'A pause until promote holds the rollout for as long as it takes: the times after it count from ' +
        'the promote, and a cron tick or schedule pause after it falls on the first tick after that.',
    );
  }
  out.push("Assumes each step's new replicas become available at once; a step waits for them otherwise.");
  return out.join('\n') + '\n';
}
