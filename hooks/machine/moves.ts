/**
 * Owns the state machine's moves: entering a step (and beginning its
 * pause), advancing, completing, rolling back. What triggers them is in
 * hooks/machine/commands.ts, rollback.ts and schedule.ts; nothing here knows
 * about replicas or status fields (hooks/render/ does).
 */
import { podTemplateRevision } from '../k8s/deployments.js';
import { rfc3339 } from '../k8s/time.js';
import type { Observed } from '../observed/observed.js';
import type { PauseSpec } from '../spec/parse.js';
import { pauseEnd } from '../steps/pause.js';
import { completesOnEntry, pauseAt, stepCount } from '../steps/rollout.js';
import type { PauseStatus } from '../wire/index.js';
import type { Progress, Stage } from './position.js';
import { transition, type RollbackReason, type Transition } from './transitions.js';

/** A move: where it leads, and what it announces. */
export interface Moved {
  progress: Progress;
  transitions: Transition[];
}

/** When a pause that begins at `since` ends: fixed then, so stop, apply or an edit do not move it. */
function pauseUntil(pause: PauseSpec, since: Date, o: Observed): string | null {
  const end = pauseEnd(pause, since, o.spec.timeZone);
  return end === null ? null : rfc3339(end);
}

export function untilText(pause: PauseStatus): string {
  return pause.until === null ? 'until the promote command' : `until ${pause.until}`;
}

/** Begins the pause of the step at the current position, if it is one and has not begun. */
export function beginPause(p: Progress, o: Observed): Moved {
  const spec = pauseAt(o.rollout, p.step);
  if (spec === undefined || p.pause !== null || p.pauseEnded) return { progress: p, transitions: [] };
  const pause: PauseStatus = { kind: spec.kind, since: o.nowText, until: pauseUntil(spec, o.now, o) };
  const next: Progress = { ...p, pause };
  const message = `Paused at step ${p.step} of ${stepCount(o.rollout)} ${untilText(pause)}`;
  return { progress: next, transitions: [transition('Paused', spec.kind, message, p, next)] };
}

/** Moves to a step: running there (pausing, if it is a pause), or complete. */
export function enter(progress: Progress, step: number, o: Observed, complete: boolean): Moved {
  const base: Progress = { ...progress, step, lastStepTime: o.nowText, pause: null, pauseEnded: false };
  if (complete) return { progress: { ...base, state: 'complete', runningSince: null }, transitions: [] };
  return beginPause({ ...base, state: 'running', runningSince: progress.runningSince ?? o.nowText }, o);
}

export function startAt(progress: Progress, step: number, o: Observed): Moved {
  // With stepReplicas == totalReplicas step 1 is the last: complete now, not `running` until a tick.
  return enter({ ...progress, runningSince: o.nowText }, step, o, completesOnEntry(o.rollout, step));
}

/** The step after the current one, or completion once the last step is done. */
export function advance(p: Progress, o: Observed): Moved {
  if (p.step >= stepCount(o.rollout)) return enter(p, p.step, o, true);
  return enter(p, p.step + 1, o, completesOnEntry(o.rollout, p.step + 1));
}

/** A one-step Canary (stepReplicas == totalReplicas) completes with the step that starts it. */
export function completedAtOnce(next: Progress, o: Observed): Transition[] {
  if (next.state !== 'complete') return [];
  const message = `Completed at once: step 1 of ${stepCount(o.rollout)} is the last`;
  return [transition('Completed', 'SingleStep', message, next, next)];
}

export function rollBack(progress: Progress, o: Observed, reason: RollbackReason, detail: string): Progress {
  return {
    ...progress,
    state: 'stop',
    step: 0,
    runningSince: null,
    pause: null,
    pauseEnded: false,
    rollback: {
      time: o.nowText,
      reason: `${reason}: ${detail}`,
      revision: podTemplateRevision(o.newDeployment),
    },
  };
}

/** A stage that moves nothing. */
export const still = (progress: Progress): Stage => ({ progress, transitions: [], moved: false });
