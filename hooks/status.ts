/**
 * Reads the status the last response left. It is our only memory, but it is
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
} from './wire/index.js';
import { readConditions } from './k8s/conditions.js';
import { isPlainObject as isRecord } from './k8s/json.js';
import { isTimestamp } from './k8s/time.js';

export interface PriorStatus {
  /** The decision record's number (hooks/record.ts); 0 before the first. */
  sequence: number;
  state: CanaryState | undefined;
  currentStep: number;
  oldReplicas: number;
  newReplicas: number;
  totalSteps: number;
  weight: number;
  /** The pause holding the rollout, as written (hooks/rollout.ts steps). */
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
