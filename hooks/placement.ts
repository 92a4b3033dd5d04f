/**
 * Where a position in the rollout puts the app: the replicas of the two
 * Deployments, and the share of the app on the new version. This is the
 * seam for traffic routing (SPEC section 9): a router places the weight on a
 * route and only asks replicas to carry it, behind the same interface.
 */
import { completesOnEntry, newReplicasAt, type Rollout } from './rollout.js';

export interface Placement {
  oldReplicas: number;
  newReplicas: number;
}

export interface Placer {
  place(rollout: Rollout, step: number, complete: boolean): Placement;
}

/** Without a router the replicas are the whole story: `new` is what the step asks, `old` the rest. */
export const replicaPlacer: Placer = {
  place(rollout, step, complete) {
    const total = rollout.totalReplicas;
    const newReplicas = complete || completesOnEntry(rollout, step) ? total : newReplicasAt(rollout, step);
    return { oldReplicas: total - newReplicas, newReplicas };
  },
};
