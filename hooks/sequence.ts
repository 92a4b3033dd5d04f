/**
 * Numbering decisions and choosing where a sync starts from: the two uses
 * of the decision record (hooks/record.ts) that make a stale parent view
 * harmless.
 */
import { encodeRecord, newestRecord, priorFromRecord, recordOf, sameDecision } from './record.js';
import { readPriorStatus, type PriorStatus } from './status.js';
import type { Canary, CanaryStatus, Deployment } from './wire/index.js';

/**
 * Numbers the decision: the number goes up only when the decision differs
 * from the one the sync started from, so a sync that changes nothing leaves
 * the record, and the Deployments carrying it, as they are.
 */
export function numbered(
  status: Omit<CanaryStatus, 'sequence'>,
  prior: PriorStatus,
  uid: string,
): { status: CanaryStatus; record: string } {
  const before = recordOf(prior, uid, prior.sequence);
  const sequence = sameDecision(recordOf(status, uid, 0), before) ? prior.sequence : prior.sequence + 1;
  return { status: { ...status, sequence }, record: encodeRecord(recordOf(status, uid, sequence)) };
}

/**
 * Where the sync starts from: the parent's status, or, when a Deployment
 * records a later decision than that status, the decision it records (the
 * parent came from a cache that has not seen the status write yet, or that
 * write was lost).
 */
export function startingPoint(canary: Canary, deployments: ReadonlyMap<string, Deployment>): PriorStatus {
  const fromParent = readPriorStatus(canary.status);
  const record = newestRecord(deployments.values(), canary.metadata.uid ?? '');
  return record && record.sequence > fromParent.sequence ? priorFromRecord(record, fromParent) : fromParent;
}
