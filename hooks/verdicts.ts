/**
 * Conditions both a decision and an error report, in the same words: the
 * command, the rollback, completion.
 */
import { unknownCommandMessage, type CommandReading } from './commands.js';
import type { ConditionUpdate } from './k8s/conditions.js';
import { isRolledBack } from './progress.js';
import type { CanaryState, RollbackRecord } from './wire/index.js';

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
 * new version, whatever `state` says: the last step is taken (SPEC 4 and 8
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
