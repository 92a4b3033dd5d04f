/**
 * Owns where a Canary stands, as the state machine sees it (Progress), and
 * the questions it asks of that position: is it part-way, have the new
 * replicas arrived, when is the next step due.
 */
import { nextTickAfter } from '../k8s/cron.js';
import { availability, type Availability } from '../k8s/deployments.js';
import type { Observed } from '../observed/observed.js';
import { placerFor, type Placement } from '../steps/placement.js';
import { completesOnEntry, pauseAt, stepAt } from '../steps/rollout.js';
import type { CanaryState, PauseStatus, RollbackRecord } from '../wire/index.js';
import type { Transition } from './transitions.js';

export type SettledState = Exclude<CanaryState, 'error'>;

export interface Progress {
  state: SettledState;
  step: number;
  lastStepTime: string | null;
  /** When the canary last started running: with lastStepTime, the anchor of the schedule. */
  runningSince: string | null;
  rollback: RollbackRecord | null;
  observedCommand: string;
  /**
   * The step (identified by its number and time) whose replicas the prior
   * status says all became available. Kept so that a pod evicted hours later
   * is not mistaken for a step that never made its progress deadline.
   */
  reachedStep: { step: number; lastStepTime: string | null } | null;
  /** The pause holding the rollout at a pause step; null once it ended, or at a set-step. */
  pause: PauseStatus | null;
  /** At a pause step: its pause is over, so the step is done. */
  pauseEnded: boolean;
}

export interface Stage {
  progress: Progress;
  transitions: Transition[];
  /** A command or restart already moved the canary in this sync; no second move. */
  moved: boolean;
}

// ----------------------------------------------------------------- predicates

export function isRolledBack(p: {
  state: CanaryState;
  step: number;
  rollback: RollbackRecord | null;
}): boolean {
  return p.state === 'stop' && p.step === 0 && p.rollback !== null;
}

/** Part-way through: the only positions where new pods run alongside old ones and can be rolled back. */
export function isPartWay(p: Pick<Progress, 'state' | 'step'>, o: Observed): boolean {
  return (p.state === 'running' || p.state === 'stop') && p.step > 0 && !completesOnEntry(o.rollout, p.step);
}

export function placementOf(p: Pick<Progress, 'state' | 'step'>, o: Observed): Placement {
  return placerFor(o.traffic !== undefined).place(o.rollout, p.step, p.state === 'complete');
}

export function newReplicasAvailability(p: Pick<Progress, 'state' | 'step'>, o: Observed): Availability {
  return availability(o.newDeployment, placementOf(p, o).newReplicas);
}

/** The replicas asked at this step are available now, or were at some point since the step was taken. */
export function hasReachedStep(p: Progress, o: Observed): boolean {
  const remembered = p.reachedStep?.step === p.step && p.reachedStep.lastStepTime === p.lastStepTime;
  return remembered || newReplicasAvailability(p, o).ready;
}

/** A pause asks for no new replicas, so it has no progress deadline of its own (docs/design.md §8: every set-step). */
export function deadlineOf(p: Progress, o: Observed): number | undefined {
  if (o.spec.progressDeadlineSeconds === undefined || p.lastStepTime === null) return undefined;
  if (stepAt(o.rollout, p.step)?.kind === 'pause') return undefined;
  return Date.parse(p.lastStepTime) + o.spec.progressDeadlineSeconds * 1000;
}

function laterOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * When `cronSchedule` lets the next move happen: the first tick after both
 * the last step and the moment it (re)started running. Undefined when no
 * tick gates it: no schedule, or the next step is a pause (a pause begins
 * as soon as the step before it is done).
 */
export function dueTime(p: Progress, o: Observed): Date | undefined {
  if (o.spec.cronSchedule === undefined || pauseAt(o.rollout, p.step + 1) !== undefined) return undefined;
  const anchor = laterOf(p.lastStepTime, p.runningSince) ?? o.nowText;
  return nextTickAfter(o.spec.cronSchedule, o.spec.timeZone, new Date(anchor));
}

export function isPaused(p: Progress): p is Progress & { pause: PauseStatus } {
  return p.pause !== null;
}
