/**
 * What only a real API server can prove about manifests/: that it installs,
 * that the CRD's CEL rules and schema refuse bad Canaries with a message a
 * user can act on, that defaults are applied, and that the examples are
 * accepted.
 */
import t from 'tap';
import { join } from 'node:path';
import {
  CANARY_GROUP,
  REPO,
  canaryObject,
  createNamespace,
  installAll,
  kubectl,
  kubectlOk,
  validSpec,
  type CanarySpecInput,
} from './helpers.js';
import { BAD_STEP_LISTS, SEED_STEPS } from '../helpers/step-lists.js';

t.before(installAll);

const SA = 'system:serviceaccount:canary-system:canary-hooks';

t.test('manifests/ installs, and the webhook Deployment stays unscheduled', async (t) => {
  // A second apply must be a no-op, as a user re-running the README would do.
  const again = await kubectlOk(['apply', '-k', join(REPO, 'manifests')]);
  t.notMatch(again, /created/, `second apply changes nothing:\n${again}`);

  const crd = JSON.parse(await kubectlOk(['get', 'crd', `canaries.${CANARY_GROUP}`, '-o', 'json']));
  const established = crd.status.conditions.find((c: { type: string }) => c.type === 'Established');
  t.equal(established?.status, 'True', 'Canary CRD is established');
  t.equal(
    crd.status.conditions.find((c: { type: string }) => c.type === 'NonStructuralSchema'),
    undefined,
  );
  t.same(crd.spec.names.shortNames, ['can']);

  const cc = JSON.parse(await kubectlOk(['get', 'compositecontroller', 'canary-hooks', '-o', 'json']));
  t.equal(cc.spec.parentResource.resource, 'canaries');
  t.equal(cc.spec.childResources[0].resource, 'deployments');
  t.equal(cc.spec.childResources[0].updateStrategy.method, 'InPlace');
  t.match(cc.spec.hooks.finalize.webhook.url, /\/finalize$/);

  const deploy = JSON.parse(
    await kubectlOk(['get', '-n', 'canary-system', 'deployment', 'canary-hooks', '-o', 'json']),
  );
  t.equal(deploy.spec.replicas, 2);
  t.notOk(deploy.status?.availableReplicas, 'no scheduler or kubelet here, so nothing runs it');

  for (const kind of ['service', 'serviceaccount', 'poddisruptionbudget', 'networkpolicy']) {
    const r = await kubectl(['get', '-n', 'canary-system', kind, 'canary-hooks', '-o', 'name']);
    t.equal(r.code, 0, `${kind}/canary-hooks exists ${r.stderr}`);
  }
});

t.test(
  "the service account's RBAC is what finalize, events, claims and pod reads need, and no more",
  async (t) => {
    const can = async (verb: string, resource: string, extra: string[] = []) => {
      const r = await kubectl(['auth', 'can-i', verb, resource, '--as', SA, '-n', 'some-team', ...extra]);
      return r.stdout.trim();
    };
    t.equal(await can('get', 'deployments.apps'), 'yes');
    t.equal(await can('patch', 'deployments.apps'), 'yes');
    t.equal(await can('create', 'events'), 'yes');
    // Events go through core/v1 only (docs/design.md §12: exactly the calls the code makes).
    t.equal(await can('create', 'events.events.k8s.io'), 'no');
    // Claims are checked against the live Canary before each write of the service's own.
    t.equal(await can('get', 'canaries.canary.k8shuginn.io'), 'yes');
    // docs/design.md §11: one list of the new pods, no get or watch (no pod cache).
    t.equal(await can('list', 'pods'), 'yes');
    t.equal(await can('watch', 'pods'), 'no');
    t.equal(await can('get', 'pods'), 'no');
    t.equal(await can('delete', 'deployments.apps'), 'no');
    t.equal(await can('update', 'deployments.apps'), 'no');
    t.equal(await can('list', 'secrets'), 'no');
    t.equal(await can('patch', 'canaries.canary.k8shuginn.io'), 'no');
  },
);

t.test('bad Canaries are refused with a message that names the problem', async (t) => {
  const ns = await createNamespace('crd-bad');
  const cases: { name: string; spec: CanarySpecInput; expect: RegExp[] }[] = [
    {
      name: 'same-deployment',
      spec: validSpec({ oldDeployment: 'app', newDeployment: 'app' }),
      expect: [/spec\.newDeployment/, /oldDeployment and newDeployment must name two different Deployments/],
    },
    {
      name: 'step-over-total',
      spec: validSpec({ totalReplicas: 3, stepReplicas: 4 }),
      expect: [/spec\.stepReplicas/, /stepReplicas must not be greater than totalReplicas/],
    },
    {
      name: 'empty-selector',
      spec: validSpec({ selector: { matchLabels: {} } }),
      expect: [/spec\.selector/, /selector must have at least one matchLabels entry/],
    },
    {
      name: 'no-selector-keys',
      spec: validSpec({ selector: {} }),
      expect: [/spec\.selector/, /selector must have at least one/],
    },
    {
      name: 'missing-selector',
      spec: validSpec({ selector: undefined }),
      expect: [/spec\.selector: Required value/],
    },
    {
      name: 'missing-cron',
      spec: validSpec({ cronSchedule: undefined }),
      expect: [/spec\.cronSchedule: .*cronSchedule is required with stepReplicas/],
    },
    {
      name: 'missing-old',
      spec: validSpec({ oldDeployment: undefined }),
      expect: [/spec\.oldDeployment: Required value/],
    },
    {
      name: 'zero-total',
      spec: validSpec({ totalReplicas: 0, stepReplicas: 1 }),
      expect: [/spec\.totalReplicas: Invalid value: 0: .*greater than or equal to 1/],
    },
    {
      name: 'zero-step',
      spec: validSpec({ stepReplicas: 0 }),
      expect: [/spec\.stepReplicas: Invalid value: 0: .*greater than or equal to 1/],
    },
    {
      name: 'string-total',
      spec: validSpec({ totalReplicas: 'ten' }),
      expect: [/spec\.totalReplicas: Invalid value: "string": .*must be of type integer/],
    },
    {
      name: 'bad-old-name',
      spec: validSpec({ oldDeployment: 'My_App' }),
      expect: [/spec\.oldDeployment: Invalid value: .*must be a Deployment name: lowercase letters/],
    },
    {
      name: 'bad-new-name',
      spec: validSpec({ newDeployment: 'app-v2-' }),
      expect: [/spec\.newDeployment: Invalid value: .*must be a Deployment name/],
    },
    {
      name: 'cron-not-five-fields',
      spec: validSpec({ cronSchedule: '* * *' }),
      expect: [
        /spec\.cronSchedule: Invalid value: .*must be five cron fields \(minute hour day-of-month month day-of-week\)/,
      ],
    },
    {
      name: 'rollback-not-bool',
      spec: validSpec({ enableRollback: 'yes' }),
      expect: [/spec\.enableRollback: Invalid value: "string": .*must be of type boolean/],
    },
    {
      name: 'bad-operator',
      spec: validSpec({
        selector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] },
      }),
      expect: [/spec\.selector\.matchExpressions\[0\]\.operator: Unsupported value: "Equals"/],
    },
  ];
  for (const c of cases) {
    const r = await kubectl(['create', '-f', '-'], JSON.stringify(canaryObject(c.name, ns, c.spec)));
    t.not(r.code, 0, `${c.name} is refused`);
    t.match(r.stderr, /is invalid/, `${c.name}: an Invalid error`);
    for (const re of c.expect) t.match(r.stderr, re, `${c.name}: ${r.stderr.trim()}`);
  }
  const left = await kubectlOk(['get', 'canaries', '-n', ns, '-o', 'name']);
  t.equal(left.trim(), '', 'none of them was stored');
});

const listSpec = (patch: Record<string, unknown>, drop: string[] = ['stepReplicas', 'cronSchedule']) => {
  const spec: CanarySpecInput = { ...validSpec(), timeZone: 'Asia/Seoul' };
  for (const key of drop) delete spec[key];
  return { ...spec, ...patch };
};

t.test(
  'step lists: a valid one is stored as written, each invalid one refused naming the field',
  async (t) => {
    const ns = await createNamespace('crd-steps');
    await kubectlOk(
      ['create', '-f', '-'],
      JSON.stringify(canaryObject('seed', ns, listSpec({ steps: SEED_STEPS }))),
    );
    const stored = JSON.parse(await kubectlOk(['get', 'canary', 'seed', '-n', ns, '-o', 'json']));
    t.same(stored.spec.steps, SEED_STEPS, 'the list as written, pauses included');
    t.equal(stored.spec.stepReplicas, undefined);
    const gated = listSpec({ cronSchedule: '0 9 * * 1-5', steps: [{ setReplicas: 10 }] });
    const r = await kubectl(['create', '-f', '-'], JSON.stringify(canaryObject('gated', ns, gated)));
    t.equal(r.code, 0, `a list with a cron gate and setReplicas == totalReplicas: ${r.stderr}`);

    for (const [i, c] of BAD_STEP_LISTS.entries()) {
      const spec = listSpec(c.spec, c.drop);
      const r = await kubectl(['create', '-f', '-'], JSON.stringify(canaryObject(`bad-${i}`, ns, spec)));
      t.not(r.code, 0, `${c.name} is refused`);
      t.match(r.stderr, /is invalid/, `${c.name}: an Invalid error`);
      t.ok(r.stderr.includes(c.message), `${c.name}: says "${c.message}": ${r.stderr.trim()}`);
      t.ok(r.stderr.includes(`${c.at}: `), `${c.name}: names ${c.at}: ${r.stderr.trim()}`);
    }
    const left = await kubectlOk(['get', 'canaries', '-n', ns, '-o', 'name']);
    t.same(left.trim().split('\n').sort(), [
      'canary.canary.k8shuginn.io/gated',
      'canary.canary.k8shuginn.io/seed',
    ]);
  },
);

t.test('an update that breaks a rule is refused too', async (t) => {
  const ns = await createNamespace('crd-update');
  await kubectlOk(['create', '-f', '-'], JSON.stringify(canaryObject('c', ns, validSpec())));
  const r = await kubectl([
    'patch',
    'canary',
    'c',
    '-n',
    ns,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { stepReplicas: 11 } }),
  ]);
  t.not(r.code, 0);
  t.match(r.stderr, /stepReplicas must not be greater than totalReplicas/);
});

t.test('defaults are applied and optional fields stay unset', async (t) => {
  const ns = await createNamespace('crd-defaults');
  await kubectlOk(['create', '-f', '-'], JSON.stringify(canaryObject('minimal', ns, validSpec())));
  const got = JSON.parse(await kubectlOk(['get', 'canary', 'minimal', '-n', ns, '-o', 'json']));
  t.equal(got.spec.enableRollback, true, 'enableRollback defaults to true');
  t.notOk('timeZone' in got.spec, 'timeZone is left unset (the hooks read it as UTC)');
  t.notOk('progressDeadlineSeconds' in got.spec);
  t.notOk(got.status, 'no status until the hooks write one');

  await kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(
      canaryObject(
        'full',
        ns,
        validSpec({
          enableRollback: false,
          timeZone: 'Asia/Seoul',
          progressDeadlineSeconds: 600,
          cronSchedule: '@hourly',
          selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['app'] }] },
        }),
      ),
    ),
  );
  const full = JSON.parse(await kubectlOk(['get', 'can', 'full', '-n', ns, '-o', 'json']));
  t.equal(full.spec.enableRollback, false, 'an explicit false is kept');
  t.equal(full.spec.timeZone, 'Asia/Seoul');
  t.equal(full.spec.progressDeadlineSeconds, 600);

  // A typo in a field name must not pass silently: kubectl's default strict
  // field validation refuses it, naming the field.
  const typo = JSON.stringify(canaryObject('typo', ns, validSpec({ stepReplica: 3 })));
  const strict = await kubectl(['create', '-f', '-'], typo);
  t.not(strict.code, 0, 'an unknown field is refused');
  t.match(strict.stderr, /unknown field "spec\.stepReplica"/);
  // Without validation the structural schema prunes it.
  await kubectlOk(['create', '--validate=ignore', '-f', '-'], typo);
  const pruned = JSON.parse(await kubectlOk(['get', 'canary', 'typo', '-n', ns, '-o', 'json']));
  t.notOk('stepReplica' in pruned.spec, 'and an unknown field is never stored');
});

t.test('the examples are accepted as they are', async (t) => {
  const ns = await createNamespace('crd-examples');
  const out = await kubectlOk(['apply', '-n', ns, '-k', join(REPO, 'manifests', 'examples')]);
  t.match(out, /canary\.canary\.k8shuginn\.io\/my-app created/);
  t.match(out, /deployment\.apps\/my-app-v1 created/);
  t.match(out, /deployment\.apps\/my-app-v2 created/);
  const canary = JSON.parse(await kubectlOk(['get', 'canary', 'my-app', '-n', ns, '-o', 'json']));
  t.equal(canary.spec.totalReplicas, 10);
  t.equal(canary.spec.stepReplicas, 2);
  t.equal(canary.spec.enableRollback, true);
});
