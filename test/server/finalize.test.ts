import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { buildApp } from '../../server/app.js';
import { createKubeApi } from '../../server/kube.js';
import { createMetrics } from '../../server/metrics.js';
import { CANARY_UID, canary, deployment, syncRequest } from '../fixtures/cluster.js';
import {
  STAND_IN_TOKEN,
  kubeConfigFor,
  claimsThatHold,
  kubeStatus,
  listen,
  post,
  sendJson,
  startKubeStandIn,
  type StandInHandler,
} from './support.js';

const OTHER_OWNER = {
  apiVersion: 'example.com/v1',
  kind: 'Tracker',
  name: 'keeps-an-eye',
  uid: 'tracker-uid',
};
const OUR_OWNER = {
  apiVersion: 'canary.k8shuginn.io/v1alpha1',
  kind: 'Canary',
  name: 'my-app',
  uid: CANARY_UID,
  controller: true,
  blockOwnerDeletion: true,
};

/** What the API server holds: our reference second, so the patch must find it by uid, not assume index 0. */
function stored(name: string, replicas: number, owners = [OTHER_OWNER, OUR_OWNER]) {
  const d = deployment({ name, replicas });
  d.metadata.ownerReferences = owners;
  return d;
}

async function setup(t: Test, handler: StandInHandler) {
  const api = await startKubeStandIn(handler);
  t.teardown(() => api.close());
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const app = buildApp({
    kube: createKubeApi(kubeConfigFor(api.url)),
    claims: claimsThatHold,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: { level: 'info', stream },
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  return { api, base, lines };
}

const finalizing = (
  deployments = [
    deployment({ name: 'my-app-v1', replicas: 6 }),
    deployment({ name: 'my-app-v2', replicas: 4 }),
  ],
) => ({
  ...syncRequest(
    canary({
      status: { state: 'running', currentStep: 2, oldReplicas: 6, newReplicas: 4, observedCommand: 'apply' },
    }),
    deployments,
  ),
  finalizing: true,
});

const deploymentPath = (name: string) => `/apis/apps/v1/namespaces/default/deployments/${name}`;

t.test('finalize removes only this Canary ownerReference with a guarded JSON patch', async (t) => {
  const { api, base } = await setup(t, (req, res) => {
    const name = req.url.split('/').pop()!.split('?')[0]!;
    sendJson(res, 200, stored(name, name === 'my-app-v1' ? 6 : 4));
  });
  const res = await post(base, '/finalize', finalizing());
  t.equal(res.status, 200);
  t.match(res.body, {
    finalized: false,
    resyncAfterSeconds: 2,
    status: { state: 'running', currentStep: 2 },
  });
  t.same(
    (res.body.children as { metadata: { name: string }; spec: { replicas: number } }[]).map((c) => [
      c.metadata.name,
      c.spec.replicas,
    ]),
    [
      ['my-app-v1', 6],
      ['my-app-v2', 4],
    ],
    'replicas are kept',
  );
  t.same(
    api.requests.map((r) => [r.method, r.url.split('?')[0]]),
    [
      ['GET', deploymentPath('my-app-v1')],
      ['PATCH', deploymentPath('my-app-v1')],
      ['GET', deploymentPath('my-app-v2')],
      ['PATCH', deploymentPath('my-app-v2')],
    ],
  );
  const patch = api.requests[1]!;
  t.equal(patch.contentType, 'application/json-patch+json');
  t.equal(patch.authorization, `Bearer ${STAND_IN_TOKEN}`);
  t.same(patch.body, [
    { op: 'test', path: '/metadata/ownerReferences/1/uid', value: CANARY_UID },
    { op: 'remove', path: '/metadata/ownerReferences/1' },
  ]);
});

t.test(
  'finalize answers finalized once no observed Deployment is owned, without calling the API',
  async (t) => {
    const { api, base } = await setup(t, (_req, res) =>
      sendJson(res, 500, kubeStatus(500, 'InternalError', 'no')),
    );
    const res = await post(
      base,
      '/finalize',
      finalizing([
        deployment({ name: 'my-app-v1', replicas: 6, owned: false }),
        deployment({ name: 'my-app-v2', replicas: 4, owned: false }),
      ]),
    );
    t.equal(res.status, 200);
    t.match(res.body, { finalized: true, resyncAfterSeconds: 0 });
    t.equal(api.requests.length, 0);
  },
);

t.test('an API failure answers finalized false with a log line, not a 500', async (t) => {
  const cases = [
    {
      name: 'a concurrent change fails the test op',
      handler: ((req, res) =>
        req.method === 'GET'
          ? sendJson(res, 200, stored('my-app-v1', 6))
          : sendJson(
              res,
              422,
              kubeStatus(422, 'Invalid', 'the server rejected our request due to an error in our request'),
            )) as StandInHandler,
      reason: /HTTP 422: the server rejected our request/,
    },
    {
      name: 'RBAC forbids the patch',
      handler: ((req, res) =>
        req.method === 'GET'
          ? sendJson(res, 200, stored('my-app-v1', 6))
          : sendJson(
              res,
              403,
              kubeStatus(
                403,
                'Forbidden',
                'deployments.apps "my-app-v1" is forbidden: User "system:serviceaccount:canary-system:canary-hooks" cannot patch resource',
              ),
            )) as StandInHandler,
      reason: /HTTP 403: deployments\.apps "my-app-v1" is forbidden/,
    },
  ];
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const { base, lines } = await setup(t, c.handler);
      const res = await post(base, '/finalize', finalizing([deployment({ name: 'my-app-v1', replicas: 6 })]));
      t.equal(res.status, 200);
      t.match(res.body, { finalized: false });
      const warning = lines.find((l) => l.level === 40);
      t.match(warning, {
        deployment: 'my-app-v1',
        canary: 'default/my-app',
        reason: c.reason,
        msg: /finalize will retry/,
      });
    });
  }
});

t.test('a Deployment already gone or already released needs no patch', async (t) => {
  const { api, base } = await setup(t, (req, res) =>
    req.url.includes('my-app-v1')
      ? sendJson(res, 404, kubeStatus(404, 'NotFound', 'deployments.apps "my-app-v1" not found'))
      : sendJson(res, 200, stored('my-app-v2', 4, [OTHER_OWNER])),
  );
  const res = await post(base, '/finalize', finalizing());
  t.equal(res.status, 200);
  t.same(
    api.requests.map((r) => r.method),
    ['GET', 'GET'],
  );
});
