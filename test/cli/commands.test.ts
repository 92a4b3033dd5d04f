/**
 * apply, stop, rollback, complete: the command annotation set with a merge
 * patch, and the change-in-between when the same command was already acted on.
 */
import t, { type Test } from 'tap';
import { EXIT } from '../../cli/errors.js';
import { FakeApi } from './fake-api.js';
import { canaryObject, runCli, runningStatus } from './helpers.js';

const KEY = 'canary.k8shuginn.io/command';

async function cluster(t: Test) {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  return { api, kubeconfig: api.kubeconfig(t.testdir({})) };
}

const patches = (t: Test, api: FakeApi) =>
  api.requests
    .filter((r) => r.method === 'PATCH')
    .map((r) => {
      t.equal(r.headers['content-type'], 'application/merge-patch+json', 'a merge patch');
      return r.body;
    });

const annotationOf = (api: FakeApi, name = 'web') =>
  (api.canaries.get(`default/${name}`)?.metadata.annotations as Record<string, string> | undefined)?.[KEY];

t.test('each command sets its annotation value; complete sets "completion"', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const cases: [string, string][] = [
    ['apply', 'apply'],
    ['stop', 'stop'],
    ['rollback', 'rollback'],
    ['complete', 'completion'],
    ['promote', 'promote'],
  ];
  for (const [command, value] of cases) {
    api.requests.length = 0;
    api.putCanary(canaryObject('web', { status: runningStatus({ observedCommand: '' }) }));
    const r = await runCli([command, 'web', '--kubeconfig', kubeconfig]);
    t.equal(r.code, EXIT.ok, `${command}: ${r.stderr}`);
    t.equal(r.stdout, `canary/web annotated: ${KEY}=${value}\n`);
    t.same(patches(t, api), [{ metadata: { annotations: { [KEY]: value } } }], command);
    t.equal(
      api.requests.find((r) => r.method === 'PATCH')?.path,
      '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries/web',
    );
    t.equal(annotationOf(api), value);
  }
});

t.test('a different command replaces the last one in one patch; other annotations stay', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const canary = canaryObject('web', {
    command: 'apply',
    status: runningStatus({ observedCommand: 'apply' }),
  });
  (canary.metadata as Record<string, unknown>).annotations = { [KEY]: 'apply', team: 'payments' };
  api.putCanary(canary);
  const r = await runCli(['stop', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(patches(t, api), [{ metadata: { annotations: { [KEY]: 'stop' } } }]);
  t.same(api.canaries.get('default/web')?.metadata.annotations, { [KEY]: 'stop', team: 'payments' });
});

t.test('the same command again: remove, wait for canary-hooks to forget it, then set it', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(
    canaryObject('web', {
      command: 'apply',
      status: runningStatus({ state: 'stop', observedCommand: 'apply' }),
    }),
  );
  // The controller stand-in: a few reads after the annotation goes, it records that.
  const readsUntilSynced = 3;
  api.onCanaryPatched = (c) => {
    const annotations = (c.metadata.annotations ?? {}) as Record<string, string>;
    if (annotations[KEY] !== undefined) return;
    const timer = setInterval(() => {
      const gets = api.requests.filter((r) => r.method === 'GET').length;
      if (gets < 1 + readsUntilSynced) return;
      clearInterval(timer);
      const current = api.canaries.get('default/web');
      if (current)
        api.putCanary({ ...current, status: { ...(current.status as object), observedCommand: '' } });
    }, 1);
  };
  const r = await runCli(['apply', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(patches(t, api), [
    { metadata: { annotations: { [KEY]: null } } },
    { metadata: { annotations: { [KEY]: 'apply' } } },
  ]);
  t.equal(
    r.stderr,
    `canary/web: command apply was already acted on; removed ${KEY} so it can be given again\n`,
  );
  t.equal(r.stdout, `canary/web annotated: ${KEY}=apply\n`);
  const order = api.requests.map((r) => r.method);
  const removal = order.indexOf('PATCH');
  const set = order.lastIndexOf('PATCH');
  t.ok(
    set - removal > readsUntilSynced,
    'the value is set again only after the controller recorded the removal',
  );
  t.equal(annotationOf(api), 'apply');
});

t.test('already set and not yet acted on: nothing to change', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(
    canaryObject('web', { command: 'stop', status: runningStatus({ observedCommand: 'apply' }) }),
  );
  const r = await runCli(['stop', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok);
  t.equal(r.stdout, 'canary/web: command stop is already set and not yet acted on; nothing to change\n');
  t.same(patches(t, api), []);
});

t.test('annotation already removed but not yet recorded: wait, then set', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(canaryObject('web', { status: runningStatus({ observedCommand: 'rollback' }) }));
  let gets = 0;
  const timer = setInterval(() => {
    gets = api.requests.filter((r) => r.method === 'GET').length;
    if (gets < 2) return;
    clearInterval(timer);
    const c = api.canaries.get('default/web');
    if (c) api.putCanary({ ...c, status: { ...(c.status as object), observedCommand: '' } });
  }, 1);
  const r = await runCli(['rollback', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(
    patches(t, api),
    [{ metadata: { annotations: { [KEY]: 'rollback' } } }],
    'nothing to remove; one set',
  );
});

t.test('the controller never records the removal: give up with exit 6, annotation left unset', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(
    canaryObject('web', { command: 'apply', status: runningStatus({ observedCommand: 'apply' }) }),
  );
  const r = await runCli(['apply', 'web', '--timeout', '0', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.failed);
  t.same(patches(t, api), [{ metadata: { annotations: { [KEY]: null } } }], 'removed, never set again');
  t.match(r.stderr, /error: canary\/web: canary-hooks did not record the removed command within 0s/);
  t.match(r.stderr, /Is the controller running\?/);
  t.equal(annotationOf(api), undefined);
});

t.test('a wait is cut short by Ctrl-C', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(canaryObject('web', { command: 'stop', status: runningStatus({ observedCommand: 'stop' }) }));
  const stop = new AbortController();
  stop.abort();
  const r = await runCli(['stop', 'web', '--kubeconfig', kubeconfig], { signal: stop.signal });
  t.equal(r.code, EXIT.failed);
  t.equal(r.stderr.split('\n')[1], 'error: canary/web: interrupted; the annotation is left unset');
});

t.test('command errors: not found (2), forbidden patch (3), unreachable (5)', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  let r = await runCli(['apply', 'ghost', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.notFound);
  t.equal(r.stderr, 'error: canary "ghost" in namespace "default" not found\n');
  t.same(patches(t, api), [], 'nothing patched');

  api.putCanary(canaryObject('web'));
  api.forbidden.push({ method: 'PATCH', prefix: '/apis/canary.k8shuginn.io' });
  r = await runCli(['apply', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.forbidden);
  t.match(r.stderr, /^error: forbidden: .*cannot patch this resource\n$/);
  t.equal(annotationOf(api), undefined);

  r = await runCli(['apply', 'web', '--kubeconfig', kubeconfig, '--context', 'unreachable']);
  t.equal(r.code, EXIT.unreachable);
  t.match(r.stderr, /^error: cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/);
});

t.test('a command that moves nothing is still set, with a note saying so', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  api.putCanary(canaryObject('web', { status: runningStatus({ state: 'complete', observedCommand: '' }) }));
  let r = await runCli(['apply', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok);
  t.equal(r.stdout, `canary/web annotated: ${KEY}=apply\n`);
  t.equal(r.stderr, 'note: canary/web is complete: apply changes nothing (rollback goes back to step 0)\n');
  api.putCanary(canaryObject('web', { status: runningStatus({ state: 'stop', observedCommand: '' }) }));
  r = await runCli(['stop', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.stderr, 'note: canary/web is not running (state stop): stop changes nothing\n');
  api.putCanary(canaryObject('web', { status: runningStatus({ state: 'running', observedCommand: '' }) }));
  r = await runCli(['stop', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.stderr, '', 'no note when the command acts');
});

t.test('promote: annotated like the others, a note when nothing holds the Canary to end', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const pause = { kind: 'Manual', since: '2026-11-22T05:00:00Z', until: null };
  const cases: [string, Record<string, unknown>, string][] = [
    ['paused until promote', { pause, nextStepTime: null }, ''],
    ['stopped during a pause', { state: 'stop', pause, nextStepTime: null }, ''],
    ['waiting for its cron tick', {}, ''],
    [
      'running with no tick or pause to wait for',
      { nextStepTime: null },
      'note: canary/web is not paused and waits for no cron tick: promote changes nothing\n',
    ],
    [
      'complete',
      { state: 'complete', nextStepTime: null },
      'note: canary/web is not paused and waits for no cron tick: promote changes nothing\n',
    ],
  ];
  for (const [name, status, note] of cases) {
    api.putCanary(canaryObject('web', { status: runningStatus({ observedCommand: 'apply', ...status }) }));
    const r = await runCli(['promote', 'web', '--kubeconfig', kubeconfig]);
    t.equal(r.code, EXIT.ok, name);
    t.equal(r.stdout, `canary/web annotated: ${KEY}=promote\n`, name);
    t.equal(r.stderr, note, name);
  }
});

t.test('a second promote after one acted on: removed, recorded, set again', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const pause = { kind: 'Manual', since: '2026-11-22T05:00:00Z', until: null };
  api.putCanary(
    canaryObject('web', { command: 'promote', status: runningStatus({ observedCommand: 'promote', pause }) }),
  );
  // The controller stand-in: it records the removal (observedCommand back to "") right away.
  api.onCanaryPatched = (c) => {
    if (((c.metadata.annotations ?? {}) as Record<string, string>)[KEY] !== undefined) return;
    setTimeout(() => api.putCanary({ ...c, status: { ...(c.status as object), observedCommand: '' } }), 1);
  };
  const r = await runCli(['promote', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stderr, /command promote was already acted on; removed canary\.k8shuginn\.io\/command/);
  t.equal(r.stdout, `canary/web annotated: ${KEY}=promote\n`);
  t.same(patches(t, api), [
    { metadata: { annotations: { [KEY]: null } } },
    { metadata: { annotations: { [KEY]: 'promote' } } },
  ]);
});
