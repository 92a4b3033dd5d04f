/**
 * Owns where a position in the rollout puts the app: the replicas of the
 * two Deployments, and the share of the app on the new version. This is the
 * seam for traffic routing (docs/design.md §9): with a router the weight goes
 * on a route and the replicas only carry it, behind the same interface.
 * Which router, and in what order the route and the replicas move, is
 * hooks/traffic/'s; here only what a position asks.
 */
import { completesOnEntry, newReplicasAt, setStepAt, type Rollout } from './rollout.js';
import { replicasForWeight, weightOf } from './weights.js';

export interface Placement {
  oldReplicas: number;
  newReplicas: number;
  /** With a router: the percent the route is to send the new version. */
  weight?: number;
}

export interface Placer {
  place(rollout: Rollout, step: number, complete: boolean): Placement;
}

/**
 * Surge first (docs/design.md §7a): the new Deployment gets the step's replicas at
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
const replicaPlacer: Placer = {
  place(rollout, step, complete) {
    const total = rollout.totalReplicas;
    const newReplicas = complete || completesOnEntry(rollout, step) ? total : newReplicasAt(rollout, step);
    return { oldReplicas: total - newReplicas, newReplicas };
  },
};

export interface RoutedPlacement extends Placement {
  weight: number;
}

/**
 * The weight and new replicas a position asks with a router:
 * `new = ceil(total * w / 100)`, and the old Deployment keeps
 * `totalReplicas` until the Canary completes. A setReplicas step (and the
 * shorthand) keeps the weight proportional, round(100 * new / total), and
 * never gets fewer replicas than it names (*choice*: ceil of a rounded-down
 * weight can be one short of them).
 */
function routedTarget(rollout: Rollout, step: number, complete: boolean): RoutedPlacement {
  const total = rollout.totalReplicas;
  if (complete || completesOnEntry(rollout, step)) {
    return { oldReplicas: 0, newReplicas: total, weight: 100 };
  }
  const s = setStepAt(rollout, step);
  if (s === undefined) return { oldReplicas: total, newReplicas: 0, weight: 0 };
  if (s.weight !== undefined) {
    return { oldReplicas: total, newReplicas: replicasForWeight(total, s.weight), weight: s.weight };
  }
  const weight = weightOf(s.newReplicas, total);
  const newReplicas = Math.max(s.newReplicas, replicasForWeight(total, weight));
  return { oldReplicas: total, newReplicas: Math.min(newReplicas, total), weight };
}

const routerPlacer: Placer = { place: routedTarget };

/** The placer of a Canary with a router (spec.trafficRouting) or without. */
export function placerFor(routed: boolean): Placer {
  return routed ? routerPlacer : replicaPlacer;
}

/** The weight a placement gives: the route's with a router, what the replicas give without. */
export function weightOfPlacement(split: Placement, totalReplicas: number): number {
  return split.weight ?? weightOf(split.newReplicas, totalReplicas);
}
