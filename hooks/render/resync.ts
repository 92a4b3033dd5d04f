/**
 * Owns resyncAfterSeconds: when Metacontroller should call sync again for
 * this Canary on its own, when no watch would (a step due, a pause ending,
 * a deadline, replicas still starting).
 */
import type { Availability } from '../k8s/deployments.js';
import {
  deadlineOf,
  dueTime,
  hasReachedStep,
  isPartWay,
  isPaused,
  type Progress,
} from '../machine/position.js';
import type { Observed } from '../observed/observed.js';
import { unreadPods } from '../status/pods.js';

/** How soon to look again while waiting for the new replicas to become available. */
export const AVAILABILITY_RETRY_SECONDS = 10;

/** When the Canary should next be looked at on its own: a step due, a pause ending, a deadline. */
export function resyncAfter(
  p: Progress,
  o: Observed,
  waiting: Availability | undefined,
  surging: boolean,
): number {
  const wakeups: number[] = [];
  // Old replicas held for new ones still starting: look again soon to let them go.
  if (surging) wakeups.push(AVAILABILITY_RETRY_SECONDS);
  // Pods that could not be read are tried again soon, not at the next tick.
  if (unreadPods(p, o) !== undefined) wakeups.push(AVAILABILITY_RETRY_SECONDS);
  const ms = (time: number) => (time - o.now.getTime()) / 1000;
  if (isPaused(p)) {
    if (p.pause.until !== null) wakeups.push(ms(Date.parse(p.pause.until)));
  } else if (p.state === 'running') {
    const due = dueTime(p, o);
    if (waiting) wakeups.push(AVAILABILITY_RETRY_SECONDS);
    else if (due !== undefined) wakeups.push(ms(due.getTime()));
  }
  const deadline = isPartWay(p, o) && o.spec.enableRollback ? deadlineOf(p, o) : undefined;
  if (deadline !== undefined && !hasReachedStep(p, o)) {
    wakeups.push(ms(deadline));
  }
  if (wakeups.length === 0) return 0;
  return Math.max(1, Math.ceil(Math.min(...wakeups)));
}
