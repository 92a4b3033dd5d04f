/**
 * Where a Canary stands, as the state machine sees it, and the questions it
 * asks of that position: is it part-way, have the new replicas arrived, when
 * is the next step due.
 */
import { findCondition, pauseEndedIn } from './k8s/conditions.js';
import { availability, type Availability } from './k8s/deployments.js';
import { placerFor, type Placement } from './steps/placement.js';
import {
  clampPosition,
  completesOnEntry,
  pauseAt,
  rolloutOf,
  stepAt,
  stepCount,
  type Rollout,
} from './steps/rollout.js';
import { nextTickAfter } from './k8s/cron.js';
import type { CanarySpec } from './spec/parse.js';
import type { PriorStatus } from './status.js';
import type { TrafficView } from './traffic.js';
import type { Transition } from './transitions.js';
import type { Canary, CanaryState, Deployment, PauseStatus, Pod, RollbackRecord } from './wire/index.js';

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

/** What the sync was shown, with the spec made trustworthy and the list of steps built from it. */
export interface Observed {
  canary: Canary;
  spec: CanarySpec;
  rollout: Rollout;
  oldDeployment: Deployment;
  newDeployment: Deployment;
  pods: readonly Pod[];
  /** The route of spec.trafficRouting as observed (hooks/traffic.ts), or undefined without a router. */
  traffic: TrafficView | undefined;
  now: Date;
  nowText: string;
}

export interface Stage {
  progress: Progress;
  transitions: Transition[];
  /** A command or restart already moved the canary in this sync; no second move. */
  moved: boolean;
}

export function observe(fields: Omit<Observed, 'rollout'> & { spec: CanarySpec }): Observed {
  return { ...fields, rollout: rolloutOf(fields.spec) };
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

/** A pause asks for no new replicas, so it has no progress deadline of its own (SPEC 8: every set-step). */
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

/**
 * Surge (SPEC 7a) steps the old Deployment down only after the new replicas
 * are available, so the old one reaches the step's split a sync later.
 * Until it has, the next step waits: Metacontroller writes one child at a
 * time, and a step taken in the same answer as the step-down before it
 * would, for a moment, add the next step's replicas on top of the old ones
 * not yet removed (seen on the real engine: 3 + 4 with a total of 5 and a
 * step of 1).
 */
export function hasOldSettled(p: Pick<Progress, 'state' | 'step'>, o: Observed): boolean {
  if (!o.spec.surge || o.traffic !== undefined) return true;
  return (o.oldDeployment.spec.replicas ?? 0) <= placementOf(p, o).oldReplicas;
}

/**
 * The step at the current position is done: its replicas are available, its
 * pause (if any) is over, with surge the old Deployment is down to its
 * share, and with a router the route shows its weight.
 */
export function isStepDone(p: Progress, o: Observed): boolean {
  if (p.pause !== null) return false;
  if (pauseAt(o.rollout, p.step) !== undefined && !p.pauseEnded) return false;
  if (o.traffic !== undefined && o.traffic.shown !== placementOf(p, o).weight) return false;
  return newReplicasAvailability(p, o).ready && hasOldSettled(p, o);
}

export function isPaused(p: Progress): p is Progress & { pause: PauseStatus } {
  return p.pause !== null;
}

// ------------------------------------------------------- settling the prior

/**
 * The last status says the Canary was complete. An error hides the state it
 * interrupted but holds the Complete condition as it was (hooks/errors.ts):
 * without it, a complete Canary whose last step asks less than every replica
 * would come out of the error running at that step and scale the old
 * Deployment up again.
 */
export function wasComplete(prior: Pick<PriorStatus, 'state' | 'conditions'>): boolean {
  if (prior.state === 'complete') return true;
  const held = findCondition(prior.conditions, 'Complete');
  return prior.state === 'error' && (held?.status === 'True' || held?.reason === 'Completing');
}

/**
 * Where the canary stands, from the last status. A canary coming out of
 * `error` has lost its state, so it is rebuilt from what remains: the step and
 * the last command acted on.
 */
export function settle(prior: PriorStatus, rollout: Rollout, nowText: string): Progress {
  const step = clampPosition(rollout, prior.currentStep);
  let state: SettledState;
  // A position past the end of an edited list completes, as the last step would.
  const pastEnd = prior.currentStep > stepCount(rollout);
  if (wasComplete(prior) || pastEnd || completesOnEntry(rollout, step)) state = 'complete';
  else if (step === 0) state = 'stop';
  else if (prior.state === 'running' || prior.state === 'stop') state = prior.state;
  else state = prior.observedCommand === 'apply' ? 'running' : 'stop';

  const progressing = findCondition(prior.conditions, 'Progressing');
  const wasRunning = prior.state === 'running' && state === 'running';
  let runningSince: string | null = null;
  if (state === 'running') {
    if (wasRunning && progressing?.status === 'True') runningSince = progressing.lastTransitionTime;
    else if (wasRunning) runningSince = prior.lastStepTime ?? nowText;
    else runningSince = nowText;
  }
  // A pause carries over only while the Canary stays at the pause step it belongs to.
  const atPause = (state === 'running' || state === 'stop') && pauseAt(rollout, step) !== undefined;
  const samePosition = atPause && prior.currentStep === step;
  const pause = samePosition ? prior.pause : null;
  return {
    pause,
    pauseEnded: samePosition && pause === null && pauseEndedIn(prior.conditions),
    state,
    step: state === 'complete' ? stepCount(rollout) : step,
    lastStepTime: prior.lastStepTime,
    runningSince,
    rollback: prior.rollback,
    observedCommand: prior.observedCommand,
    reachedStep:
      findCondition(prior.conditions, 'StepAvailable')?.status === 'True'
        ? { step: prior.currentStep, lastStepTime: prior.lastStepTime }
        : null,
  };
}
