/**
 * Pods on demand over real HTTP (docs/design.md §11): the service on a real
 * port, its pod reader talking to a stand-in API server on another that
 * records every call. Which syncs read, what they ask, and what a failed
 * read answers.
 */
import type { ServerResponse } from 'node:http';
import t, { type Test } from 'tap';
import type { CoreV1Event } from '@kubernetes/client-node';
import { buildApp, type AppDeps } from '../../server/app.js';
import { createEventRecorder } from '../../server/events.js';
import { createMetrics, type Metrics } from '../../server/metrics.js';
import { createPodReader, failureOf, unavailablePodReader, wirePod } from '../../server/pods.js';
import {
  POD_RELATED_KEY,
  type Deployment,
  type SyncRequest,
  type SyncResponse,
} from '../../hooks/wire/index.js';
import { pod } from '../fixtures/cluster.js';
import { request } from '../hooks/support.js';
import {
  freePort,
  kubeConfigFor,
  kubeStatus,
  listen,
  post,
  sendJson,
  startKubeStandIn,
  type Recorded,
} from './support.js';

const NOW = new Date('2026-11-23T09:01:30Z');
const POD_LIST_PATH = '/api/v1/namespaces/default/pods';

/** As a Deployment controller and the kubelet leave them; the API sends them with managedFields and all. */
const oldPod = pod({ deployment: 'my-app-v1' });
const healthyNewPod = pod({ deployment: 'my-app-v2' });
const crashingNewPod = pod({ deployment: 'my-app-v2', index: 1, crashLoop: true });

function podList(items: unknown[]) {
  return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '91822' }, items };
}

/** A sync as this version's CompositeController sends it: no `Pod.v1`. */
function syncWithoutPods(world: Parameters<typeof request>[0], edit?: (d: Deployment) => void): SyncRequest {
  const req = request(world);
  const related = { ...req.related };
  delete related[POD_RELATED_KEY];
  if (edit) edit(req.children?.['Deployment.apps/v1']?.['my-app-v2'] as Deployment);
  return { ...req, related };
}

interface Started {
  base: string;
  metrics: Metrics;
  events: CoreV1Event[];
  idle: () => Promise<void>;
}

async function startService(t: Test, deps: Partial<AppDeps>): Promise<Started> {
  const metrics = createMetrics({ defaultMetrics: false });
  const events: CoreV1Event[] = [];
  const recorder = createEventRecorder({
    sink: { create: async (e) => void events.push(e) },
    clock: () => NOW,
    instance: 'test',
  });
  const app = buildApp({
    kube: { releaseDeployment: async () => 'not-owned' },
    clock: () => NOW,
    metrics,
    onTransitions: recorder.listener,
    ...deps,
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  return { base, metrics, events, idle: () => recorder.idle() };
}

async function standIn(t: Test, handler: (req: Recorded, res: ServerResponse) => void) {
  const api = await startKubeStandIn(handler);
  t.teardown(() => api.close());
  return api;
}

async function readsCounted(metrics: Metrics): Promise<Record<string, number>> {
  const metric = await metrics.registry.getSingleMetric('canary_pod_reads_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
}

async function sync(base: string, body: SyncRequest): Promise<SyncResponse> {
  const res = await post(base, '/sync', body);
  if (res.status !== 200) throw new Error(`POST /sync answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as unknown as SyncResponse;
}

const RUNNING_AT_2 = { position: { state: 'running' as const, step: 2 }, now: NOW.toISOString() };

const gate: {
  name: string;
  world: Parameters<typeof request>[0];
  edit?: (d: Deployment) => void;
  reads: boolean;
}[] = [
  { name: 'at rest: every replica available', world: RUNNING_AT_2, reads: false },
  { name: '3 of 4 available', world: { ...RUNNING_AT_2, newAvailable: 3 }, reads: true },
  {
    name: 'unavailableReplicas 1',
    world: RUNNING_AT_2,
    edit: (d) => Object.assign(d.status ?? {}, { unavailableReplicas: 1 }),
    reads: true,
  },
  { name: 'observedGeneration behind', world: { ...RUNNING_AT_2, newObservedGeneration: 2 }, reads: true },
  { name: 'pending', world: { canary: { status: undefined } }, reads: false },
  { name: 'complete', world: { position: { state: 'complete', step: 5 }, newAvailable: 9 }, reads: false },
  {
    name: 'rollback disabled',
    world: { ...RUNNING_AT_2, newAvailable: 3, canary: { spec: { enableRollback: false } } },
    reads: false,
  },
];

t.test('the gate over HTTP: only a part-way Canary whose new pods are not all available reads', async (t) => {
  const api = await standIn(t, (_req, res) => sendJson(res, 200, podList([])));
  const { base, metrics } = await startService(t, { pods: createPodReader(kubeConfigFor(api.url)) });
  let expected = 0;
  for (const row of gate) {
    const before = api.requests.length;
    await sync(base, syncWithoutPods(row.world, row.edit));
    t.equal(api.requests.length - before, row.reads ? 1 : 0, row.name);
    if (row.reads) expected += 1;
  }
  t.same(await readsCounted(metrics), expected > 0 ? { success: expected } : {}, 'canary_pod_reads_total');
  for (const call of api.requests) {
    const url = new URL(call.url, api.url);
    t.equal(call.method, 'GET');
    t.equal(url.pathname, POD_LIST_PATH, 'in the Canary namespace');
    t.equal(url.searchParams.get('labelSelector'), 'app=my-app,version=v2', "the new Deployment's selector");
    t.equal(url.searchParams.get('resourceVersion'), '0', "from the API server's cache");
    t.equal(url.searchParams.get('watch'), null, 'no watch');
  }
});

t.test('a request with Pod.v1 is decided from it, without a call', async (t) => {
  const api = await standIn(t, (_req, res) => sendJson(res, 200, podList([])));
  const { base, metrics } = await startService(t, { pods: createPodReader(kubeConfigFor(api.url)) });
  const answer = await sync(base, request({ ...RUNNING_AT_2, newAvailable: 3, pods: [crashingNewPod] }));
  t.equal(api.requests.length, 0);
  t.same(await readsCounted(metrics), {});
  t.equal(answer.status.currentStep, 0, 'rolled back from the pods in the request');
});

t.test('the pods read roll a crash of the new version back, and never one of the old', async (t) => {
  const cases = [
    { name: 'a new pod crash-loops', items: [oldPod, healthyNewPod, crashingNewPod], step: 0 },
    {
      name: 'only an old pod crash-loops',
      items: [pod({ deployment: 'my-app-v1', crashLoop: true }), healthyNewPod],
      step: 2,
    },
    { name: 'no pod yet', items: [], step: 2 },
  ];
  for (const c of cases) {
    const api = await standIn(t, (_req, res) => sendJson(res, 200, podList(c.items)));
    const { base } = await startService(t, { pods: createPodReader(kubeConfigFor(api.url)) });
    const answer = await sync(base, syncWithoutPods({ ...RUNNING_AT_2, newAvailable: 3 }));
    t.equal(answer.status.currentStep, c.step, c.name);
    if (c.step === 0)
      t.match(answer.status.rollback?.reason, /CrashLoopBackOff: container my-app of pod my-app-v2-/);
  }
});

interface FailureCase {
  name: string;
  outcome: string;
  message: RegExp;
  deps: (t: Test) => Promise<Partial<AppDeps>>;
}

const failures: FailureCase[] = [
  {
    name: 'RBAC refuses the list (403)',
    outcome: 'forbidden',
    message:
      /could not be read \(Forbidden: HTTP 403: pods is forbidden: User "system:serviceaccount:canary-system:canary-hooks" cannot list/,
    deps: async (t) => {
      const api = await standIn(t, (_req, res) =>
        sendJson(
          res,
          403,
          kubeStatus(
            403,
            'Forbidden',
            'pods is forbidden: User "system:serviceaccount:canary-system:canary-hooks" cannot list resource "pods" in API group "" in the namespace "default"',
          ),
        ),
      );
      return { pods: createPodReader(kubeConfigFor(api.url)) };
    },
  },
  {
    name: 'the API server answers too late',
    outcome: 'timeout',
    message: /could not be read \(Timeout: no answer within 200ms\)/,
    deps: async (t) => {
      // Answers after the service gave up: the read is not waited for.
      const api = await standIn(
        t,
        (_req, res) => void setTimeout(() => sendJson(res, 200, podList([])), 1500),
      );
      return { pods: createPodReader(kubeConfigFor(api.url)), podReadTimeoutMs: 200 };
    },
  },
  {
    name: 'the API server is down',
    outcome: 'unreachable',
    message: /could not be read \(Unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+\)/,
    deps: async () => ({ pods: createPodReader(kubeConfigFor(`http://127.0.0.1:${await freePort()}`)) }),
  },
  {
    name: 'the API server fails (500)',
    outcome: 'error',
    message: /could not be read \(Error: HTTP 500: etcdserver: request timed out\)/,
    deps: async (t) => {
      const api = await standIn(t, (_req, res) =>
        sendJson(res, 500, kubeStatus(500, 'InternalError', 'etcdserver: request timed out')),
      );
      return { pods: createPodReader(kubeConfigFor(api.url)) };
    },
  },
  {
    name: 'no API configured',
    outcome: 'no_api',
    message: /could not be read \(NoApi: no usable Kubernetes config/,
    deps: async () => ({
      pods: unavailablePodReader('no usable Kubernetes config (in-cluster, $KUBECONFIG or ~/.kube/config)'),
    }),
  },
];

t.test('a failed read: 200, no step, no rollback, the status says why, one Warning per cause', async (t) => {
  for (const c of failures) {
    t.test(c.name, async (t) => {
      const { base, metrics, events, idle } = await startService(t, await c.deps(t));
      // The new pods crash-loop and a step is due: neither may be acted on unseen.
      const first = syncWithoutPods({ ...RUNNING_AT_2, newAvailable: 3 });
      const answer = await sync(base, first);
      const s = answer.status;
      t.equal(s.state, 'running');
      t.equal(s.currentStep, 2, 'no step, no rollback');
      t.equal(s.rollback, null);
      t.match(s.message, /^Canary is Running: pods of my-app-v2 /);
      t.match(s.message, c.message);
      t.match(
        s.conditions.find((x) => x.type === 'Progressing'),
        { status: 'True', reason: 'PodsUnreadable', message: c.message },
      );
      t.same(await readsCounted(metrics), { [c.outcome]: 1 });

      // Three more syncs with the status written back: the same status, no more Events.
      let parent = { ...first.parent, status: { ...s, observedGeneration: 1 } };
      for (let i = 0; i < 3; i += 1) {
        const again = await sync(base, { ...first, parent });
        t.same(again.status, s, `sync ${i + 2}: nothing new to write`);
        parent = { ...first.parent, status: { ...again.status, observedGeneration: 1 } };
      }
      await idle();
      t.same(
        events.map((e) => [e.type, e.reason]),
        [['Warning', 'PodsUnreadable']],
        'one Warning Event for the cause',
      );
      t.match(events[0]?.message, c.message);
      t.same(await readsCounted(metrics), { [c.outcome]: 4 }, 'each sync tried again');

      // A command still acts.
      const stop = syncWithoutPods({ ...RUNNING_AT_2, newAvailable: 3, canary: { command: 'stop' } });
      const stopped = await sync(base, { ...stop, parent: { ...stop.parent, status: parent.status } });
      t.equal(stopped.status.state, 'stop', 'stop acts');
      t.equal(stopped.status.currentStep, 2);
    });
  }
});

t.test('failures are told apart by cause, in words that stay the same', async (t) => {
  const refused = Object.assign(
    new Error('request to https://10.0.0.1/api failed, reason: connect ECONNREFUSED 10.0.0.1:443'),
    {
      code: 'ECONNREFUSED',
    },
  );
  t.same(failureOf(refused, undefined), {
    cause: 'Unreachable',
    detail: 'connect ECONNREFUSED 10.0.0.1:443',
  });
  const wrapped = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
  t.same(failureOf(wrapped, undefined), { cause: 'Unreachable', detail: 'ENOTFOUND' });
  t.same(failureOf(new Error('socket hang up'), undefined), { cause: 'Error', detail: 'socket hang up' });
  t.same(failureOf(new Error('aborted'), 250), { cause: 'Timeout', detail: 'no answer within 250ms' });
});

t.test('a pod as read keeps what the rollback rule reads, in wire form', async (t) => {
  const read = wirePod({
    metadata: {
      name: 'my-app-v2-7d4f8c9b5-ax0kq',
      namespace: 'default',
      labels: { app: 'my-app', 'pod-template-hash': '7d4f8c9b5' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'my-app-v2-7d4f8c9b5',
          uid: 'u',
          controller: true,
        },
      ],
      deletionTimestamp: new Date('2026-11-23T09:00:00Z'),
      managedFields: [{ manager: 'kubelet' }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'my-app',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    },
  });
  t.same(read, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'my-app-v2-7d4f8c9b5-ax0kq',
      namespace: 'default',
      labels: { app: 'my-app', 'pod-template-hash': '7d4f8c9b5' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'my-app-v2-7d4f8c9b5',
          uid: 'u',
          controller: true,
        },
      ],
      deletionTimestamp: '2026-11-23T09:00:00Z',
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        { name: 'my-app', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  });
});
