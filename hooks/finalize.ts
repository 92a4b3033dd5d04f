/**
 * Owns the finalize hook's decision. Deleting a Canary must leave its Deployments
 * running, as the original operator did: each still carrying this Canary's
 * ownerReference has to be released through the API (the server does that),
 * and the Canary may go only once none is owned any more.
 */
import { observedDeployments } from './observed/request.js';
import { scaleStatus } from './status/scale.js';
import { readPriorStatus } from './observed/prior.js';
import { desiredChildren } from './render/children.js';
import type {
  Canary,
  CanaryStatus,
  Deployment,
  FinalizeResponse,
  OwnerReference,
  SyncRequest,
} from './wire/index.js';

/** How soon Metacontroller should call finalize again while Deployments are being released. */
export const FINALIZE_RETRY_SECONDS = 2;

export interface OwnedChild {
  namespace: string;
  name: string;
}

export interface FinalizeDecision {
  /** What to answer when every release succeeded; `finalized` is true only when nothing was owned. */
  response: FinalizeResponse;
  /** Deployments that still carry this Canary's ownerReference. */
  owned: OwnedChild[];
  ownerUid: string;
}

/** Matched by uid: a Canary deleted and re-created under the same name is another owner. */
function isOwnedBy(deployment: Deployment, canary: Canary): boolean {
  const uid = canary.metadata.uid;
  const refs: OwnerReference[] = deployment.metadata.ownerReferences ?? [];
  if (uid) return refs.some((ref) => ref.uid === uid);
  return refs.some((ref) => ref.kind === canary.kind && ref.name === canary.metadata.name);
}

function finalizingStatus(canary: Canary, owned: number): CanaryStatus {
  const prior = readPriorStatus(canary.status);
  return {
    oldReplicas: prior.oldReplicas,
    newReplicas: prior.newReplicas,
    currentStep: prior.currentStep,
    totalSteps: prior.totalSteps,
    weight: prior.weight,
    pause: prior.pause,
    state: prior.state ?? 'stop',
    message:
      owned > 0
        ? `Canary is being deleted: releasing ${owned} Deployment(s), their replicas are kept`
        : 'Canary is being deleted: its Deployments are released and keep their replicas',
    observedCommand: prior.observedCommand,
    lastStepTime: prior.lastStepTime,
    rollback: prior.rollback,
    conditions: prior.conditions,
    ...scaleStatus(canary.spec.selector, prior),
    sequence: prior.sequence,
  };
}

export function decideFinalize(request: SyncRequest): FinalizeDecision {
  const canary = request.parent;
  const deployments = observedDeployments(request);
  const namespace = canary.metadata.namespace ?? 'default';
  const owned = [...deployments.values()]
    .filter((deployment) => isOwnedBy(deployment, canary))
    .map((deployment) => ({
      namespace: deployment.metadata.namespace ?? namespace,
      name: deployment.metadata.name,
    }));
  return {
    // Children go back exactly as observed: a finalize must not scale anything on its way out.
    response: {
      status: finalizingStatus(canary, owned.length),
      children: desiredChildren(deployments),
      finalized: owned.length === 0,
      resyncAfterSeconds: owned.length === 0 ? 0 : FINALIZE_RETRY_SECONDS,
    },
    owned,
    ownerUid: canary.metadata.uid ?? '',
  };
}
