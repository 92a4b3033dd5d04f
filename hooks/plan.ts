/**
 * Owns the plan: a preview of a whole rollout, when each step would happen and what it
 * would ask of the two Deployments, if it were applied at `appliedAt` and
 * every step's new replicas became available in time.
 *
 * It follows the sync hook's rules: step 1 is taken as soon as `apply` is
 * seen; a pause begins as soon as the step before it, and ends after its
 * duration, at its schedule's next tick, or on `promote`; with
 * `cronSchedule` each set-step (and the completion after a list's last step)
 * waits for the first tick after the step before. Pure, so `kubectl canary
 * plan` and the hooks cannot disagree about the schedule.
 */
import { nextTickAfter } from './k8s/cron.js';
import type { CanarySpec, PauseSpec, SpecStep } from './spec/parse.js';
import { pauseEnd } from './steps/pause.js';
import { placerFor, weightOfPlacement } from './steps/placement.js';
import { completesOnEntry, rolloutOf, stepCount, type RolloutStep } from './steps/rollout.js';
import type { PauseKind } from './wire/index.js';

export interface PlannedStep {
  step: number;
  /** When the step begins; after a pause that waits for `promote`, as if promoted the moment it began. */
  time: Date;
  oldReplicas: number;
  newReplicas: number;
  /** Percent of the app on the new version: what the replicas give. */
  weight: number;
  kind: RolloutStep['kind'];
  /** For a pause: how it ends, and when (null: on `promote`). */
  pause?: { kind: PauseKind; until: Date | null; text: string };
  /** Its time depends on when an earlier pause is promoted: `time` is the earliest. */
  afterPromote: boolean;
}

export interface RolloutPlan {
  totalSteps: number;
  /** Steps 1..totalSteps in order. */
  steps: PlannedStep[];
  /** When the Canary completes: with the last step, or once it is done. */
  completeAt: Date;
  completeAfterPromote: boolean;
}

type PlanSpec = Pick<CanarySpec, 'totalReplicas' | 'stepReplicas' | 'timeZone'> & {
  cronSchedule?: string | undefined;
  steps?: SpecStep[] | undefined;
  /** With a router the weight is the route's, and the old Deployment keeps every replica (docs/design.md §9). */
  trafficRouting?: CanarySpec['trafficRouting'];
};

function pauseText(pause: PauseSpec): string {
  if (pause.kind === 'Manual') return 'until promote';
  if (pause.kind === 'Duration') return `for ${pause.text}`;
  return `until the next tick of "${pause.schedule}"`;
}

export function planRollout(spec: PlanSpec, appliedAt: Date): RolloutPlan {
  const rollout = rolloutOf({
    totalReplicas: spec.totalReplicas,
    stepReplicas: spec.stepReplicas,
    steps: spec.steps,
  });
  const count = stepCount(rollout);
  const steps: PlannedStep[] = [];
  let begun = appliedAt; // when the step in progress began
  let done = appliedAt; // when it is done
  let afterPromote = false;
  // The next move waits for a tick after the step before it began, and for that step to be done.
  const gate = (isPause: boolean) => {
    if (isPause || spec.cronSchedule === undefined) return done;
    const tick = nextTickAfter(spec.cronSchedule, spec.timeZone, begun);
    return tick > done ? tick : done;
  };
  for (let step = 1; step <= count; step++) {
    const s = rollout.at(step) as RolloutStep;
    const time = step === 1 ? appliedAt : gate(s.kind === 'pause');
    const split = placerFor(spec.trafficRouting !== undefined).place(rollout, step, false);
    const planned: PlannedStep = {
      step,
      time,
      oldReplicas: split.oldReplicas,
      newReplicas: split.newReplicas,
      weight: weightOfPlacement(split, rollout.totalReplicas),
      kind: s.kind,
      afterPromote,
    };
    begun = time;
    done = time;
    if (s.kind === 'pause') {
      const until = pauseEnd(s.pause, time, spec.timeZone);
      planned.pause = { kind: s.pause.kind, until, text: pauseText(s.pause) };
      if (until === null) afterPromote = true;
      else done = until;
    }
    steps.push(planned);
  }
  const last = steps[steps.length - 1] as PlannedStep;
  const atOnce = completesOnEntry(rollout, count);
  return {
    totalSteps: count,
    steps,
    completeAt: atOnce ? last.time : gate(false),
    completeAfterPromote: afterPromote,
  };
}
