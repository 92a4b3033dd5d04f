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
  /** With a router (hooks/traffic.ts): the percent the route is to send the new version. */
  weight?: number;
}

export interface Placer {
  place(rollout: Rollout, step: number, complete: boolean): Placement;
}

/**
 * Surge first (SPEC 7a): the new Deployment gets the step's replicas at
 * once, and the old one gives up only as many as the new one has available
 * (*choice*: replica by replica, so serving capacity never drops below the
 * total because of a step, and the old replicas reach the step's split the
 * sync the new ones are all available). Scaling the old one up (a rollback,
 * a step back) happens at once. `observedOld` is what the old Deployment
 * asks now; `newAvailable` how many of the new one's replicas are available.
 */
export function surged(
  target: Placement,
  totalReplicas: number,
  observedOld: number,
  newAvailable: number,
): Placement {
  const replaced = Math.min(newAvailable, target.newReplicas);
  // Never below the target (target.old + replaced <= total), never above what the available new leave room for.
  const held = Math.min(Math.max(observedOld, target.oldReplicas), totalReplicas - replaced);
  return { oldReplicas: held, newReplicas: target.newReplicas };
}

/** Without a router the replicas are the whole story: `new` is what the step asks, `old` the rest. */
export const replicaPlacer: Placer = {
  place(rollout, step, complete) {
    const total = rollout.totalReplicas;
    const newReplicas = complete || completesOnEntry(rollout, step) ? total : newReplicasAt(rollout, step);
    return { oldReplicas: total - newReplicas, newReplicas };
  },
};
