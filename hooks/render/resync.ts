/**
 * Owns resyncAfterSeconds: when Metacontroller should call sync again for
 * this Canary on its own, for what no watch brings (a step due, a pause
 * ending, a deadline, a pod read to retry).
 */
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

/**
 * The moments only a clock brings, when nothing in the cluster changes: the
 * end of a timed pause, the tick the next step is due at, the progress
 * deadline of a step not yet reached. Everything else this Canary waits for
 * changes one of its Deployments or its route (new replicas available, a
 * surge's old replicas let go, a weight written), and Metacontroller syncs
 * the Canary on every change of a child or a related object, so asking for
 * a poll would only repeat the last answer (docs/design.md §7).
 */
function clockWakeups(p: Progress, o: Observed): number[] {
  const at: number[] = [];
  if (isPaused(p)) {
    if (p.pause.until !== null) at.push(Date.parse(p.pause.until));
  } else if (p.state === 'running') {
    const due = dueTime(p, o);
    if (due !== undefined) at.push(due.getTime());
  }
  const deadline = isPartWay(p, o) && o.spec.enableRollback ? deadlineOf(p, o) : undefined;
  if (deadline !== undefined && !hasReachedStep(p, o)) at.push(deadline);
  // The seam for metric analysis (docs/design.md §13): the time its next measurement is due goes here.
  return at;
}

/**
 * `resyncAfterSeconds`: the next clock wakeup still ahead, or 0 to leave it
 * to watch events and the CompositeController's `resyncPeriodSeconds`, the
 * safety net for an event lost on the way. A time already past (a step due
 * that waits for its replicas) is what an event will bring, not a reason to
 * poll.
 */
export function resyncAfter(p: Progress, o: Observed): number {
  const ahead = clockWakeups(p, o)
    .map((time) => (time - o.now.getTime()) / 1000)
    .filter((seconds) => seconds > 0);
  // A read that failed is tried again soon: nothing watched brings the API back.
  if (unreadPods(p, o) !== undefined) ahead.push(POD_RETRY_SECONDS);
  if (ahead.length === 0) return 0;
  return Math.max(1, Math.ceil(Math.min(...ahead)));
}

/** How soon a sync whose pods could not be read tries again (docs/design.md §11). */
export const POD_RETRY_SECONDS = 10;
