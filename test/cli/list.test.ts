/** `kubectl canary list` and how the plugin finds its cluster, against the stand-in API. */
import t, { type Test } from 'tap';
import { EXIT } from '../../cli/errors.js';
import { FakeApi } from './fake-api.js';
import { canaryObject, runCli, runningStatus } from './helpers.js';

async function cluster(t: Test, options: { namespace?: string } = {}) {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  const dir = t.testdir({});
  const kubeconfig = api.kubeconfig(dir, options);
  return { api, dir, kubeconfig };
}

function seed(api: FakeApi) {
  api.putCanary(canaryObject('web', { status: runningStatus({ weight: 40 }) }));
  api.putCanary(
    canaryObject('api', {
      status: runningStatus({
        weight: 0,
        state: 'stop',
        currentStep: 0,
        oldReplicas: 10,
        newReplicas: 0,
        nextStepTime: null,
        message: 'Canary is Pending',
      }),
    }),
  );
  api.putCanary(canaryObject('fresh'));
  api.putCanary(
    canaryObject('cart', {
      namespace: 'shop',
      status: runningStatus({
        state: 'complete',
        currentStep: 4,
        totalSteps: 4,
        oldReplicas: 0,
        newReplicas: 8,
        weight: 100,
        nextStepTime: null,
      }),
    }),
  );
}

t.test('list: the Canaries of the namespace with replicas, weight, step, state and next step', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  seed(api);
  const r = await runCli(['list', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.equal(
    r.stdout,
    [
      'NAME    OLD   NEW   WEIGHT   STEP   STATE     NEXT STEP',
      'api     10    0     0%       0/5    stop      -',
      'fresh   -     -     -        -      -         -',
      'web     6     4     40%      2/5    running   2026-11-22T05:04:30Z (in 4m 30s)',
      '',
    ].join('\n'),
  );
  t.equal(r.stderr, '');
  const get = api.requests.at(-1);
  t.equal(get?.method, 'GET');
  t.equal(get?.path, '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries');
  t.equal(get?.headers.authorization, 'Bearer stand-in-token');
});

t.test('list -A: every namespace, with a NAMESPACE column', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  seed(api);
  const r = await runCli(['list', '-A', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.match(lines[0], /^NAMESPACE\s+NAME\s+OLD\s+NEW\s+WEIGHT\s+STEP\s+STATE\s+NEXT STEP$/);
  t.same(
    lines.slice(1).map((l) => l.split(/\s+/).slice(0, 7)),
    [
      ['default', 'api', '10', '0', '0%', '0/5', 'stop'],
      ['default', 'fresh', '-', '-', '-', '-', '-'],
      ['default', 'web', '6', '4', '40%', '2/5', 'running'],
      ['shop', 'cart', '0', '8', '100%', '4/4', 'complete'],
    ],
  );
  t.equal(api.requests.at(-1)?.path, '/apis/canary.k8shuginn.io/v1alpha1/canaries');
});

t.test('the namespace: -n, else the context namespace, else default', async (t) => {
  const { api, kubeconfig, dir } = await cluster(t, { namespace: 'shop' });
  seed(api);
  let r = await runCli(['list', '--kubeconfig', kubeconfig]);
  t.match(r.stdout, /^cart\s/m, "the context's namespace");
  t.equal(api.requests.at(-1)?.path, '/apis/canary.k8shuginn.io/v1alpha1/namespaces/shop/canaries');
  r = await runCli(['list', '-n', 'default', '--kubeconfig', kubeconfig]);
  t.match(r.stdout, /^web\s/m);
  r = await runCli(['--namespace=default', 'list', '--kubeconfig', kubeconfig]);
  t.match(r.stdout, /^web\s/m, 'flags before the command, as kubectl allows');

  // --context picks another context, with its own namespace.
  const other = api.kubeconfig(dir, { file: 'plain' });
  r = await runCli(['list', '--kubeconfig', other]);
  t.equal(api.requests.at(-1)?.path, '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries');
  r = await runCli(['list', '--kubeconfig', other, '--context', 'other']);
  t.equal(api.requests.at(-1)?.path, '/apis/canary.k8shuginn.io/v1alpha1/namespaces/shop/canaries');
});

t.test(
  'the kubeconfig: --kubeconfig, else $KUBECONFIG (merged, first wins), else ~/.kube/config',
  async (t) => {
    const { api, dir } = await cluster(t);
    seed(api);
    const home = t.testdir({ '.kube': {} });
    api.kubeconfig(`${home}/.kube`, { file: 'config' });
    let r = await runCli(['list'], { env: { HOME: home } });
    t.equal(r.code, EXIT.ok, `~/.kube/config: ${r.stderr}`);
    t.match(r.stdout, /^web\s/m);

    // $KUBECONFIG wins over ~/.kube/config; the first file's current context wins.
    const first = api.kubeconfig(dir, { file: 'first', namespace: 'shop' });
    const second = api.kubeconfig(dir, { file: 'second', token: 'wrong' });
    r = await runCli(['list'], { env: { HOME: home, KUBECONFIG: `${first}:${second}` } });
    t.equal(r.code, EXIT.ok, r.stderr);
    t.match(r.stdout, /^cart\s/m, "the first file's context and namespace");
    t.equal(api.requests.at(-1)?.headers.authorization, 'Bearer stand-in-token', "the first file's user");
  },
);

t.test('empty: a note on stderr, nothing on stdout, exit 0', async (t) => {
  const { kubeconfig } = await cluster(t);
  const r = await runCli(['list', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok);
  t.equal(r.stdout, '');
  t.equal(r.stderr, 'No canaries found in default namespace.\n');
});

t.test('errors: one line and an exit code a script can act on', async (t) => {
  const { api, kubeconfig, dir } = await cluster(t);
  const one = (r: { stderr: string }) => t.equal(r.stderr.trim().split('\n').length, 1, 'one line');

  let r = await runCli(['list'], { env: { HOME: dir } });
  t.equal(r.code, EXIT.unreachable, 'no kubeconfig');
  t.equal(
    r.stderr,
    'error: no kubeconfig: pass --kubeconfig, set $KUBECONFIG, or create ~/.kube/config (as for kubectl)\n',
  );

  r = await runCli(['list', '--kubeconfig', `${dir}/nope`]);
  t.equal(r.code, EXIT.unreachable);
  t.match(r.stderr, /^error: kubeconfig .*nope \(--kubeconfig\) does not exist\n$/);

  r = await runCli(['list'], { env: { HOME: dir, KUBECONFIG: `${dir}/a:${dir}/b` } });
  t.equal(r.code, EXIT.unreachable);
  t.match(r.stderr, /none of the files in \$KUBECONFIG exists/);

  r = await runCli(['list', '--kubeconfig', kubeconfig, '--context', 'nope']);
  t.equal(r.code, EXIT.usage);
  t.equal(r.stderr, 'error: context "nope" does not exist in the kubeconfig\n');

  r = await runCli(['list', '--kubeconfig', kubeconfig, '--context', 'unreachable']);
  t.equal(r.code, EXIT.unreachable, 'cluster unreachable');
  t.equal(r.stderr, 'error: cannot reach the Kubernetes API at http://127.0.0.1:1: ECONNREFUSED\n');

  const wrongToken = api.kubeconfig(dir, { file: 'wrong-token', token: 'wrong' });
  r = await runCli(['list', '--kubeconfig', wrongToken]);
  t.equal(r.code, EXIT.forbidden, 'unauthorized');
  t.match(r.stderr, /^error: unauthorized: the credentials in the kubeconfig were refused/);
  one(r);

  api.forbidden.push({ prefix: '/apis/canary.k8shuginn.io' });
  r = await runCli(['list', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.forbidden, 'forbidden');
  t.match(r.stderr, /^error: forbidden: .*User "tester" cannot get this resource\n$/);
  api.forbidden.length = 0;

  api.crdInstalled = false;
  r = await runCli(['list', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.notFound, 'no CRD');
  t.equal(
    r.stderr,
    'error: the Canary resource (canaries.canary.k8shuginn.io; is the CRD installed?) not found\n',
  );

  const broken = t.testdir({ kubeconfig: 'clusters: [\n' });
  r = await runCli(['list', '--kubeconfig', `${broken}/kubeconfig`]);
  t.equal(r.code, EXIT.invalidInput, 'unreadable kubeconfig');
  t.match(r.stderr, /^error: kubeconfig .* cannot be read: /);
  one(r);
});

t.test('usage errors exit 1 and point at --help; --help exits 0', async (t) => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^error: unknown command "frobnicate" \(see kubectl canary --help\)\n$/],
    [['status'], /^error: status needs the Canary's NAME/],
    [['apply', 'a', 'b'], /^error: unexpected argument "b" for apply/],
    [['list', '--bogus'], /^error: Unknown option '--bogus'/],
    [['list', '--watch'], /^error: --watch goes with status/],
    [['status', 'web', '-A'], /^error: -A\/--all-namespaces goes with list/],
    [['list', '-f', 'x'], /^error: -f and --from go with plan/],
    [['stop', 'web', '--timeout', 'soon'], /^error: --timeout must be a number of seconds/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    t.equal(r.code, EXIT.usage, args.join(' '));
    t.match(r.stderr, message, args.join(' '));
  }
  const none = await runCli([]);
  t.equal(none.code, EXIT.usage);
  t.match(none.stderr, /^Usage: kubectl canary COMMAND/);
  const help = await runCli(['--help']);
  t.equal(help.code, EXIT.ok);
  t.match(
    help.stdout,
    /Exit codes: 0 ok, 1 usage, 2 not found, 3 unauthorized or forbidden, 4 invalid input/,
  );
  t.equal(help.stderr, '');
});
