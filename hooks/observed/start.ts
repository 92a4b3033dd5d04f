/**
 * Owns where a sync starts from: the parent's status, or the newer decision
 * a Deployment records (hooks/observed/record.ts). With the numbering of
 * hooks/render/numbered.ts, the use of the record that makes a stale parent
 * view harmless.
 */
import type { Canary, Deployment } from '../wire/index.js';
import { readPriorStatus, type PriorStatus } from './prior.js';
import { newestRecord, priorFromRecord } from './record.js';

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
