/**
 * Traffic routing's decision (SPEC section 9), the same for every router:
 * the weight a position asks, the replicas that carry it, and the order in
 * which the two move so that no request meets a version that cannot serve
 * it. Routers (hooks/routers/) only read and write their kind of route.
 *
 * With a router, `new = ceil(total * w / 100)` and the old Deployment keeps
 * `totalReplicas` until the Canary completes. The order, from the route as
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
import { availability } from './k8s/deployments.js';
import type { Problem } from './errors.js';
import type { RoutedPlacement } from './steps/placement.js';
import { carriedBy, replicasForWeight } from './steps/weights.js';
import { routerFor } from './routers/registry.js';
import { observedRoute } from './routers/related.js';
import type { AnyRouter, TrafficRouting } from './routers/registry.js';
import { exposure, readRoute, routePatch, shownWeight, type TouchedRule } from './routers/rules.js';
import type { CanarySpec } from './spec/parse.js';
import type { Canary, Deployment, ObservedRelated, RouteWrite } from './wire/index.js';

/** The route as this sync sees it. */
export interface TrafficView {
  router: AnyRouter;
  routing: TrafficRouting;
  namespace: string;
  rules: TouchedRule[];
  /** The weight every touched rule shows, or undefined when they disagree or split otherwise. */
  shown: number | undefined;
  /** The largest percent of requests any touched rule sends to the new version. */
  exposure: number;
}

export type TrafficObservation =
  { ok: true; view: TrafficView | undefined } | { ok: false; problem: Problem };

/** Reads the route the spec names out of the related objects, or says what is wrong with it. */
export function observeTraffic(
  spec: CanarySpec,
  canary: Canary,
  related: ObservedRelated | null | undefined,
): TrafficObservation {
  const routing = spec.trafficRouting;
  if (routing === undefined) return { ok: true, view: undefined };
  const router = routerFor(routing);
  const namespace = canary.metadata.namespace ?? 'default';
  const name = router.routeName(routing);
  const route = observedRoute(related, router, routing);
  if (route === undefined) {
    const message =
      `${router.kind} ${name} (spec.trafficRouting.${router.id}.${router.routeField}) not found in ` +
      `namespace ${namespace}: it may not exist yet, or its CRD (${router.resource}.${router.group}, ` +
      `${router.version}) is not installed`;
    return { ok: false, problem: { kind: 'RouteInvalid', reason: 'RouteNotFound', message } };
  }
  const reading = readRoute(router, routing, route);
  if (!reading.ok) {
    return { ok: false, problem: { kind: 'RouteInvalid', reason: reading.reason, message: reading.message } };
  }
  return {
    ok: true,
    view: {
      router,
      routing,
      namespace,
      rules: reading.rules,
      shown: shownWeight(reading.rules),
      exposure: exposure(reading.rules),
    },
  };
}

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

/** The route still has to catch up with this sync's decision: look again soon. */
export function isUnsettled(target: RoutedPlacement, split: RoutedPlacement, view: TrafficView): boolean {
  return (
    split.weight !== target.weight ||
    view.shown !== split.weight ||
    split.newReplicas !== target.newReplicas ||
    split.oldReplicas !== target.oldReplicas
  );
}

// ---------------------------------------------------------------- writing

/** The write that puts `weight` on the route, or undefined when every touched rule shows it. */
export function routeWriteFor(view: TrafficView, weight: number): RouteWrite | undefined {
  const patch = routePatch(view.router, view.routing, view.rules, weight);
  if (patch.length === 0) return undefined;
  const r = view.router;
  return {
    router: r.id,
    route: {
      group: r.group,
      version: r.version,
      resource: r.resource,
      kind: r.kind,
      namespace: view.namespace,
      name: r.routeName(view.routing),
    },
    patch,
    weight,
  };
}

/** `HTTPRoute backend-canary: 10% to backend backend-v2, 90% to backend backend-v1 (rule 0)`. */
export function describeWeight(view: TrafficView, weight: number): string {
  const { router, routing } = view;
  const rules = view.rules.map((r) => r.label).join(', ');
  return (
    `${router.kind} ${router.routeName(routing)}: ${weight}% to ${router.describe(routing, 'new').name}, ` +
    `${100 - weight}% to ${router.describe(routing, 'old').name} (${rules})`
  );
}
