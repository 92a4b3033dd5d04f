/** `kubectl canary status` shows the total and who sets it (docs/design.md §10): an HPA, or the last writer. */
import t, { type Test } from 'tap';
import { EXIT } from '../../cli/errors.js';
import { targetsCanary, totalReplicasManager, totalText, type AutoscalerView } from '../../cli/scale.js';
import type { Canary } from '../../hooks/wire/index.js';
import { FakeApi } from './fake-api.js';
import { canaryObject, deploymentObject, runCli, runningStatus } from './helpers.js';

const HPAS = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';

function hpa(name: string, target: Record<string, string>, min = 2, max = 30): AutoscalerView {
  return {
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'canary.k8shuginn.io/v1alpha1', kind: 'Canary', ...target },
      minReplicas: min,
      maxReplicas: max,
    },
  };
}

/** managedFields as the API server records them: kubectl apply created it, kubectl scale changed the total. */
const managedFields = [
  {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    time: '2026-11-22T04:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { '.': {}, 'f:oldDeployment': {}, 'f:stepReplicas': {} } },
  },
  {
    manager: 'kubectl',
    operation: 'Update',
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    time: '2026-11-22T04:30:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:totalReplicas': {} } },
    subresource: 'scale',
  },
  {
    manager: 'metacontroller',
    operation: 'Update',
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    time: '2026-11-22T04:31:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:replicas': {} } },
    subresource: 'status',
  },
];

function withFields(fields: unknown[], spec: Record<string, unknown> = {}): Canary {
  const c = canaryObject('web', { spec }) as unknown as Canary;
  (c.metadata as Record<string, unknown>).managedFields = fields;
  return c;
}

t.test('which HPAs target the Canary', async (t) => {
  const canary = withFields([]);
  const cases: [AutoscalerView, boolean, string][] = [
    [hpa('web', { name: 'web' }), true, 'kind Canary of the group, by name'],
    [
      hpa('web', { name: 'web', apiVersion: 'canary.k8shuginn.io/v1beta1' }),
      true,
      'any version of the group',
    ],
    [hpa('web', { name: 'other' }), false, 'another Canary'],
    [
      hpa('web', { name: 'web', kind: 'Deployment', apiVersion: 'apps/v1' }),
      false,
      'a Deployment of the same name',
    ],
    [hpa('web', { name: 'web', apiVersion: 'example.com/v1' }), false, 'a Canary kind of another group'],
    [{ metadata: { name: 'bare' } }, false, 'no spec'],
  ];
  for (const [h, expected, why] of cases) t.equal(targetsCanary(h, canary), expected, why);
});

t.test('the total and who set it', async (t) => {
  t.equal(totalReplicasManager(withFields(managedFields)), 'kubectl (through the scale subresource)');
  t.equal(
    totalReplicasManager(
      withFields([{ ...managedFields[0], fieldsV1: { 'f:spec': { 'f:totalReplicas': {} } } }]),
    ),
    'kubectl-client-side-apply',
    'written with the object, not a subresource',
  );
  t.equal(
    totalReplicasManager(withFields([managedFields[0]])),
    undefined,
    'nobody recorded: the fixture lists none',
  );
  const cases: [Canary, AutoscalerView[] | undefined, string, string][] = [
    [
      withFields(managedFields),
      undefined,
      '10 replicas, set by kubectl (through the scale subresource)',
      'HPAs unreadable',
    ],
    [
      withFields(managedFields),
      [hpa('web-hpa', { name: 'web' })],
      '10 replicas, set by HorizontalPodAutoscaler web-hpa (2 to 30)',
      'an HPA wins',
    ],
    [
      withFields([], { totalReplicas: 7 }),
      [hpa('a', { name: 'web' }), hpa('b', { name: 'web' }, 1, 9)],
      '7 replicas, set by HorizontalPodAutoscaler a (2 to 30) and HorizontalPodAutoscaler b (1 to 9) (more than one autoscaler: they fight)',
      'two HPAs',
    ],
    [withFields([]), [hpa('x', { name: 'other' })], '10 replicas', 'nobody known'],
  ];
  for (const [canary, hpas, expected, why] of cases) t.equal(totalText(canary, hpas), expected, why);
});

async function cluster(t: Test) {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  return { api, kubeconfig: api.kubeconfig(t.testdir({})) };
}

t.test('kubectl canary status names the HPA scaling the Canary', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const canary = canaryObject('web', {
    command: 'apply',
    status: runningStatus(),
    spec: { totalReplicas: 14 },
  });
  api.putCanary({ ...canary, metadata: { ...canary.metadata, managedFields } });
  api.putDeployment(deploymentObject('web-v1', 10, 10));
  api.putDeployment(deploymentObject('web-v2', 4, 4));
  api.objects.set(`${HPAS}/web`, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    ...hpa('web', { name: 'web' }, 4, 40),
  } as never);
  api.objects.set(`${HPAS}/api`, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    ...hpa('api', { name: 'api' }),
  } as never);
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /^Total: {7}14 replicas, set by HorizontalPodAutoscaler web \(4 to 40\)$/m);
});

t.test('without the right to list HPAs, status names the last writer of the total', async (t) => {
  const { api, kubeconfig } = await cluster(t);
  const canary = canaryObject('web', { status: runningStatus() });
  api.putCanary({ ...canary, metadata: { ...canary.metadata, managedFields } });
  api.forbidden.push({ prefix: HPAS });
  const r = await runCli(['status', 'web', '--kubeconfig', kubeconfig]);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /^Total: {7}10 replicas, set by kubectl \(through the scale subresource\)$/m);
});
