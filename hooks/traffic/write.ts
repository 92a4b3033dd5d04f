/**
 * Owns the write on the route a sync hands the server (hooks/routers/router.ts
 * says how it is carried out), its announcement, and the words for a weight
 * on a route.
 */
import { transition, type Transition } from '../machine/transitions.js';
import type { Progress } from '../machine/position.js';
import type { Observed } from '../observed/observed.js';
import type { TrafficView } from '../observed/route.js';
import { routePatch } from '../routers/rules.js';
import type { RouteWrite } from '../wire/index.js';

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

/** The weight written this sync, announced once per weight and decision. */
export function trafficTransitions(o: Observed, p: Progress, write: RouteWrite | undefined): Transition[] {
  if (o.traffic === undefined || write === undefined) return [];
  const t = transition('WeightSet', 'WeightSet', `Set ${describeWeight(o.traffic, write.weight)}`, p, p);
  return [{ ...t, eventKey: `w${write.weight}` }];
}
