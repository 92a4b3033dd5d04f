/** The customize hook asks for a Canary's route by name, in its own namespace (docs/design.md §9). */
import t from 'tap';
import { decideCustomize } from '../../hooks/customize.js';
import { canary } from '../fixtures/cluster.js';

const cases = [
  { name: 'no routing: nothing, not even pods', trafficRouting: undefined, routes: [] },
  {
    name: 'gatewayAPI: the HTTPRoute by name',
    trafficRouting: { gatewayAPI: { httpRoute: 'backend-canary', oldBackend: 'a', newBackend: 'b' } },
    routes: [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        resource: 'httproutes',
        namespace: 'default',
        names: ['backend-canary'],
      },
    ],
  },
  {
    name: 'istio: the VirtualService by name',
    trafficRouting: {
      istio: { virtualService: 'helloworld', oldDestination: { host: 'a' }, newDestination: { host: 'b' } },
    },
    routes: [
      {
        apiVersion: 'networking.istio.io/v1',
        resource: 'virtualservices',
        namespace: 'default',
        names: ['helloworld'],
      },
    ],
  },
  {
    name: 'both routers (refused by sync): both are asked for, so its message can say what exists',
    trafficRouting: {
      gatewayAPI: { httpRoute: 'r1' },
      istio: { virtualService: 'v1' },
    },
    routes: [
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        resource: 'httproutes',
        namespace: 'default',
        names: ['r1'],
      },
      {
        apiVersion: 'networking.istio.io/v1',
        resource: 'virtualservices',
        namespace: 'default',
        names: ['v1'],
      },
    ],
  },
  {
    name: 'a route name that is no string asks for nothing',
    trafficRouting: { gatewayAPI: { httpRoute: 7 } },
    routes: [],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const parent = canary({ spec: c.trafficRouting ? { trafficRouting: c.trafficRouting } : {} });
    const { relatedResources } = decideCustomize({ parent });
    t.same(relatedResources, c.routes);
    // Metacontroller refuses a rule with names and a label selector together.
    for (const rule of relatedResources) t.notOk('labelSelector' in rule, 'no label selector with names');
  });
}
