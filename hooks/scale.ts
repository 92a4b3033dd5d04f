/**
 * The Canary's scale subresource (SPEC 10): `kubectl scale` and a
 * HorizontalPodAutoscaler read `status.replicas` and `status.labelSelector`
 * through it and write `spec.totalReplicas`. Metacontroller replaces the
 * whole status on every sync, so both are part of every status the hooks
 * answer with, in every state.
 *
 * The re-split itself needs no code of its own: every sync builds the list of
 * steps from the spec as it is now (hooks/rollout.ts), so a new total is
 * split at the current position like any other edit of the spec.
 */
import { selectorString } from './k8s/selectors.js';
import { wasComplete, type Progress } from './progress.js';
import { stepCount, type Rollout } from './steps/rollout.js';
import type { PriorStatus } from './status.js';
import { position, transition, type Transition } from './transitions.js';

/** What the scale subresource reads. */
export interface ScaleStatus {
  /** Replicas asked of the two Deployments together (old + new, as in the status). */
  replicas: number;
  /** `spec.selector` as a selector string, or "" when it is not a usable one. */
  labelSelector: string;
}

/** The two fields the scale subresource reads, for a status that asks `split` of the Deployments. */
export function scaleStatus(
  selector: unknown,
  split: { oldReplicas: number; newReplicas: number },
): ScaleStatus {
  return { replicas: split.oldReplicas + split.newReplicas, labelSelector: selectorString(selector) };
}

/**
 * A Canary running or stopped part-way whose rollout got shorter under it (a
 * total scaled down, or an edit) so that its step is now the last or past it:
 * it completes in this sync (hooks/progress.ts settles it), and that is
 * announced like any completion, for the Event and canary_completions_total.
 * A Canary in `error` counts too unless it was complete before the error: the
 * edit that makes the spec valid again is often the one that shortened it.
 */
export function completedByShorterRollout(
  prior: PriorStatus,
  settled: Progress,
  rollout: Rollout,
): Transition | undefined {
  if (settled.state !== 'complete' || wasComplete(prior)) return undefined;
  if (prior.state !== 'running' && prior.state !== 'stop' && prior.state !== 'error') return undefined;
  const from = { state: prior.state, step: prior.currentStep };
  const message = `Completed: step ${prior.currentStep} is the last of ${stepCount(rollout)} steps or past it at ${rollout.totalReplicas} replicas`;
  return transition('Completed', 'StepsReduced', message, from, position(settled));
}
