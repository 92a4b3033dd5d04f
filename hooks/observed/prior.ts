/**
 * Owns the prior status: the status the last response left, read. It is our only memory, but it is
 * also user-writable through the status subresource, so every field is
 * checked and anything odd falls back to the value a new Canary would have.
 */
import {
  CANARY_STATES,
  PAUSE_KINDS,
  type CanaryState,
  type PauseStatus,
  type Condition,
  type ObservedStatus,
  type RollbackRecord,
} from '../wire/index.js';
import { findCondition, readConditions } from '../k8s/conditions.js';
import { isPlainObject as isRecord } from '../k8s/json.js';
import { isTimestamp } from '../k8s/time.js';

export interface PriorStatus {
  /** The decision record's number (hooks/observed/record.ts); 0 before the first. */
  sequence: number;
  state: CanaryState | undefined;
  currentStep: number;
  oldReplicas: number;
  newReplicas: number;
  totalSteps: number;
  weight: number;
  /** The pause holding the rollout, as written (hooks/steps/rollout.ts steps). */
  pause: PauseStatus | null;
  message: string;
  observedCommand: string;
  lastStepTime: string | null;
  rollback: RollbackRecord | null;
  conditions: Condition[];
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

/** A pause as the status or a record holds it, or null for anything else. */
export function pauseOf(value: unknown): PauseStatus | null {
  if (!isRecord(value) || !(PAUSE_KINDS as readonly unknown[]).includes(value.kind)) return null;
  if (!isTimestamp(value.since) || !(value.until === null || isTimestamp(value.until))) return null;
  return { kind: value.kind as PauseStatus['kind'], since: value.since, until: value.until };
}

function rollbackRecord(value: unknown): RollbackRecord | null {
  if (!isRecord(value) || !isTimestamp(value.time)) return null;
  return {
    time: value.time,
    reason: typeof value.reason === 'string' ? value.reason : '',
    revision: typeof value.revision === 'string' ? value.revision : '',
  };
}

export function readPriorStatus(status: ObservedStatus | null | undefined): PriorStatus {
  const raw: Record<string, unknown> = isRecord(status) ? status : {};
  const state = (CANARY_STATES as readonly unknown[]).includes(raw.state)
    ? (raw.state as CanaryState)
    : undefined;
  return {
    sequence: count(raw.sequence),
    state,
    currentStep: count(raw.currentStep),
    oldReplicas: count(raw.oldReplicas),
    newReplicas: count(raw.newReplicas),
    totalSteps: count(raw.totalSteps),
    weight: Math.min(count(raw.weight), 100),
    pause: pauseOf(raw.pause),
    message: typeof raw.message === 'string' ? raw.message : '',
    observedCommand: typeof raw.observedCommand === 'string' ? raw.observedCommand : '',
    lastStepTime: isTimestamp(raw.lastStepTime) ? raw.lastStepTime : null,
    rollback: rollbackRecord(raw.rollback),
    conditions: readConditions(raw.conditions),
  };
}

/** The Paused condition says a pause step's pause is over (by time or promote) and the step is done. */
export function pauseEndedIn(conditions: readonly Condition[]): boolean {
  const paused = findCondition(conditions, 'Paused');
  return paused?.status === 'False' && paused.reason === 'PauseEnded';
}

/**
 * The last status says the Canary was complete. An error hides the state it
 * interrupted but holds the Complete condition as it was (hooks/render/error.ts):
 * without it, a complete Canary whose last step asks less than every replica
 * would come out of the error running at that step and scale the old
 * Deployment up again.
 */
export function wasComplete(prior: Pick<PriorStatus, 'state' | 'conditions'>): boolean {
  if (prior.state === 'complete') return true;
  const held = findCondition(prior.conditions, 'Complete');
  return prior.state === 'error' && (held?.status === 'True' || held?.reason === 'Completing');
}
