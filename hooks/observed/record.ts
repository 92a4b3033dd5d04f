/**
 * Owns the decision record: the part of the status the state machine decides
 * from, numbered, and stamped on the Deployments the Canary scales.
 *
 * Why (issue 10): Metacontroller hands the sync hook a parent read from its
 * informer cache. Right after it applied a decision's children and wrote its
 * status, the next sync (set off by a Deployment changing) can still carry
 * the status from before, while the children are current; and whatever the
 * hook answers, Metacontroller writes over the latest status. Deciding from
 * that older status takes a step twice, or undoes one, and writes the older
 * position back. The children are written in the same sync as the status, so
 * a child whose record is newer than the parent's gives the stale view away,
 * and it also holds what the stale parent lacks: the hook carries on from it.
 * The same holds when the status write is lost for good (Metacontroller
 * applied the children, then died): the children keep the decision until the
 * next status write records it. Nothing is kept in the service.
 *
 * Only the fields that decide are recorded, so a sync whose decision changes
 * nothing leaves the record, and so the Deployments, untouched: no write
 * while nothing changes, and a step costs the writes it needs.
 */
import { findCondition } from '../k8s/conditions.js';
import { isPlainObject } from '../k8s/json.js';
import { isTimestamp } from '../k8s/time.js';
import { pauseEndedIn, pauseOf, type PriorStatus } from './prior.js';
import {
  CANARY_STATES,
  GROUP,
  type CanaryState,
  type Condition,
  type Deployment,
  type PauseStatus,
  type RollbackRecord,
} from '../wire/index.js';

export const DECISION_ANNOTATION = `${GROUP}/decision`;

export interface DecisionRecord {
  /** The Canary's uid: a Canary re-created under the same name must not inherit the old one's record. */
  uid: string;
  /** How many decisions this Canary has taken; the newer of two records has the higher number. */
  sequence: number;
  state: CanaryState;
  step: number;
  observedCommand: string;
  lastStepTime: string | null;
  rollback: RollbackRecord | null;
  /** Progressing's lastTransitionTime while it is True: the anchor of the schedule. */
  progressingSince: string | null;
  /** The message, when repeating it would announce it again: an error, an unknown command. */
  note: string;
  /** The pause holding the rollout; its end is fixed when it begins. */
  pause: PauseStatus | null;
  /** The pause step at the current position is over (ended by time or promote). */
  pauseEnded: boolean;
}

/** What a status (as written, or as read back) records; `sequence` and `uid` are the caller's. */
type Recordable = Pick<
  PriorStatus,
  'currentStep' | 'observedCommand' | 'lastStepTime' | 'rollback' | 'conditions' | 'message' | 'pause'
> & { state: CanaryState | undefined };

function noteOf(status: Recordable): string {
  const unknownCommand = findCondition(status.conditions, 'CommandAccepted')?.status === 'False';
  return status.state === 'error' || unknownCommand ? status.message : '';
}

export function recordOf(status: Recordable, uid: string, sequence: number): DecisionRecord {
  const progressing = findCondition(status.conditions, 'Progressing');
  return {
    uid,
    sequence,
    state: status.state ?? 'stop',
    step: status.currentStep,
    observedCommand: status.observedCommand,
    lastStepTime: status.lastStepTime,
    rollback: status.rollback,
    progressingSince: progressing?.status === 'True' ? progressing.lastTransitionTime : null,
    note: noteOf(status),
    pause: status.pause,
    pauseEnded: pauseEndedIn(status.conditions),
  };
}

/** Two records of the same decision, whatever their numbers. */
export function sameDecision(a: DecisionRecord, b: DecisionRecord): boolean {
  return (
    a.state === b.state &&
    a.step === b.step &&
    a.observedCommand === b.observedCommand &&
    a.lastStepTime === b.lastStepTime &&
    a.progressingSince === b.progressingSince &&
    a.note === b.note &&
    a.pauseEnded === b.pauseEnded &&
    JSON.stringify(a.pause) === JSON.stringify(b.pause) &&
    JSON.stringify(a.rollback) === JSON.stringify(b.rollback)
  );
}

/** Fixed key order, so the same decision is the same annotation byte for byte. */
export function encodeRecord(record: DecisionRecord): string {
  return JSON.stringify({
    uid: record.uid,
    sequence: record.sequence,
    state: record.state,
    step: record.step,
    observedCommand: record.observedCommand,
    lastStepTime: record.lastStepTime,
    progressingSince: record.progressingSince,
    rollback: record.rollback,
    note: record.note,
    pause: record.pause,
    pauseEnded: record.pauseEnded,
  });
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isTimeOrNull = (value: unknown): value is string | null => value === null || isTimestamp(value);

function rollbackOf(value: unknown): RollbackRecord | null | undefined {
  if (value === null) return null;
  if (!isPlainObject(value) || !isTimestamp(value.time)) return undefined;
  if (typeof value.reason !== 'string' || typeof value.revision !== 'string') return undefined;
  return { time: value.time, reason: value.reason, revision: value.revision };
}

/**
 * The record a Deployment carries for this Canary, or undefined. Anyone who
 * can edit the Deployment can edit the annotation, so anything malformed or
 * another Canary's counts as no record at all.
 */
export function readRecord(deployment: Deployment, uid: string): DecisionRecord | undefined {
  const text = deployment.metadata.annotations?.[DECISION_ANNOTATION];
  if (text === undefined || uid === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(raw) || raw.uid !== uid || !isCount(raw.sequence) || !isCount(raw.step))
    return undefined;
  if (!(CANARY_STATES as readonly unknown[]).includes(raw.state)) return undefined;
  if (typeof raw.observedCommand !== 'string' || typeof raw.note !== 'string') return undefined;
  if (!isTimeOrNull(raw.lastStepTime) || !isTimeOrNull(raw.progressingSince)) return undefined;
  const rollback = rollbackOf(raw.rollback);
  if (rollback === undefined) return undefined;
  // Records written before pauses existed have neither field: no pause.
  const pause = raw.pause === undefined || raw.pause === null ? null : pauseOf(raw.pause);
  if (raw.pause !== undefined && raw.pause !== null && pause === null) return undefined;
  if (raw.pauseEnded !== undefined && typeof raw.pauseEnded !== 'boolean') return undefined;
  return {
    uid,
    sequence: raw.sequence,
    state: raw.state as CanaryState,
    step: raw.step,
    observedCommand: raw.observedCommand,
    lastStepTime: raw.lastStepTime,
    rollback,
    progressingSince: raw.progressingSince,
    note: raw.note,
    pause,
    pauseEnded: raw.pauseEnded === true,
  };
}

/** The highest-numbered record among the Deployments: they may lag each other too. */
export function newestRecord(deployments: Iterable<Deployment>, uid: string): DecisionRecord | undefined {
  let newest: DecisionRecord | undefined;
  for (const deployment of deployments) {
    const record = readRecord(deployment, uid);
    if (record && (!newest || record.sequence > newest.sequence)) newest = record;
  }
  return newest;
}

/**
 * The status the stale parent would have shown had its cache caught up, as
 * far as the state machine reads it. Conditions the record does not hold
 * keep what the parent shows; StepAvailable only while it speaks of the
 * recorded step, since it is the memory that the step's replicas arrived.
 */
export function priorFromRecord(record: DecisionRecord, stale: PriorStatus): PriorStatus {
  const sameStep = stale.currentStep === record.step && stale.lastStepTime === record.lastStepTime;
  const conditions: Condition[] = stale.conditions.filter(
    (c) => c.type !== 'Progressing' && c.type !== 'Paused' && (c.type !== 'StepAvailable' || sameStep),
  );
  if (record.pauseEnded) {
    conditions.push({
      type: 'Paused',
      status: 'False',
      reason: 'PauseEnded',
      message: `The pause at step ${record.step} is over`,
      lastTransitionTime: record.lastStepTime ?? record.progressingSince ?? '1970-01-01T00:00:00Z',
    });
  }
  if (record.progressingSince !== null) {
    conditions.push({
      type: 'Progressing',
      status: 'True',
      reason: 'StepScheduled',
      message: `Running at step ${record.step}`,
      lastTransitionTime: record.progressingSince,
    });
  }
  return {
    ...stale,
    sequence: record.sequence,
    state: record.state,
    currentStep: record.step,
    observedCommand: record.observedCommand,
    lastStepTime: record.lastStepTime,
    rollback: record.rollback,
    pause: record.pause,
    message: record.note,
    conditions,
  };
}
