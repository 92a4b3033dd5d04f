/**
 * The rollout as a list of steps: the one place that turns the spec into
 * what the state machine walks through. `stepReplicas: s` is shorthand for
 * the list `s, 2s, ..., totalReplicas` (SPEC section 3), so both forms run
 * through one engine.
 *
 * Positions are 1-based indexes into the list; 0 is before `apply` (or after
 * a rollback).
 */
import type { CanarySpec } from './spec.js';
import { stepReplicas, totalSteps } from './steps.js';

/** A step that asks for a number of new replicas. */
export interface SetStep {
  kind: 'set';
  newReplicas: number;
}

export type RolloutStep = SetStep;

export interface Rollout {
  totalReplicas: number;
  steps: readonly RolloutStep[];
}

export function rolloutOf(spec: Pick<CanarySpec, 'totalReplicas' | 'stepReplicas'>): Rollout {
  const steps: SetStep[] = [];
  for (let k = 1; k <= totalSteps(spec); k++) {
    steps.push({ kind: 'set', newReplicas: stepReplicas(spec, k).newReplicas });
  }
  return { totalReplicas: spec.totalReplicas, steps };
}

export function stepCount(rollout: Rollout): number {
  return rollout.steps.length;
}

/** Keeps a position recorded under an older spec inside the current list. */
export function clampPosition(rollout: Rollout, step: number): number {
  return Math.min(Math.max(0, Math.trunc(step)), stepCount(rollout));
}

/** Reaching this position completes the Canary at once: the last step asks for every replica. */
export function completesOnEntry(rollout: Rollout, step: number): boolean {
  return step >= stepCount(rollout);
}

/**
 * The new replicas asked at a position: those of the set-step in progress,
 * or of the last one before it.
 */
export function newReplicasAt(rollout: Rollout, step: number): number {
  for (let k = Math.min(step, stepCount(rollout)); k >= 1; k--) {
    const s = rollout.steps[k - 1];
    if (s?.kind === 'set') return s.newReplicas;
  }
  return 0;
}
