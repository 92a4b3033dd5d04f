/** The route panel of a Canary with spec.trafficRouting: read from the API, weights per rule that names both versions. */
import t from 'tap';
import { createRouteReader, routeRef } from '../../cli/dashboard/route.js';
import { slimCanary } from '../../cli/dashboard/model.js';
import { resolveTarget } from '../../cli/kube.js';
import type { Canary } from '../../hooks/wire.js';
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

t.test('routeRef: what spec.trafficRouting points at', async (t) => {
  t.match(routeRef(withRouting(gateway)), {
    kind: 'HTTPRoute',
    plural: 'httproutes',
    oldBackend: 'web-v1',
    newBackend: 'web-v2',
  });
  t.match(routeRef(withRouting(istio)), {
    kind: 'VirtualService',
    oldBackend: 'web/v1',
    newBackend: 'web/v2',
  });
  t.equal(routeRef(withRouting(undefined)), undefined);
  t.equal(routeRef(withRouting({ somethingElse: {} })), undefined);
  t.match(routeRef(withRouting({ istio: { virtualService: 'x', oldDestination: { host: 'a' } } })), {
    oldBackend: 'a',
    newBackend: '',
  });
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
