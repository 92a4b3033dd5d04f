/**
 * The rollout as a list of steps: the one place that turns the spec into
 * what the state machine walks through. `stepReplicas: s` is shorthand for
 * the list `setReplicas: s, 2s, ..., totalReplicas` (SPEC sections 3 and 8),
 * so both forms run through one engine.
 *
 * Positions are 1-based indexes into the list; 0 is before `apply` (or after
 * a rollback).
 */
import type { CanarySpec, PauseSpec, SpecStep } from './spec/parse.js';
import { stepReplicas, totalSteps } from './steps.js';

/** A step that asks for a number of new replicas; `weight` when it was written as a percent. */
export interface SetStep {
  kind: 'set';
  newReplicas: number;
  weight?: number;
}

export interface PauseStep {
  kind: 'pause';
  pause: PauseSpec;
}

export type RolloutStep = SetStep | PauseStep;

export interface Rollout {
  totalReplicas: number;
  count: number;
  /**
   * The step at a 1-based position. A function, not an array: the shorthand
   * allows totalReplicas up to 2^31 in steps of 1, far too many to list.
   */
  at(step: number): RolloutStep | undefined;
  /** Written as `spec.steps`, not the shorthand. */
  listed: boolean;
}

/**
 * New replicas for `setWeight: w` without a router (SPEC 8): the nearest
 * whole number, halves rounded up (50% of 7 is 4: the step puts at least
 * the weight asked on the new version, as Kubernetes rounds a percent
 * maxSurge up), but at least 1 when w > 0 (a step that asks for some of the
 * new version gets some) and at most total - 1 when w < 100 (and leaves
 * some of the old). With a single replica the two bounds meet; the upper
 * one wins, so a partial weight never moves the whole app before the
 * Canary completes.
 */
export function weightReplicas(totalReplicas: number, weight: number): number {
  const rounded = Math.round((totalReplicas * weight) / 100);
  const atLeast = weight > 0 ? Math.max(rounded, 1) : rounded;
  return weight < 100 ? Math.min(atLeast, totalReplicas - 1) : atLeast;
}

function listedStep(step: SpecStep, total: number): RolloutStep {
  if ('setWeight' in step) {
    return { kind: 'set', newReplicas: weightReplicas(total, step.setWeight), weight: step.setWeight };
  }
  if ('setReplicas' in step) return { kind: 'set', newReplicas: Math.min(step.setReplicas, total) };
  return { kind: 'pause', pause: step.pause };
}

export function rolloutOf(spec: Pick<CanarySpec, 'totalReplicas' | 'stepReplicas' | 'steps'>): Rollout {
  const total = spec.totalReplicas;
  if (spec.steps !== undefined) {
    const steps = spec.steps.map((s) => listedStep(s, total));
    return { totalReplicas: total, count: steps.length, at: (k) => steps[k - 1], listed: true };
  }
  const sizing = { totalReplicas: total, stepReplicas: spec.stepReplicas ?? total };
  const count = totalSteps(sizing);
  const at = (k: number): SetStep | undefined =>
    Number.isInteger(k) && k >= 1 && k <= count
      ? { kind: 'set', newReplicas: stepReplicas(sizing, k).newReplicas }
      : undefined;
  return { totalReplicas: total, count, at, listed: false };
}

export function stepCount(rollout: Rollout): number {
  return rollout.count;
}

export function stepAt(rollout: Rollout, step: number): RolloutStep | undefined {
  return step >= 1 ? rollout.at(step) : undefined;
}

export function pauseAt(rollout: Rollout, step: number): PauseSpec | undefined {
  const s = stepAt(rollout, step);
  return s?.kind === 'pause' ? s.pause : undefined;
}

/** Keeps a position recorded under an older spec inside the current list. */
export function clampPosition(rollout: Rollout, step: number): number {
  return Math.min(Math.max(0, Math.trunc(step)), stepCount(rollout));
}

/**
 * Reaching this position completes the Canary at once: it is the last step
 * and asks for every replica (so a round-1 Canary completes with its last
 * step, as it always has). A list ending otherwise completes once its last
 * step is done.
 */
export function completesOnEntry(rollout: Rollout, step: number): boolean {
  if (step > stepCount(rollout)) return true;
  const s = stepAt(rollout, step);
  return step === stepCount(rollout) && s?.kind === 'set' && s.newReplicas === rollout.totalReplicas;
}

/**
 * The new replicas asked at a position: those of the set-step in progress,
 * or of the last one before it (a pause holds what the step before asked).
 */
export function newReplicasAt(rollout: Rollout, step: number): number {
  // Every shorthand step is a set-step, so for it the first look answers.
  for (let k = Math.min(step, stepCount(rollout)); k >= 1; k--) {
    const s = rollout.at(k);
    if (s?.kind === 'set') return s.newReplicas;
  }
  return 0;
}
