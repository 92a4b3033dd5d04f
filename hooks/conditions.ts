/** Kubernetes-style conditions whose transition times move only when their status does. */
import type { Condition } from './wire/index.js';

export const CONDITION_TYPES = [
  'Valid',
  'CommandAccepted',
  'Progressing',
  'StepAvailable',
  'RolledBack',
  'Complete',
  'Paused',
  'TrafficRouted',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface ConditionUpdate {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
  /**
   * When the current status began, if the caller knows: it is recorded even
   * over an unchanged status's time (the sync reads Progressing's time back as
   * the schedule's anchor, so the two must agree). Otherwise `now` on a change.
   */
  since?: string;
}

/** The Paused condition says a pause step's pause is over (by time or promote) and the step is done. */
export function pauseEndedIn(conditions: readonly Condition[]): boolean {
  const paused = findCondition(conditions, 'Paused');
  return paused?.status === 'False' && paused.reason === 'PauseEnded';
}

export function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** The new set, in a fixed order, keeping each transition time unless that condition's status changed. */
export function updateConditions(
  prior: readonly Condition[],
  updates: readonly ConditionUpdate[],
  now: string,
): Condition[] {
  return updates.map((update) => {
    const before = findCondition(prior, update.type);
    const lastTransitionTime =
      update.since ?? (before && before.status === update.status ? before.lastTransitionTime : now);
    return {
      type: update.type,
      status: update.status,
      reason: update.reason,
      message: update.message,
      lastTransitionTime,
    };
  });
}
