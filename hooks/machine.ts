/**
 * The state machine: from where the Canary stands, what this sync moves.
 *   act on a new command -> restart a rolled-back canary whose pod template
 *   changed -> roll back crashing pods -> take the step that is due.
 * Each stage takes a `Stage` and may move the Canary, saying why. Nothing
 * here knows about replicas or status fields: hooks/render.ts does.
 */
import type { Command } from './commands.js';
import { podTemplateRevision } from './deployments.js';
import { findCrashLoopingPod } from './pods.js';
import {
  deadlineOf,
  dueTime,
  hasReachedStep,
  isPartWay,
  isRolledBack,
  newReplicasAvailability,
  type Observed,
  type Progress,
  type Stage,
} from './progress.js';
import { completesOnEntry, stepCount } from './rollout.js';
import { transition, type RollbackReason, type Transition } from './transitions.js';

const still = (progress: Progress): Stage => ({ progress, transitions: [], moved: false });

function startAt(progress: Progress, step: number, o: Observed): Progress {
  // With stepReplicas == totalReplicas step 1 is the last: complete now, not `running` until a tick.
  if (completesOnEntry(o.rollout, step)) {
    return { ...progress, state: 'complete', step, lastStepTime: o.nowText, runningSince: null };
  }
  return { ...progress, state: 'running', step, lastStepTime: o.nowText, runningSince: o.nowText };
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
    rollback: {
      time: o.nowText,
      reason: `${reason}: ${detail}`,
      revision: podTemplateRevision(o.newDeployment),
    },
  };
}

export function actOnCommand(command: Command, p: Progress, o: Observed): Stage {
  const progress: Progress = { ...p, observedCommand: command };
  const unchanged = still(progress);
  const moved = (next: Progress, t: Transition): Stage => ({ progress: next, transitions: [t], moved: true });
  const via = `by command ${command}`;
  switch (command) {
    case 'apply': {
      if (p.state === 'complete' || p.state === 'running') return unchanged;
      if (p.step === 0) {
        const next = startAt(progress, 1, o);
        return {
          progress: next,
          transitions: [
            transition('Started', 'ApplyCommand', `Started the rollout at step 1 ${via}`, p, next),
            ...completedAtOnce(next, o),
          ],
          moved: true,
        };
      }
      const next: Progress = { ...progress, state: 'running', runningSince: o.nowText };
      return moved(next, transition('Resumed', 'ApplyCommand', `Resumed at step ${p.step} ${via}`, p, next));
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
      const next: Progress = {
        ...progress,
        state: 'complete',
        step: stepCount(o.rollout),
        runningSince: null,
      };
      return moved(next, transition('Completed', 'CompletionCommand', `Completed ${via}`, p, next));
    }
  }
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
  const next = startAt(p, 1, o);
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
    ],
    moved: true,
  };
}

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

export function scheduledStep(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (stage.moved || p.state !== 'running') return stage;
  if (o.now < dueTime(p, o) || !newReplicasAvailability(p, o).ready) return stage;
  const step = p.step + 1;
  const final = completesOnEntry(o.rollout, step);
  const next: Progress = {
    ...p,
    step,
    state: final ? 'complete' : 'running',
    lastStepTime: o.nowText,
    runningSince: final ? null : p.runningSince,
  };
  const t = final
    ? transition(
        'Completed',
        'AllStepsDone',
        `Completed: step ${step} of ${step} reached on schedule`,
        p,
        next,
      )
    : transition('StepAdvanced', 'Schedule', `Advanced to step ${step} of ${stepCount(o.rollout)}`, p, next);
  return { progress: next, transitions: [...stage.transitions, t], moved: true };
}
