/**
 * Owns the reading of Metacontroller's maps: the observed children and the
 * pods, or why the server could not read them (hooks/pod-read.ts).
 */
import {
  DEPLOYMENT_CHILD_KEY,
  POD_RELATED_KEY,
  type Deployment,
  type Pod,
  type SyncRequest,
} from '../wire/index.js';

/** Every observed Deployment, keyed by name, in the order Metacontroller sent them. */
export function observedDeployments(request: Pick<SyncRequest, 'children'>): Map<string, Deployment> {
  const byName = request.children?.[DEPLOYMENT_CHILD_KEY] ?? {};
  return new Map(Object.entries(byName));
}

export function observedPods(request: Pick<SyncRequest, 'related'>): Pod[] {
  return Object.values(request.related?.[POD_RELATED_KEY] ?? {});
}

/** Why the pods could not be read; one Warning Event per cause. */
export type PodReadCause = 'Timeout' | 'Forbidden' | 'Unreachable' | 'NoApi' | 'Error';

export interface PodReadFailure {
  cause: PodReadCause;
  /** The API's own words, kept stable from one sync to the next so the status does not churn. */
  detail: string;
}
