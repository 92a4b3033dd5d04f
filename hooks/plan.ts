/**
 * A preview of a whole rollout: when each step would happen and what it
 * would ask of the two Deployments, if it were applied at `appliedAt` and
 * every step's new replicas became available in time.
 *
 * It follows the sync hook's rules: step 1 is taken as soon as `apply` is
 * seen, and each next step at the first tick of the schedule strictly after
 * the step before it. Pure, so `kubectl canary plan` and the hooks cannot
 * disagree about the schedule.
 */
import { nextTickAfter } from './schedule.js';
import type { CanarySpec } from './spec.js';
import { stepReplicas, totalSteps } from './steps.js';

export interface PlannedStep {
  step: number;
  time: Date;
  oldReplicas: number;
  newReplicas: number;
}

export interface RolloutPlan {
  totalSteps: number;
  /** Steps 1..totalSteps in order; the last one completes the Canary. */
  steps: PlannedStep[];
}

export function planRollout(
  spec: Pick<CanarySpec, 'totalReplicas' | 'stepReplicas' | 'cronSchedule' | 'timeZone'>,
  appliedAt: Date,
): RolloutPlan {
  const count = totalSteps(spec);
  const steps: PlannedStep[] = [];
  let time = appliedAt;
  for (let step = 1; step <= count; step++) {
    if (step > 1) time = nextTickAfter(spec.cronSchedule, spec.timeZone, time);
    steps.push({ step, time, ...stepReplicas(spec, step) });
  }
  return { totalSteps: count, steps };
}
