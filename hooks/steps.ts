/** The replica split of each step: SPEC section 3. */

export interface StepSizing {
  totalReplicas: number;
  stepReplicas: number;
}

export interface ReplicaSplit {
  oldReplicas: number;
  newReplicas: number;
}

/** Rounds up, so a step size that does not divide the total still ends with every replica on new. */
export function totalSteps(sizing: StepSizing): number {
  return Math.ceil(sizing.totalReplicas / sizing.stepReplicas);
}

/** Keeps a step recorded under an older spec inside the current one's range. */
export function clampStep(sizing: StepSizing, step: number): number {
  return Math.min(Math.max(0, Math.trunc(step)), totalSteps(sizing));
}

export function stepReplicas(sizing: StepSizing, step: number): ReplicaSplit {
  const newReplicas = Math.min(clampStep(sizing, step) * sizing.stepReplicas, sizing.totalReplicas);
  return { oldReplicas: sizing.totalReplicas - newReplicas, newReplicas };
}

export function isFinalStep(sizing: StepSizing, step: number): boolean {
  return step >= totalSteps(sizing);
}
