/**
 * The server's half of traffic routing (docs/design.md §9), over real HTTP on
 * a real port: the route write is made before the sync answers, a refused
 * write turns TrafficRouted False with the API's message and moves no
 * replica, and the metrics and Events say what happened. The writer is a
 * fake injected through buildApp; the real one is tested against a local
 * server that plays the Kubernetes API.
 */
import t, { type Test } from 'tap';
import { ApiException, type CoreV1Event } from '@kubernetes/client-node';
import type { Transition } from '../../hooks/sync.js';
import type { RouteWrite } from '../../hooks/wire/index.js';
import { buildApp } from '../../server/app.js';
import type { KubeApi } from '../../server/kube.js';
import { createMetrics } from '../../server/metrics.js';
import { createRouteWriter, type RouteWriter } from '../../server/traffic.js';
import { createEventRecorder } from '../../server/events.js';
import type { TransitionListener } from '../../server/app.js';
import { RouteDriver } from '../hooks/route-driver.js';
import { GATEWAY, ISTIO } from '../hooks/routed-cases.js';
import {
  claimsThatHold,
  kubeConfigFor,
  kubeStatus,
  listen,
  listenMetrics,
  post,
  sendJson,
  startKubeStandIn,
} from './support.js';

const NOW = '2026-11-23T09:00:30Z';
const kube: KubeApi = { releaseDeployment: async () => 'released' };

/** A Canary at step 1 (10%) whose replica is available: its next sync writes 10%. */
function aboutToWrite(router = GATEWAY) {
  const d = new RouteDriver(
    { totalReplicas: 10, steps: [{ setWeight: 10 }, { pause: {} }], trafficRouting: router.trafficRouting },
    router.route(),
    router.key,
  );
  d.sync('2026-11-23T09:00:00Z', { command: 'apply' });
  return d;
}

async function start(t: Test, writer: RouteWriter) {
  const metrics = createMetrics({ defaultMetrics: false });
  const announced: Transition[] = [];
  const app = buildApp({
    kube,
    routes: writer,
    claims: claimsThatHold,
    clock: () => new Date(NOW),
    metrics,
    onSynced: metrics.observeSync,
    onFinalized: metrics.observeFinalize,
    onTransitions: (_c, ts) => announced.push(...ts),
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  const metricsPort = await listenMetrics(metrics);
  t.teardown(metricsPort.close);
  const scrape = async () => (await fetch(metricsPort.url)).text();
  return { base, scrape, announced };
}

async function startWith(t: Test, writer: RouteWriter, onTransitions: TransitionListener) {
  const app = buildApp({
    kube,
    routes: writer,
    claims: claimsThatHold,
    clock: () => new Date(NOW),
    onTransitions,
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  return { base };
}

const lines = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
const trafficRouted = (body: Record<string, unknown>) =>
  (body.status as { conditions: { type: string }[] }).conditions.find((c) => c.type === 'TrafficRouted');

t.test('the write is made before the answer, and the answer says the weight is set', async (t) => {
  const events: string[] = [];
  const writes: RouteWrite[] = [];
  const writer: RouteWriter = {
    patch: async (write) => {
      events.push('write started');
      await new Promise((resolve) => setTimeout(resolve, 50));
      writes.push(write);
      events.push('write done');
    },
  };
  const { base, scrape, announced } = await start(t, writer);
  const res = post(base, '/sync', aboutToWrite().request()).then((r) => {
    events.push('answered');
    return r;
  });
  const { status, body } = await res;
  t.equal(status, 200);
  t.same(events, ['write started', 'write done', 'answered']);
  t.equal(writes.length, 1);
  t.match(writes[0], {
    router: 'gatewayAPI',
    weight: 10,
    route: { kind: 'HTTPRoute', namespace: 'default', name: 'backend-canary', resource: 'httproutes' },
  });
  t.notOk('routeWrite' in body, 'the write is not part of what Metacontroller gets');
  t.match(trafficRouted(body), { status: 'True', reason: 'WeightSet' });
  t.match((body.status as { weight: number }).weight, 10);
  t.match(announced, [{ kind: 'WeightSet', reason: 'WeightSet' }]);
  const text = await scrape();
  t.same(lines(text, 'canary_route_patch_total'), [
    'canary_route_patch_total{router="gatewayAPI",outcome="success"} 1',
  ]);
  t.same(lines(text, 'canary_traffic_weight'), [
    'canary_traffic_weight{namespace="default",name="my-app"} 10',
  ]);
});

t.test(
  'a refused write: TrafficRouted False with the API message, replicas as decided, a retry soon',
  async (t) => {
    const refusals: [unknown, string, RegExp][] = [
      [
        new ApiException(
          403,
          'Forbidden',
          JSON.stringify(
            kubeStatus(
              403,
              'Forbidden',
              'httproutes.gateway.networking.k8s.io "backend-canary" is forbidden: User "system:serviceaccount:canary-system:canary-hooks" cannot patch resource "httproutes"',
            ),
          ),
          {},
        ),
        'forbidden',
        /^Could not set 10% on HTTPRoute default\/backend-canary: HTTP 403: .* cannot patch resource "httproutes"; retrying$/,
      ],
      [
        new ApiException(
          422,
          'Unprocessable Entity',
          JSON.stringify(
            kubeStatus(422, 'Invalid', 'the server rejected our request due to an error in our request'),
          ),
          {},
        ),
        'conflict',
        /HTTP 422: the server rejected our request/,
      ],
      [new Error('connect ECONNREFUSED 10.96.0.1:443'), 'error', /ECONNREFUSED/],
    ];
    for (const [err, outcome, message] of refusals) {
      const { base, scrape, announced } = await start(t, {
        patch: async () => {
          throw err;
        },
      });
      const driver = aboutToWrite();
      const request = driver.request();
      const { status, body } = await post(base, '/sync', request);
      t.equal(status, 200, `${outcome}: still a 200, with every child`);
      t.match(trafficRouted(body), { status: 'False', reason: 'PatchFailed', message });
      t.same(
        (body.children as { metadata: { name: string }; spec: { replicas: number } }[]).map((c) => [
          c.metadata.name,
          c.spec.replicas,
        ]),
        [
          ['my-app-v1', 10],
          ['my-app-v2', 1],
        ],
        `${outcome}: replicas where they were`,
      );
      t.equal(body.resyncAfterSeconds, 10, `${outcome}: looks again in 10s`);
      t.match(announced, [{ kind: 'RoutePatchFailed', reason: 'PatchFailed', warning: true }]);
      t.notOk(
        announced.some((a) => a.kind === 'WeightSet'),
        'no announcement of a weight never set',
      );
      t.same(lines(await scrape(), 'canary_route_patch_total'), [
        `canary_route_patch_total{router="gatewayAPI",outcome="${outcome}"} 1`,
      ]);
    }
  },
);

t.test('nothing to write, no call: a Canary whose route shows its weight', async (t) => {
  let calls = 0;
  const { base, scrape } = await start(t, { patch: async () => void calls++ });
  const d = aboutToWrite(ISTIO);
  d.sync('2026-11-23T09:00:10Z');
  t.equal(d.shown, 10, 'the route shows 10%');
  for (let i = 0; i < 3; i++) await post(base, '/sync', d.request());
  t.equal(calls, 0);
  t.same(lines(await scrape(), 'canary_route_patch_total'), []);
});

t.test('finalize drops the Canary weight gauge with the others', async (t) => {
  const { base, scrape } = await start(t, { patch: async () => undefined });
  const d = aboutToWrite();
  await post(base, '/sync', d.request());
  t.equal(lines(await scrape(), 'canary_traffic_weight').length, 1);
  const request = d.request();
  for (const child of Object.values(request.children?.['Deployment.apps/v1'] ?? {})) {
    child.metadata.ownerReferences = [];
  }
  const res = await post(base, '/finalize', { ...request, finalizing: true });
  t.equal(res.body.finalized, true);
  t.same(lines(await scrape(), 'canary_traffic_weight'), []);
});

t.test('the real writer sends a JSON patch to the custom object, as the API server expects', async (t) => {
  const api = await startKubeStandIn((req, res) =>
    req.url.includes('virtualservices')
      ? sendJson(
          res,
          422,
          kubeStatus(422, 'Invalid', 'testing value /spec/http/0/route/0/destination/host failed'),
        )
      : sendJson(res, 200, { kind: 'HTTPRoute' }),
  );
  t.teardown(() => api.close());
  const writer = createRouteWriter(kubeConfigFor(api.url));
  const d = aboutToWrite();
  const write = d.sync('2026-11-23T09:00:05Z').routeWrite as RouteWrite;
  await writer.patch(write);
  t.match(api.requests[0], {
    method: 'PATCH',
    url: '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/backend-canary',
    contentType: 'application/json-patch+json',
    authorization: 'Bearer stand-in-token',
  });
  t.same(api.requests[0]?.body, write.patch, 'the body is the patch, test operations first');
  t.match(write.patch[0], { op: 'test' });

  const istio = aboutToWrite(ISTIO).sync('2026-11-23T09:00:05Z').routeWrite as RouteWrite;
  await t.rejects(writer.patch(istio), { code: 422 }, 'a refused patch rejects');
  t.equal(api.requests[1]?.url, '/apis/networking.istio.io/v1/namespaces/default/virtualservices/helloworld');
});

t.test('Events of a weight are named after the decision and the weight, apart from its step', async (t) => {
  const created: CoreV1Event[] = [];
  const recorder = createEventRecorder({ sink: { create: async (e) => void created.push(e) } });
  const { base } = await startWith(t, { patch: async () => undefined }, recorder.listener);
  const d = aboutToWrite();
  const first = await post(base, '/sync', d.request());
  await recorder.idle();
  const sequence = (first.body.status as { sequence: number }).sequence;
  t.match(created, [
    { reason: 'WeightSet', type: 'Normal', metadata: { name: `my-app.6f1c9a3e.${sequence}.w10` } },
  ]);
  t.match(
    created[0]?.message,
    /^Set HTTPRoute backend-canary: 10% to backend backend-v2, 90% to backend backend-v1 \(rule 0\)$/,
  );

  const refusing = createEventRecorder({ sink: { create: async (e) => void created.push(e) } });
  const denied = await startWith(
    t,
    { patch: async () => Promise.reject(new Error('denied')) },
    refusing.listener,
  );
  await post(denied.base, '/sync', d.request());
  await post(denied.base, '/sync', d.request());
  await refusing.idle();
  const failures = created.filter((e) => e.reason === 'PatchFailed');
  t.equal(failures.length, 2, 'one per retry sent');
  t.equal(failures[0]?.type, 'Warning');
  t.equal(
    new Set(failures.map((e) => e.metadata.name)).size,
    1,
    'one name: the API server keeps it one Event',
  );
});

t.test('customize over HTTP asks for the route by name, in the namespace, without a selector', async (t) => {
  const { base } = await start(t, { patch: async () => undefined });
  const { status, body } = await post(base, '/customize', {
    controller: {},
    parent: aboutToWrite().request().parent,
  });
  t.equal(status, 200);
  // The route alone: pods are read by the service itself (docs/design.md §11).
  t.same(body.relatedResources, [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      resource: 'httproutes',
      namespace: 'default',
      names: ['backend-canary'],
    },
  ]);
});
