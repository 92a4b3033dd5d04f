/**
 * Owns the route as a related resource: what customize asks Metacontroller for,
 * and where the sync request then carries it.
 */
import { isPlainObject } from '../k8s/json.js';
import { ROUTERS } from './registry.js';
import { relatedKey, type RouteObject, type Router, type RoutingConfig } from './router.js';
import type { Canary, ObservedRelated, RelatedResourceRule } from '../wire/index.js';

/**
 * One rule by name per router block whose route name is a string. Even a
 * spec the sync hook will refuse (both routers) asks for what it names, so
 * the error message can say whether the routes exist; a malformed name asks
 * for nothing. Always in the Canary's namespace: Metacontroller v4.17 looks
 * a name up in every namespace when the rule names none.
 */
export function routeRules(canary: Canary): RelatedResourceRule[] {
  const routing = canary.spec?.trafficRouting;
  if (!isPlainObject(routing)) return [];
  const namespace = canary.metadata.namespace ?? 'default';
  const rules: RelatedResourceRule[] = [];
  for (const router of ROUTERS) {
    const block = routing[router.id];
    const name = isPlainObject(block) ? block[router.routeField] : undefined;
    if (typeof name !== 'string' || name === '') continue;
    rules.push({
      apiVersion: `${router.group}/${router.version}`,
      resource: router.resource,
      namespace,
      names: [name],
    });
  }
  return rules;
}

/** The route a sync request carries for this routing, or undefined when Metacontroller found none. */
export function observedRoute<C extends RoutingConfig>(
  related: ObservedRelated | null | undefined,
  router: Router<C>,
  routing: C,
): RouteObject | undefined {
  const byName = (related as Record<string, unknown> | null | undefined)?.[relatedKey(router)];
  if (!isPlainObject(byName)) return undefined;
  const route = byName[router.routeName(routing)];
  return isPlainObject(route) ? (route as RouteObject) : undefined;
}
