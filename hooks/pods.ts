/** Which pods are the new version's, and whether they are crashing. */
import { matchesSelector } from './selectors.js';
import type { ContainerStatus, Deployment, Pod } from './wire.js';

const POD_TEMPLATE_HASH = 'pod-template-hash';
const CRASH_LOOP = 'CrashLoopBackOff';

/** A pod already being deleted is on its way out; its last crash says nothing about what runs now. */
export function isTerminating(pod: Pod): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

function owningReplicaSetName(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((ref) => ref.kind === 'ReplicaSet' && ref.controller !== false)
    ?.name;
}

/**
 * Label selectors alone cannot tell old pods from new ones when the two
 * Deployments share labels, so ownership is checked the way the Deployment
 * controller names things: its ReplicaSets are `<deployment>-<pod-template-hash>`.
 */
export function belongsToDeployment(pod: Pod, deployment: Deployment): boolean {
  const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH];
  if (!hash) return false;
  if (owningReplicaSetName(pod) !== `${deployment.metadata.name}-${hash}`) return false;
  return matchesSelector(pod.metadata.labels, deployment.spec.selector);
}

function isWaitingInCrashLoop(status: ContainerStatus): boolean {
  return status.state?.waiting?.reason === CRASH_LOOP;
}

/** The first container (init containers included) waiting in CrashLoopBackOff, if any. */
export function crashLoopingContainer(pod: Pod): string | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.find(isWaitingInCrashLoop)?.name;
}

export function isCrashLooping(pod: Pod): boolean {
  return crashLoopingContainer(pod) !== undefined;
}

export interface CrashReport {
  pod: string;
  container: string;
}

/** The first live pod of `deployment` that crash-loops, in name order so the answer is stable. */
export function findCrashLoopingPod(pods: readonly Pod[], deployment: Deployment): CrashReport | undefined {
  const candidates = pods
    .filter((pod) => !isTerminating(pod) && belongsToDeployment(pod, deployment))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of candidates) {
    const container = crashLoopingContainer(pod);
    if (container !== undefined) return { pod: pod.metadata.name, container };
  }
  return undefined;
}
