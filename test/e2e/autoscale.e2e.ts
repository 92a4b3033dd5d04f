/**
 * Scaling a Canary on the real engine (docs/design.md §10): `kubectl scale` through the
 * scale subresource, then a HorizontalPodAutoscaler targeting the Canary,
 * with the real Metacontroller re-splitting each new total and the real
 * Deployment controller and KWOK bringing the pods to it. The schedule is
 * hourly, so no step is taken on its own while the total moves: every change
 * of the Deployments below is the re-split of a new total at step 1.
 *
 *   About a minute on a loaded 2-core VM, after the cluster is up.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { waitFor, workspace } from './lib/cluster.js';
import { waitSettled } from './lib/walk.js';

const OLD = 'my-app-v1';
const NEW = 'my-app-v2';
const ws = await workspace('e2e-scale');
const autoscaling = ws.kc.makeApiClient(k8s.AutoscalingV2Api);
const custom = ws.kc.makeApiClient(k8s.CustomObjectsApi);

async function canary(): Promise<{ spec: { totalReplicas: number }; status?: Record<string, unknown> }> {
  return (await custom.getNamespacedCustomObject({
    group: 'canary.k8shuginn.io',
    version: 'v1alpha1',
    plural: 'canaries',
    namespace: ws.namespace,
    name: 'my-app',
  })) as { spec: { totalReplicas: number }; status?: Record<string, unknown> };
}

/**
 * Metacontroller writes the children before the status, and a child update
 * refused as outdated ends that sync before its status write (the next sync
 * writes it), so the Deployments can reach a split a moment before the
 * status says so: wait for the status, never read it once.
 */
async function statusWith(
  what: string,
  want: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  let last: Record<string, unknown> | undefined;
  try {
    await waitFor(
      `the status to show ${what}`,
      async () => {
        last = (await canary()).status;
        return Object.entries(want).every(([k, v]) => last?.[k] === v);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  } catch {
    // t.match below reports what the status shows instead.
  }
  return last;
}

await t.test('the example at step 1, scaled with kubectl scale: the real engine re-splits', async (t) => {
  await ws.kubectlOk(['apply', '-k', 'manifests/examples/']);
  await ws.kubectlOk([
    'patch',
    'canary',
    'my-app',
    '--type=merge',
    '-p',
    '{"spec":{"cronSchedule":"@hourly"}}',
  ]);
  await ws.kubectlOk(['annotate', 'canary', 'my-app', 'canary.k8shuginn.io/command=apply']);
  await waitSettled(ws, { [OLD]: 8, [NEW]: 2 }, 120_000);

  t.match(await ws.kubectlOk(['scale', 'canary', 'my-app', '--replicas=14']), /my-app scaled/);
  await waitSettled(ws, { [OLD]: 12, [NEW]: 2 }, 120_000);
  const status = await statusWith('a total of 14', { replicas: 14, totalSteps: 7 });
  t.match(status, {
    currentStep: 1,
    totalSteps: 7,
    state: 'running',
    replicas: 14,
    labelSelector: 'app=my-app',
  });
  const scale = JSON.parse(
    await ws.kubectlOk(['get', 'canary', 'my-app', '--subresource=scale', '-o', 'json']),
  );
  t.match(scale, { spec: { replicas: 14 }, status: { replicas: 14, selector: 'app=my-app' } });
});

await t.test('an HPA with maxReplicas 6 scales the Canary, and the Deployments follow', async (t) => {
  await autoscaling.createNamespacedHorizontalPodAutoscaler({
    namespace: ws.namespace,
    body: {
      metadata: { name: 'my-app' },
      spec: {
        scaleTargetRef: { apiVersion: 'canary.k8shuginn.io/v1alpha1', kind: 'Canary', name: 'my-app' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
          },
        ],
      },
    },
  });
  await waitFor('the HPA to scale the Canary to 6', async () => (await canary()).spec.totalReplicas === 6, {
    timeoutMs: 120_000,
    intervalMs: 1000,
  });
  await waitSettled(ws, { [OLD]: 4, [NEW]: 2 }, 120_000);
  t.match(await statusWith('a total of 6', { replicas: 6, totalSteps: 3 }), {
    currentStep: 1,
    totalSteps: 3,
    replicas: 6,
    state: 'running',
  });
  const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({
    name: 'my-app',
    namespace: ws.namespace,
  });
  t.match(
    hpa.status?.conditions?.find((c) => c.type === 'AbleToScale'),
    { status: 'True' },
  );
  t.match(
    await ws.kubectlOk(['canary', 'status', 'my-app']),
    /^Total: {7}6 replicas, set by HorizontalPodAutoscaler my-app \(2 to 6\)$/m,
  );

  await ws.kubectlOk([
    'annotate',
    '--overwrite',
    'canary',
    'my-app',
    'canary.k8shuginn.io/command=completion',
  ]);
  await waitSettled(ws, { [OLD]: 0, [NEW]: 6 }, 120_000);
  t.match(await statusWith('complete', { state: 'complete', replicas: 6 }), {
    state: 'complete',
    replicas: 6,
  });
});
