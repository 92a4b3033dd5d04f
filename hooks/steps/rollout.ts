/**
 * Owns the rollout as a list of steps: the one place that turns the spec
 * into what the state machine walks through. `stepReplicas: s` is shorthand for
 * the list `setReplicas: s, 2s, ..., totalReplicas` (docs/design.md §3 and §8),
 * so both forms run through one engine.
 *
 * Positions are 1-based indexes into the list; 0 is before `apply` (or after
 * a rollback).
 */
import type { CanarySpec, PauseSpec, SpecStep } from '../spec/parse.js';
import { weightReplicas } from './weights.js';

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

/** The shorthand's size: `stepReplicas` new replicas more at each step, up to `totalReplicas`. */
export interface StepSizing {
  totalReplicas: number;
  stepReplicas: number;
}

/**
 * The shorthand's number of steps (docs/design.md §3). Rounds up, so a step
 * size that does not divide the total still ends with every replica on new.
 */
export function totalSteps(sizing: StepSizing): number {
  return Math.ceil(sizing.totalReplicas / sizing.stepReplicas);
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
  const size = spec.stepReplicas ?? total;
  const count = totalSteps({ totalReplicas: total, stepReplicas: size });
  const at = (k: number): SetStep | undefined =>
    Number.isInteger(k) && k >= 1 && k <= count
      ? { kind: 'set', newReplicas: Math.min(k * size, total) }
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
 * The set-step in force at a position: its own, or the last one before it
 * (a pause holds what the step before asked). Every shorthand step is a
 * set-step, so for it the first look answers.
 */
export function setStepAt(rollout: Rollout, step: number): SetStep | undefined {
  for (let k = Math.min(step, stepCount(rollout)); k >= 1; k--) {
    const s = rollout.at(k);
    if (s?.kind === 'set') return s;
  }
  return undefined;
}

/** The new replicas asked at a position, 0 before the first set-step. */
export function newReplicasAt(rollout: Rollout, step: number): number {
  return setStepAt(rollout, step)?.newReplicas ?? 0;
}
