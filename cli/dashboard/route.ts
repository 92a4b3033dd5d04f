/**
 * The route of a Canary with `spec.trafficRouting` (docs/design.md §9), read
 * from the API when its page is drawn: the weight each rule that names both
 * versions gives them. A read, not a watch: routes change with the Canary,
 * and a watch of a kind whose CRD may not even be installed would fail for
 * every Canary without routing.
 *
 * Which backends are the Canary's is the sync hook's own reading
 * (hooks/routers/): the same parse of spec.trafficRouting and the same
 * matching of backends, so the plugin counts exactly the rules the service
 * writes (a backendRef of another kind or namespace is not the Service of
 * that name) and refuses the routes it refuses, in its words.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { fromApiError } from '../errors.js';
import type { Target } from '../kube.js';
import type { Canary } from '../../hooks/wire/index.js';
import { isPlainObject } from '../../hooks/k8s/json.js';
import {
  parseTrafficRouting,
  routerFor,
  ROUTERS,
  type AnyRouter,
  type TrafficRouting,
} from '../../hooks/routers/registry.js';
import type { RouteObject } from '../../hooks/routers/router.js';
import { readRoute } from '../../hooks/routers/rules.js';

export interface RouteRule {
  label: string;
  old: number | undefined;
  new: number | undefined;
}

export interface RouteView {
  kind: string;
  name: string;
  oldBackend: string;
  newBackend: string;
  rules: RouteRule[];
  /** Why it could not be read. */
  error?: string;
  /** Why the service cannot set a weight on it (the message the Canary's error carries); `rules` is empty. */
  problem?: string;
}

export interface RouteRef {
  router: AnyRouter;
  name: string;
  oldBackend: string;
  newBackend: string;
  /** Undefined when spec.trafficRouting does not parse; `problem` says why. */
  routing?: TrafficRouting;
  problem?: string;
}

/**
 * What `spec.trafficRouting` points at, or undefined when it is not set. A
 * block the hook refuses still names its route when it has a name, so the
 * page can say why no weight is set on it; one that names no route is left
 * to the Canary's own message.
 */
export function routeRef(canary: Canary): RouteRef | undefined {
  const raw = (canary.spec as Record<string, unknown>).trafficRouting;
  const parsed = parseTrafficRouting(raw);
  if (parsed.ok) {
    if (parsed.routing === undefined) return undefined;
    const router = routerFor(parsed.routing);
    return {
      router,
      name: router.routeName(parsed.routing),
      oldBackend: router.backendName(parsed.routing, 'old'),
      newBackend: router.backendName(parsed.routing, 'new'),
      routing: parsed.routing,
    };
  }
  for (const router of ROUTERS) {
    const block = isPlainObject(raw) ? raw[router.id] : undefined;
    const name = isPlainObject(block) ? block[router.routeField] : undefined;
    if (typeof name === 'string' && name !== '') {
      return { router, name, oldBackend: '', newBackend: '', problem: parsed.problem.message };
    }
  }
  return undefined;
}

/** The rules the service would write, as the route shows them now. */
export function routeRules(ref: RouteRef, route: RouteObject): Pick<RouteView, 'rules' | 'problem'> {
  if (ref.routing === undefined) return { rules: [], problem: ref.problem };
  const reading = readRoute(ref.router, ref.routing, route);
  if (!reading.ok) return { rules: [], problem: reading.message };
  return {
    rules: reading.rules.map((r) => ({
      // As the route's YAML points at it: `rules[0]` for an HTTPRoute, the http route's name for a VirtualService.
      label: r.ref,
      old: r.oldWeight,
      new: r.newWeight,
    })),
  };
}

export type RouteReader = (canary: Canary) => Promise<RouteView | undefined>;

export function createRouteReader(target: Target): RouteReader {
  const custom = target.config.makeApiClient(CustomObjectsApi);
  return async (canary) => {
    const ref = routeRef(canary);
    if (!ref) return undefined;
    const namespace = canary.metadata.namespace ?? target.namespace;
    const view: RouteView = {
      kind: ref.router.kind,
      name: ref.name,
      oldBackend: ref.oldBackend,
      newBackend: ref.newBackend,
      rules: [],
    };
    // A spec the hook refuses sets no weight: nothing on the route to compare with.
    if (ref.routing === undefined) return { ...view, problem: ref.problem };
    try {
      const route = await custom.getNamespacedCustomObject({
        group: ref.router.group,
        version: ref.router.version,
        namespace,
        plural: ref.router.resource,
        name: ref.name,
      });
      const object = (isPlainObject(route) ? route : {}) as RouteObject;
      // The hook reads a route Metacontroller lists in the Canary's namespace; so is this one.
      const inNamespace = { ...object, metadata: { ...object.metadata, namespace } };
      Object.assign(view, routeRules(ref, inNamespace));
    } catch (err) {
      view.error = fromApiError(err, {
        what: `${ref.router.kind} "${ref.name}" in namespace "${namespace}"`,
        server: target.server,
      }).message;
    }
    return view;
  };
}
