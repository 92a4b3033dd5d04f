/**
 * spec.trafficRouting cases for the CRD tests: what the API server stores and
 * what it refuses, each with the rule's sentence and the field it names.
 * Shared so a test against a real API server can apply the same cases.
 */
import { listCanary } from '../helpers/step-lists.js';

export const GATEWAY_ROUTING = {
  gatewayAPI: { httpRoute: 'backend-canary', oldBackend: 'backend-v1', newBackend: 'backend-v2' },
};

export const ISTIO_ROUTING = {
  istio: {
    virtualService: 'helloworld',
    routes: ['primary'],
    oldDestination: { host: 'helloworld', subset: 'v1' },
    newDestination: { host: 'helloworld', subset: 'v2' },
  },
};

export function routedCanary(trafficRouting: unknown) {
  return listCanary({ steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }], trafficRouting });
}

export interface BadRouting {
  name: string;
  trafficRouting: unknown;
  /** The field the API server names, dotted as the offline check prints it. */
  at: string;
  /** The rule's sentence, or the schema's for a missing field. */
  message: string;
}

const gw = GATEWAY_ROUTING.gatewayAPI;
const istio = ISTIO_ROUTING.istio;

export const BAD_ROUTINGS: BadRouting[] = [
  {
    name: 'both routers',
    trafficRouting: { ...GATEWAY_ROUTING, ...ISTIO_ROUTING },
    at: 'spec.trafficRouting',
    message: 'trafficRouting must have exactly one router, gatewayAPI or istio',
  },
  {
    name: 'no router',
    trafficRouting: {},
    at: 'spec.trafficRouting',
    message: 'trafficRouting must have exactly one router, gatewayAPI or istio',
  },
  {
    name: 'an HTTPRoute without its name',
    trafficRouting: { gatewayAPI: { oldBackend: gw.oldBackend, newBackend: gw.newBackend } },
    at: 'spec.trafficRouting.gatewayAPI',
    message: 'missing required field "httpRoute"',
  },
  {
    name: 'no new backend',
    trafficRouting: { gatewayAPI: { httpRoute: gw.httpRoute, oldBackend: gw.oldBackend } },
    at: 'spec.trafficRouting.gatewayAPI',
    message: 'missing required field "newBackend"',
  },
  {
    name: 'the same backend twice',
    trafficRouting: { gatewayAPI: { ...gw, newBackend: gw.oldBackend } },
    at: 'spec.trafficRouting.gatewayAPI',
    message: 'oldBackend and newBackend must name two different Services',
  },
  {
    name: 'a route name that is no object name',
    trafficRouting: { gatewayAPI: { ...gw, httpRoute: 'Backend_Canary' } },
    at: 'spec.trafficRouting.gatewayAPI.httpRoute',
    message: "must be an HTTPRoute name (lowercase letters, digits, '-' and '.')",
  },
  {
    name: 'a VirtualService without destinations',
    trafficRouting: { istio: { virtualService: 'helloworld' } },
    at: 'spec.trafficRouting.istio',
    message: 'missing required field "oldDestination"',
  },
  {
    name: 'a destination without a host',
    trafficRouting: { istio: { ...istio, newDestination: { subset: 'v2' } } },
    at: 'spec.trafficRouting.istio.newDestination',
    message: 'missing required field "host"',
  },
  {
    name: 'the same destination twice',
    trafficRouting: { istio: { ...istio, newDestination: istio.oldDestination } },
    at: 'spec.trafficRouting.istio',
    message: 'oldDestination and newDestination must differ in host or subset',
  },
  {
    name: 'an empty list of routes',
    trafficRouting: { istio: { ...istio, routes: [] } },
    at: 'spec.trafficRouting.istio.routes',
    message: 'routes must name at least one http route, or be left out',
  },
];
