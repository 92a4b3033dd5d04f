/**
 * The step plan of one Canary's page: when each step happened or will
 * happen, computed by `planRollout` (hooks/plan.ts), the function behind
 * `kubectl canary plan`, so the page, the plugin and the hooks agree.
 *
 * Which anchor the future steps hang from depends on where the Canary is:
 * - running: the service's own `status.nextStepTime` for the next step, then
 *   the schedule's following ticks;
 * - pending or rolled back: as if applied now (step 1 at once);
 * - stopped part-way: as if resumed now (the next step waits for the next tick);
 * - complete or in error: nothing is due.
 * Steps already taken show when the status said they were taken while the
 * dashboard watched (`lastStepTime`); those before it started are "earlier".
 */
import { planRollout } from '../../hooks/plan.js';
import { parseSpec } from '../../hooks/spec.js';
import type { Canary, RawCanarySpec } from '../../hooks/wire.js';
import type { Sample } from './store.js';
import { parseTime } from './views.js';

export interface PlanRow {
  step: number;
  old: number;
  new: number;
  /** When it happened or is due; undefined when not known. */
  time: Date | undefined;
  status: 'before' | 'done' | 'current' | 'planned';
}

export type PlanView =
  { ok: true; zone: string; basis: string; rows: PlanRow[] } | { ok: false; problem: string };

export function planView(canary: Canary, history: readonly Sample[], now: Date): PlanView {
  const parsed = parseSpec(canary.spec as RawCanarySpec);
  if (!parsed.ok) return { ok: false, problem: parsed.problem.message };
  const spec = parsed.spec;
  const status = canary.status ?? {};
  const current = typeof status.currentStep === 'number' ? status.currentStep : 0;
  const state = typeof status.state === 'string' ? status.state : '';
  const ifAppliedNow = planRollout(spec, now);

  // Times of the steps after the current one: step current+j is anchor.steps[j-1].
  let anchor: Date | undefined;
  let basis: string;
  const next = parseTime(status.nextStepTime);
  if (state === 'running' && next) {
    anchor = next;
    basis = 'next step when the status says it is due, later ones on the following ticks';
  } else if ((state === 'stop' || state === '') && current === 0) {
    anchor = now;
    basis = 'as if applied now';
  } else if (state === 'stop') {
    // A resumed Canary waits for the next tick: step 2 of a plan from now is that tick.
    anchor = ifAppliedNow.steps[1]?.time;
    basis = 'as if resumed now (apply waits for the next tick)';
  } else {
    basis =
      state === 'complete' ? 'complete: every step is done' : `state ${state || 'unknown'}: no step is due`;
  }
  const future = anchor ? planRollout(spec, anchor).steps : [];

  const seen = new Map<number, number>();
  // When each step was taken: the lastStepTime the status gave while at it (the controller's clock),
  // else when the dashboard first saw it.
  for (const s of history) if (s.step !== undefined && !seen.has(s.step)) seen.set(s.step, s.stepTime ?? s.t);
  const lastStep = parseTime(status.lastStepTime);

  const rows: PlanRow[] = [{ step: 0, old: spec.totalReplicas, new: 0, time: undefined, status: 'before' }];
  for (const s of ifAppliedNow.steps) {
    const taken = state === 'complete' || s.step <= current;
    let time: Date | undefined;
    let rowStatus: PlanRow['status'];
    if (taken) {
      rowStatus = s.step === current && state !== 'complete' ? 'current' : 'done';
      const seenAt = seen.get(s.step);
      time = s.step === current && lastStep ? lastStep : seenAt === undefined ? undefined : new Date(seenAt);
    } else {
      rowStatus = 'planned';
      time = future[s.step - current - 1]?.time;
    }
    rows.push({ step: s.step, old: s.oldReplicas, new: s.newReplicas, time, status: rowStatus });
  }
  return { ok: true, zone: spec.timeZone, basis, rows };
}
