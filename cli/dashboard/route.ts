/**
 * The route of a Canary with `spec.trafficRouting` (SPEC section 9), read
 * from the API when its page is drawn: the weight each rule that names both
 * versions gives them. A read, not a watch: routes change with the Canary,
 * and a watch of a kind whose CRD may not even be installed would fail for
 * every Canary without routing.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import { fromApiError } from '../errors.js';
import type { Target } from '../kube.js';
import type { Canary } from '../../hooks/wire.js';

export interface RouteRule {
  label: string;
  old: number | undefined;
  new: number | undefined;
}

export interface RouteView {
  kind: 'HTTPRoute' | 'VirtualService';
  name: string;
  oldBackend: string;
  newBackend: string;
  rules: RouteRule[];
  /** Why it could not be read. */
  error?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const weight = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

interface RouteRef {
  kind: RouteView['kind'];
  group: string;
  version: string;
  plural: string;
  name: string;
  oldBackend: string;
  newBackend: string;
  rules(route: Json): RouteRule[];
}

function destination(d: unknown): string {
  const dest = obj(d);
  return dest.subset ? `${str(dest.host)}/${str(dest.subset)}` : str(dest.host);
}

/** What `spec.trafficRouting` points at, or undefined when it is not set (or not understood). */
export function routeRef(canary: Canary): RouteRef | undefined {
  const routing = obj((canary.spec as Json).trafficRouting);
  const gateway = obj(routing.gatewayAPI);
  if (str(gateway.httpRoute)) {
    const oldBackend = str(gateway.oldBackend);
    const newBackend = str(gateway.newBackend);
    return {
      kind: 'HTTPRoute',
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      name: str(gateway.httpRoute),
      oldBackend,
      newBackend,
      rules: (route) =>
        list(obj(route.spec).rules).flatMap((rule, i) => {
          const refs = list(obj(rule).backendRefs).map(obj);
          const o = refs.find((r) => r.name === oldBackend);
          const n = refs.find((r) => r.name === newBackend);
          // A rule naming only one of them is left alone by the service; so here.
          if (!o || !n) return [];
          return [{ label: `rules[${i}]`, old: weight(o.weight) ?? 1, new: weight(n.weight) ?? 1 }];
        }),
    };
  }
  const istio = obj(routing.istio);
  if (str(istio.virtualService)) {
    const oldBackend = destination(istio.oldDestination);
    const newBackend = destination(istio.newDestination);
    const only = list(istio.routes).map(str);
    return {
      kind: 'VirtualService',
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'virtualservices',
      name: str(istio.virtualService),
      oldBackend,
      newBackend,
      rules: (route) =>
        list(obj(route.spec).http).flatMap((http, i) => {
          const h = obj(http);
          if (only.length > 0 && !only.includes(str(h.name))) return [];
          const dests = list(h.route).map(obj);
          const o = dests.find((d) => destination(d.destination) === oldBackend);
          const n = dests.find((d) => destination(d.destination) === newBackend);
          if (!o || !n) return [];
          return [{ label: str(h.name) || `http[${i}]`, old: weight(o.weight), new: weight(n.weight) }];
        }),
    };
  }
  return undefined;
}

export type RouteReader = (canary: Canary) => Promise<RouteView | undefined>;

export function createRouteReader(target: Target): RouteReader {
  const custom = target.config.makeApiClient(CustomObjectsApi);
  return async (canary) => {
    const ref = routeRef(canary);
    if (!ref) return undefined;
    const namespace = canary.metadata.namespace ?? target.namespace;
    const view: RouteView = {
      kind: ref.kind,
      name: ref.name,
      oldBackend: ref.oldBackend,
      newBackend: ref.newBackend,
      rules: [],
    };
    try {
      const route = await custom.getNamespacedCustomObject({
        group: ref.group,
        version: ref.version,
        namespace,
        plural: ref.plural,
        name: ref.name,
      });
      view.rules = ref.rules(obj(route));
    } catch (err) {
      view.error = fromApiError(err, {
        what: `${ref.kind} "${ref.name}" in namespace "${namespace}"`,
        server: target.server,
      }).message;
    }
    return view;
  };
}
