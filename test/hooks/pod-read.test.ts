/**
 * Pods on demand (docs/design.md §11): which requests make the server read
 * the new Deployment's pods, what it asks for, and what a sync decides when
 * the read failed.
 */
import t from 'tap';
import {
  hasRelatedPods,
  parseGoDuration,
  podReadPlan,
  podReadTimeoutMs,
  podsCouldDecide,
  type PodReadFailure,
} from '../../hooks/pod-read.js';
import { decideSync } from '../../hooks/sync.js';
import { POD_RELATED_KEY, type Deployment, type SyncRequest } from '../../hooks/wire/index.js';
import {
  assertStatusFitsCrd,
  condition,
  crashingNewPod,
  replicasOf,
  request,
  type World,
} from './support.js';

/** The request as a CompositeController installed with this version sends it: no `Pod.v1` key at all. */
function withoutPods(req: SyncRequest): SyncRequest {
  const related = { ...req.related };
  delete related[POD_RELATED_KEY];
  return { ...req, related };
}

function newDeployment(req: SyncRequest): Deployment {
  return req.children?.['Deployment.apps/v1']?.['my-app-v2'] as Deployment;
}

/** Running at step 2 (4 new replicas asked), the next tick due. */
const RUNNING_AT_2: World = { position: { state: 'running', step: 2 }, now: '2026-11-23T09:01:30Z' };

const statusRows: {
  name: string;
  status: (d: Deployment) => void;
  reads: boolean;
}[] = [
  { name: 'every replica available, generation seen', status: () => undefined, reads: false },
  {
    name: 'availableReplicas < spec.replicas',
    status: (d) => Object.assign(d.status ?? {}, { availableReplicas: 3, readyReplicas: 3 }),
    reads: true,
  },
  {
    name: 'unavailableReplicas > 0 (a rolling update surging)',
    status: (d) => Object.assign(d.status ?? {}, { unavailableReplicas: 1, replicas: 5 }),
    reads: true,
  },
  {
    name: 'observedGeneration < generation (the controller has not seen the spec)',
    status: (d) => Object.assign(d.status ?? {}, { observedGeneration: 2 }),
    reads: true,
  },
  {
    name: 'no status yet',
    status: (d) => delete d.status,
    reads: true,
  },
  {
    name: 'asks for no replicas',
    status: (d) => {
      d.spec.replicas = 0;
      Object.assign(d.status ?? {}, { replicas: 0, availableReplicas: 0 });
    },
    reads: false,
  },
  {
    name: 'asks for no replicas while some are still unavailable',
    status: (d) => {
      d.spec.replicas = 0;
      Object.assign(d.status ?? {}, { availableReplicas: 0, unavailableReplicas: 2 });
    },
    reads: false,
  },
];

t.test('the gate: which statuses of the new Deployment make a read', async (t) => {
  for (const row of statusRows) {
    const req = withoutPods(request(RUNNING_AT_2));
    row.status(newDeployment(req));
    t.equal(podsCouldDecide(req), row.reads, row.name);
    t.equal(podReadPlan(req) !== undefined, row.reads, `${row.name}: plan`);
  }
});

const canaryRows: { name: string; world: World; reads: boolean }[] = [
  { name: 'pending (no status)', world: { canary: { status: undefined }, newAvailable: 0 }, reads: false },
  {
    name: 'rolled back (stop at step 0)',
    world: {
      position: {
        state: 'stop',
        step: 0,
        rollback: { time: '2026-11-23T08:00:00Z', reason: 'CrashLoopBackOff', revision: 'x' },
      },
      newAvailable: 0,
    },
    reads: false,
  },
  { name: 'complete', world: { position: { state: 'complete', step: 5 }, newAvailable: 9 }, reads: false },
  {
    name: 'running part-way',
    world: { position: { state: 'running', step: 2 }, newAvailable: 3 },
    reads: true,
  },
  { name: 'stopped part-way', world: { position: { state: 'stop', step: 2 }, newAvailable: 3 }, reads: true },
  {
    name: 'in error part-way (may recover into a rollback)',
    world: { position: { state: 'error', step: 2 }, newAvailable: 3 },
    reads: true,
  },
  {
    name: 'enableRollback: false',
    world: {
      position: { state: 'running', step: 2 },
      newAvailable: 3,
      canary: { spec: { enableRollback: false } },
    },
    reads: false,
  },
  {
    name: 'the new Deployment is not among the children',
    world: { position: { state: 'running', step: 2 }, newAvailable: 3, omit: ['my-app-v2'] },
    reads: false,
  },
];

t.test('the gate: which positions of the Canary make a read', async (t) => {
  for (const row of canaryRows) {
    const req = withoutPods(request(row.world));
    t.equal(podsCouldDecide(req), row.reads, row.name);
    t.equal(podReadPlan(req) !== undefined, row.reads, `${row.name}: plan`);
  }
});

t.test(
  'a request that still carries Pod.v1 is decided from it, never read (either upgrade order)',
  async (t) => {
    const needy: World = { position: { state: 'running', step: 2 }, newAvailable: 3 };
    const rows: { name: string; related: SyncRequest['related']; carries: boolean }[] = [
      {
        name: 'Pod.v1 with pods',
        related: request({ ...needy, pods: [crashingNewPod()] }).related,
        carries: true,
      },
      { name: 'Pod.v1 empty: no pod matches', related: { [POD_RELATED_KEY]: {} }, carries: true },
      { name: 'Pod.v1 null', related: { [POD_RELATED_KEY]: null }, carries: true },
      { name: 'no Pod.v1 key', related: {}, carries: false },
      {
        name: 'only a route',
        related: { 'HTTPRoute.gateway.networking.k8s.io/v1': {} } as SyncRequest['related'],
        carries: false,
      },
      { name: 'related null', related: null, carries: false },
      { name: 'related absent', related: undefined, carries: false },
    ];
    for (const row of rows) {
      const req = { ...request(needy), related: row.related };
      t.equal(hasRelatedPods(req), row.carries, row.name);
      t.equal(podReadPlan(req) === undefined, row.carries, `${row.name}: read only without the key`);
    }
  },
);

t.test('the read: the Canary namespace and the new Deployment selector, not the Canary one', async (t) => {
  const req = withoutPods(request({ position: { state: 'running', step: 2 }, newAvailable: 3 }));
  t.same(podReadPlan(req), {
    namespace: 'default',
    deployment: 'my-app-v2',
    selector: { matchLabels: { app: 'my-app', version: 'v2' } },
    labelSelector: 'app=my-app,version=v2',
  });
  newDeployment(req).spec.selector = {
    matchLabels: { app: 'my-app' },
    matchExpressions: [
      { key: 'track', operator: 'In', values: ['canary', 'next'] },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  };
  t.equal(podReadPlan(req)?.labelSelector, 'app=my-app,track in (canary,next),!legacy');
  newDeployment(req).spec.selector = {};
  t.equal(podReadPlan(req), undefined, 'an empty selector would list the whole namespace: no read');
});

t.test('the timeout: the configured bound, within a third of the sync hook timeout', async (t) => {
  const controller = (timeout: unknown) => ({ spec: { hooks: { sync: { webhook: { timeout } } } } });
  const rows: [unknown, number, number][] = [
    [controller('10s'), 3000, 3000],
    [controller('3s'), 3000, 1000],
    [controller('1m30s'), 3000, 3000],
    [controller('1m30s'), 45_000, 30_000],
    [controller('500ms'), 3000, 166],
    [controller('ten seconds'), 3000, 3000],
    [controller(undefined), 5000, 3333],
    [undefined, 3000, 3000],
  ];
  for (const [c, configured, expected] of rows) {
    t.equal(podReadTimeoutMs(configured, c), expected, JSON.stringify(c));
  }
  t.equal(parseGoDuration('1h2m3.5s'), 3_723_500);
  t.equal(parseGoDuration('0s'), undefined, 'no zero timeout');
  t.equal(parseGoDuration('10'), undefined, 'a unit is required');
});

// ------------------------------------------------------------ failed reads

const failures: PodReadFailure[] = [
  { cause: 'Timeout', detail: 'no answer within 3000ms' },
  {
    cause: 'Forbidden',
    detail:
      'HTTP 403: pods is forbidden: User "system:serviceaccount:canary-system:canary-hooks" cannot list resource "pods" in API group "" in the namespace "default"',
  },
  { cause: 'Unreachable', detail: 'connect ECONNREFUSED 10.96.0.1:443' },
  { cause: 'NoApi', detail: 'no usable Kubernetes config (in-cluster, $KUBECONFIG or ~/.kube/config)' },
  { cause: 'Error', detail: 'HTTP 500: etcdserver: request timed out' },
];

/** Step 2's 4 replicas all available but one more unavailable (a rolling update): read, and otherwise a step. */
const DUE_AND_READY: World = { position: { state: 'running', step: 2 }, now: '2026-11-23T09:01:30Z' };
function dueAndReady(): SyncRequest {
  const req = withoutPods(request(DUE_AND_READY));
  Object.assign(newDeployment(req).status ?? {}, { unavailableReplicas: 1 });
  return req;
}

t.test(
  'the same request with its pods read takes the due step (the baseline of the table below)',
  async (t) => {
    const req = dueAndReady();
    const decision = decideSync({ ...req, related: { [POD_RELATED_KEY]: {} } }, new Date(DUE_AND_READY.now!));
    t.equal(decision.response.status.currentStep, 3);
  },
);

t.test('a failed read, whatever its cause: no step, no rollback on a guess, and it says why', async (t) => {
  for (const failure of failures) {
    t.test(failure.cause, async (t) => {
      const now = new Date(DUE_AND_READY.now!);
      const decision = decideSync(dueAndReady(), now, failure);
      const s = decision.response.status;
      t.equal(s.state, 'running');
      t.equal(s.currentStep, 2, 'the due step is not taken');
      t.same(replicasOf(decision), { 'my-app-v1': 6, 'my-app-v2': 4 }, 'replicas held');
      t.match(s.message, `Canary is Running: pods of my-app-v2 could not be read (${failure.cause}: `);
      t.match(s.message, failure.detail.slice(0, 40));
      t.match(condition(decision, 'Progressing'), {
        status: 'True',
        reason: 'PodsUnreadable',
        message: /^Pods of my-app-v2 could not be read/,
      });
      t.same(
        decision.transitions.map((x) => [x.kind, x.reason, x.warning]),
        [['PodsUnreadable', 'PodsUnreadable', true]],
        'one Warning',
      );
      t.equal(decision.transitions[0]?.eventKey, `pods-${failure.cause.toLowerCase()}`);
      t.ok(decision.response.resyncAfterSeconds <= 10, 'tried again soon');
      assertStatusFitsCrd(t, decision);

      // The next sync, same cause, from the status just written: no new
      // Warning, and the same status (nothing to write).
      const again = dueAndReady();
      again.parent = { ...again.parent, status: { ...s, observedGeneration: 1 } };
      const next = decideSync(again, new Date(now.getTime() + 10_000), failure);
      t.same(next.transitions, [], 'no Warning while the cause is the same');
      t.same(next.response.status, s, 'no status churn');

      // Another cause: one more Warning.
      const other = failures.find((f) => f.cause !== failure.cause) as PodReadFailure;
      const changed = decideSync(again, new Date(now.getTime() + 20_000), other);
      t.same(
        changed.transitions.map((x) => x.kind),
        ['PodsUnreadable'],
        `a new cause (${other.cause}) is announced`,
      );
    });
  }
});

t.test(
  'a failed read while the Canary is stopped part-way says so in the message and Progressing',
  async (t) => {
    const req = withoutPods(request({ position: { state: 'stop', step: 2 }, newAvailable: 3 }));
    const decision = decideSync(req, new Date('2026-11-23T09:01:30Z'), failures[1]);
    t.match(
      decision.response.status.message,
      /^Canary is Stopped: pods of my-app-v2 could not be read \(Forbidden/,
    );
    t.match(condition(decision, 'Progressing'), { status: 'False', reason: 'PodsUnreadable' });
  },
);

t.test('commands still act when the pods cannot be read', async (t) => {
  const rows: { command: string; state: string; step: number; old: number; new: number; message: RegExp }[] =
    [
      {
        command: 'stop',
        state: 'stop',
        step: 2,
        old: 6,
        new: 4,
        message: /^Canary is Stopped: pods of my-app-v2/,
      },
      { command: 'rollback', state: 'stop', step: 0, old: 10, new: 0, message: /Canary is rollbacked$/ },
      { command: 'completion', state: 'complete', step: 5, old: 0, new: 10, message: /^Canary is complete$/ },
    ];
  for (const row of rows) {
    const req = withoutPods(
      request({
        position: { state: 'running', step: 2, observedCommand: 'apply' },
        canary: { command: row.command },
        newAvailable: 3,
      }),
    );
    const decision = decideSync(req, new Date('2026-11-23T09:01:30Z'), failures[0]);
    const s = decision.response.status;
    t.equal(s.state, row.state, row.command);
    t.equal(s.currentStep, row.step, `${row.command}: step`);
    t.equal(s.observedCommand, row.command, `${row.command}: recorded`);
    t.match(s.message, row.message, `${row.command}: message`);
    t.equal(s.newReplicas, row.new, `${row.command}: new replicas`);
    t.equal(s.oldReplicas, row.old, `${row.command}: old replicas`);
  }
});

t.test('the progress deadline needs no pods: it still rolls back when they cannot be read', async (t) => {
  const req = withoutPods(
    request({
      position: { state: 'running', step: 2, lastStepTime: '2026-11-23T09:00:00Z' },
      canary: { spec: { progressDeadlineSeconds: 60 } },
      newAvailable: 1,
    }),
  );
  const decision = decideSync(req, new Date('2026-11-23T09:05:00Z'), failures[0]);
  t.equal(decision.response.status.currentStep, 0);
  t.equal(decision.response.status.rollback?.reason.startsWith('ProgressDeadlineExceeded'), true);
});

t.test(
  'without a failure, pods the server read roll a crash back as Metacontroller-sent ones did',
  async (t) => {
    const req = withoutPods(request({ position: { state: 'running', step: 2 }, newAvailable: 3 }));
    const crash = crashingNewPod();
    const read = { ...req, related: { ...req.related, [POD_RELATED_KEY]: { [crash.metadata.name]: crash } } };
    const decision = decideSync(read, new Date('2026-11-23T09:00:30Z'));
    t.equal(decision.response.status.currentStep, 0);
    t.match(
      decision.response.status.rollback?.reason,
      /CrashLoopBackOff: container my-app of pod my-app-v2-/,
    );
  },
);
