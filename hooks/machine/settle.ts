/**
 * Owns the settling of the prior status into a position: where the Canary
 * stands before this sync moves it, whatever the spec's edits did to the
 * list under it.
 */
import { findCondition } from '../k8s/conditions.js';
import { pauseEndedIn, wasComplete, type PriorStatus } from '../observed/prior.js';
import { clampPosition, completesOnEntry, pauseAt, stepCount, type Rollout } from '../steps/rollout.js';
import type { Progress, SettledState } from './position.js';
import { position, transition, type Transition } from './transitions.js';

/**
 * Where the canary stands, from the last status. A canary coming out of
 * `error` has lost its state, so it is rebuilt from what remains: the step and
 * the last command acted on.
 */
export function settle(prior: PriorStatus, rollout: Rollout, nowText: string): Progress {
  const step = clampPosition(rollout, prior.currentStep);
  let state: SettledState;
  // A position past the end of an edited list completes, as the last step would.
  const pastEnd = prior.currentStep > stepCount(rollout);
  if (wasComplete(prior) || pastEnd || completesOnEntry(rollout, step)) state = 'complete';
  else if (step === 0) state = 'stop';
  else if (prior.state === 'running' || prior.state === 'stop') state = prior.state;
  else state = prior.observedCommand === 'apply' ? 'running' : 'stop';

  const progressing = findCondition(prior.conditions, 'Progressing');
  const wasRunning = prior.state === 'running' && state === 'running';
  let runningSince: string | null = null;
  if (state === 'running') {
    if (wasRunning && progressing?.status === 'True') runningSince = progressing.lastTransitionTime;
    else if (wasRunning) runningSince = prior.lastStepTime ?? nowText;
    else runningSince = nowText;
  }
  // A pause carries over only while the Canary stays at the pause step it belongs to.
  const atPause = (state === 'running' || state === 'stop') && pauseAt(rollout, step) !== undefined;
  const samePosition = atPause && prior.currentStep === step;
  const pause = samePosition ? prior.pause : null;
  return {
    pause,
    pauseEnded: samePosition && pause === null && pauseEndedIn(prior.conditions),
    state,
    step: state === 'complete' ? stepCount(rollout) : step,
    lastStepTime: prior.lastStepTime,
    runningSince,
    rollback: prior.rollback,
    observedCommand: prior.observedCommand,
    reachedStep:
      findCondition(prior.conditions, 'StepAvailable')?.status === 'True'
        ? { step: prior.currentStep, lastStepTime: prior.lastStepTime }
        : null,
  };
}

/**
 * A Canary running or stopped part-way whose rollout got shorter under it (a
 * total scaled down, or an edit) so that its step is now the last or past it:
 * it completes in this sync (settle, above, settles it), and that is
 * announced like any completion, for the Event and canary_completions_total.
 * A Canary in `error` counts too unless it was complete before the error: the
 * edit that makes the spec valid again is often the one that shortened it.
 */
export function completedByShorterRollout(
  prior: PriorStatus,
  settled: Progress,
  rollout: Rollout,
): Transition | undefined {
  if (settled.state !== 'complete' || wasComplete(prior)) return undefined;
  if (prior.state !== 'running' && prior.state !== 'stop' && prior.state !== 'error') return undefined;
  const from = { state: prior.state, step: prior.currentStep };
  const message = `Completed: step ${prior.currentStep} is the last of ${stepCount(rollout)} steps or past it at ${rollout.totalReplicas} replicas`;
  return transition('Completed', 'StepsReduced', message, from, position(settled));
}
