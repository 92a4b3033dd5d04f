/**
 * Owns the status fields of the Canary's scale subresource (docs/design.md §10): `kubectl scale` and a
 * HorizontalPodAutoscaler read `status.replicas` and `status.labelSelector`
 * through it and write `spec.totalReplicas`. Metacontroller replaces the
 * whole status on every sync, so both are part of every status the hooks
 * answer with, in every state.
 *
 * The re-split itself needs no code of its own: every sync builds the list of
 * steps from the spec as it is now (hooks/steps/rollout.ts), so a new total is
 * split at the current position like any other edit of the spec.
 */
import { selectorString } from '../k8s/selectors.js';

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
