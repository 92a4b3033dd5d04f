/**
 * Kubernetes Events on Canary transitions: the Event each transition makes,
 * the real app over HTTP telling a recording sink about every kind of
 * transition (and nothing when nothing changed), the recorder against a
 * stand-in API server, its fire-and-forget guarantees, and EVENTS_ENABLED.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import type { CoreV1Event } from '@kubernetes/client-node';
import t, { type Test } from 'tap';
import type { Transition } from '../../hooks/sync.js';
import {
  COMMAND_ANNOTATION,
  type Canary,
  type CanaryStatus,
  type SyncRequest,
} from '../../hooks/wire/index.js';
import { buildApp } from '../../server/app.js';
import {
  REPORTING_CONTROLLER,
  SOURCE_COMPONENT,
  canaryEvent,
  createEventRecorder,
  kubeEventSink,
  type EventSink,
} from '../../server/events.js';
import type { KubeApi } from '../../server/kube.js';
import { createMetrics } from '../../server/metrics.js';
import { canary, deployment, pod, syncRequest, CANARY_UID } from '../fixtures/cluster.js';
import {
  kubeConfigFor,
  kubeStatus,
  kubeconfigYaml,
  listen,
  post,
  sendJson,
  startKubeStandIn,
  freePort as loopbackPort,
} from './support.js';

const noKube: KubeApi = {
  releaseDeployment: async () => {
    throw new Error('not expected in this test');
  },
};

const transition = (overrides: Partial<Transition> = {}): Transition => ({
  kind: 'StepAdvanced',
  reason: 'Schedule',
  message: 'Advanced to step 2 of 5',
  warning: false,
  from: { state: 'running', step: 1 },
  to: { state: 'running', step: 2 },
  ...overrides,
});

t.test('canaryEvent: a core/v1 Event about the Canary, Normal or Warning', async (t) => {
  const c = canary();
  const time = new Date('2026-11-23T09:01:00Z');
  const e = canaryEvent(c, transition(), time, 'canary-hooks-7d9f-abcde', '18f0a1');
  t.same(e.involvedObject, {
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    kind: 'Canary',
    name: 'my-app',
    namespace: 'default',
    uid: CANARY_UID,
    resourceVersion: '48213',
  });
  t.same(e.metadata, { name: 'my-app.18f0a1', namespace: 'default' });
  t.equal(e.reason, 'Schedule');
  t.equal(e.type, 'Normal');
  t.equal(e.action, 'StepAdvanced');
  t.equal(e.message, 'Advanced to step 2 of 5');
  t.same(e.source, { component: SOURCE_COMPONENT, host: 'canary-hooks-7d9f-abcde' });
  t.equal(e.reportingComponent, REPORTING_CONTROLLER);
  t.equal(e.reportingInstance, 'canary-hooks-7d9f-abcde');
  t.same(e.firstTimestamp, time);
  t.same(e.lastTimestamp, time);
  t.equal(e.count, 1);
  t.equal(e.eventTime, undefined, 'no eventTime: the API server would then require the new-style fields');

  const rolledBack = canaryEvent(
    c,
    transition({ kind: 'RolledBack', reason: 'CrashLoopBackOff', warning: true, message: 'Rolled back' }),
    time,
    'pod',
    '1',
  );
  t.equal(rolledBack.type, 'Warning');
  t.equal(rolledBack.reason, 'CrashLoopBackOff');

  const long = canaryEvent(c, transition({ message: 'x'.repeat(5000) }), time, 'pod', '1');
  t.equal(long.message?.length, 1024, 'notes beyond the API server limit are cut');
  t.ok(long.message?.endsWith('...'));
});

// ---------------------------------------------------------------- the app

interface Recorded {
  canary: string;
  reason: string | undefined;
  type: string | undefined;
  action: string | undefined;
  message: string | undefined;
}

/** The real app, its transitions going through the real recorder into a sink that records. */
async function startApp(t: Test) {
  let now = new Date('2026-11-23T09:00:30Z');
  const sent: Recorded[] = [];
  const sink: EventSink = {
    async create(e) {
      sent.push({
        canary: `${e.involvedObject.namespace}/${e.involvedObject.name}`,
        reason: e.reason,
        type: e.type,
        action: e.action,
        message: e.message,
      });
    },
  };
  const recorder = createEventRecorder({ sink, clock: () => now, instance: 'test-pod' });
  const app = buildApp({
    kube: noKube,
    clock: () => now,
    metrics: createMetrics({ defaultMetrics: false }),
    onTransitions: recorder.listener,
  });
  const base = await listen(app);
  t.teardown(() => app.close());

  let status: CanaryStatus | null = null;
  /** One sync of the Canary as the last answer left it; returns the Events it caused. */
  const sync = async (
    options: {
      command?: string;
      spec?: Record<string, unknown>;
      v2?: { replicas?: number; available?: number; image?: string };
      crash?: boolean;
      withoutNew?: boolean;
      at?: string;
    } = {},
  ) => {
    if (options.at) now = new Date(options.at);
    const parent: Canary = canary({ command: options.command, spec: options.spec, status });
    const children = [deployment({ name: 'my-app-v1', replicas: status?.oldReplicas ?? 10 })];
    if (!options.withoutNew) {
      const replicas = options.v2?.replicas ?? status?.newReplicas ?? 0;
      children.push(
        deployment({
          name: 'my-app-v2',
          replicas,
          available: options.v2?.available ?? replicas,
          image: options.v2?.image,
        }),
      );
    }
    const pods = options.crash ? [pod({ deployment: 'my-app-v2', crashLoop: true })] : [];
    const request: SyncRequest = syncRequest(parent, children, pods);
    const before = sent.length;
    const res = await post(base, '/sync', request);
    t.equal(res.status, 200, 'the sync is answered');
    status = res.body.status as unknown as CanaryStatus;
    await recorder.idle();
    return sent.slice(before);
  };
  return { sync, sent, recorder };
}

t.test('an Event for every kind of transition, none when nothing changed', async (t) => {
  const { sync, recorder } = await startApp(t);
  const only = (events: Recorded[]) => events.map((e) => [e.action, e.reason, e.type]);

  t.same(await sync(), [], 'a new Canary without a command: pending, no Event');
  t.same(await sync(), [], 'nothing changed: no Event');

  const started = await sync({ command: 'apply' });
  t.same(only(started), [['Started', 'ApplyCommand', 'Normal']]);
  t.equal(started[0]?.canary, 'default/my-app');
  t.match(started[0]?.message, /step 1/);
  t.same(await sync({ command: 'apply' }), [], 'the same command again changes nothing: no Event');

  const stepped = await sync({ command: 'apply', at: '2026-11-23T09:01:00Z' });
  t.same(only(stepped), [['StepAdvanced', 'Schedule', 'Normal']]);
  t.match(stepped[0]?.message, /step 2 of 5/);

  t.same(only(await sync({ command: 'stop' })), [['Stopped', 'StopCommand', 'Normal']]);
  t.same(await sync({ command: 'stop', at: '2026-11-23T09:05:00Z' }), [], 'stopped and quiet');
  t.same(only(await sync({ command: 'apply' })), [['Resumed', 'ApplyCommand', 'Normal']]);

  const crashed = await sync({ command: 'apply', crash: true });
  t.same(
    only(crashed),
    [['RolledBack', 'CrashLoopBackOff', 'Warning']],
    'an automatic rollback is a Warning',
  );
  t.match(crashed[0]?.message, /CrashLoopBackOff/);
  t.same(await sync({ command: 'apply', crash: true }), [], 'rolled back and waiting for a fix: quiet');

  const fixed = await sync({ command: 'apply', v2: { image: 'my-app:v2-fixed' } });
  t.same(only(fixed), [['Restarted', 'NewPodTemplate', 'Normal']]);

  t.same(only(await sync({ command: 'rollback', v2: { image: 'my-app:v2-fixed' } })), [
    ['RolledBack', 'RollbackCommand', 'Warning'],
  ]);
  t.same(only(await sync({ command: 'completion', v2: { image: 'my-app:v2-fixed' } })), [
    ['Completed', 'CompletionCommand', 'Normal'],
  ]);

  const unknown = await sync({ command: 'finish' });
  t.same(only(unknown), [['UnknownCommand', 'UnknownCommand', 'Warning']]);
  t.same(await sync({ command: 'finish' }), [], 'the same unknown command is reported once');

  const invalid = await sync({ command: 'completion', spec: { cronSchedule: 'every minute' } });
  t.same(only(invalid), [['InvalidSpec', 'InvalidSpec', 'Warning']]);
  t.match(invalid[0]?.message, /spec\.cronSchedule/);
  t.same(await sync({ command: 'completion', spec: { cronSchedule: 'every minute' } }), [], 'reported once');

  t.same(only(await sync({ command: 'completion' })), [['Recovered', 'Valid', 'Normal']]);

  const missing = await sync({ command: 'completion', withoutNew: true });
  t.same(only(missing), [['DeploymentMissing', 'DeploymentNotFound', 'Warning']]);
  t.match(missing[0]?.message, /my-app-v2/);

  t.equal(recorder.stats.failed, 0);
  t.equal(recorder.stats.dropped, 0);
});

t.test('a rollout completed by the schedule reports Completed with AllStepsDone', async (t) => {
  const { sync } = await startApp(t);
  const spec = { totalReplicas: 2, stepReplicas: 1 };
  t.same(
    (await sync({ command: 'apply', spec })).map((e) => e.action),
    ['Started'],
  );
  const done = await sync({ command: 'apply', spec, at: '2026-11-23T09:01:00Z' });
  t.same(
    done.map((e) => [e.action, e.reason, e.type]),
    [['Completed', 'AllStepsDone', 'Normal']],
  );
});

// ------------------------------------------------------- the real API path

t.test('the recorder POSTs core/v1 Events to the API server', async (t) => {
  const api = await startKubeStandIn((req, res) => sendJson(res, 201, req.body));
  t.teardown(() => api.close());
  const recorder = createEventRecorder({
    sink: kubeEventSink(kubeConfigFor(api.url)),
    clock: () => new Date('2026-11-23T09:01:00Z'),
    instance: 'canary-hooks-0',
  });
  recorder.listener(canary(), [
    transition({ sequence: 7 }),
    transition({
      kind: 'RolledBack',
      reason: 'ProgressDeadlineExceeded',
      warning: true,
      message: 'Rolled back',
      sequence: 7,
    }),
  ]);
  await recorder.idle();
  t.equal(api.requests.length, 2);
  for (const r of api.requests) {
    t.equal(r.method, 'POST');
    t.equal(r.url, '/api/v1/namespaces/default/events');
    t.equal(r.authorization, 'Bearer stand-in-token');
  }
  const bodies = api.requests.map((r) => r.body as Record<string, unknown>);
  const byReason = new Map(bodies.map((b) => [b.reason, b]));
  const step = byReason.get('Schedule') as Record<string, unknown>;
  t.match(step, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { namespace: 'default', name: 'my-app.6f1c9a3e.7.0' },
    involvedObject: {
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      name: 'my-app',
      namespace: 'default',
      uid: CANARY_UID,
    },
    type: 'Normal',
    action: 'StepAdvanced',
    source: { component: 'canary-hooks', host: 'canary-hooks-0' },
    reportingComponent: 'canary.k8shuginn.io/canary-hooks',
    reportingInstance: 'canary-hooks-0',
    firstTimestamp: '2026-11-23T09:01:00.000Z',
    lastTimestamp: '2026-11-23T09:01:00.000Z',
    count: 1,
  });
  t.match(byReason.get('ProgressDeadlineExceeded'), { type: 'Warning', action: 'RolledBack' });
  const names = new Set(bodies.map((b) => (b.metadata as { name: string }).name));
  t.equal(names.size, 2, 'each Event has its own name');
  t.same(recorder.stats, { sent: 2, failed: 0, dropped: 0, duplicates: 0, refused: 0 });
});

t.test('a refused Event is logged and dropped; the sync is still answered', async (t) => {
  const api = await startKubeStandIn((_req, res) =>
    sendJson(
      res,
      403,
      kubeStatus(403, 'Forbidden', 'events is forbidden: User cannot create resource "events"'),
    ),
  );
  t.teardown(() => api.close());
  const warnings: Record<string, unknown>[] = [];
  const recorder = createEventRecorder({
    sink: kubeEventSink(kubeConfigFor(api.url)),
    log: { warn: (o) => warnings.push(o as Record<string, unknown>), debug: () => undefined },
  });
  const app = buildApp({ kube: noKube, onTransitions: recorder.listener });
  const base = await listen(app);
  t.teardown(() => app.close());
  const res = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'apply', status: null }), [
      deployment({ name: 'my-app-v1', replicas: 10 }),
      deployment({ name: 'my-app-v2', replicas: 0 }),
    ]),
  );
  t.equal(res.status, 200);
  t.match(res.body.status, { state: 'running', currentStep: 1 });
  await recorder.idle();
  t.equal(api.requests.length, 1, 'tried once, not retried');
  t.same(recorder.stats, { sent: 0, failed: 1, dropped: 0, duplicates: 0, refused: 0 });
  t.match(warnings[0], { canary: 'default/my-app', reason: 'ApplyCommand', why: /HTTP 403.*forbidden/ });
});

t.test(
  'the same decision announced twice is one Event: named after it, AlreadyExists the second time',
  async (t) => {
    const names = new Set<string>();
    const api = await startKubeStandIn((req, res) => {
      const name = String((req.body as { metadata?: { name?: string } }).metadata?.name);
      if (names.has(name)) {
        sendJson(res, 409, kubeStatus(409, 'AlreadyExists', `events "${name}" already exists`));
        return;
      }
      names.add(name);
      sendJson(res, 201, req.body);
    });
    t.teardown(() => api.close());
    const recorder = createEventRecorder({ sink: kubeEventSink(kubeConfigFor(api.url)) });
    const app = buildApp({ kube: noKube, onTransitions: recorder.listener });
    const base = await listen(app);
    t.teardown(() => app.close());
    // The same stale request twice (two replicas of the service, or a sync
    // racing the status write): each decides to start the rollout.
    const request = syncRequest(canary({ command: 'apply', status: null }), [
      deployment({ name: 'my-app-v1', replicas: 10 }),
      deployment({ name: 'my-app-v2', replicas: 0 }),
    ]);
    for (let i = 0; i < 2; i++) t.equal((await post(base, '/sync', request)).status, 200);
    await recorder.idle();
    t.equal(api.requests.length, 2, 'both tried');
    t.same([...names], ['my-app.6f1c9a3e.1.0'], 'one name: Canary, uid, decision 1, first transition');
    t.same(recorder.stats, { sent: 1, failed: 0, dropped: 0, duplicates: 1, refused: 0 });
  },
);

t.test('a hanging API server neither delays the sync nor grows the queue without bound', async (t) => {
  const held: (() => void)[] = [];
  const api = await startKubeStandIn(
    (req, res) => new Promise<void>((resolve) => held.push(() => (sendJson(res, 201, req.body), resolve()))),
  );
  t.teardown(() => api.close());
  const recorder = createEventRecorder({
    sink: kubeEventSink(kubeConfigFor(api.url)),
    concurrency: 1,
    maxQueue: 2,
  });
  const app = buildApp({ kube: noKube, onTransitions: recorder.listener });
  const base = await listen(app);
  t.teardown(() => app.close());
  const request = (name: string) =>
    syncRequest(canary({ name, command: 'apply', status: null }), [
      deployment({ name: 'my-app-v1', replicas: 10 }),
      deployment({ name: 'my-app-v2', replicas: 0 }),
    ]);

  const first = await post(base, '/sync', request('a'));
  t.equal(first.status, 200, 'answered');
  // Wait for the first Event to reach the stand-in, which holds it unanswered.
  while (api.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
  for (const name of ['b', 'c', 'd', 'e']) {
    const res = await post(base, '/sync', request(name));
    t.equal(res.status, 200, `sync of ${name} answered while an Event hangs`);
  }
  t.equal(recorder.stats.dropped, 2, 'two queued behind the hanging one, two dropped');
  t.equal(api.requests.length, 1, 'one in flight at a time');
  while (held.length > 0 || api.requests.length < 3) {
    held.shift()?.();
    await new Promise((r) => setTimeout(r, 5));
  }
  await recorder.idle();
  t.same(recorder.stats, { sent: 3, failed: 0, dropped: 2, duplicates: 0, refused: 0 });
  t.same(
    api.requests.map(
      (r) => (r.body as CoreV1Event & { involvedObject: { name: string } }).involvedObject.name,
    ),
    ['a', 'b', 'c'],
  );
});

t.test('a send that never answers is given up on after the timeout', async (t) => {
  const warnings: Record<string, unknown>[] = [];
  const recorder = createEventRecorder({
    sink: { create: () => new Promise<void>(() => undefined) },
    timeoutMs: 1,
    log: { warn: (o) => warnings.push(o as Record<string, unknown>), debug: () => undefined },
  });
  recorder.listener(canary(), [transition()]);
  await recorder.idle();
  t.same(recorder.stats, { sent: 0, failed: 1, dropped: 0, duplicates: 0, refused: 0 });
  t.match(warnings[0], { why: /no answer within 1ms/ });
});

t.test('a sink that throws at once does not reach the caller', async (t) => {
  const recorder = createEventRecorder({
    sink: {
      create: () => {
        throw new Error('boom');
      },
    },
  });
  t.doesNotThrow(() => recorder.listener(canary(), [transition()]));
  await recorder.idle();
  t.equal(recorder.stats.failed, 1);
});

t.test('COMMAND_ANNOTATION is what the fixtures annotate', async (t) => {
  t.equal(canary({ command: 'apply' }).metadata.annotations?.[COMMAND_ANNOTATION], 'apply');
});

// ------------------------------------------------------------ the process

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** main.ts as users start it, against a stand-in that records Events; stopped with SIGTERM. */
async function runMain(t: Test, env: Record<string, string>) {
  // The Canary is live (the claim check reads it before its Events go out); Events are recorded.
  const api = await startKubeStandIn((req, res) =>
    req.method === 'GET' ? sendJson(res, 200, canary({ command: 'apply' })) : sendJson(res, 201, req.body),
  );
  t.teardown(() => api.close());
  const dir = t.testdir({ kubeconfig: kubeconfigYaml(api.url) });
  const port = await freePort();
  const metricsPort = await loopbackPort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', '@tapjs/typescript/import', 'server/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      KUBECONFIG: join(dir, 'kubeconfig'),
      SHUTDOWN_DELAY_SECONDS: '0',
      // Type-checked by tsc already; compiling without it keeps the spawn quick on a shared machine.
      TS_NODE_TRANSPILE_ONLY: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = once(child, 'exit');
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  for (;;) {
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null) throw new Error(`main exited early: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const res = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'apply', status: null }), [
      deployment({ name: 'my-app-v1', replicas: 10 }),
      deployment({ name: 'my-app-v2', replicas: 0 }),
    ]),
  );
  t.equal(res.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'stopped cleanly');
  return { events: api.requests.filter((r) => r.url.endsWith('/events')), metrics, output };
}

t.test('main.ts records Events by default and exposes the canary gauges', async (t) => {
  const { events, metrics, output } = await runMain(t, {});
  t.match(output, /"eventsEnabled":true/);
  t.equal(events.length, 1, 'the Started Event went out before the process stopped');
  t.match(events[0]?.body, { reason: 'ApplyCommand', action: 'Started', involvedObject: { name: 'my-app' } });
  t.match(metrics, /canary_state\{namespace="default",name="my-app",state="running"\} 1/);
  t.match(metrics, /canary_current_step\{namespace="default",name="my-app"\} 1/);
});

t.test('EVENTS_ENABLED=false: no Events at all', async (t) => {
  const { events, output } = await runMain(t, { EVENTS_ENABLED: 'false' });
  t.match(output, /"eventsEnabled":false/);
  t.equal(events.length, 0);
});
