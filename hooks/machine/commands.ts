/**
 * Owns what a command does to the position: apply, stop, rollback,
 * completion, promote, and the restart of a rolled-back Canary once its pod
 * template changes. They act first in a sync; a step they take is the
 * sync's one step (Stage.moved), though a rollback or a pause ending may
 * still follow.
 */
import { podTemplateRevision } from '../k8s/deployments.js';
import type { Command } from '../observed/command.js';
import type { Observed } from '../observed/observed.js';
import { stepCount } from '../steps/rollout.js';
import { isStepDone } from './gates/registry.js';
import { advance, completedAtOnce, enter, rollBack, startAt, still } from './moves.js';
import { dueTime, isPaused, isRolledBack, type Progress, type Stage } from './position.js';
import { transition, type Transition } from './transitions.js';

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
