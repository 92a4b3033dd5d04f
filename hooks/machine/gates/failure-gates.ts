/**
 * Owns the gates that fail the new version: a crash-looping pod, or a step
 * whose replicas missed their progress deadline.
 */
import { findCrashLoopingPod } from '../../k8s/pods.js';
import { deadlineOf, hasReachedStep, newReplicasAvailability } from '../position.js';
import type { FailureGate } from './gate.js';

export const crashLoopGate: FailureGate = {
  name: 'CrashLoop',
  failure(_p, o) {
    const crash = findCrashLoopingPod(o.pods, o.newDeployment);
    if (crash === undefined) return undefined;
    return {
      reason: 'CrashLoopBackOff',
      detail: `container ${crash.container} of pod ${crash.pod} is in CrashLoopBackOff`,
    };
  },
};

export const deadlineGate: FailureGate = {
  name: 'ProgressDeadline',
  failure(p, o) {
    const deadline = deadlineOf(p, o);
    if (deadline === undefined || o.now.getTime() < deadline || hasReachedStep(p, o)) return undefined;
    const ready = newReplicasAvailability(p, o);
    return {
      reason: 'ProgressDeadlineExceeded',
      detail:
        `${ready.available} of ${ready.asked} replicas of ${o.spec.newDeployment} available ` +
        `${o.spec.progressDeadlineSeconds}s after step ${p.step}`,
    };
  },
};
