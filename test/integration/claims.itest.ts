/**
 * A hook request is a claim, not an order (docs/design.md §12), on the real
 * API server: forged requests sent over real HTTP to the real service, which
 * talks to the API as the manifests' ServiceAccount (exactly its RBAC), write
 * nothing there. Routes, owner references and Events are read before and
 * after and compared; each forged case has a control that shows the same
 * write goes through when the claim holds.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import type { SyncRequest } from '../../hooks/wire/index.js';
import { CANARY_UID, canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { HTTPROUTE_KEY, httpRoute } from '../fixtures/routes.js';
import { RouteDriver } from '../hooks/route-driver.js';
import { GATEWAY } from '../hooks/routed-cases.js';
import {
  CANARY_API_VERSION,
  canaryObject,
  createNamespace,
  deploymentObject,
  installAll,
  kubeConfig,
  kubectlOk,
  serviceAccountConfig,
} from './helpers.js';
import { HookServer } from './metacontroller.js';

const ROUTES = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };
const NOW = new Date('2026-11-23T09:00:30Z');

const admin = kubeConfig();
const apps = admin.makeApiClient(k8s.AppsV1Api);
const core = admin.makeApiClient(k8s.CoreV1Api);
const custom = admin.makeApiClient(k8s.CustomObjectsApi);

let hooks: HookServer;

t.before(async () => {
  await installAll();
  hooks = await HookServer.start(await serviceAccountConfig(), NOW);
});
t.teardown(() => hooks?.close());

type Json = Record<string, unknown>;

async function post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${hooks.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function route(namespace: string, name: string): Promise<Json> {
  return (await custom.getNamespacedCustomObject({ ...ROUTES, namespace, name })) as Json;
}

/** An HTTPRoute as the fixtures write it: backend-v1 100, backend-v2 0 (or other backends). */
async function createRoute(namespace: string, name: string, backends = ['backend-v1', 'backend-v2']) {
  const r = httpRoute();
  const rules = r.spec.rules as { backendRefs: { name: string }[] }[];
  rules[0]!.backendRefs[0]!.name = backends[0]!;
  rules[0]!.backendRefs[1]!.name = backends[1]!;
  await custom.createNamespacedCustomObject({
    ...ROUTES,
    namespace,
    body: { apiVersion: r.apiVersion, kind: r.kind, metadata: { name }, spec: r.spec },
  });
}

/** A sync whose decision writes 10% on the route it names (a Canary at step 1 whose replica is available). */
function syncThatWrites(
  namespace: string,
  uid: string,
  trafficRouting = GATEWAY.trafficRouting,
  routeName?: string,
) {
  const r = httpRoute();
  if (routeName !== undefined) {
    const gw = (trafficRouting as { gatewayAPI: { oldBackend: string; newBackend: string } }).gatewayAPI;
    r.metadata.name = routeName;
    const refs = (r.spec.rules[0] as { backendRefs: { name: string }[] }).backendRefs;
    refs[0]!.name = gw.oldBackend;
    refs[1]!.name = gw.newBackend;
  }
  const d = new RouteDriver(
    { totalReplicas: 10, steps: [{ setWeight: 10 }, { pause: {} }], trafficRouting },
    r,
    HTTPROUTE_KEY,
  );
  d.sync('2026-11-23T09:00:00Z', { command: 'apply' });
  const request = d.request() as SyncRequest;
  request.parent.metadata.namespace = namespace;
  request.parent.metadata.uid = uid;
  return request;
}

function trafficRouted(body: Json) {
  return ((body.status as Json).conditions as { type: string }[]).find((c) => c.type === 'TrafficRouted');
}

/** The Canary of the fixtures (`my-app`), created for real: its uid is the API server's. */
async function liveCanary(namespace: string): Promise<string> {
  const fixture = canary({ spec: { stepReplicas: undefined, cronSchedule: undefined } });
  await kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(
      canaryObject('my-app', namespace, {
        ...fixture.spec,
        totalReplicas: 10,
        steps: [{ setWeight: 10 }, { pause: {} }],
        trafficRouting: GATEWAY.trafficRouting,
      }),
    ),
  );
  return (
    await kubectlOk(['get', 'canary', 'my-app', '-n', namespace, '-o', 'jsonpath={.metadata.uid}'])
  ).trim();
}

t.test(
  'a forged sync patches no route: not in another namespace, not with a stale uid, not another route',
  async (t) => {
    const payments = await createNamespace('payments');
    await createRoute(payments, 'backend-canary');
    await createRoute(payments, 'checkout', ['checkout-v1', 'checkout-v2']);
    const before = {
      canary: await route(payments, 'backend-canary'),
      checkout: await route(payments, 'checkout'),
    };

    // 1. No Canary there at all: the request names the namespace and the route.
    let res = await post('/sync', syncThatWrites(payments, CANARY_UID));
    t.equal(res.status, 200, 'answered');
    t.match(trafficRouted(res.body), { status: 'False', reason: 'PatchFailed', message: /does not exist/ });

    // 2. A Canary of that name lives there, but the request's uid is not its uid.
    const uid = await liveCanary(payments);
    res = await post('/sync', syncThatWrites(payments, CANARY_UID));
    t.match(trafficRouted(res.body), { status: 'False', message: /another uid/ });

    // 3. The right uid, but the request names another route and backends than the live spec.
    const other = {
      gatewayAPI: { httpRoute: 'checkout', oldBackend: 'checkout-v1', newBackend: 'checkout-v2' },
    };
    res = await post('/sync', syncThatWrites(payments, uid, other, 'checkout'));
    t.match(trafficRouted(res.body), { status: 'False', message: /does not name HTTPRoute checkout/ });

    t.same(
      await route(payments, 'backend-canary'),
      before.canary,
      'the route is as it was, resourceVersion and all',
    );
    t.same(await route(payments, 'checkout'), before.checkout, 'the other route is as it was');

    // Control: the same write with the live Canary's uid and spec goes through.
    res = await post('/sync', syncThatWrites(payments, uid));
    t.match(trafficRouted(res.body), { status: 'True', reason: 'WeightSet' });
    const after = (await route(payments, 'backend-canary')) as {
      spec: { rules: { backendRefs: { weight: number }[] }[] };
    };
    t.same(
      after.spec.rules[0]!.backendRefs.map((b) => b.weight),
      [90, 10],
      'the claim holds: the weight is written',
    );
  },
);

t.test(
  'a forged finalize releases nothing: not in another namespace, not for a Canary that is not being deleted',
  async (t) => {
    const victim = await createNamespace('victim');
    // coredns-like: a Deployment owned by something real, whose uid the caller has read.
    const owner = await core.createNamespacedConfigMap({
      namespace: victim,
      body: { metadata: { name: 'owner' } },
    });
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    const coredns = deploymentObject({
      name: 'coredns',
      namespace: victim,
      app: 'dns',
      version: 'v1',
      replicas: 2,
    });
    coredns.metadata!.ownerReferences = [ownerRef];
    await apps.createNamespacedDeployment({ namespace: victim, body: coredns });
    const before = await apps.readNamespacedDeployment({ name: 'coredns', namespace: victim });

    const forged = (namespace: string, uid: string, child: string, childNamespace: string) => {
      const parent = canary();
      parent.metadata.namespace = namespace;
      parent.metadata.uid = uid;
      const d = deployment({ name: child, replicas: 2 });
      d.metadata.namespace = childNamespace;
      d.metadata.ownerReferences = [{ ...ownerRef, uid, controller: true }];
      return { ...syncRequest(parent, [d]), finalizing: true };
    };

    // 1. From an attacker's namespace, the victim's Deployment as a child, the owner's uid as the Canary's.
    const attacker = await createNamespace('attacker');
    let res = await post('/finalize', forged(attacker, ownerRef.uid, 'coredns', victim));
    t.equal(res.status, 200);
    // 2. The parent claimed in the victim's namespace itself: no such Canary there.
    res = await post('/finalize', forged(victim, ownerRef.uid, 'coredns', victim));
    t.equal(res.status, 200);
    t.match(res.body, { finalized: true }, 'answered as if nothing were owned');

    // 3. A live Canary that is not being deleted, and a Deployment it really owns.
    const uid = await liveCanary(attacker);
    const owned = deploymentObject({
      name: 'my-app-v1',
      namespace: attacker,
      app: 'my-app',
      version: 'v1',
      replicas: 1,
    });
    owned.metadata!.ownerReferences = [
      { apiVersion: CANARY_API_VERSION, kind: 'Canary', name: 'my-app', uid, controller: true },
    ];
    await apps.createNamespacedDeployment({ namespace: attacker, body: owned });
    const ownedBefore = await apps.readNamespacedDeployment({ name: 'my-app-v1', namespace: attacker });
    res = await post('/finalize', forged(attacker, uid, 'my-app-v1', attacker));
    t.equal(res.status, 200);

    const after = await apps.readNamespacedDeployment({ name: 'coredns', namespace: victim });
    t.same(
      after.metadata?.ownerReferences,
      before.metadata?.ownerReferences,
      "the victim's owner reference is kept",
    );
    t.equal(
      after.metadata?.resourceVersion,
      before.metadata?.resourceVersion,
      'the victim Deployment was not written',
    );
    const ownedAfter = await apps.readNamespacedDeployment({ name: 'my-app-v1', namespace: attacker });
    t.equal(
      ownedAfter.metadata?.resourceVersion,
      ownedBefore.metadata?.resourceVersion,
      'a live Canary keeps its Deployment',
    );

    // Control: once the Canary is being deleted, the same request releases it.
    await kubectlOk([
      'patch',
      'canary',
      'my-app',
      '-n',
      attacker,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["canary.test/hold"]}}',
    ]);
    await kubectlOk(['delete', 'canary', 'my-app', '-n', attacker, '--wait=false']);
    res = await post('/finalize', forged(attacker, uid, 'my-app-v1', attacker));
    const released = await apps.readNamespacedDeployment({ name: 'my-app-v1', namespace: attacker });
    t.same(released.metadata?.ownerReferences ?? [], [], 'the claim holds: the owner reference is removed');
    await kubectlOk([
      'patch',
      'canary',
      'my-app',
      '-n',
      attacker,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
  },
);

t.test(
  'a forged sync records no Event: not in kube-system about a Pod, not about a Canary that does not exist',
  async (t) => {
    const list = async (namespace: string) =>
      (await core.listNamespacedEvent({ namespace })).items.filter(
        (e) => e.reportingComponent === 'canary.k8shuginn.io/canary-hooks',
      ).length;
    const scratch = await createNamespace('events');
    const before = { system: await list('kube-system'), scratch: await list(scratch) };
    await hooks.events.idle();
    const refusedBefore = hooks.events.stats.refused;

    const forged = (namespace: string, kind: string, name: string) => {
      const parent = canary({ command: 'apply', status: null });
      parent.kind = kind;
      parent.apiVersion = kind === 'Pod' ? 'v1' : parent.apiVersion;
      parent.metadata.namespace = namespace;
      parent.metadata.name = name;
      return syncRequest(parent, [
        deployment({ name: 'my-app-v1', replicas: 10 }),
        deployment({ name: 'my-app-v2', replicas: 0 }),
      ]);
    };
    for (const [namespace, kind, name] of [
      ['kube-system', 'Pod', 'coredns-5d78c9869d-abcde'],
      [scratch, 'Canary', 'nobody'],
    ] as const) {
      const res = await post('/sync', forged(namespace, kind, name));
      t.equal(res.status, 200);
      t.match(res.body, { status: { state: 'running' } }, 'the decision is answered');
    }
    await hooks.events.idle();
    t.equal(hooks.events.stats.refused - refusedBefore, 2, 'both refused before sending');
    t.same(
      { system: await list('kube-system'), scratch: await list(scratch) },
      before,
      'no Event was recorded',
    );

    // Control: the same sync for a Canary that exists records its Event.
    const uid = await liveCanary(scratch);
    const real = forged(scratch, 'Canary', 'my-app');
    real.parent.metadata.uid = uid;
    await post('/sync', real);
    await hooks.events.idle();
    t.equal(await list(scratch), before.scratch + 1, 'the claim holds: the Event is recorded');
  },
);
