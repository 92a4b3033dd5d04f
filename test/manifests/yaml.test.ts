import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { readYamlDocuments, repoPath } from '../helpers/crd.js';
import { MANIFESTS_DIR, installed, readKustomization, yamlFiles, type K8sObject } from './manifests.js';

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'CompositeController',
]);

t.test('every YAML file under manifests/ parses into Kubernetes objects', async (t) => {
  const files = yamlFiles();
  t.ok(files.length >= 10, `found ${files.length} files`);
  for (const file of files) {
    const docs = readYamlDocuments(repoPath(file)) as K8sObject[];
    t.ok(docs.length > 0, `${file} has at least one document`);
    for (const doc of docs) {
      if (file.endsWith('kustomization.yaml')) {
        t.equal(doc.kind, 'Kustomization', `${file} is a Kustomization`);
        continue;
      }
      t.match(doc, { apiVersion: String, kind: String, metadata: { name: String } }, `${file}: ${doc.kind}`);
    }
  }
});

t.test('readYamlDocuments names the file of a YAML syntax error', async (t) => {
  const dir = t.testdir({
    'broken.yaml': 'kind: Service\nmetadata: [1, 2\n',
    'two.yaml': 'a: 1\n---\nb: 2\n---\n',
  });
  t.throws(() => readYamlDocuments(join(dir, 'broken.yaml')), /broken\.yaml/);
  t.same(readYamlDocuments(join(dir, 'two.yaml')), [{ a: 1 }, { b: 2 }], 'a trailing --- adds no document');
});

for (const dir of [MANIFESTS_DIR, join(MANIFESTS_DIR, 'examples')]) {
  t.test(
    `${dir.slice(dir.indexOf('manifests'))}/kustomization.yaml lists files that exist and all of them`,
    async (t) => {
      const resources = readKustomization(dir).resources ?? [];
      t.ok(resources.length > 0);
      for (const resource of resources) t.ok(existsSync(join(dir, resource)), `${resource} exists`);
      t.equal(new Set(resources).size, resources.length, 'no resource listed twice');
      // A manifest left out of the kustomization would silently not be installed.
      const here = yamlFiles(dir).filter(
        (f) => dirname(repoPath(f)) === dir && !f.endsWith('kustomization.yaml'),
      );
      t.same(
        here.map((f) => f.split('/').pop()).sort(),
        [...resources].sort(),
        'every manifest in the folder is listed',
      );
    },
  );
}

t.test('the install kustomization leaves the examples out and installs into canary-system', async (t) => {
  const resources = readKustomization(MANIFESTS_DIR).resources ?? [];
  t.notOk(
    resources.some((r) => r.startsWith('examples')),
    'examples are a demo app, not part of the install',
  );
  const objects = installed();
  t.same(objects.map((o) => o.kind).sort(), [
    'ClusterRole',
    'ClusterRoleBinding',
    'CompositeController',
    'CustomResourceDefinition',
    'Deployment',
    'Namespace',
    'NetworkPolicy',
    'PodDisruptionBudget',
    'Service',
    'ServiceAccount',
  ]);
  for (const o of objects) {
    if (CLUSTER_SCOPED.has(o.kind)) t.equal(o.metadata.namespace, undefined, `${o.kind} is cluster-scoped`);
    else t.equal(o.metadata.namespace, 'canary-system', `${o.kind}/${o.metadata.name} in canary-system`);
  }
  const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  t.equal(new Set(names).size, names.length, 'no object defined twice');
});

// kubectl carries kustomize; where it is installed, build the real thing too.
const kubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

t.test(
  'kubectl kustomize builds manifests/ into the same objects',
  { skip: !kubectl && 'no kubectl here' },
  async (t) => {
    const built = execFileSync('kubectl', ['kustomize', MANIFESTS_DIR], { encoding: 'utf8' });
    const kinds = built
      .split(/^---$/m)
      .map((doc) => (parse(doc) as K8sObject | null)?.kind)
      .filter(Boolean)
      .sort();
    t.same(
      kinds,
      installed()
        .map((o) => o.kind)
        .sort(),
    );
  },
);
