/** The route panel of a Canary with spec.trafficRouting: read from the API, weights per rule that names both versions. */
import t from 'tap';
import { createRouteReader, routeRef } from '../../cli/dashboard/route.js';
import { slimCanary } from '../../cli/dashboard/model.js';
import { resolveTarget } from '../../cli/kube.js';
import type { Canary } from '../../hooks/wire/index.js';
import { FakeApi } from './fake-api.js';
import { http, startDashboard } from './dashboard-support.js';
import { canaryObject, runningStatus } from './helpers.js';

const gateway = { gatewayAPI: { httpRoute: 'web', oldBackend: 'web-v1', newBackend: 'web-v2' } };
const istio = {
  istio: {
    virtualService: 'web',
    routes: ['primary'],
    oldDestination: { host: 'web', subset: 'v1' },
    newDestination: { host: 'web', subset: 'v2' },
  },
};

const HTTPROUTE = '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/web';
const VIRTUALSERVICE = '/apis/networking.istio.io/v1/namespaces/default/virtualservices/web';

function withRouting(trafficRouting: unknown): Canary {
  return slimCanary(
    canaryObject('web', { status: runningStatus({ weight: 10 }), spec: { trafficRouting } }),
  )!;
}

function putRoutes(api: FakeApi) {
  api.objects.set(HTTPROUTE, {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      rules: [
        {
          backendRefs: [
            { name: 'web-v1', weight: 90 },
            { name: 'web-v2', weight: 10 },
          ],
        },
        { backendRefs: [{ name: 'web-v1' }] },
        { backendRefs: [{ name: 'web-v2' }, { name: 'web-v1' }] },
      ],
    },
  });
  api.objects.set(VIRTUALSERVICE, {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: 'web', subset: 'v1' }, weight: 75 },
            { destination: { host: 'web', subset: 'v2' }, weight: 25 },
          ],
        },
        {
          name: 'mirror',
          route: [
            { destination: { host: 'web', subset: 'v1' } },
            { destination: { host: 'web', subset: 'v2' } },
          ],
        },
      ],
    },
  });
}

t.test('routeRef: what spec.trafficRouting points at, parsed as the sync hook parses it', async (t) => {
  t.match(routeRef(withRouting(gateway)), {
    router: { kind: 'HTTPRoute', resource: 'httproutes' },
    name: 'web',
    oldBackend: 'web-v1',
    newBackend: 'web-v2',
    routing: { router: 'gatewayAPI' },
  });
  t.match(routeRef(withRouting(istio)), {
    router: { kind: 'VirtualService' },
    oldBackend: 'web/v1',
    newBackend: 'web/v2',
  });
  t.equal(routeRef(withRouting(undefined)), undefined);
  t.equal(routeRef(withRouting({ somethingElse: {} })), undefined, 'names no route: the message says why');
  const cases: [routing: unknown, problem: RegExp][] = [
    [
      { istio: { virtualService: 'x', oldDestination: { host: 'a' } } },
      /^spec\.trafficRouting\.istio\.newDestination is required/,
    ],
    [{ ...gateway, ...istio }, /must name exactly one router, got gatewayAPI and istio/],
    [{ gatewayAPI: { ...gateway.gatewayAPI, newBackend: 'Web_V2' } }, /newBackend must be the name of/],
  ];
  for (const [routing, problem] of cases) {
    const ref = routeRef(withRouting(routing));
    t.equal(ref?.routing, undefined, JSON.stringify(routing));
    t.match(ref?.problem, problem, JSON.stringify(routing));
  }
});

t.test('read from the API: the weights of the rules that name both, the rest left out', async (t) => {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  putRoutes(api);
  const read = createRouteReader(resolveTarget({ kubeconfig: api.kubeconfig(t.testdir({})), env: {} }));
  t.same(
    (await read(withRouting(gateway)))?.rules,
    [
      { label: 'rules[0]', old: 90, new: 10 },
      { label: 'rules[2]', old: 1, new: 1 },
    ],
    'a backendRef without weight weighs 1, as Gateway API defines it',
  );
  t.same(
    (await read(withRouting(istio)))?.rules,
    [{ label: 'primary', old: 75, new: 25 }],
    'only the routes named',
  );
  const allRoutes = { istio: { ...istio.istio, routes: undefined } };
  t.same(
    (await read(withRouting(allRoutes)))?.rules.map((r) => r.label),
    ['primary', 'mirror'],
  );
  t.equal(await read(withRouting(undefined)), undefined, 'no routing, no read');
  t.equal(api.requests.length, 3);
  api.objects.clear();
  const missing = await read(withRouting(gateway));
  t.match(missing, { rules: [], error: 'HTTPRoute "web" in namespace "default" not found' });
});

t.test("the Canary's page shows its route", async (t) => {
  const d = await startDashboard(t, [], (api) => {
    putRoutes(api);
    api.putCanary(
      canaryObject('web', { status: runningStatus({ weight: 10 }), spec: { trafficRouting: gateway } }),
    );
  });
  const page = await http(`${d.url}canaries/default/web`);
  t.match(page.body, /<h2>Route: HTTPRoute web<\/h2>/);
  t.match(page.body, /<td>rules\[0\]<\/td><td class="num">90<\/td><td class="num">10<\/td>/);
  t.match(page.body, /<dt>Weight<\/dt><dd>10%<\/dd>/, 'status.weight as reported');
  const reads = () => d.api.requests.filter((r) => r.path === HTTPROUTE).length;
  await http(`${d.url}canaries/default/web`);
  t.equal(reads(), 1, 'read once for this version of the Canary, however often the page is drawn');
  d.api.putCanary(
    canaryObject('web', { status: runningStatus({ weight: 20 }), spec: { trafficRouting: gateway } }),
  );
  // Drawn until the watch has brought the change; every drawing of one version reads nothing more.
  for (let i = 0; i < 500 && !/<dd>20%<\/dd>/.test((await http(`${d.url}canaries/default/web`)).body); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(reads(), 2, 'and again once the Canary changes');
});

t.test('a backendRef counts only when it is the Service itself, as the sync hook matches it', async (t) => {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  const read = createRouteReader(resolveTarget({ kubeconfig: api.kubeconfig(t.testdir({})), env: {} }));
  // Rule 0 is the Canary's in every case; rule 1's new backendRef is the one under test.
  const cases: [what: string, ref: Record<string, unknown>, counted: boolean][] = [
    ['a bare name', { name: 'web-v2' }, true],
    [
      'kind Service, group "", the route namespace',
      { group: '', kind: 'Service', namespace: 'default' },
      true,
    ],
    ['another kind', { group: 'multicluster.x-k8s.io', kind: 'ServiceImport' }, false],
    ['kind Service of another group', { group: 'example.com', kind: 'Service' }, false],
    ['another namespace', { namespace: 'web-prod' }, false],
  ];
  for (const [what, ref, counted] of cases) {
    api.objects.set(HTTPROUTE, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'default', resourceVersion: '7', generation: 2 },
      spec: {
        parentRefs: [{ name: 'eg', namespace: 'envoy-gateway-system' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [
              { group: '', kind: 'Service', name: 'web-v1', port: 8080, weight: 90 },
              { group: '', kind: 'Service', name: 'web-v2', port: 8080, weight: 10 },
            ],
          },
          {
            matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
            backendRefs: [
              { name: 'web-v1', port: 8080, weight: 50 },
              { name: 'web-v2', port: 8080, weight: 50, ...ref },
            ],
          },
        ],
      },
    });
    const view = await read(withRouting(gateway));
    t.same(
      view?.rules.map((r) => r.label),
      counted ? ['rules[0]', 'rules[1]'] : ['rules[0]'],
      `${what}: ${counted ? 'counted' : 'not the Service web-v2'}`,
    );
  }
});

t.test('a route the sync hook refuses shows its reason, not weights', async (t) => {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  const read = createRouteReader(resolveTarget({ kubeconfig: api.kubeconfig(t.testdir({})), env: {} }));
  const cases: [what: string, refs: Record<string, unknown>[], problem: RegExp][] = [
    [
      'the new Service only in another namespace',
      [{ name: 'web-v1' }, { name: 'web-v2', namespace: 'web-prod' }],
      /^HTTPRoute web has no rule that names backend web-v2 \(spec\.trafficRouting\.gatewayAPI\.newBackend\)$/,
    ],
    [
      'the old Service twice in a rule',
      [{ name: 'web-v1' }, { name: 'web-v1', port: 8081 }, { name: 'web-v2' }],
      /^HTTPRoute web names backend web-v1 2 times in rule 0$/,
    ],
  ];
  for (const [what, backendRefs, problem] of cases) {
    api.objects.set(HTTPROUTE, {
      metadata: { name: 'web', namespace: 'default' },
      spec: { rules: [{ backendRefs }] },
    });
    const view = await read(withRouting(gateway));
    t.same(view?.rules, [], what);
    t.match(view?.problem, problem, what);
  }
  const before = api.requests.length;
  const refused = await read(withRouting({ ...gateway, ...istio }));
  t.match(refused, { kind: 'HTTPRoute', name: 'web', rules: [], problem: /exactly one router/ });
  t.equal(api.requests.length, before, 'a spec the hook refuses: no route read');
});
