/**
 * Owns the route as this sync sees it: the route spec.trafficRouting names,
 * read out of the related objects through its router (hooks/routers/), or
 * why it cannot carry the Canary.
 */
import { routerFor, type AnyRouter, type TrafficRouting } from '../routers/registry.js';
import { observedRoute } from '../routers/related.js';
import { exposure, readRoute, shownWeight, type TouchedRule } from '../routers/rules.js';
import type { CanarySpec } from '../spec/parse.js';
import type { Canary, ObservedRelated } from '../wire/index.js';
import type { Problem } from './problem.js';

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
