/** Owns what a pod tells: which Deployment's it is, and whether it is crashing. */
import { matchesSelector } from './selectors.js';
import type { ContainerStatus, Deployment, Pod } from '../wire/index.js';

const POD_TEMPLATE_HASH = 'pod-template-hash';
const CRASH_LOOP = 'CrashLoopBackOff';

/** A pod already being deleted is on its way out; its last crash says nothing about what runs now. */
function isTerminating(pod: Pod): boolean {
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
function belongsToDeployment(pod: Pod, deployment: Deployment): boolean {
  const hash = pod.metadata.labels?.[POD_TEMPLATE_HASH];
  if (!hash) return false;
  if (owningReplicaSetName(pod) !== `${deployment.metadata.name}-${hash}`) return false;
  return matchesSelector(pod.metadata.labels, deployment.spec.selector);
}

function isWaitingInCrashLoop(status: ContainerStatus): boolean {
  return status.state?.waiting?.reason === CRASH_LOOP;
}

function firstCrashLooping(statuses: readonly ContainerStatus[] | undefined): string | undefined {
  if (statuses === undefined) return undefined;
  for (const status of statuses) if (isWaitingInCrashLoop(status)) return status.name;
  return undefined;
}

/** The first container (init containers included) waiting in CrashLoopBackOff, if any. */
function crashLoopingContainer(pod: Pod): string | undefined {
  return (
    firstCrashLooping(pod.status?.initContainerStatuses) ?? firstCrashLooping(pod.status?.containerStatuses)
  );
}

export interface CrashReport {
  pod: string;
  container: string;
}

/**
 * The first live pod of `deployment` that crash-loops, in name order so the
 * answer is stable. One pass, cheapest test first: this runs on every sync of
 * a Canary part-way through, over every pod of the app, and almost always
 * finds nothing, so sorting them all by name first was wasted work.
 */
export function findCrashLoopingPod(pods: readonly Pod[], deployment: Deployment): CrashReport | undefined {
  let first: CrashReport | undefined;
  for (const pod of pods) {
    const container = crashLoopingContainer(pod);
    if (container === undefined || isTerminating(pod) || !belongsToDeployment(pod, deployment)) continue;
    if (first === undefined || pod.metadata.name.localeCompare(first.pod) < 0) {
      first = { pod: pod.metadata.name, container };
    }
  }
  return first;
}
