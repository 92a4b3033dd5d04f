/**
 * The Canary's scale subresource on the real API server (docs/design.md §10):
 * `kubectl scale` through it, `kubectl get --subresource=scale`, the CRD's
 * rules on counts when the total moves under them, and the real HPA
 * controller (run.sh runs it) reading and writing a Canary's scale. The
 * Metacontroller stand-in drives the syncs that re-split the new total.
 */
import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  REPO,
  canaryObject,
  createCanaryApp,
  createNamespace,
  installAll,
  kubeConfig,
  kubectl,
  kubectlOk,
  validSpec,
  waitFor,
} from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';

const COMMAND = 'canary.k8shuginn.io/command';
const binDir = mkdtempSync(join(tmpdir(), 'canary-scale-'));
const tsLoader = join(REPO, 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs');
// `kubectl canary` runs the plugin's source, as plugin.itest.ts does.
writeFileSync(
  join(binDir, 'kubectl-canary'),
  `#!/bin/sh\nTS_NODE_TRANSPILE_ONLY=1 exec node --import=file://${tsLoader} ${join(REPO, 'cli', 'main.ts')} "$@"\n`,
);
chmodSync(join(binDir, 'kubectl-canary'), 0o755);
process.env.PATH = `${binDir}${delimiter}${process.env.PATH}`;

let ns = '';
let hooks: HookServer;
let mc: Metacontroller;
const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);

async function replicas(name: string): Promise<number | undefined> {
  return (await apps.readNamespacedDeployment({ name, namespace: ns })).spec?.replicas;
}

interface Scale {
  spec: { replicas: number };
  status: { replicas: number; selector?: string };
}

async function scaleOf(kind: string, name: string): Promise<Scale> {
  return JSON.parse(
    await kubectlOk(['get', kind, name, '-n', ns, '--subresource=scale', '-o', 'json']),
  ) as Scale;
}

async function totalOf(name: string): Promise<number> {
  return (await mc.getCanary(ns, name)).spec.totalReplicas as number;
}

/** Plays the Deployment controller for both, then one sync: the step's replicas are there. */
async function settledSync(app: string) {
  await mc.settleDeployment(ns, `${app}-v1`);
  await mc.settleDeployment(ns, `${app}-v2`);
  return mc.sync(ns, app);
}

t.before(async () => {
  await installAll();
  ns = await createNamespace('scale');
  const start = new Date();
  start.setUTCSeconds(5, 0);
  hooks = await HookServer.start(kc, start);
  mc = new Metacontroller(hooks);
  await createCanaryApp(ns, 'shop', { totalReplicas: 10, stepReplicas: 2 });
  await mc.sync(ns, 'shop');
  await kubectlOk(['annotate', '-n', ns, 'canary', 'shop', `${COMMAND}=apply`]);
  await mc.sync(ns, 'shop');
  await settledSync('shop');
});

t.teardown(async () => {
  await hooks?.close();
  rmSync(binDir, { recursive: true, force: true });
});

t.test('kubectl get --subresource=scale reads the total, old + new asked, and the selector', async (t) => {
  const scale = await scaleOf('canary', 'shop');
  t.match(scale, { spec: { replicas: 10 }, status: { replicas: 10, selector: 'app=shop' } });
  t.match((await mc.getCanary(ns, 'shop')).status, { oldReplicas: 8, newReplicas: 2, currentStep: 1 });
});

t.test('kubectl scale changes the total through the subresource; the next sync re-splits', async (t) => {
  const out = await kubectlOk(['scale', 'canary', 'shop', '-n', ns, '--replicas=20']);
  t.match(out, /canary\.canary\.k8shuginn\.io\/shop scaled/);
  t.equal(await totalOf('shop'), 20, 'spec.totalReplicas is what kubectl scale wrote');
  const answer = await settledSync('shop');
  t.match(answer.status, {
    oldReplicas: 18,
    newReplicas: 2,
    currentStep: 1,
    totalSteps: 10,
    state: 'running',
  });
  t.equal(await replicas('shop-v1'), 18);
  t.equal(await replicas('shop-v2'), 2, 'step 1 keeps its 2 new replicas');
  t.match(await scaleOf('canary', 'shop'), { spec: { replicas: 20 }, status: { replicas: 20 } });

  const status = await kubectlOk(['canary', 'status', 'shop', '-n', ns]);
  t.match(
    status,
    /^Total: {7}20 replicas, set by kubectl \(through the scale subresource\)$/m,
    'the plugin names the field manager that wrote the total, from managedFields',
  );
});

t.test('a scale below stepReplicas is accepted, and an edit above the total still is not', async (t) => {
  await createCanaryApp(ns, 'tiny', { totalReplicas: 4, stepReplicas: 2 });
  await mc.sync(ns, 'tiny');
  await kubectlOk(['annotate', '-n', ns, 'canary', 'tiny', `${COMMAND}=apply`]);
  await mc.sync(ns, 'tiny');
  const scaled = await kubectl(['scale', 'canary', 'tiny', '-n', ns, '--replicas=1']);
  t.equal(scaled.code, 0, `scale to 1 with stepReplicas 2: ${scaled.stderr}`);
  const answer = await settledSync('tiny');
  t.match(answer.status, {
    oldReplicas: 0,
    newReplicas: 1,
    currentStep: 1,
    totalSteps: 1,
    state: 'complete',
  });

  const annotated = await kubectl(['annotate', '--overwrite', '-n', ns, 'canary', 'tiny', `${COMMAND}=stop`]);
  t.equal(annotated.code, 0, `later updates that leave stepReplicas alone pass: ${annotated.stderr}`);
  const raised = await kubectl([
    'patch',
    'canary',
    'tiny',
    '-n',
    ns,
    '--type=merge',
    '-p',
    '{"spec":{"stepReplicas":3}}',
  ]);
  t.not(raised.code, 0, 'writing a stepReplicas above the total is refused');
  t.match(raised.stderr, /stepReplicas must not be greater than totalReplicas/);
  const created = await kubectl(
    ['create', '-f', '-'],
    JSON.stringify(canaryObject('too-big', ns, validSpec({ totalReplicas: 2, stepReplicas: 3 }))),
  );
  t.not(created.code, 0, 'so is creating one');
  const zero = await kubectl(['scale', 'canary', 'tiny', '-n', ns, '--replicas=0']);
  t.not(zero.code, 0, 'a Canary cannot be scaled to zero: totalReplicas is at least 1');
});

t.test("the labelSelector is the API server's own rendering of the selector", async (t) => {
  // A Deployment's scale subresource renders its selector with the API server's code:
  // a Canary with the same selector must show the same string.
  const selector = {
    matchLabels: { tier: 'web', app: 'sel' },
    matchExpressions: [
      { key: 'track', operator: 'In', values: ['stable', 'canary'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'app', operator: 'Exists' },
      { key: 'example.com/zone', operator: 'NotIn', values: ['b', 'a'] },
    ],
  };
  const labels = { app: 'sel', tier: 'web', track: 'stable' };
  for (const name of ['sel-v1', 'sel-v2']) {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: name === 'sel-v1' ? 3 : 0,
          selector,
          template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example/app:1' }] } },
        },
      },
    });
  }
  const spec = validSpec({
    oldDeployment: 'sel-v1',
    newDeployment: 'sel-v2',
    totalReplicas: 3,
    stepReplicas: 1,
    selector,
  });
  await kubectlOk(['create', '-f', '-'], JSON.stringify(canaryObject('sel', ns, spec)));
  await mc.sync(ns, 'sel');
  const deployment = await scaleOf('deployment', 'sel-v1');
  const canary = await scaleOf('canary', 'sel');
  t.equal(canary.status.selector, deployment.status.selector, `both ${deployment.status.selector}`);
  t.match(
    canary.status.selector,
    /^app=sel,app,example\.com\/zone notin \(a,b\),!legacy,tier=web,track in \(canary,stable\)$/,
  );
});

t.test('the HPA controller reads the Canary through its scale subresource', async (t) => {
  await autoscaling.createNamespacedHorizontalPodAutoscaler({
    namespace: ns,
    body: {
      metadata: { name: 'shop-hpa' },
      spec: {
        scaleTargetRef: { apiVersion: 'canary.k8shuginn.io/v1alpha1', kind: 'Canary', name: 'shop' },
        minReplicas: 2,
        maxReplicas: 30,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
          },
        ],
      },
    },
  });
  const conditions = await waitFor(
    'the HPA controller to report on shop-hpa',
    async () => {
      const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({
        name: 'shop-hpa',
        namespace: ns,
      });
      const able = hpa.status?.conditions?.find((c) => c.type === 'AbleToScale');
      return able?.reason === 'SucceededGetScale' ? hpa.status?.conditions : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
  t.match(
    conditions.find((c) => c.type === 'AbleToScale'),
    { status: 'True', reason: 'SucceededGetScale' },
  );
  // No metrics server here: the controller can read the scale, but not the pods' CPU.
  const active = conditions.find((c) => c.type === 'ScalingActive');
  t.equal(active?.status, 'False', `ScalingActive: ${active?.reason}: ${active?.message}`);
  t.equal(await totalOf('shop'), 20, 'within min and max, and no metrics: the total is left alone');

  const status = await kubectlOk(['canary', 'status', 'shop', '-n', ns]);
  t.match(status, /^Total: {7}20 replicas, set by HorizontalPodAutoscaler shop-hpa \(2 to 30\)$/m);
});

t.test('the HPA controller scales the Canary to its maxReplicas; the next sync re-splits', async (t) => {
  await autoscaling.patchNamespacedHorizontalPodAutoscaler(
    { name: 'shop-hpa', namespace: ns, body: { spec: { maxReplicas: 12 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const total = await waitFor(
    'the HPA controller to scale shop down to 12',
    async () => ((await totalOf('shop')) === 12 ? 12 : undefined),
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
  t.equal(total, 12);
  const answer = await settledSync('shop');
  t.match(answer.status, { oldReplicas: 10, newReplicas: 2, currentStep: 1, totalSteps: 6, replicas: 12 });
  t.equal(await replicas('shop-v1'), 10);
  t.equal(await replicas('shop-v2'), 2);
  const hpa = await waitFor(
    'the HPA to see the new scale',
    async () => {
      const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'shop-hpa', namespace: ns });
      return h.status?.currentReplicas === 12 ? h : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  t.equal(hpa.status?.desiredReplicas, 12);
  await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: 'shop-hpa', namespace: ns });
});
