/**
 * Owns metav1.Condition's rules: which conditions a status may hold (read
 * from a status anyone may have written), and that a condition's transition
 * time moves only when its status does.
 */
import type { Condition, ConditionType } from '../wire/index.js';
import { isPlainObject as isRecord } from './json.js';
import { isTimestamp } from './time.js';

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

// metav1.Condition's rules, as the CRD's status schema repeats them.
const CONDITION_TYPE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const CONDITION_MESSAGE_MAX = 32768;

/**
 * A condition the CRD would store, or undefined. Finalize hands the prior
 * conditions back as they are, so one the API server would refuse (no reason,
 * a bad type) must not survive the reading, or the status write fails.
 */
function condition(value: unknown): Condition | undefined {
  if (!isRecord(value) || typeof value.type !== 'string' || value.type.length > 316) return undefined;
  if (!CONDITION_TYPE.test(value.type)) return undefined;
  if (
    typeof value.reason !== 'string' ||
    value.reason.length > 1024 ||
    !CONDITION_REASON.test(value.reason)
  ) {
    return undefined;
  }
  const message = typeof value.message === 'string' ? value.message : '';
  if (message.length > CONDITION_MESSAGE_MAX) return undefined;
  const status = value.status === 'True' || value.status === 'False' ? value.status : 'Unknown';
  if (!isTimestamp(value.lastTransitionTime)) return undefined;
  return {
    type: value.type,
    status,
    reason: value.reason,
    message,
    lastTransitionTime: value.lastTransitionTime,
  };
}

/** The first condition of each type: the list is a map keyed by type. */
export function readConditions(value: unknown): Condition[] {
  if (!Array.isArray(value)) return [];
  const byType = new Map<string, Condition>();
  for (const c of value.map(condition)) {
    if (c && !byType.has(c.type)) byType.set(c.type, c);
  }
  return [...byType.values()];
}
