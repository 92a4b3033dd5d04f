/**
 * Owns what the status says while the pods could not be read
 * (docs/design.md §11): the words, the condition reason, and the Warning
 * announced once per cause.
 */
import { findCondition } from '../k8s/conditions.js';
import { isPartWay, type Progress } from '../machine/position.js';
import { transition, type Transition } from '../machine/transitions.js';
import type { Observed } from '../observed/observed.js';
import type { PodReadFailure } from '../observed/request.js';
import type { PriorStatus } from '../observed/prior.js';

/** API messages can be long; the status and the Event keep the first part. */
const MAX_DETAIL = 300;

/** The same words on every sync while the cause is the same, so the status is written once. */
export function podsUnreadText(deployment: string, failure: PodReadFailure): string {
  const detail =
    failure.detail.length > MAX_DETAIL ? `${failure.detail.slice(0, MAX_DETAIL - 3)}...` : failure.detail;
  return (
    `pods of ${deployment} could not be read (${failure.cause}: ${detail}); ` +
    'no step and no automatic rollback on a crash until they can'
  );
}

/** The condition reason while the pods cannot be read. */
export const PODS_UNREAD_REASON = 'PodsUnreadable';

/** Pods were needed and could not be read, and the Canary is still where they matter. */
export function unreadPods(p: Progress, o: Observed): string | undefined {
  if (o.podsUnread === undefined || !isPartWay(p, o)) return undefined;
  return podsUnreadText(o.spec.newDeployment, o.podsUnread);
}

export function capitalised(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/**
 * A Warning the first time the pods cannot be read for a cause, not on every
 * sync while they cannot: the prior status's `Progressing` already names the
 * cause when it was announced (docs/design.md §11).
 */
export function podsUnreadTransition(p: Progress, o: Observed, prior: PriorStatus): Transition | undefined {
  const unread = unreadPods(p, o);
  if (unread === undefined || o.podsUnread === undefined) return undefined;
  const before = findCondition(prior.conditions, 'Progressing');
  const cause = `(${o.podsUnread.cause}:`;
  if (before?.reason === PODS_UNREAD_REASON && before.message.includes(cause)) return undefined;
  return {
    ...transition('PodsUnreadable', PODS_UNREAD_REASON, capitalised(unread), p, p, true),
    eventKey: `pods-${o.podsUnread.cause.toLowerCase()}`,
  };
}
