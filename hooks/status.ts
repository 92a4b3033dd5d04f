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
  // Every sync re-reads the same few timestamps of each Canary's status, and
  // the checks below cost about a microsecond each: remember the verdicts.
  const known = timestampVerdicts.get(value);
  if (known !== undefined) return known;
  const verdict = checkTimestamp(value);
  if (timestampVerdicts.size >= MAX_REMEMBERED_TIMESTAMPS) timestampVerdicts.clear();
  timestampVerdicts.set(value, verdict);
  return verdict;
}

const MAX_REMEMBERED_TIMESTAMPS = 4096;
const timestampVerdicts = new Map<string, boolean>();

function checkTimestamp(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && !Number.isNaN(Date.parse(value));
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
function conditions(value: unknown): Condition[] {
  if (!Array.isArray(value)) return [];
  const byType = new Map<string, Condition>();
  for (const c of value.map(condition)) {
    if (c && !byType.has(c.type)) byType.set(c.type, c);
  }
  return [...byType.values()];
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
    conditions: conditions(raw.conditions),
  };
}

const formatted = new Map<number, string>();

/** RFC 3339 in UTC to the second, as Kubernetes writes timestamps. */
export function rfc3339(time: Date): string {
  // Each sync formats its now and its Canary's next tick, the same few
  // instants over and over (0.9 µs each): remember them.
  const ms = time.getTime();
  const known = formatted.get(ms);
  if (known !== undefined) return known;
  const text = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (formatted.size >= MAX_REMEMBERED_TIMESTAMPS) formatted.clear();
  formatted.set(ms, text);
  return text;
}
