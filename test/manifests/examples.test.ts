import t from 'tap';
import { readFileSync } from 'node:fs';
import { repoPath, validateCanary } from '../helpers/crd.js';
import { examples, find, selects, type K8sObject } from './manifests.js';

interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string }[] } };
  };
}
interface Canary extends K8sObject {
  spec: {
    oldDeployment: string;
    newDeployment: string;
    totalReplicas: number;
    stepReplicas: number;
    cronSchedule: string;
    selector: { matchLabels: Record<string, string> };
  };
}

const objects = examples();
const canary = find<Canary>(objects, 'Canary', 'my-app');
const v1 = find<Deployment>(objects, 'Deployment', 'my-app-v1');
const v2 = find<Deployment>(objects, 'Deployment', 'my-app-v2');
const service = find<K8sObject & { spec: { selector: Record<string, string> } }>(
  objects,
  'Service',
  'my-app',
);

t.test('the walkthrough Canary: v1 to v2, total 10, step 2, every minute', async (t) => {
  t.match(canary.spec, {
    oldDeployment: 'my-app-v1',
    newDeployment: 'my-app-v2',
    totalReplicas: 10,
    stepReplicas: 2,
    cronSchedule: '* * * * *',
    selector: { matchLabels: { app: 'my-app' } },
  });
  t.same(validateCanary(canary), []);
  t.equal(
    canary.metadata.namespace,
    undefined,
    'applies into the namespace the user picks, beside its Deployments',
  );
});

t.test('Metacontroller adopts both Deployments: their labels match the Canary selector', async (t) => {
  for (const d of [v1, v2]) {
    t.ok(selects(canary.spec.selector.matchLabels, d.metadata.labels), `${d.metadata.name} labels`);
    t.ok(
      selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels),
      `${d.metadata.name} selects its pods`,
    );
    t.equal(d.metadata.namespace, undefined);
  }
  t.equal(v1.spec.template.metadata.labels.version, 'v1.0.0');
  t.equal(v2.spec.template.metadata.labels.version, 'v2.0.0');
  // Pods of v1 must never count as v2's: their selectors must tell them apart.
  t.notOk(
    selects(v2.spec.selector.matchLabels, v1.spec.template.metadata.labels),
    "v2's selector skips v1 pods",
  );
  t.notOk(
    selects(v1.spec.selector.matchLabels, v2.spec.template.metadata.labels),
    "v1's selector skips v2 pods",
  );
});

t.test('the starting replicas are the Canary step 0, and one Service spans both versions', async (t) => {
  t.equal(v1.spec.replicas, canary.spec.totalReplicas);
  t.equal(v2.spec.replicas, 0);
  for (const d of [v1, v2])
    t.ok(selects(service.spec.selector, d.spec.template.metadata.labels), d.metadata.name);
  t.equal(
    v1.spec.template.spec.containers[0]?.name,
    v2.spec.template.spec.containers[0]?.name,
    'same container name, so one `kubectl set image` line fits both',
  );
});

t.test('the example files warn against re-applying replicas', async (t) => {
  for (const file of ['app-v1.yaml', 'app-v2.yaml']) {
    t.match(
      readFileSync(repoPath(`manifests/examples/${file}`), 'utf8'),
      /re-applying this\s+(#\s+)?file/i,
      file,
    );
  }
});
