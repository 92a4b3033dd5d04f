/** Owns the reading of Metacontroller's maps: the observed children and related pods. */
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
