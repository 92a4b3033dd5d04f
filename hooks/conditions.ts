/** Kubernetes-style conditions whose transition times move only when their status does. */
import type { Condition } from './wire.js';

export const CONDITION_TYPES = ['Valid', 'CommandAccepted', 'Progressing', 'RolledBack', 'Complete'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface ConditionUpdate {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
  /** When the status changes now, the time to record; `now` unless the caller knows better. */
  since?: string;
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
      before && before.status === update.status ? before.lastTransitionTime : (update.since ?? now);
    return {
      type: update.type,
      status: update.status,
      reason: update.reason,
      message: update.message,
      lastTransitionTime,
    };
  });
}
