/**
 * Owns pods on demand (docs/design.md §11), the server's entry point before a sync: Metacontroller is asked for no pods,
 * because it would cache every pod of the cluster to hand us a few. The
 * server reads the new Deployment's pods itself, and only when section 5
 * could use them; this file says, from the request alone, whether it must
 * and what to ask for. Pure: the server does the reading.
 */
import { describeSelector, isEmptySelector } from './k8s/selectors.js';
import { observedDeployments } from './observed/request.js';
import { startingPoint } from './observed/start.js';
import { POD_RELATED_KEY, type Deployment, type LabelSelector, type SyncRequest } from './wire/index.js';

export type { PodReadCause, PodReadFailure } from './observed/request.js';

/** One `list` of pods: where, and with which label selector (the new Deployment's `spec.selector`). */
export interface PodReadPlan {
  namespace: string;
  deployment: string;
  selector: LabelSelector;
  /** `selector` as the API's `labelSelector` query parameter. */
  labelSelector: string;
}

/** A CompositeController installed before §11 still sends pods; they are used as they are, unread. */
export function hasRelatedPods(request: Pick<SyncRequest, 'related'>): boolean {
  const related = request.related;
  return related !== null && related !== undefined && Object.hasOwn(related, POD_RELATED_KEY);
}

/**
 * Every asked-for replica is available and the controller has seen the
 * latest spec. A container waiting in CrashLoopBackOff is never Ready, so a
 * crash-looping Deployment always fails this: skipping the read when it
 * holds loses no rollback.
 */
export function isFullyAvailable(deployment: Deployment): boolean {
  const asked = deployment.spec.replicas ?? 1;
  const status = deployment.status ?? {};
  const available = status.availableReplicas ?? 0;
  const unavailable = status.unavailableReplicas ?? 0;
  const generation = deployment.metadata.generation ?? 0;
  return available >= asked && unavailable === 0 && (status.observedGeneration ?? 0) >= generation;
}

/**
 * Section 5 could roll back on a crashing pod: rollback is on, the Canary is
 * part-way (neither pending, rolled back, nor complete) and the new
 * Deployment asks for replicas it does not fully have. Everything else (a
 * Canary at rest, most of them) costs no read.
 */
export function podsCouldDecide(request: Pick<SyncRequest, 'parent' | 'children'>): boolean {
  return newDeploymentToRead(request) !== undefined;
}

function newDeploymentToRead(request: Pick<SyncRequest, 'parent' | 'children'>): Deployment | undefined {
  const canary = request.parent;
  if (canary.spec?.enableRollback === false) return undefined;
  const deployments = observedDeployments(request);
  // The same starting point the sync hook takes, so the two never disagree
  // on whether the Canary is part-way.
  const prior = startingPoint(canary, deployments);
  if (prior.state === 'complete' || prior.currentStep === 0) return undefined;
  const name = canary.spec?.newDeployment;
  const deployment = typeof name === 'string' ? deployments.get(name) : undefined;
  if (deployment === undefined) return undefined;
  if ((deployment.spec.replicas ?? 1) === 0 || isFullyAvailable(deployment)) return undefined;
  return deployment;
}

/**
 * The read the server must make before deciding, or undefined when none is
 * needed: pods came in the request, or the gate says they could not matter.
 * A Deployment with an empty selector (the API refuses one) is never read:
 * it would list every pod of the namespace.
 */
export function podReadPlan(
  request: Pick<SyncRequest, 'parent' | 'children' | 'related'>,
): PodReadPlan | undefined {
  if (hasRelatedPods(request)) return undefined;
  const deployment = newDeploymentToRead(request);
  const selector = deployment?.spec.selector;
  if (deployment === undefined || selector === undefined || isEmptySelector(selector)) return undefined;
  return {
    namespace: request.parent.metadata.namespace ?? 'default',
    deployment: deployment.metadata.name,
    selector,
    labelSelector: describeSelector(selector),
  };
}

/** Metacontroller's own default when a webhook sets no timeout. */
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

const GO_DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as Metacontroller reads `webhook.timeout` ("10s", "1m30s", "500ms"), or undefined. */
export function parseGoDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, value, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(value) * (GO_DURATION_UNITS[unit as string] as number);
  }
  return total > 0 ? total : undefined;
}

/** The sync hook's timeout of the CompositeController that sent the request (it comes whole in `controller`). */
export function syncHookTimeoutMs(controller: unknown): number {
  const spec = (
    controller as { spec?: { hooks?: { sync?: { webhook?: { timeout?: unknown } } } } } | undefined
  )?.spec;
  return parseGoDuration(spec?.hooks?.sync?.webhook?.timeout) ?? DEFAULT_HOOK_TIMEOUT_MS;
}

/**
 * How long the read may take: the configured limit, but never more than a
 * third of the hook's timeout, so the sync still answers (without pods) well
 * before Metacontroller gives up on it.
 */
export function podReadTimeoutMs(configuredMs: number, controller: unknown): number {
  return Math.max(1, Math.min(configuredMs, Math.floor(syncHookTimeoutMs(controller) / 3)));
}
