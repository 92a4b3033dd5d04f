/**
 * Owns traffic routing's order (docs/design.md §9), the same for every router:
 * given the weight and replicas a position asks (hooks/steps/placement.ts),
 * in which order the two move so that no request meets a version that
 * cannot serve it. Routers (hooks/routers/) only read and write their kind
 * of route.
 *
 * The order, from the route as
 * observed (Metacontroller hands it over on every sync, and calls again when
 * it changes):
 * - a weight goes up only once the new replicas for it are available;
 * - a weight goes down at once (a rollback to 0 first of all), and the new
 *   replicas the route still sends traffic to stay until a later sync
 *   reads the lower weight back;
 * - on completion the weight goes to 100 once every new replica is
 *   available, and the old Deployment is scaled down once the route shows it.
 * Every replica count is decided from the route before this sync's write, so
 * a write that fails moves nothing (see hooks/routers/router.ts).
 */
import { availability } from '../k8s/deployments.js';
import type { TrafficView } from '../observed/route.js';
import type { RoutedPlacement } from '../steps/placement.js';
import { carriedBy, replicasForWeight } from '../steps/weights.js';
import type { Deployment } from '../wire/index.js';

/**
 * What this sync asks, given the route as observed: the weight to write and
 * the replicas, in the order of the module comment. `ready`: the new
 * Deployment has the target's replicas available.
 */
export function routedSplit(
  target: RoutedPlacement,
  view: TrafficView,
  newDeployment: Deployment,
  totalReplicas: number,
): RoutedPlacement {
  const w = target.weight;
  const ready = availability(newDeployment, target.newReplicas).ready;
  let weight: number;
  if (ready || (view.shown !== undefined && w <= view.shown)) weight = w;
  else if (view.shown !== undefined) weight = view.shown;
  else weight = Math.min(w, carriedBy(totalReplicas, newDeployment.status?.availableReplicas ?? 0));
  // Replicas the route still sends requests to stay (never more than there are) until it shows less.
  const carrying = Math.min(
    replicasForWeight(totalReplicas, view.exposure),
    newDeployment.spec.replicas ?? 0,
  );
  const newReplicas = Math.max(target.newReplicas, carrying);
  const oldReplicas = target.oldReplicas === 0 && view.shown !== 100 ? totalReplicas : target.oldReplicas;
  return { oldReplicas, newReplicas, weight };
}
