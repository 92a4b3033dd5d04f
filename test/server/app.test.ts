import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { buildApp, type AppDeps } from '../../server/app.js';
import type { KubeApi } from '../../server/kube.js';
import { createMetrics } from '../../server/metrics.js';
import { COMMAND_ANNOTATION } from '../../hooks/wire/index.js';
import { CANARY_UID, canary, deployment, pod, syncRequest } from '../fixtures/cluster.js';
import { validateCanaryStatus } from '../helpers/crd.js';
import { listen, listenMetrics, post } from './support.js';
import sample from '../fixtures/sync-request.json' with { type: 'json' };

const NOW = new Date('2026-11-23T09:00:30Z');

const noKube: KubeApi = {
  releaseDeployment: async () => {
    throw new Error('not expected in this test');
  },
};

function logCollector() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

async function start(t: Test, deps: Partial<AppDeps> = {}) {
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false });
  const logs = logCollector();
  const app = buildApp({
    kube: noKube,
    clock: () => NOW,
    metrics,
    logger: { level: 'info', stream: logs.stream },
    ...deps,
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  return { base, metrics, logs, app };
}

const walkthrough = () =>
  syncRequest(
    canary({ command: 'apply', status: null }),
    [
      deployment({ name: 'my-app-v1', replicas: 10 }),
      deployment({ name: 'my-app-v2', replicas: 0 }),
      deployment({ name: 'my-app-debug', replicas: 1 }),
    ],
    [pod({ deployment: 'my-app-v1' }), pod({ deployment: 'my-app-v1', index: 1 })],
  );

t.test('POST /sync answers a Metacontroller v4 request with replicas and a full status', async (t) => {
  const { base } = await start(t);
  const res = await post(base, '/sync', walkthrough());
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  const body = res.body as {
    status: Record<string, unknown>;
    children: unknown[];
    resyncAfterSeconds: number;
  };
  // The decision record on both scaled Deployments, byte for byte the same (hooks/observed/record.ts).
  const record = (body.children[0] as { metadata: { annotations?: Record<string, string> } }).metadata
    .annotations?.['canary.k8shuginn.io/decision'];
  t.match(JSON.parse(record ?? '{}'), { uid: CANARY_UID, sequence: 1, state: 'running', step: 1 });
  t.equal(body.status.sequence, 1, 'the status names the same decision');
  const annotations = { 'canary.k8shuginn.io/decision': record };
  t.same(body.children, [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'my-app-v1', labels: { app: 'my-app', version: 'v1' }, annotations },
      spec: { replicas: 8 },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'my-app-v2', labels: { app: 'my-app', version: 'v2' }, annotations },
      spec: { replicas: 2 },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'my-app-debug', labels: { app: 'my-app', version: 'debug' } },
      spec: { replicas: 1 },
    },
  ]);
  t.same(Object.keys(body.status).sort(), [
    'conditions',
    'currentStep',
    'labelSelector',
    'lastStepTime',
    'message',
    'newReplicas',
    'nextStepTime',
    'observedCommand',
    'oldReplicas',
    'pause',
    'replicas',
    'rollback',
    'sequence',
    'state',
    'totalSteps',
    'weight',
  ]);
  t.match(body.status, {
    state: 'running',
    currentStep: 1,
    totalSteps: 5,
    oldReplicas: 8,
    newReplicas: 2,
    message: 'Canary is Running',
    observedCommand: 'apply',
    lastStepTime: '2026-11-23T09:00:30Z',
    nextStepTime: '2026-11-23T09:01:00Z',
    rollback: null,
  });
  t.equal(body.resyncAfterSeconds, 30);
  t.same(validateCanaryStatus(body.status), []);
});

t.test('the sample request in the README gets a decision', async (t) => {
  const { base } = await start(t);
  const res = await post(base, '/sync', sample);
  t.equal(res.status, 200);
  // Surge (docs/design.md §7a, the default): v2's 2 first, v1 keeps its 10 until they are available.
  // v2's own status change brings the sync that lets v1 go; the only call asked is the next tick's.
  t.match(res.body, {
    status: { state: 'running', currentStep: 1, oldReplicas: 10, newReplicas: 2, weight: 20 },
    resyncAfterSeconds: 30,
  });
});

t.test('a decision that changed something logs one line with canary, from, to and why', async (t) => {
  const { base, logs } = await start(t);
  await post(base, '/sync', walkthrough());
  const decisions = logs.lines.filter((l) => l.transition);
  t.equal(decisions.length, 1);
  t.match(decisions[0], {
    level: 30,
    canary: 'default/my-app',
    transition: 'Started',
    from: { state: 'stop', step: 0 },
    to: { state: 'running', step: 1 },
    why: 'ApplyCommand',
    msg: /Started the rollout at step 1/,
  });
  const quiet = walkthrough();
  delete quiet.parent.metadata.annotations;
  await post(base, '/sync', quiet);
  t.equal(logs.lines.filter((l) => l.transition).length, 1, 'a sync that changed nothing logs nothing');
});

t.test('an invalid spec answers 200 with the error status and every child untouched', async (t) => {
  const { base } = await start(t);
  const request = walkthrough();
  request.parent.spec.cronSchedule = 'every minute';
  const res = await post(base, '/sync', request);
  t.equal(res.status, 200);
  t.match(res.body, { status: { state: 'error', message: /spec\.cronSchedule/ } });
  t.same(
    (res.body.children as { spec: { replicas: number } }[]).map((c) => c.spec.replicas),
    [10, 0, 1],
  );
});

t.test('malformed requests get 400 with a JSON error naming what is wrong', async (t) => {
  const { base } = await start(t);
  const withChildren = (children: unknown) => ({ ...walkthrough(), children });
  const cases: { name: string; body: unknown; message: RegExp; path?: string }[] = [
    { name: 'no parent', body: { children: {} }, message: /body must have required property 'parent'/ },
    {
      name: 'parent without metadata',
      body: { parent: { apiVersion: 'x', kind: 'Canary', spec: {} } },
      message: /body\/parent must have required property 'metadata'/,
    },
    {
      name: 'parent without a name',
      body: { parent: { ...canary(), metadata: { namespace: 'default' } } },
      message: /body\/parent\/metadata must have required property 'name'/,
    },
    {
      name: 'a Deployment child that is not an object',
      body: withChildren({ 'Deployment.apps/v1': { x: 42 } }),
      message: /body\/children\/Deployment\.apps~1v1\/x must be object/,
    },
    {
      name: 'replicas as a string',
      body: withChildren({
        'Deployment.apps/v1': { x: { ...deployment({ name: 'x' }), spec: { replicas: 'three' } } },
      }),
      message: /replicas must be integer/,
    },
    { name: 'not JSON', body: '{"parent":', message: /not valid JSON/ },
    {
      name: 'customize without parent',
      body: {},
      message: /must have required property 'parent'/,
      path: '/customize',
    },
    {
      name: 'finalize without parent',
      body: { children: {} },
      message: /must have required property 'parent'/,
      path: '/finalize',
    },
  ];
  for (const c of cases) {
    const res = await post(base, c.path ?? '/sync', c.body);
    t.equal(res.status, 400, `${c.name}: 400`);
    t.equal(res.body.error, 'Bad Request', `${c.name}: error`);
    t.match(res.body.message, c.message, `${c.name}: message`);
  }
  const wrongType = await post(base, '/sync', 'parent=x', { 'content-type': 'text/plain' });
  t.equal(wrongType.status, 415);
  t.match(wrongType.body, { error: 'Unsupported Media Type', message: /text\/plain/ });
  const missing = await fetch(`${base}/nowhere`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { error: 'Not Found', message: 'no route GET /nowhere' });
});

t.test('an oversized request gets 413', async (t) => {
  const { base } = await start(t, { limits: { bodyLimitBytes: 4096 } });
  const request = walkthrough();
  request.related = {
    'Pod.v1': Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => pod({ deployment: 'my-app-v1', index: i })).map((p) => [
        p.metadata.name,
        p,
      ]),
    ),
  };
  const res = await post(base, '/sync', request);
  t.equal(res.status, 413);
  t.match(res.body, { error: 'Payload Too Large', message: /body is too large/i });
});

t.test('an unexpected failure gets 500, never a 200 with children left out', async (t) => {
  const { base, logs } = await start(t, {
    clock: () => {
      throw new Error('clock broke');
    },
  });
  const res = await post(base, '/sync', walkthrough());
  t.equal(res.status, 500);
  t.same(res.body, { error: 'Internal Server Error', message: '/sync failed: clock broke' });
  t.ok(logs.lines.some((l) => l.level === 50 && l.msg === 'hook failed'));
});

t.test('POST /customize asks for no pods (docs/design.md §11)', async (t) => {
  const { base } = await start(t);
  const res = await post(base, '/customize', {
    controller: walkthrough().controller,
    parent: canary({ command: 'apply' }),
  });
  t.equal(res.status, 200);
  t.same(res.body, { relatedResources: [] });
});

t.test('probes and readiness while draining', async (t) => {
  const lifecycle = { draining: false };
  const { base } = await start(t, { lifecycle });
  t.same(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
  t.equal((await fetch(`${base}/readyz`)).status, 200);
  lifecycle.draining = true;
  const draining = await fetch(`${base}/readyz`);
  t.equal(draining.status, 503);
  t.same(await draining.json(), { status: 'draining' });
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'still alive while draining');
});

t.test('GET /metrics on the metrics port exposes hook requests, latency and canary counters', async (t) => {
  const { base, metrics } = await start(t, { metrics: createMetrics() });
  const metricsPort = await listenMetrics(metrics);
  t.teardown(metricsPort.close);
  await post(base, '/sync', walkthrough());
  await post(base, '/sync', { nope: true });
  const crashing = syncRequest(
    canary({
      command: 'apply',
      status: {
        state: 'running',
        currentStep: 2,
        observedCommand: 'apply',
        lastStepTime: '2026-11-23T09:00:00Z',
      },
    }),
    [deployment({ name: 'my-app-v1', replicas: 6 }), deployment({ name: 'my-app-v2', replicas: 4 })],
    [pod({ deployment: 'my-app-v2', crashLoop: true })],
  );
  await post(base, '/sync', crashing);
  const completing = structuredClone(crashing);
  completing.related = {};
  completing.parent.metadata.annotations = { [COMMAND_ANNOTATION]: 'completion' };
  await post(base, '/sync', completing);

  t.equal((await fetch(`${base}/metrics`)).status, 404, "the hooks' port does not serve /metrics");
  const res = await fetch(metricsPort.url);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/plain; version=0\.0\.4/);
  const text = await res.text();
  t.match(text, /canary_hooks_requests_total\{hook="sync",outcome="success"\} 3/);
  t.match(text, /canary_hooks_requests_total\{hook="sync",outcome="client_error"\} 1/);
  t.match(text, /canary_hooks_request_duration_seconds_count\{hook="sync",outcome="success"\} 3/);
  t.match(text, /canary_steps_total 1/);
  t.match(text, /canary_rollbacks_total\{reason="CrashLoopBackOff"\} 1/);
  t.match(text, /canary_completions_total\{reason="CompletionCommand"\} 1/);
  t.match(text, /process_resident_memory_bytes/, 'default process metrics');
});

t.test('the transition listener hears each change, and nothing when nothing changed', async (t) => {
  const heard: string[] = [];
  const { base } = await start(t, {
    onTransitions: (c, transitions) => heard.push(...transitions.map((x) => `${c.metadata.name}:${x.kind}`)),
  });
  await post(base, '/sync', walkthrough());
  const quiet = walkthrough();
  delete quiet.parent.metadata.annotations;
  await post(base, '/sync', quiet);
  t.same(heard, ['my-app:Started']);
});
