/**
 * The chart on the real API server: helm install, helm upgrade with a changed
 * value, helm uninstall leaving the CRD and every Canary in place, and a
 * second install that takes the kept CRD back.
 *
 * The other integration files install manifests/ with kubectl (helpers.ts
 * installAll), and they share this cluster; so this file starts from that
 * install, as a team moving from `kubectl apply -k` to Helm would, and hands
 * manifests/ back at the end.
 */
import { join } from 'node:path';
import t from 'tap';
import { CHART, helm, helmOk } from './chart.js';
import {
  CANARY_API_VERSION,
  REPO,
  canaryObject,
  createNamespace,
  installAll,
  kubectl,
  kubectlOk,
  validSpec,
} from './helpers.js';

const NS = 'canary-system';
const release = ['canary-hooks', CHART, '--namespace', NS];

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk([...args, '-o', 'json'])) as T;
}

type Meta = {
  metadata: { uid: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

t.test('install, upgrade and uninstall through the chart; the CRD and the Canaries stay', async (t) => {
  await installAll();
  t.teardown(async () => {
    await helm(['uninstall', 'canary-hooks', '--namespace', NS]);
    await kubectlOk(['apply', '-k', join(REPO, 'manifests')]);
  });
  const ns = await createNamespace('chart');
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(canaryObject('shop', ns, validSpec())));
  const canaryBefore = await getJson<Meta & { spec: unknown }>(['get', 'canary', 'shop', '-n', ns]);

  // kubectl apply -k made these objects; --take-ownership lets the release adopt
  // them. Client-side, as kubectl applied them: with Helm 4's server-side apply,
  // kubectl's field manager would keep co-owning every field it set, and the
  // first upgrade that changes one would fail on a conflict with it.
  const installed = await helm(['install', ...release, '--take-ownership', '--server-side=false']);
  t.equal(installed.code, 0, installed.stderr);
  const status = JSON.parse(await helmOk(['status', 'canary-hooks', '--namespace', NS, '-o', 'json'])) as {
    info: { status: string };
    version: number;
  };
  t.equal(status.info.status, 'deployed');
  t.equal(status.version, 1);
  for (const object of [
    'customresourcedefinition/canaries.canary.k8shuginn.io',
    'compositecontroller/canary-hooks',
    'clusterrole/canary-hooks',
    'clusterrolebinding/canary-hooks',
  ]) {
    const o = await getJson<Meta>(['get', object]);
    t.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${object} belongs to the release`);
    t.equal(o.metadata.annotations?.['meta.helm.sh/release-name'], 'canary-hooks');
  }
  for (const object of ['deployment', 'service', 'serviceaccount', 'poddisruptionbudget', 'networkpolicy']) {
    const o = await getJson<Meta>(['get', object, 'canary-hooks', '-n', NS]);
    t.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${object} belongs to the release`);
  }
  const deployment = await getJson<{ spec: { replicas: number } }>([
    'get',
    'deployment',
    'canary-hooks',
    '-n',
    NS,
  ]);
  t.equal(deployment.spec.replicas, 2);

  const upgraded = await helm([
    'upgrade',
    ...release,
    '--set',
    'replicas=3',
    '--set',
    'compositeController.resyncPeriodSeconds=45',
  ]);
  t.equal(upgraded.code, 0, upgraded.stderr);
  t.equal(
    (await getJson<{ spec: { replicas: number } }>(['get', 'deployment', 'canary-hooks', '-n', NS])).spec
      .replicas,
    3,
    'the upgrade scaled the Deployment',
  );
  t.equal(
    (await getJson<{ spec: { resyncPeriodSeconds: number } }>(['get', 'compositecontroller', 'canary-hooks']))
      .spec.resyncPeriodSeconds,
    45,
    'and changed the CompositeController',
  );
  const history = JSON.parse(
    await helmOk(['history', 'canary-hooks', '--namespace', NS, '-o', 'json']),
  ) as unknown[];
  t.equal(history.length, 2);

  const uninstalled = await helm(['uninstall', 'canary-hooks', '--namespace', NS]);
  t.equal(uninstalled.code, 0, uninstalled.stderr);
  t.match(
    uninstalled.stdout + uninstalled.stderr,
    /canaries\.canary\.k8shuginn\.io/,
    'helm says which it kept',
  );
  for (const gone of ['compositecontroller/canary-hooks', 'clusterrole/canary-hooks']) {
    const r = await kubectl(['get', gone]);
    t.match(r.stderr, /NotFound/, `${gone} is deleted`);
  }
  const r = await kubectl(['get', 'deployment', 'canary-hooks', '-n', NS]);
  t.match(r.stderr, /NotFound/, 'the Deployment is deleted');
  const crd = await getJson<Meta>(['get', 'crd', 'canaries.canary.k8shuginn.io']);
  t.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep', 'the CRD is kept');
  const canaryAfter = await getJson<Meta & { spec: unknown; apiVersion: string }>([
    'get',
    'canary',
    'shop',
    '-n',
    ns,
  ]);
  t.equal(canaryAfter.metadata.uid, canaryBefore.metadata.uid, 'the very same Canary is still there');
  t.same(canaryAfter.spec, canaryBefore.spec);
  t.equal(canaryAfter.apiVersion, CANARY_API_VERSION);

  // Installing again (server-side, Helm 4's default) takes the kept CRD back:
  // it still names this release.
  const again = await helm(['install', ...release]);
  t.equal(again.code, 0, again.stderr);
  const crdAgain = await getJson<Meta>(['get', 'crd', 'canaries.canary.k8shuginn.io']);
  t.equal(crdAgain.metadata.uid, crd.metadata.uid, 'the same CRD, not a new one');
  t.equal((await getJson<Meta>(['get', 'canary', 'shop', '-n', ns])).metadata.uid, canaryBefore.metadata.uid);
  const upgradedAgain = await helm(['upgrade', ...release, '--set', 'compositeController.hookTimeout=20s']);
  t.equal(upgradedAgain.code, 0, upgradedAgain.stderr);
  const hooks = (
    await getJson<{ spec: { hooks: Record<string, { webhook: { timeout: string } }> } }>([
      'get',
      'compositecontroller',
      'canary-hooks',
    ])
  ).spec.hooks;
  t.same(
    Object.values(hooks).map((h) => h.webhook.timeout),
    ['20s', '20s', '20s'],
    'a server-side upgrade changes the hooks',
  );
});

t.test("the ServiceMonitor, PrometheusRule and dashboard pass the real CRDs' schemas", async (t) => {
  await installAll();
  const crds = process.env.MONITORING_CRDS;
  if (!crds) throw new Error('MONITORING_CRDS is not set: run under test/integration/run.sh');
  // The Prometheus Operator's own CRDs, so the API server checks the chart's objects against them.
  await kubectlOk(['apply', '--server-side', '--field-manager=canary-itest', '-f', crds]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/servicemonitors.monitoring.coreos.com',
    'crd/prometheusrules.monitoring.coreos.com',
  ]);
  t.teardown(async () => {
    await helm(['uninstall', 'canary-hooks', '--namespace', NS]);
    await kubectlOk(['apply', '-k', join(REPO, 'manifests')]);
  });
  const installed = await helm([
    'install',
    ...release,
    '--take-ownership',
    '--server-side=false',
    '--set',
    'serviceMonitor.enabled=true',
    '--set',
    'prometheusRule.enabled=true',
    '--set',
    'dashboard.enabled=true',
  ]);
  t.equal(installed.code, 0, installed.stderr);
  const monitor = await getJson<{ spec: { endpoints: { port: string; path: string }[] } }>([
    'get',
    'servicemonitor',
    'canary-hooks',
    '-n',
    NS,
  ]);
  t.match(monitor.spec.endpoints, [{ path: '/metrics' }]);
  const rule = await getJson<{ spec: { groups: { rules: { alert: string }[] }[] } }>([
    'get',
    'prometheusrule',
    'canary-hooks',
    '-n',
    NS,
  ]);
  t.same(
    rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)),
    ['CanaryRolledBack', 'CanaryStuck', 'CanaryInError', 'CanaryHooksFailing', 'CanaryHooksSlow'],
  );
  const dashboard = await getJson<{ data: Record<string, string> }>([
    'get',
    'configmap',
    'canary-hooks-dashboard',
    '-n',
    NS,
  ]);
  t.equal((JSON.parse(dashboard.data['canary-hooks.json'] ?? '{}') as { uid?: string }).uid, 'canary-hooks');
});
