/**
 * Owns status.message: the words for where the Canary stands, which
 * round 1's users and scripts read (MESSAGES keeps them as they were).
 */
import type { Availability } from '../k8s/deployments.js';
import { findCrashLoopingPod } from '../k8s/pods.js';
import { untilText } from '../machine/moves.js';
import { isPaused, isRolledBack, type Progress } from '../machine/position.js';
import type { Observed } from '../observed/observed.js';
import { unreadPods } from './pods.js';

export const MESSAGES = {
  pending: 'Canary is Pending',
  running: 'Canary is Running',
  stopped: 'Canary is Stopped',
  complete: 'Canary is complete',
  paused: (step: number) => `Canary is Paused at step ${step}`,
  rolledBack: (time: string) => `[${time}] Canary is rollbacked`,
} as const;

export function stateMessage(p: Progress, o: Observed, waiting: Availability | undefined): string {
  if (p.state === 'complete') return MESSAGES.complete;
  const unread = unreadPods(p, o);
  if (unread !== undefined) {
    return `${p.state === 'running' ? MESSAGES.running : MESSAGES.stopped}: ${unread}`;
  }
  if (p.state === 'running') {
    const crash = o.spec.enableRollback ? undefined : findCrashLoopingPod(o.pods, o.newDeployment);
    if (crash) {
      return `${MESSAGES.running}: container ${crash.container} of pod ${crash.pod} is in CrashLoopBackOff (automatic rollback is disabled)`;
    }
    if (isPaused(p)) return `${MESSAGES.paused(p.step)} ${untilText(p.pause)}`;
    return waiting ? `${MESSAGES.running}: waiting for ${waiting.waitingFor}` : MESSAGES.running;
  }
  if (isRolledBack(p) && p.rollback) return MESSAGES.rolledBack(p.rollback.time);
  return p.step === 0 ? MESSAGES.pending : MESSAGES.stopped;
}
