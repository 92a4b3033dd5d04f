/**
 * Owns the numbering of decisions: status.sequence, and the decision record
 * (hooks/observed/record.ts) stamped with the same number.
 */
import { encodeRecord, recordOf, sameDecision } from '../observed/record.js';
import type { PriorStatus } from '../observed/prior.js';
import type { CanaryStatus } from '../wire/index.js';

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
