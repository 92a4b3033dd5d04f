/**
 * Bad traffic routing scales nothing and moves no traffic (docs/design.md §9):
 * the route missing, a backend or destination in no rule, both routers. The
 * Canary goes to `error` with a message naming the route and what is wrong,
 * every child keeps its replicas, and no write on the route is asked.
 */
import t from 'tap';
import { HEADER_RULE, httpRoute, virtualService } from '../fixtures/routes.js';
import { RouteDriver } from './route-driver.js';
import { GATEWAY, ISTIO, type RouterCase } from './routed-cases.js';

const T = '2026-11-23T09:00:00Z';
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');

const istioBlock = ISTIO.trafficRouting.istio as Record<string, unknown>;

interface BadCase {
  name: string;
  router: RouterCase;
  /** The route the sync sees once things go wrong (undefined: not in related at all). */
  route: () => ReturnType<RouterCase['route']> | undefined;
  trafficRouting?: Record<string, unknown>;
  reason: string;
  message: RegExp;
}

const cases: BadCase[] = [
  {
    name: 'the HTTPRoute is missing',
    router: GATEWAY,
    route: () => undefined,
    reason: 'RouteNotFound',
    message:
      /^HTTPRoute backend-canary \(spec\.trafficRouting\.gatewayAPI\.httpRoute\) not found in namespace default: it may not exist yet, or its CRD \(httproutes\.gateway\.networking\.k8s\.io, v1\) is not installed$/,
  },
  {
    name: 'the VirtualService is missing',
    router: ISTIO,
    route: () => undefined,
    reason: 'RouteNotFound',
    message:
      /^VirtualService helloworld \(spec\.trafficRouting\.istio\.virtualService\) not found in namespace default/,
  },
  {
    name: 'the new backend is in no rule',
    router: GATEWAY,
    route: () => {
      const r = httpRoute();
      r.spec.rules[0]!.backendRefs.pop();
      return r;
    },
    reason: 'BackendNotFound',
    message:
      /^HTTPRoute backend-canary has no rule that names backend backend-v2 \(spec\.trafficRouting\.gatewayAPI\.newBackend\)$/,
  },
  {
    name: 'the old backend is in no rule',
    router: GATEWAY,
    route: () => {
      const r = httpRoute();
      r.spec.rules[0]!.backendRefs[0]!.name = 'backend-v0';
      return r;
    },
    reason: 'BackendNotFound',
    message:
      /^HTTPRoute backend-canary has no rule that names backend backend-v1 \(spec\.trafficRouting\.gatewayAPI\.oldBackend\)$/,
  },
  {
    name: 'each backend in a rule of its own, none with both',
    router: GATEWAY,
    route: () => {
      const r = httpRoute({ old: 100, new: 0 }, [HEADER_RULE]);
      r.spec.rules[0]!.backendRefs.pop();
      return r;
    },
    reason: 'BackendNotFound',
    message:
      /^HTTPRoute backend-canary has no rule that names both backend backend-v1 and backend backend-v2, so no weight can be set$/,
  },
  {
    name: 'a backend twice in one rule',
    router: GATEWAY,
    route: () => {
      const r = httpRoute();
      r.spec.rules[0]!.backendRefs.push({ name: 'backend-v2', port: 3001 });
      return r;
    },
    reason: 'BackendNotFound',
    message: /^HTTPRoute backend-canary names backend backend-v2 2 times in rule 0$/,
  },
  {
    name: 'the new destination is in no http route',
    router: ISTIO,
    route: () => {
      const r = virtualService();
      r.spec.http[0]!.route[1]!.destination.subset = 'v3';
      return r;
    },
    reason: 'BackendNotFound',
    message:
      /^VirtualService helloworld has no rule that names destination helloworld subset v2 \(spec\.trafficRouting\.istio\.newDestination\)$/,
  },
  {
    name: 'a route named in `routes` that the VirtualService lacks',
    router: ISTIO,
    trafficRouting: { istio: { ...istioBlock, routes: ['primary', 'canary'] } },
    route: () => virtualService(),
    reason: 'BackendNotFound',
    message:
      /^VirtualService helloworld has no http route named "canary" \(spec\.trafficRouting\.istio\.routes\)$/,
  },
  {
    name: 'a route named in `routes` without both destinations',
    router: ISTIO,
    trafficRouting: { istio: { ...istioBlock, routes: ['primary', 'v2-only'] } },
    route: () =>
      virtualService({ old: 100, new: 0 }, [
        { name: 'v2-only', route: [{ destination: { host: 'helloworld', subset: 'v2' } }] },
      ]),
    reason: 'BackendNotFound',
    message:
      /^VirtualService helloworld http route "v2-only" \(1\) does not name destination helloworld subset v1 \(spec\.trafficRouting\.istio\.oldDestination\)$/,
  },
];

for (const c of cases) {
  t.test(`${c.name}: error, nothing scaled, no write`, async (t) => {
    const trafficRouting = c.trafficRouting ?? c.router.trafficRouting;
    const d = new RouteDriver(
      {
        totalReplicas: 10,
        steps: [{ setWeight: 10 }, { pause: {} }],
        trafficRouting: c.router.trafficRouting,
      },
      c.router.route(),
      c.router.key,
      t,
    );
    d.sync(at(0), { command: 'apply' });
    d.sync(at(5));
    t.same(d.row, [10, 1, 1, 'running', 10, 10], 'at 10% before');
    d.route = c.route();
    (d.spec as Record<string, unknown>).trafficRouting = trafficRouting;
    const decision = d.sync(at(10));
    const s = decision.response.status;
    t.equal(s.state, 'error');
    t.match(s.message, c.message);
    t.same(
      decision.response.children.map((x) => [x.metadata.name, x.spec.replicas]),
      [
        ['my-app-v1', 10],
        ['my-app-v2', 1],
      ],
      'replicas as observed',
    );
    t.notOk(decision.routeWrite, 'no write on the route');
    t.match(
      s.conditions.find((x) => x.type === 'Valid'),
      { status: 'False', reason: c.reason },
    );
    t.match(
      s.conditions.find((x) => x.type === 'TrafficRouted'),
      { status: 'False', reason: c.reason },
    );
    t.equal(s.weight, 10, 'the weight asked stays on record');
    t.match(decision.transitions, [{ kind: 'RouteInvalid', reason: c.reason, warning: true }]);

    d.route = c.router.route({ old: 90, new: 10 });
    (d.spec as Record<string, unknown>).trafficRouting = c.router.trafficRouting;
    d.sync(at(15));
    t.same(d.row, [10, 1, 2, 'running', 10, 10], 'the route put right: on from where it stood');
  });
}

t.test('both routers in one spec: the hook refuses it too, naming the field', async (t) => {
  const d = new RouteDriver(
    {
      totalReplicas: 10,
      steps: [{ setWeight: 10 }],
      trafficRouting: { ...GATEWAY.trafficRouting, ...ISTIO.trafficRouting },
    },
    GATEWAY.route(),
    GATEWAY.key,
    t,
  );
  const decision = d.sync(at(0), { command: 'apply' });
  t.equal(decision.response.status.state, 'error');
  t.equal(
    decision.response.status.message,
    'Invalid spec: spec.trafficRouting must name exactly one router, got gatewayAPI and istio',
  );
  t.same(d.row.slice(0, 2), [10, 0], 'nothing scaled');
  t.notOk(decision.routeWrite);
});

t.test('what the hook refuses in a router block the CRD would have caught', async (t) => {
  const specCases: [unknown, string][] = [
    [
      { gatewayAPI: { httpRoute: 'r', oldBackend: 'a' } },
      'spec.trafficRouting.gatewayAPI.newBackend is required',
    ],
    [
      { gatewayAPI: { httpRoute: 'R!', oldBackend: 'a', newBackend: 'b' } },
      'spec.trafficRouting.gatewayAPI.httpRoute must be the name of an HTTPRoute in the Canary namespace, got "R!"',
    ],
    [
      { istio: { virtualService: 'v', oldDestination: { host: 'h' } } },
      'spec.trafficRouting.istio.newDestination is required: {host, subset?}',
    ],
    [
      { istio: { virtualService: 'v', oldDestination: { host: 'h' }, newDestination: { host: 'h' } } },
      'spec.trafficRouting.istio.newDestination must differ from spec.trafficRouting.istio.oldDestination',
    ],
    [
      { istio: { ...istioBlock, routes: [] } },
      'spec.trafficRouting.istio.routes must list at least one name of a spec.http[] route, or be left out',
    ],
    [{ linkerd: {} }, 'spec.trafficRouting has an unknown router "linkerd": use gatewayAPI or istio'],
    [{}, 'spec.trafficRouting must name one router: gatewayAPI or istio'],
    ['gatewayAPI', 'spec.trafficRouting must be an object with one router: gatewayAPI or istio'],
  ];
  for (const [trafficRouting, message] of specCases) {
    const d = new RouteDriver(
      { totalReplicas: 10, steps: [{ setWeight: 10 }], trafficRouting },
      undefined,
      GATEWAY.key,
    );
    const decision = d.sync(at(0), { command: 'apply' });
    t.equal(decision.response.status.message, `Invalid spec: ${message}`, JSON.stringify(trafficRouting));
    t.same(d.row.slice(0, 2), [10, 0], 'nothing scaled');
  }
});
