/**
 * `kubectl canary status` of a Canary with spec.trafficRouting: the route, the
 * weight asked and the weight the route has, read by the plugin itself.
 */
import t, { type Test } from 'tap';
import { EXIT } from '../../cli/errors.js';
import { routeLines, ruleWeight } from '../../cli/route-format.js';
import { FakeApi } from './fake-api.js';
import { canaryObject, deploymentObject, runCli, runningStatus } from './helpers.js';

const HTTPROUTE = '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/backend-canary';
const VIRTUALSERVICE = '/apis/networking.istio.io/v1/namespaces/default/virtualservices/web';
const gateway = {
  gatewayAPI: { httpRoute: 'backend-canary', oldBackend: 'web-v1', newBackend: 'web-v2' },
};

async function cluster(t: Test, weight: number, trafficRouting: unknown = gateway) {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  api.putCanary(
    canaryObject('web', {
      command: 'apply',
      status: runningStatus({ weight }),
      spec: trafficRouting === null ? {} : { trafficRouting },
    }),
  );
  api.putDeployment(deploymentObject('web-v1', 10, 10));
  api.putDeployment(deploymentObject('web-v2', 5, 5));
  return { api, kubeconfig: api.kubeconfig(t.testdir({})) };
}

/** An HTTPRoute as the API returns it, one rule per [old, new] weight pair. */
function httpRoute(...rules: [number | undefined, number | undefined][]) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'backend-canary', namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'eg' }],
      rules: rules.map(([o, n]) => ({
        backendRefs: [
          { name: 'web-v1', port: 3000, ...(o === undefined ? {} : { weight: o }) },
          { name: 'web-v2', port: 3000, ...(n === undefined ? {} : { weight: n }) },
        ],
      })),
    },
  };
}

const routeBlock = (stdout: string) => {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Route:'));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && !l.startsWith(' '));
  return lines.slice(start, end);
};

t.test('ruleWeight: the new version share of a rule, as a percentage of both weights', async (t) => {
  const cases: [number | undefined, number | undefined, number | undefined][] = [
    [90, 10, 10],
    [50, 50, 50],
    [0, 100, 100],
    [1, 1, 50],
    [2, 1, 33],
    [0, 0, 0],
    [undefined, 10, undefined],
  ];
  for (const [o, n, want] of cases) t.equal(ruleWeight({ label: 'r', old: o, new: n }), want, `${o}/${n}`);
});

t.test('status: the route, the weight asked and the weight the route has', async (t) => {
  const { api, kubeconfig } = await cluster(t, 50);
  api.objects.set(HTTPROUTE, httpRoute([50, 50]));
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(routeBlock(r.stdout), [
    'Route:       HTTPRoute backend-canary (web-v1 -> web-v2)',
    '             weight asked 50%, the route has 50%',
    '             rules[0]: web-v1 50, web-v2 50',
  ]);
  t.match(r.stdout, /^Weight:\s+50% on the new version\nRoute:/m, 'right after the weight');
  const read = api.requests.find((q) => q.path === HTTPROUTE);
  t.equal(read?.method, 'GET', 'the plugin reads the route itself');
  t.equal(read?.headers.authorization, 'Bearer stand-in-token', "with the user's credentials");
});

t.test('status: a route behind the asked weight shows both, rule by rule', async (t) => {
  const { api, kubeconfig } = await cluster(t, 50);
  // The patch did not go through for the second rule; a rule without weights weighs 1 each.
  api.objects.set(HTTPROUTE, httpRoute([50, 50], [90, 10], [undefined, undefined]));
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(routeBlock(r.stdout), [
    'Route:       HTTPRoute backend-canary (web-v1 -> web-v2)',
    '             weight asked 50%, the route has 50% in rules[0], 10% in rules[1], 50% in rules[2]',
    '             rules[0]: web-v1 50, web-v2 50',
    '             rules[1]: web-v1 90, web-v2 10',
    '             rules[2]: web-v1 1, web-v2 1',
  ]);
});

t.test('status: an Istio VirtualService, only the routes the Canary names', async (t) => {
  const istio = {
    istio: {
      virtualService: 'web',
      routes: ['primary'],
      oldDestination: { host: 'web', subset: 'v1' },
      newDestination: { host: 'web', subset: 'v2' },
    },
  };
  const { api, kubeconfig } = await cluster(t, 20, istio);
  api.objects.set(VIRTUALSERVICE, {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      http: [
        { name: 'pinned', route: [{ destination: { host: 'web', subset: 'v1' } }] },
        {
          name: 'primary',
          route: [
            { destination: { host: 'web', subset: 'v1' }, weight: 80 },
            { destination: { host: 'web', subset: 'v2' }, weight: 20 },
          ],
        },
      ],
    },
  });
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(routeBlock(r.stdout), [
    'Route:       VirtualService web (web/v1 -> web/v2)',
    '             weight asked 20%, the route has 20%',
    '             primary: web/v1 80, web/v2 20',
  ]);
});

t.test('status: a route that cannot be read says why, and status still succeeds', async (t) => {
  await t.test('missing', async (t) => {
    const { kubeconfig } = await cluster(t, 10);
    const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
    t.equal(r.code, EXIT.ok, r.stderr);
    const block = routeBlock(r.stdout);
    t.equal(block[0], 'Route:       HTTPRoute backend-canary (web-v1 -> web-v2)');
    t.match(block[1], /^ {13}weight asked 10%; the route cannot be read: .*not found/);
  });
  await t.test('forbidden to the user', async (t) => {
    const { api, kubeconfig } = await cluster(t, 10);
    api.objects.set(HTTPROUTE, httpRoute([90, 10]));
    api.forbidden.push({ prefix: '/apis/gateway.networking.k8s.io/' });
    const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
    t.equal(r.code, EXIT.ok, r.stderr);
    t.match(routeBlock(r.stdout)[1], /the route cannot be read: .*forbidden/i);
  });
  await t.test('no rule names both backends', async (t) => {
    const { api, kubeconfig } = await cluster(t, 10);
    const route = httpRoute([90, 10]);
    route.spec.rules[0]!.backendRefs[1]!.name = 'someone-else';
    api.objects.set(HTTPROUTE, route);
    const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
    t.same(
      routeBlock(r.stdout)[1],
      '             weight asked 10%; no weight can be set: HTTPRoute backend-canary has no rule that names ' +
        'backend web-v2 (spec.trafficRouting.gatewayAPI.newBackend)',
      "in the words of the Canary's own error",
    );
  });
});

t.test('status: a backendRef of another kind or namespace is not the Service of that name', async (t) => {
  const { api, kubeconfig } = await cluster(t, 10);
  const route = httpRoute([90, 10], [50, 50], [50, 50]);
  Object.assign(route.spec.rules[1]!.backendRefs[1]!, {
    group: 'multicluster.x-k8s.io',
    kind: 'ServiceImport',
  });
  Object.assign(route.spec.rules[2]!.backendRefs[1]!, { namespace: 'web-prod' });
  api.objects.set(HTTPROUTE, route);
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(routeBlock(r.stdout), [
    'Route:       HTTPRoute backend-canary (web-v1 -> web-v2)',
    '             weight asked 10%, the route has 10%',
    '             rules[0]: web-v1 90, web-v2 10',
  ]);
});

t.test('status without trafficRouting: no Route line, no route read', async (t) => {
  const { api, kubeconfig } = await cluster(t, 40, null);
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.notMatch(r.stdout, /^Route:/m);
  t.same(
    api.requests.map((q) => q.path).filter((p) => /httproutes|virtualservices/.test(p)),
    [],
  );
});

t.test('status --watch reads the route again with each new version of the Canary', async (t) => {
  const { api, kubeconfig } = await cluster(t, 10);
  api.objects.set(HTTPROUTE, httpRoute([90, 10]));
  const stop = new AbortController();
  const frames: string[] = [];
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const frameMatching = (re: RegExp) =>
    new Promise<void>((resolve) => {
      if (frames.some((f) => re.test(f))) resolve();
      else waiters.push({ re, resolve });
    });
  const running = runCli(['status', 'web', '--watch', '--kubeconfig', kubeconfig], {
    signal: stop.signal,
    onOut: (text) => {
      frames.push(text);
      for (const w of waiters) if (w.re.test(text)) w.resolve();
    },
  });
  await frameMatching(/weight asked 10%, the route has 10%/);
  await api.watching(3);
  // The service patches the route, then writes the status: the plugin sees the status change.
  api.objects.set(HTTPROUTE, httpRoute([50, 50]));
  const canary = api.canaries.get('default/web')!;
  api.putCanary({ ...canary, status: runningStatus({ weight: 50 }) });
  await frameMatching(/weight asked 50%, the route has 50%/);
  t.match(frames.at(-1), /rules\[0\]: web-v1 50, web-v2 50/);
  t.equal(api.requests.filter((q) => q.path === HTTPROUTE).length, 2, 'one read per version of the Canary');
  stop.abort();
  const r = await running;
  t.equal(r.code, EXIT.ok);
});

t.test('routeLines: a spec the hook refuses names the route and why, without backends', async (t) => {
  const problem = 'spec.trafficRouting must name exactly one router, got gatewayAPI and istio';
  t.same(
    routeLines({ kind: 'HTTPRoute', name: 'web', oldBackend: '', newBackend: '', rules: [], problem }, 10),
    ['HTTPRoute web', `weight asked 10%; no weight can be set: ${problem}`],
  );
});
