/**
 * Owns what time moves: a pause whose end has come ends, and the step that
 * is due is taken once every step gate (hooks/machine/gates/) is open.
 */
import type { Observed } from '../observed/observed.js';
import { stepCount } from '../steps/rollout.js';
import { isStepDone } from './gates/registry.js';
import { advance, beginPause } from './moves.js';
import { dueTime, isPaused, type Progress, type Stage } from './position.js';
import { transition } from './transitions.js';

/**
 * A pause whose end has come ends, whether the Canary runs or is stopped
 * (its end was fixed when it began). A pause step with no pause on record
 * (the list was edited under the Canary) begins its pause now.
 */
export function timedPauses(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (p.state !== 'running' && p.state !== 'stop') return stage;
  if (!isPaused(p)) {
    const begun = beginPause(p, o);
    return { ...stage, progress: begun.progress, transitions: [...stage.transitions, ...begun.transitions] };
  }
  if (p.pause.until === null || o.now.getTime() < Date.parse(p.pause.until)) return stage;
  const next: Progress = { ...p, pause: null, pauseEnded: true };
  const message = `The pause at step ${p.step} ended at ${p.pause.until}`;
  return {
    ...stage,
    progress: next,
    transitions: [...stage.transitions, transition('PauseEnded', p.pause.kind, message, p, next)],
  };
}

/** Takes the next step once the current one is done and its tick (with `cronSchedule`) has come. */
export function scheduledStep(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (stage.moved || p.state !== 'running' || !isStepDone(p, o)) return stage;
  const due = dueTime(p, o);
  if (due !== undefined && o.now < due) return stage;
  const { progress: next, transitions } = advance(p, o);
  const n = stepCount(o.rollout);
  const t =
    next.state === 'complete'
      ? transition(
          'Completed',
          'AllStepsDone',
          `Completed: step ${next.step} of ${n} reached on schedule`,
          p,
          next,
        )
      : transition(
          'StepAdvanced',
          due !== undefined ? 'Schedule' : 'StepDone',
          `Advanced to step ${next.step} of ${n}`,
          p,
          next,
        );
  return { progress: next, transitions: [...stage.transitions, t, ...transitions], moved: true };
}
