/**
 * The step plan of one Canary's page: when each step happened or will
 * happen, computed by `planRollout` (hooks/plan.ts), the function behind
 * `kubectl canary plan`, so the page, the plugin and the hooks agree.
 *
 * Which anchor the future steps hang from depends on where the Canary is:
 * - running: the service's own `status.nextStepTime` for the next step, then
 *   the plan's following steps;
 * - pending or rolled back: as if applied now (step 1 at once);
 * - stopped part-way: as if resumed now (the next step waits for the next tick);
 * - complete or in error: nothing is due.
 * The steps after the current one are planned as a rollout of their own,
 * starting at the anchor: for `stepReplicas` every step is alike, for a step
 * list the list from the next step on. Steps already taken show when the
 * status said they were taken while the dashboard watched (`lastStepTime`);
 * those before it started are "earlier".
 */
import { planRollout, type PlannedStep } from '../../hooks/plan.js';
import { nextTickAfter } from '../../hooks/k8s/cron.js';
import { parseSpec, type CanarySpec } from '../../hooks/spec/parse.js';
import type { Canary, RawCanarySpec } from '../../hooks/wire/index.js';
import type { Sample } from './store.js';
import { parseTime } from './views.js';

export interface PlanRow {
  step: number;
  old: number;
  new: number;
  weight: number;
  /** How a pause step ends: "until promote", "for 30m", ... */
  pause: string | undefined;
  /** When it happened or is due; undefined when not known. */
  time: Date | undefined;
  /** The time is the earliest: it waits for a promote before it. */
  afterPromote: boolean;
  status: 'before' | 'done' | 'current' | 'planned';
}

export type PlanView =
  { ok: true; zone: string; basis: string; rows: PlanRow[] } | { ok: false; problem: string };

/** The plan of the steps after `current`, starting at `anchor`: planned step j is step current + j. */
function planFrom(spec: CanarySpec, current: number, anchor: Date): PlannedStep[] {
  if (spec.steps === undefined) return planRollout(spec, anchor).steps;
  const rest = spec.steps.slice(current);
  return rest.length === 0 ? [] : planRollout({ ...spec, steps: rest }, anchor).steps;
}

export function planView(canary: Canary, history: readonly Sample[], now: Date): PlanView {
  const parsed = parseSpec(canary.spec as RawCanarySpec);
  if (!parsed.ok) return { ok: false, problem: parsed.problem.message };
  const spec = parsed.spec;
  const status = canary.status ?? {};
  const current = typeof status.currentStep === 'number' ? status.currentStep : 0;
  const state = typeof status.state === 'string' ? status.state : '';
  const whole = planRollout(spec, now);

  let anchor: Date | undefined;
  let basis: string;
  const next = parseTime(status.nextStepTime);
  if (state === 'running' && next) {
    anchor = next;
    basis = 'next step when the status says it is due, later ones as planned from it';
  } else if ((state === 'stop' || state === '') && current === 0) {
    anchor = now;
    basis = 'as if applied now';
  } else if (state === 'stop' && spec.cronSchedule !== undefined) {
    // A resumed Canary waits for the next tick of its schedule, as planRollout gates a step.
    anchor = nextTickAfter(spec.cronSchedule, spec.timeZone, now);
    basis = 'as if resumed now (apply waits for the next tick)';
  } else if (state === 'stop') {
    anchor = now;
    basis = 'as if resumed now';
  } else {
    basis =
      state === 'complete' ? 'complete: every step is done' : `state ${state || 'unknown'}: no step is due`;
  }
  const future = anchor ? planFrom(spec, current, anchor) : [];

  // When each step was taken: the lastStepTime the status gave while at it (the controller's clock),
  // else when the dashboard first saw it.
  const seen = new Map<number, number>();
  for (const s of history) if (s.step !== undefined && !seen.has(s.step)) seen.set(s.step, s.stepTime ?? s.t);
  const lastStep = parseTime(status.lastStepTime);

  const rows: PlanRow[] = [
    {
      step: 0,
      old: spec.totalReplicas,
      new: 0,
      weight: 0,
      pause: undefined,
      time: undefined,
      afterPromote: false,
      status: 'before',
    },
  ];
  for (const s of whole.steps) {
    const taken = state === 'complete' || s.step <= current;
    let time: Date | undefined;
    let afterPromote = false;
    let rowStatus: PlanRow['status'];
    if (taken) {
      rowStatus = s.step === current && state !== 'complete' ? 'current' : 'done';
      const seenAt = seen.get(s.step);
      time = s.step === current && lastStep ? lastStep : seenAt === undefined ? undefined : new Date(seenAt);
    } else {
      rowStatus = 'planned';
      const planned = future[s.step - current - 1];
      time = planned?.time;
      afterPromote = planned?.afterPromote ?? false;
    }
    rows.push({
      step: s.step,
      old: s.oldReplicas,
      new: s.newReplicas,
      weight: s.weight,
      pause: s.pause?.text,
      time,
      afterPromote,
      status: rowStatus,
    });
  }
  return { ok: true, zone: spec.timeZone, basis, rows };
}
