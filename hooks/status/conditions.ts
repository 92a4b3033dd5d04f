/**
 * Owns the status conditions: each built by one function here, in the
 * same words for a decision and for an error, and the list in the one order
 * every status has (CONDITION_TYPES, hooks/wire/objects.ts).
 */
import type { Availability } from '../k8s/deployments.js';
import { findCondition, updateConditions, type ConditionUpdate } from '../k8s/conditions.js';
import { untilText } from '../machine/moves.js';
import {
  hasReachedStep,
  isPaused,
  isRolledBack,
  newReplicasAvailability,
  placementOf,
  type Progress,
} from '../machine/position.js';
import { unknownCommandMessage, type CommandReading } from '../observed/command.js';
import type { Observed } from '../observed/observed.js';
import type { PriorStatus } from '../observed/prior.js';
import { capitalised, PODS_UNREAD_REASON, unreadPods } from './pods.js';
import {
  CONDITION_TYPES,
  type CanaryState,
  type Condition,
  type ConditionType,
  type RollbackRecord,
} from '../wire/index.js';

/** One update per condition type, under its type; a type left out is left out of the status. */
export type ConditionSet = Partial<Record<ConditionType, ConditionUpdate>>;

/** The status's conditions from `set`, in the order of CONDITION_TYPES, each time kept unless its status changed. */
export function statusConditions(prior: readonly Condition[], set: ConditionSet, now: string): Condition[] {
  const updates = CONDITION_TYPES.flatMap((type) => {
    const update = set[type];
    return update === undefined ? [] : [update];
  });
  return updateConditions(prior, updates, now);
}

export function validCondition(problem?: { reason: string; message: string }): ConditionUpdate {
  return problem === undefined
    ? { type: 'Valid', status: 'True', reason: 'Valid', message: 'Spec and Deployments are valid' }
    : { type: 'Valid', status: 'False', reason: problem.reason, message: problem.message };
}

/** A condition as the prior status had it, when it had one that is True or False: an error holds it. */
export function heldCondition(prior: PriorStatus, type: ConditionType): ConditionUpdate | undefined {
  const held = findCondition(prior.conditions, type);
  if (held?.status !== 'True' && held?.status !== 'False') return undefined;
  return { type, status: held.status, reason: held.reason, message: held.message };
}

function rollbackCode(record: RollbackRecord): string {
  return /^([A-Za-z]+):/.exec(record.reason)?.[1] ?? 'RolledBack';
}

export function rolledBackCondition(p: {
  state: CanaryState;
  step: number;
  rollback: RollbackRecord | null;
}): ConditionUpdate {
  return isRolledBack(p) && p.rollback
    ? { type: 'RolledBack', status: 'True', reason: rollbackCode(p.rollback), message: p.rollback.reason }
    : { type: 'RolledBack', status: 'False', reason: 'NotRolledBack', message: 'Not rolled back' };
}

/**
 * `left`: what a complete Canary still waits for (the old Deployment stepping
 * down, the route catching up). Until nothing is, not every replica runs the
 * new version, whatever `state` says: the last step is taken (docs/design.md §4 and §8
 * make that `complete`), the rollout is not over.
 */
export function completeCondition(state: CanaryState, left?: string): ConditionUpdate {
  if (state === 'complete' && left !== undefined) {
    return {
      type: 'Complete',
      status: 'False',
      reason: 'Completing',
      message: `Not every replica runs the new version yet: ${left}`,
    };
  }
  return state === 'complete'
    ? { type: 'Complete', status: 'True', reason: 'Complete', message: 'Every replica runs the new version' }
    : {
        type: 'Complete',
        status: 'False',
        reason: 'InProgress',
        message: 'Not every replica runs the new version',
      };
}

export function commandCondition(reading: CommandReading, observedCommand: string): ConditionUpdate {
  if (reading.kind === 'unknown') {
    return {
      type: 'CommandAccepted',
      status: 'False',
      reason: 'UnknownCommand',
      message: unknownCommandMessage(reading.value),
    };
  }
  return observedCommand === ''
    ? { type: 'CommandAccepted', status: 'True', reason: 'NoCommand', message: 'No command annotated' }
    : {
        type: 'CommandAccepted',
        status: 'True',
        reason: 'Accepted',
        message: `Acted on command ${observedCommand}`,
      };
}

export function progressingCondition(
  p: Progress,
  o: Observed,
  waiting: Availability | undefined,
  left: string | undefined,
): ConditionUpdate {
  const unread = unreadPods(p, o);
  if (unread !== undefined) {
    const running = p.state === 'running';
    return {
      type: 'Progressing',
      status: running ? 'True' : 'False',
      reason: PODS_UNREAD_REASON,
      message: capitalised(unread),
      ...(running ? { since: p.runningSince ?? undefined } : {}),
    };
  }
  if (p.state === 'running' && isPaused(p)) {
    return {
      type: 'Progressing',
      status: 'True',
      reason: 'Paused',
      message: `Paused at step ${p.step} ${untilText(p.pause)}`,
      since: p.runningSince ?? undefined,
    };
  }
  if (p.state === 'running') {
    return {
      type: 'Progressing',
      status: 'True',
      reason: waiting ? 'WaitingForAvailability' : 'StepScheduled',
      message: waiting ? `Waiting for ${waiting.waitingFor}` : `Running at step ${p.step}`,
      since: p.runningSince ?? undefined,
    };
  }
  if (p.state === 'complete') {
    return {
      type: 'Progressing',
      status: 'False',
      reason: 'Complete',
      message: left === undefined ? 'Every replica runs the new version' : `Every step is taken; ${left}`,
    };
  }
  if (isRolledBack(p)) {
    return { type: 'Progressing', status: 'False', reason: 'RolledBack', message: 'Rolled back to step 0' };
  }
  return p.step === 0
    ? { type: 'Progressing', status: 'False', reason: 'Pending', message: 'Waiting for the apply command' }
    : { type: 'Progressing', status: 'False', reason: 'Stopped', message: `Stopped at step ${p.step}` };
}

export function stepAvailableCondition(p: Progress, o: Observed): ConditionUpdate {
  const asked = placementOf(p, o).newReplicas;
  if (hasReachedStep(p, o)) {
    return {
      type: 'StepAvailable',
      status: 'True',
      reason: 'ReplicasAvailable',
      message: `The ${asked} replicas of ${o.spec.newDeployment} asked at step ${p.step} became available`,
    };
  }
  return {
    type: 'StepAvailable',
    status: 'False',
    reason: 'WaitingForReplicas',
    message: `Waiting for ${newReplicasAvailability(p, o).waitingFor ?? o.spec.newDeployment}`,
  };
}

export function pausedCondition(p: Progress): ConditionUpdate {
  if (isPaused(p)) {
    return {
      type: 'Paused',
      status: 'True',
      reason: p.pause.kind,
      message: `Paused at step ${p.step} ${untilText(p.pause)}`,
    };
  }
  return p.pauseEnded
    ? {
        type: 'Paused',
        status: 'False',
        reason: 'PauseEnded',
        message: `The pause at step ${p.step} is over`,
      }
    : { type: 'Paused', status: 'False', reason: 'NotPaused', message: 'No pause holds the rollout' };
}
