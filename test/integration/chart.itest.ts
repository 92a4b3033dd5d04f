/**
 * The Helm chart, rendered by the real helm (built from helm.sh/helm/v4 by
 * helm-binary.sh) and checked by the real promtool (Debian's prometheus).
 *
 * One source of truth: manifests/ is the source, the chart follows it. The
 * chart's default render must equal `kubectl kustomize manifests` object for
 * object, but for the four bookkeeping labels Helm adds and the CRD's
 * helm.sh/resource-policy annotation. The Namespace is not in the chart:
 * Helm writes its release record into the namespace before any object of the
 * chart, so it must exist first (manifests/namespace.yaml or
 * --create-namespace).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import {
  CHART,
  PROMTOOL,
  helm,
  helmOk,
  keyOf,
  objectsOf,
  run,
  runOk,
  template,
  type K8sObject,
} from './chart.js';
import { KUBECTL, REPO } from './helpers.js';

/** What Helm adds to each object besides what manifests/ says. */
const HELM_LABELS = [
  'helm.sh/chart',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
];
const HELM_ANNOTATIONS = ['helm.sh/resource-policy'];

function withoutHelmBookkeeping(o: K8sObject): K8sObject {
  const copy = structuredClone(o);
  const { labels, annotations } = copy.metadata;
  for (const l of HELM_LABELS) delete labels?.[l];
  for (const a of HELM_ANNOTATIONS) delete annotations?.[a];
  if (annotations && Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  return copy;
}

async function rendered(set: string[] = []): Promise<K8sObject[]> {
  const r = await template(set);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return objectsOf(r.stdout);
}

const byKey = (objects: K8sObject[]) => new Map(objects.map((o) => [keyOf(o), o]));

t.test('helm lint --strict passes, with the defaults and with every option on', async (t) => {
  for (const set of [
    [],
    ['serviceMonitor.enabled=true', 'prometheusRule.enabled=true', 'dashboard.enabled=true'],
  ]) {
    const r = await helm(['lint', '--strict', CHART, ...set.flatMap((s) => ['--set', s])]);
    t.equal(r.code, 0, `helm lint ${set.join(' ')}: ${r.stdout}${r.stderr}`);
    t.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

t.test("the chart's default render is manifests/, object for object", async (t) => {
  const kustomized = objectsOf(await runOk(KUBECTL, ['kustomize', join(REPO, 'manifests')]));
  const chart = await rendered();
  const expected = byKey(kustomized.filter((o) => o.kind !== 'Namespace'));
  const got = byKey(chart);
  t.ok(expected.size >= 9, `manifests/ holds the objects (${[...expected.keys()].join(', ')})`);
  t.same([...got.keys()].sort(), [...expected.keys()].sort(), 'the same objects');
  for (const [key, want] of expected) {
    const have = got.get(key);
    if (!have) continue;
    t.same(withoutHelmBookkeeping(have), want, key);
    // Only those labels and that annotation differ: anything else Helm would add fails above.
    t.same(
      Object.keys(have.metadata.labels ?? {})
        .filter((l) => !(l in (want.metadata.labels ?? {})))
        .sort(),
      [...HELM_LABELS].sort(),
      `${key} carries Helm's labels`,
    );
  }
  const crd = got.get('CustomResourceDefinition//canaries.canary.k8shuginn.io');
  t.equal(crd?.metadata.annotations?.['helm.sh/resource-policy'], 'keep', 'the CRD is kept by default');

  t.same(
    kustomized.filter((o) => !got.has(keyOf(o))).map(keyOf),
    ['Namespace//canary-system'],
    'only the Namespace is left out: Helm keeps its release record in it, so it must exist first',
  );
});

t.test('values change what they name, and only that', async (t) => {
  const base = byKey(await rendered());
  const cases: { set: string[]; check: (objects: Map<string, K8sObject>) => void; name: string }[] = [
    {
      name: 'crds.install=false leaves the CRD out',
      set: ['crds.install=false'],
      check: (o) => t.notOk(o.has('CustomResourceDefinition//canaries.canary.k8shuginn.io')),
    },
    {
      name: 'crds.keep=false lets uninstall delete the CRD',
      set: ['crds.keep=false'],
      check: (o) =>
        t.same(
          o.get('CustomResourceDefinition//canaries.canary.k8shuginn.io')?.metadata.annotations,
          undefined,
        ),
    },
    {
      name: 'image, replicas, resources and configuration reach the Deployment',
      set: [
        'image.repository=registry.example/canary-hooks',
        'image.tag=0.2.0',
        'replicas=3',
        'resources.limits.memory=1Gi',
        'config.logLevel=debug',
        'config.eventsEnabled=false',
        'config.bodyLimitBytes=1048576',
        'config.maxInFlight=64',
        'config.shutdownDelaySeconds=10',
        'config.requestTimeoutSeconds=60',
      ],
      check: (o) => {
        const d = o.get('Deployment/canary-system/canary-hooks') as unknown as DeploymentShape;
        const c = d.spec.template.spec.containers[0];
        t.equal(d.spec.replicas, 3);
        t.equal(c?.image, 'registry.example/canary-hooks:0.2.0');
        t.equal(c?.resources.limits.memory, '1Gi');
        t.same(c?.env, [
          { name: 'PORT', value: '8080' },
          { name: 'METRICS_PORT', value: '9102' },
          { name: 'BODY_LIMIT_BYTES', value: '1048576' },
          { name: 'MAX_IN_FLIGHT', value: '64' },
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'NODE_ENV', value: 'production' },
          { name: 'EVENTS_ENABLED', value: 'false' },
          { name: 'REQUEST_TIMEOUT_SECONDS', value: '60' },
          { name: 'SHUTDOWN_DELAY_SECONDS', value: '10' },
        ]);
      },
    },
    {
      name: 'resync period, hook timeout and hooks URL reach the CompositeController',
      set: [
        'compositeController.resyncPeriodSeconds=90',
        'compositeController.hookTimeout=25s',
        'compositeController.hooksURL=http://127.0.0.1:9000/',
      ],
      check: (o) => {
        const cc = o.get('CompositeController//canary-hooks') as unknown as CompositeShape;
        t.equal(cc.spec.resyncPeriodSeconds, 90);
        for (const hook of ['sync', 'customize', 'finalize'] as const) {
          t.same(cc.spec.hooks[hook], {
            version: 'v1',
            webhook: { url: `http://127.0.0.1:9000/${hook}`, timeout: '25s' },
          });
        }
      },
    },
    {
      name: "Metacontroller's and Prometheus's namespaces and labels reach the NetworkPolicy",
      set: [
        'networkPolicy.metacontroller.namespace=mc',
        'networkPolicy.metacontroller.podNames={mc}',
        'networkPolicy.prometheus.namespace=obs',
        'networkPolicy.prometheus.podLabels.app=prom',
      ],
      check: (o) => {
        const policy = o.get('NetworkPolicy/canary-system/canary-hooks') as unknown as {
          spec: { ingress: { from: unknown[] }[] };
        };
        t.same(
          policy.spec.ingress.map((rule) => rule.from),
          [
            [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mc' } },
                podSelector: {
                  matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['mc'] }],
                },
              },
            ],
            [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'obs' } },
                podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus', app: 'prom' } },
              },
            ],
          ],
        );
      },
    },
    {
      name: 'pdb.enabled=false and networkPolicy.enabled=false leave them out',
      set: ['pdb.enabled=false', 'networkPolicy.enabled=false'],
      check: (o) => {
        t.notOk(o.has('PodDisruptionBudget/canary-system/canary-hooks'));
        t.notOk(o.has('NetworkPolicy/canary-system/canary-hooks'));
        t.equal(o.size, base.size - 2);
      },
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => c.check(byKey(await rendered(c.set))));
  }
});

type DeploymentShape = {
  spec: {
    replicas: number;
    template: {
      spec: {
        containers: { image: string; env: unknown[]; resources: { limits: Record<string, string> } }[];
      };
    };
  };
};
type CompositeShape = { spec: { resyncPeriodSeconds: number; hooks: Record<string, unknown> } };

t.test('a wrong value is refused with a sentence naming it', async (t) => {
  const cases: { set: string; says: RegExp }[] = [
    { set: 'replicas=two', says: /\/replicas.*(want integer|expected integer|integer)/s },
    { set: 'replicas=0', says: /\/replicas.*(minimum|must be >= 1|1)/s },
    { set: 'image.pullPolicy=Sometimes', says: /\/image\/pullPolicy.*(Always|IfNotPresent)/s },
    { set: 'compositeController.hookTimeout=10', says: /\/compositeController\/hookTimeout/ },
    { set: 'compositeController.hooksURL=ftp://x', says: /\/compositeController\/hooksURL/ },
    { set: 'config.logLevel=loud', says: /\/config\/logLevel/ },
    { set: 'crds.keep=maybe', says: /\/crds\/keep/ },
    { set: 'replica=3', says: /additional properties? .*replica|replica.*not allowed/is },
    { set: 'serviceMonitor.interval=often', says: /\/serviceMonitor\/interval/ },
    { set: 'config.bodyLimitBytes=134217728', says: /\/config\/bodyLimitBytes/ },
  ];
  for (const c of cases) {
    const r = await template([c.set]);
    t.not(r.code, 0, `${c.set} is refused`);
    t.match(r.stderr, c.says, `${c.set}: ${r.stderr.trim()}`);
    t.match(r.stderr, /values don't meet the specifications of the schema/, 'said as a schema refusal');
  }
  const pdb = await template(['replicas=1']);
  t.not(pdb.code, 0, 'one replica with minAvailable 1 is refused');
  t.match(
    pdb.stderr,
    /pdb\.minAvailable \(1\) must be below replicas \(1\): otherwise a node drain waits for ever/,
  );
  t.equal(
    (await template(['replicas=1', 'pdb.enabled=false'])).code,
    0,
    'and allowed without the PodDisruptionBudget',
  );
});

t.test('ServiceMonitor, PrometheusRule and dashboard come from the files the tests check', async (t) => {
  const o = byKey(
    await rendered([
      'serviceMonitor.enabled=true',
      'serviceMonitor.labels.release=kps',
      'prometheusRule.enabled=true',
      'dashboard.enabled=true',
    ]),
  );
  const monitor = o.get('ServiceMonitor/canary-system/canary-hooks') as unknown as {
    metadata: K8sObject['metadata'];
    spec: unknown;
  };
  t.equal(monitor.metadata.labels?.release, 'kps');
  t.same(monitor.spec, {
    selector: { matchLabels: { 'app.kubernetes.io/name': 'canary-hooks' } },
    namespaceSelector: { matchNames: ['canary-system'] },
    endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
  });
  const service = o.get('Service/canary-system/canary-hooks') as unknown as {
    spec: { ports: { name: string }[] };
  };
  t.ok(
    service.spec.ports.some((p) => p.name === 'metrics'),
    'the port the ServiceMonitor names is on the Service',
  );

  const rules = parse(readFileSync(join(CHART, 'files', 'alerts.yaml'), 'utf8')) as unknown;
  t.same((o.get('PrometheusRule/canary-system/canary-hooks') as unknown as { spec: unknown }).spec, rules);

  const dashboard = o.get('ConfigMap/canary-system/canary-hooks-dashboard') as unknown as {
    metadata: K8sObject['metadata'];
    data: Record<string, string>;
  };
  t.equal(dashboard.metadata.labels?.grafana_dashboard, '1');
  t.same(
    JSON.parse(dashboard.data['canary-hooks.json'] ?? ''),
    JSON.parse(readFileSync(join(CHART, 'files', 'dashboard.json'), 'utf8')),
  );

  // The rendered PrometheusRule's groups are a rules file promtool accepts.
  const dir = mkdtempSync(join(tmpdir(), 'canary-chart-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yaml');
  writeFileSync(
    file,
    JSON.stringify((o.get('PrometheusRule/canary-system/canary-hooks') as unknown as { spec: unknown }).spec),
  );
  const checked = await run(PROMTOOL, ['check', 'rules', file]);
  t.equal(checked.code, 0, checked.stdout + checked.stderr);
  t.match(checked.stdout, /SUCCESS: 5 rules found/);
});

t.test('promtool test rules: each alert fires on the series it must and not on the others', async (t) => {
  const r = await run(PROMTOOL, ['test', 'rules', join(REPO, 'test', 'chart', 'alerts.promtest.yaml')]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /SUCCESS/);
  // Every alert of the file is exercised by the test file.
  const names = (
    parse(readFileSync(join(CHART, 'files', 'alerts.yaml'), 'utf8')) as {
      groups: { rules: { alert: string }[] }[];
    }
  ).groups.flatMap((g) => g.rules.map((rule) => rule.alert));
  const tests = readFileSync(join(REPO, 'test', 'chart', 'alerts.promtest.yaml'), 'utf8');
  for (const name of names) t.match(tests, new RegExp(`alertname: ${name}\\n`), `${name} is tested`);
});

t.test('helm itself is the pinned release', async (t) => {
  const versions = readFileSync(join(REPO, 'test', 'e2e', 'versions.sh'), 'utf8');
  const pinned = /HELM_VERSION="\$\{HELM_VERSION:-(v[0-9.]+)\}"/.exec(versions)?.[1];
  t.ok(pinned, 'versions.sh pins a release');
  t.equal(
    (await helmOk(['version', '--template', '{{.Version}}'])).trim(),
    process.env.HELM_VERSION ?? pinned,
  );
});
