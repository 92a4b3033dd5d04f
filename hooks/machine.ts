/**
 * The state machine: from where the Canary stands, what this sync moves.
 *   act on a new command -> restart a rolled-back canary whose pod template
 *   changed -> roll back crashing pods -> end a pause whose time has come ->
 *   take the step that is due.
 * A pause step holds the rollout until it ends; the next step is taken once
 * the current one is done (its replicas available, its pause over) and, with
 * `cronSchedule`, its tick has come. One move per sync. Nothing here knows
 * about replicas or status fields: hooks/render.ts does.
 */
import type { Command } from './commands.js';
import { podTemplateRevision } from './k8s/deployments.js';
import { findCrashLoopingPod } from './k8s/pods.js';
import {
  deadlineOf,
  dueTime,
  hasReachedStep,
  isPartWay,
  isPaused,
  isRolledBack,
  isStepDone,
  newReplicasAvailability,
  type Observed,
  type Progress,
  type Stage,
} from './progress.js';
import { completesOnEntry, pauseAt, stepCount } from './steps/rollout.js';
import { nextTickAfter } from './k8s/cron.js';
import type { PauseSpec } from './spec/parse.js';
import { rfc3339 } from './k8s/time.js';
import { transition, type RollbackReason, type Transition } from './transitions.js';
import type { PauseStatus } from './wire/index.js';

interface Moved {
  progress: Progress;
  transitions: Transition[];
}

const still = (progress: Progress): Stage => ({ progress, transitions: [], moved: false });

// ------------------------------------------------------------------ moves

/** When a pause that begins at `since` ends: fixed then, so stop, apply or an edit do not move it. */
function pauseUntil(pause: PauseSpec, since: Date, o: Observed): string | null {
  if (pause.kind === 'Manual') return null;
  if (pause.kind === 'Duration') return rfc3339(new Date(since.getTime() + pause.seconds * 1000));
  return rfc3339(nextTickAfter(pause.schedule, o.spec.timeZone, since));
}

export function untilText(pause: PauseStatus): string {
  return pause.until === null ? 'until the promote command' : `until ${pause.until}`;
}

/** Begins the pause of the step at the current position, if it is one and has not begun. */
function beginPause(p: Progress, o: Observed): Moved {
  const spec = pauseAt(o.rollout, p.step);
  if (spec === undefined || p.pause !== null || p.pauseEnded) return { progress: p, transitions: [] };
  const pause: PauseStatus = { kind: spec.kind, since: o.nowText, until: pauseUntil(spec, o.now, o) };
  const next: Progress = { ...p, pause };
  const message = `Paused at step ${p.step} of ${stepCount(o.rollout)} ${untilText(pause)}`;
  return { progress: next, transitions: [transition('Paused', spec.kind, message, p, next)] };
}

/** Moves to a step: running there (pausing, if it is a pause), or complete. */
function enter(progress: Progress, step: number, o: Observed, complete: boolean): Moved {
  const base: Progress = { ...progress, step, lastStepTime: o.nowText, pause: null, pauseEnded: false };
  if (complete) return { progress: { ...base, state: 'complete', runningSince: null }, transitions: [] };
  return beginPause({ ...base, state: 'running', runningSince: progress.runningSince ?? o.nowText }, o);
}

function startAt(progress: Progress, step: number, o: Observed): Moved {
  // With stepReplicas == totalReplicas step 1 is the last: complete now, not `running` until a tick.
  return enter({ ...progress, runningSince: o.nowText }, step, o, completesOnEntry(o.rollout, step));
}

/** The step after the current one, or completion once the last step is done. */
function advance(p: Progress, o: Observed): Moved {
  if (p.step >= stepCount(o.rollout)) return enter(p, p.step, o, true);
  return enter(p, p.step + 1, o, completesOnEntry(o.rollout, p.step + 1));
}

/** A one-step Canary (stepReplicas == totalReplicas) completes with the step that starts it. */
function completedAtOnce(next: Progress, o: Observed): Transition[] {
  if (next.state !== 'complete') return [];
  const message = `Completed at once: step 1 of ${stepCount(o.rollout)} is the last`;
  return [transition('Completed', 'SingleStep', message, next, next)];
}

function rollBack(progress: Progress, o: Observed, reason: RollbackReason, detail: string): Progress {
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

// --------------------------------------------------------------- commands

export function actOnCommand(command: Command, p: Progress, o: Observed): Stage {
  const progress: Progress = { ...p, observedCommand: command };
  const unchanged = still(progress);
  const moved = (next: Progress, t: Transition): Stage => ({ progress: next, transitions: [t], moved: true });
  const via = `by command ${command}`;
  switch (command) {
    case 'apply': {
      if (p.state === 'complete' || p.state === 'running') return unchanged;
      if (p.step === 0) {
        const started = startAt(progress, 1, o);
        const next = started.progress;
        return {
          progress: next,
          transitions: [
            transition('Started', 'ApplyCommand', `Started the rollout at step 1 ${via}`, p, next),
            ...completedAtOnce(next, o),
            ...started.transitions,
          ],
          moved: true,
        };
      }
      const next: Progress = { ...progress, state: 'running', runningSince: o.nowText };
      // Not a move: a step that is done and waits for no tick (a list without cronSchedule) follows now.
      const t = transition('Resumed', 'ApplyCommand', `Resumed at step ${p.step} ${via}`, p, next);
      return { progress: next, transitions: [t], moved: false };
    }
    case 'stop': {
      if (p.state !== 'running') return unchanged;
      const next: Progress = { ...progress, state: 'stop', runningSince: null };
      return moved(next, transition('Stopped', 'StopCommand', `Stopped at step ${p.step} ${via}`, p, next));
    }
    case 'rollback': {
      const next = rollBack(progress, o, 'RollbackCommand', 'rolled back by the command annotation');
      return moved(next, transition('RolledBack', 'RollbackCommand', `Rolled back ${via}`, p, next, true));
    }
    case 'completion': {
      if (p.state === 'complete') return unchanged;
      const next = enter(progress, stepCount(o.rollout), o, true).progress;
      return moved(
        { ...next, lastStepTime: p.lastStepTime },
        transition('Completed', 'CompletionCommand', `Completed ${via}`, p, next),
      );
    }
    case 'promote':
      return promote(progress, p, o);
  }
}

/**
 * `promote` ends the pause holding the rollout, or takes a step that waits
 * only for its cron tick. It never skips the availability gate: a step whose
 * replicas are not yet available is not taken, and the promote is spent.
 */
function promote(progress: Progress, before: Progress, o: Observed): Stage {
  if (isPaused(progress)) {
    const next: Progress = { ...progress, pause: null, pauseEnded: true };
    const message = `Ended the pause at step ${progress.step} by command promote`;
    // Not a move: the step after the pause may follow in this same sync.
    const t = transition('PauseEnded', 'PromoteCommand', message, before, next);
    return { progress: next, transitions: [t], moved: false };
  }
  const due = dueTime(progress, o);
  const waitsForTick = progress.state === 'running' && due !== undefined && o.now < due;
  if (!waitsForTick || !isStepDone(progress, o)) return still(progress);
  const taken = advance(progress, o);
  const next = taken.progress;
  const message = `Took step ${next.step} of ${stepCount(o.rollout)} before its tick by command promote`;
  return {
    progress: next,
    transitions: [transition('Promoted', 'PromoteCommand', message, before, next), ...taken.transitions],
    moved: true,
  };
}

/**
 * After an automatic rollback the `apply` that started the rollout is still
 * annotated. Starting again on that alone would crash the same pods again, so
 * it waits for a different pod template: the fix.
 */
export function restartWithNewTemplate(p: Progress, o: Observed, annotation: string): Stage {
  const waitingForFix =
    isRolledBack(p) && p.observedCommand === 'apply' && annotation === 'apply' && p.rollback !== null;
  if (!waitingForFix || podTemplateRevision(o.newDeployment) === p.rollback?.revision) return still(p);
  const started = startAt(p, 1, o);
  const next = started.progress;
  return {
    progress: next,
    transitions: [
      transition(
        'Restarted',
        'NewPodTemplate',
        `Restarted at step 1: ${o.spec.newDeployment} has a new pod template since the rollback`,
        p,
        next,
      ),
      ...completedAtOnce(next, o),
      ...started.transitions,
    ],
    moved: true,
  };
}

// ---------------------------------------------------------------- rollback

/** Why the new version has failed, if it has: crashing pods, or a step that missed its deadline. */
function failure(p: Progress, o: Observed): { reason: RollbackReason; detail: string } | undefined {
  const crash = findCrashLoopingPod(o.pods, o.newDeployment);
  if (crash) {
    return {
      reason: 'CrashLoopBackOff',
      detail: `container ${crash.container} of pod ${crash.pod} is in CrashLoopBackOff`,
    };
  }
  const deadline = deadlineOf(p, o);
  if (deadline === undefined || o.now.getTime() < deadline || hasReachedStep(p, o)) return undefined;
  const ready = newReplicasAvailability(p, o);
  return {
    reason: 'ProgressDeadlineExceeded',
    detail:
      `${ready.available} of ${ready.asked} replicas of ${o.spec.newDeployment} available ` +
      `${o.spec.progressDeadlineSeconds}s after step ${p.step}`,
  };
}

export function automaticRollback(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (!o.spec.enableRollback || !isPartWay(p, o)) return stage;
  const failed = failure(p, o);
  if (failed === undefined) return stage;
  const next = rollBack(p, o, failed.reason, failed.detail);
  return {
    progress: next,
    transitions: [
      ...stage.transitions,
      transition('RolledBack', failed.reason, `Rolled back automatically: ${failed.detail}`, p, next, true),
    ],
    moved: true,
  };
}

// ------------------------------------------------------------ time passing

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
