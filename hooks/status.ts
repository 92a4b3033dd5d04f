/**
 * Reads the status the last response left. It is our only memory, but it is
 * also user-writable through the status subresource, so every field is
 * checked and anything odd falls back to the value a new Canary would have.
 */
import {
  CANARY_STATES,
  type CanaryState,
  type Condition,
  type ObservedStatus,
  type RollbackRecord,
} from './wire.js';

export interface PriorStatus {
  state: CanaryState | undefined;
  currentStep: number;
  oldReplicas: number;
  newReplicas: number;
  totalSteps: number;
  message: string;
  observedCommand: string;
  lastStepTime: string | null;
  rollback: RollbackRecord | null;
  conditions: Condition[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/**
 * An RFC 3339 date-time as the CRD's `format: date-time` accepts it. Anything
 * looser would be echoed back into a status the API server then refuses:
 * Date.parse takes "2026-02-30T00:00:00Z" (rolling it into March) and
 * "2026-11-22T10:00" (in the server's local zone).
 */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && !Number.isNaN(Date.parse(value));
}

function rollbackRecord(value: unknown): RollbackRecord | null {
  if (!isRecord(value) || !isTimestamp(value.time)) return null;
  return {
    time: value.time,
    reason: typeof value.reason === 'string' ? value.reason : '',
    revision: typeof value.revision === 'string' ? value.revision : '',
  };
}

function condition(value: unknown): Condition | undefined {
  if (!isRecord(value) || typeof value.type !== 'string') return undefined;
  const status = value.status === 'True' || value.status === 'False' ? value.status : 'Unknown';
  if (!isTimestamp(value.lastTransitionTime)) return undefined;
  return {
    type: value.type,
    status,
    reason: typeof value.reason === 'string' ? value.reason : '',
    message: typeof value.message === 'string' ? value.message : '',
    lastTransitionTime: value.lastTransitionTime,
  };
}

export function readPriorStatus(status: ObservedStatus | null | undefined): PriorStatus {
  const raw: Record<string, unknown> = isRecord(status) ? status : {};
  const state = (CANARY_STATES as readonly unknown[]).includes(raw.state)
    ? (raw.state as CanaryState)
    : undefined;
  return {
    state,
    currentStep: count(raw.currentStep),
    oldReplicas: count(raw.oldReplicas),
    newReplicas: count(raw.newReplicas),
    totalSteps: count(raw.totalSteps),
    message: typeof raw.message === 'string' ? raw.message : '',
    observedCommand: typeof raw.observedCommand === 'string' ? raw.observedCommand : '',
    lastStepTime: isTimestamp(raw.lastStepTime) ? raw.lastStepTime : null,
    rollback: rollbackRecord(raw.rollback),
    conditions: Array.isArray(raw.conditions)
      ? raw.conditions.map(condition).filter((c): c is Condition => c !== undefined)
      : [],
  };
}

/** RFC 3339 in UTC to the second, as Kubernetes writes timestamps. */
export function rfc3339(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
