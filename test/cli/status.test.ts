/** `kubectl canary status NAME [--watch]` against the stand-in API. */
import t, { type Test } from 'tap';
import { EXIT } from '../../cli/errors.js';
import { FakeApi } from './fake-api.js';
import { canaryObject, deploymentObject, runCli, runningStatus } from './helpers.js';

async function cluster(t: Test) {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  return { api, kubeconfig: api.kubeconfig(t.testdir({})) };
}

t.test('status: progress, replicas asked and available, next step with countdown, conditions', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(
    canaryObject('web', { command: 'apply', status: runningStatus(), spec: { timeZone: 'Asia/Seoul' } }),
  );
  api.putDeployment(deploymentObject('web-v1', 6, 6));
  api.putDeployment(deploymentObject('web-v2', 4, 3));
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.equal(
    r.stdout,
    [
      'Name:        web',
      'Namespace:   default',
      'State:       running',
      'Message:     Canary is Running',
      'Progress:    [#######|#######|.......|.......|.......] 2/5 (40%)',
      'Total:       10 replicas',
      'Replicas:    old  web-v1: asked 6, spec 6, available 6, ready 6',
      '             new  web-v2: asked 4, spec 4, available 3, ready 3',
      'Schedule:    */5 * * * * (Asia/Seoul)',
      'Last step:   2026-11-22T04:55:00Z (5m ago)',
      'Next step:   2026-11-22T05:04:30Z (in 4m 30s)',
      'Command:     apply (acted on: apply)',
      'Rollback:    none',
      'Conditions:',
      '  TYPE          STATUS   REASON          AGE   MESSAGE',
      '  Valid         True     Valid           1h    Spec and Deployments are valid',
      '  Progressing   True     StepScheduled   10m   Running at step 2',
      '',
    ].join('\n'),
  );
  t.same(
    api.requests.map((r) => `${r.method} ${r.path}`),
    [
      'GET /apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries/web',
      'GET /apis/apps/v1/namespaces/default/deployments/web-v1',
      'GET /apis/apps/v1/namespaces/default/deployments/web-v2',
      'GET /apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers',
    ],
  );
});

t.test('status of a rolled-back Canary: when and why', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(
    canaryObject('web', {
      command: 'apply',
      status: runningStatus({
        state: 'stop',
        currentStep: 0,
        oldReplicas: 10,
        newReplicas: 0,
        nextStepTime: null,
        message: '[2026-11-22T04:58:00Z] Canary is rollbacked',
        rollback: {
          time: '2026-11-22T04:58:00Z',
          reason: 'CrashLoopBackOff: container app of pod web-v2-7d4f8c9b5-x1 is in CrashLoopBackOff',
          revision: '3f2a9c1d0b',
        },
      }),
    }),
  );
  api.putDeployment(deploymentObject('web-v1', 10, 10));
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /^State: {7}stop$/m);
  t.match(r.stdout, /^Message: {5}\[2026-11-22T04:58:00Z\] Canary is rollbacked$/m);
  t.match(r.stdout, /^Progress: {4}\[(\.+\|){4}\.+\] 0\/5 \(0%\)$/m);
  t.match(
    r.stdout,
    /^Rollback: {4}2026-11-22T04:58:00Z \(2m ago\): CrashLoopBackOff: container app of pod web-v2-7d4f8c9b5-x1 is in CrashLoopBackOff \[revision 3f2a9c1d0b\]$/m,
  );
  t.match(r.stdout, /^ {13}new {2}web-v2: asked 0, not found$/m, 'a missing Deployment is shown, not fatal');
  t.match(r.stdout, /^Next step: {3}-$/m);
});

t.test('status before canary-hooks wrote a status, and with Deployments it may not read', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(canaryObject('web'));
  api.forbidden.push({ prefix: '/apis/apps/v1' });
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /^State: {7}- \(no status yet: is canary-hooks running\?\)$/m);
  t.match(r.stdout, /^Progress: {4}\[\] 0\/0$/m);
  t.match(r.stdout, /^Replicas: {4}old {2}web-v1: asked -, forbidden: /m);
  t.match(r.stdout, /^Conditions:\n {2}<none>\n$/m);
});

t.test('status errors: not found (2), forbidden (3), missing NAME (1)', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  let r = await runCli(['status', 'ghost', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.notFound);
  t.equal(r.stderr, 'error: canary "ghost" in namespace "default" not found\n');
  t.equal(r.stdout, '');
  r = await runCli(['status', 'ghost', '-n', 'shop', '--kubeconfig', kubeconfig]);
  t.equal(r.stderr, 'error: canary "ghost" in namespace "shop" not found\n');
  api.putCanary(canaryObject('web'));
  api.forbidden.push({ prefix: '/apis/canary.k8shuginn.io' });
  r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.forbidden);
  t.match(r.stderr, /^error: forbidden: /);
});

t.test('status --watch redraws on every change of the Canary and its Deployments', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const canary = canaryObject('web', { command: 'apply', status: runningStatus() });
  api.putCanary(canary);
  api.putDeployment(deploymentObject('web-v1', 6, 6));
  api.putDeployment(deploymentObject('web-v2', 4, 3));

  const stop = new AbortController();
  const frames: string[] = [];
  let waiting: { count: number; resolve: () => void } | undefined;
  const frameCount = (count: number) =>
    frames.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve) => (waiting = { count, resolve }));
  const running = runCli(['status', 'web', '--watch', '--kubeconfig', kubeconfig], {
    signal: stop.signal,
    onOut: (text) => {
      frames.push(text);
      if (waiting && frames.length >= waiting.count) waiting.resolve();
    },
  });
  await frameCount(1);
  await api.watching(3);
  t.match(frames[0], /available 3, ready 3/);
  t.match(frames[0], /---\n$/, 'not a terminal: frames are printed one after another');

  const watches = api.requests.filter((r) => r.query.get('watch') === 'true');
  t.same(watches.map((r) => [r.path, r.query.get('fieldSelector')]).sort(), [
    ['/apis/apps/v1/namespaces/default/deployments', 'metadata.name=web-v1'],
    ['/apis/apps/v1/namespaces/default/deployments', 'metadata.name=web-v2'],
    ['/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries', 'metadata.name=web'],
  ]);
  t.ok(
    watches.find((r) => r.path.endsWith('/canaries'))?.query.get('resourceVersion'),
    'the Canary watch starts from the version just read',
  );

  api.putDeployment(deploymentObject('web-v2', 4, 4));
  await frameCount(2);
  t.match(frames[1], /new {2}web-v2: asked 4, spec 4, available 4, ready 4/);

  api.putCanary({
    ...canary,
    status: runningStatus({
      currentStep: 3,
      oldReplicas: 4,
      newReplicas: 6,
      lastStepTime: '2026-11-22T05:00:00Z',
    }),
  });
  await frameCount(3);
  t.match(frames[2], /\] 3\/5 \(60%\)/);
  t.match(frames[2], /new {2}web-v2: asked 6, spec 4/);

  // Unrelated objects do not redraw; an unchanged Canary does not either.
  api.putDeployment(deploymentObject('other', 1, 1));
  api.putCanary(canaryObject('other'));
  api.putCanary({
    ...canary,
    status: runningStatus({
      currentStep: 3,
      oldReplicas: 4,
      newReplicas: 6,
      lastStepTime: '2026-11-22T05:00:00Z',
    }),
  });
  // The server closes its watches now and then: the plugin opens them again.
  api.closeWatches();
  await api.watching(3);
  api.putDeployment(deploymentObject('web-v1', 4, 4));
  await frameCount(4);
  t.match(frames[3], /old {2}web-v1: asked 4, spec 4, available 4/);
  t.equal(frames.length, 4, 'no frame for unrelated or unchanged objects');

  stop.abort();
  const r = await running;
  t.equal(r.code, EXIT.ok, 'Ctrl-C ends the watch cleanly');
  t.equal(r.stderr, '');
});

t.test(
  'status --watch ends with exit 2 when the Canary is deleted; on a terminal it clears the screen',
  async (t) => {
    const { api, kubeconfig } = await cluster(t);
    api.putCanary(canaryObject('web', { status: runningStatus() }));
    const outputs: string[] = [];
    const running = runCli(['status', 'web', '-w', '--kubeconfig', kubeconfig], {
      tty: true,
      onOut: (text) => outputs.push(text),
    });
    await api.watching(3);
    api.deleteCanary('default', 'web');
    const r = await running;
    t.equal(r.code, EXIT.notFound);
    t.equal(r.stderr, 'canary "web" was deleted\n');
    t.ok(outputs[0]?.startsWith('\x1b[H\x1b[2J'), 'redraws in place');
  },
);

t.test('status --watch follows the spec to other Deployments', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const canary = canaryObject('web', { status: runningStatus() });
  api.putCanary(canary);
  api.putDeployment(deploymentObject('web-v1', 6, 6));
  api.putDeployment(deploymentObject('web-v3', 4, 1));
  const stop = new AbortController();
  const frames: string[] = [];
  const running = runCli(['status', 'web', '-w', '--kubeconfig', kubeconfig], {
    signal: stop.signal,
    onOut: (text) => frames.push(text),
  });
  await api.watching(3);
  t.match(frames.at(-1), /new {2}web-v2: asked 4, not found/);
  api.putCanary({ ...canary, spec: { ...canary.spec, newDeployment: 'web-v3' } });
  await api.watching(3);
  while (!api.requests.some((r) => r.query.get('fieldSelector') === 'metadata.name=web-v3')) {
    await new Promise((r) => setImmediate(r));
  }
  while (!/web-v3: asked 4, spec 4, available 1/.test(frames.at(-1) ?? '')) {
    await new Promise((r) => setImmediate(r));
  }
  api.putDeployment(deploymentObject('web-v3', 4, 4));
  while (!/web-v3: asked 4, spec 4, available 4/.test(frames.at(-1) ?? '')) {
    await new Promise((r) => setImmediate(r));
  }
  t.pass('redrawn from the new Deployment and its watch');
  const opened = (name: string) =>
    api.requests.filter(
      (r) => r.query.get('watch') === 'true' && r.query.get('fieldSelector') === `metadata.name=${name}`,
    ).length;
  t.equal(opened('web-v2'), 1, 'the watch of the Deployment no longer named is closed, not re-opened');
  t.equal(opened('web-v3'), 1);
  t.equal(api.openWatches, 3);
  stop.abort();
  t.equal((await running).code, EXIT.ok);
});

t.test('a paused step list: the weight, and the pause with when it ends', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const cases: [Record<string, unknown>, string][] = [
    [
      { kind: 'Duration', since: '2026-11-22T05:00:00Z', until: '2026-11-22T05:10:00Z' },
      'Paused:      Duration since 2026-11-22T05:00:00Z, until 2026-11-22T05:10:00Z (in 10m)',
    ],
    [
      { kind: 'Manual', since: '2026-11-22T05:00:00Z', until: null },
      'Paused:      Manual since 2026-11-22T05:00:00Z, until kubectl canary promote',
    ],
  ];
  for (const [pause, line] of cases) {
    api.putCanary(canaryObject('web', { command: 'apply', status: runningStatus({ weight: 40, pause }) }));
    const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig], {
      now: () => new Date('2026-11-22T05:00:00Z'),
    });
    t.equal(r.code, EXIT.ok, r.stderr);
    t.match(r.stdout, /\nWeight: {6}40% on the new version\n/);
    t.match(r.stdout, `\n${line}\n`);
  }
});
