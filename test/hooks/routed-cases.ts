/** The two routers, written the same way, so each order rule is tested on both. */
import {
  HTTPROUTE_KEY,
  VIRTUALSERVICE_KEY,
  httpRoute,
  virtualService,
  type Weights,
} from '../fixtures/routes.js';

export interface RouterCase {
  name: string;
  trafficRouting: Record<string, unknown>;
  key: string;
  route: (weights?: Weights, extra?: unknown[]) => { metadata: { name: string }; [field: string]: unknown };
  /** Path of the backend lists and the weight-bearing entries, for assertions. */
  lists: (route: unknown) => { weight?: number }[][];
}

export const GATEWAY: RouterCase = {
  name: 'gatewayAPI',
  trafficRouting: {
    gatewayAPI: { httpRoute: 'backend-canary', oldBackend: 'backend-v1', newBackend: 'backend-v2' },
  },
  key: HTTPROUTE_KEY,
  route: httpRoute,
  lists: (route) =>
    (route as { spec: { rules: { backendRefs: { weight?: number }[] }[] } }).spec.rules.map(
      (r) => r.backendRefs,
    ),
};

export const ISTIO: RouterCase = {
  name: 'istio',
  trafficRouting: {
    istio: {
      virtualService: 'helloworld',
      oldDestination: { host: 'helloworld', subset: 'v1' },
      newDestination: { host: 'helloworld', subset: 'v2' },
    },
  },
  key: VIRTUALSERVICE_KEY,
  route: virtualService,
  lists: (route) =>
    (route as { spec: { http: { route: { weight?: number }[] }[] } }).spec.http.map((h) => h.route),
};

export const ROUTER_CASES = [GATEWAY, ISTIO];
