/**
 * Deleting a Canary leaves its Deployments running: the finalize hook, through
 * the service's real Kubernetes client authenticated as the ServiceAccount of
 * manifests/ (so with exactly its RBAC), removes the Canary's ownerReference
 * from each, and the garbage collector then has nothing of them to delete.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import {
  canaryObject,
  createCanaryApp,
  createNamespace,
  deploymentObject,
  installAll,
  kubeConfig,
  kubectl,
  kubectlOk,
  serviceAccountConfig,
  validSpec,
  waitFor,
} from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';

const admin = kubeConfig();
const apps = admin.makeApiClient(k8s.AppsV1Api);
const core = admin.makeApiClient(k8s.CoreV1Api);

t.test(
  'finalize releases the Deployments; deleting the Canary leaves them with their replicas',
  async (t) => {
    await installAll();
    const ns = await createNamespace('finalize');
    const hooks = await HookServer.start(await serviceAccountConfig(), new Date());
    t.teardown(() => hooks.close());
    const mc = new Metacontroller(hooks);

    await createCanaryApp(ns, 'fin', { totalReplicas: 4, stepReplicas: 1 });
    await mc.sync(ns, 'fin');
    await kubectlOk(['annotate', '-n', ns, 'canary', 'fin', 'canary.k8shuginn.io/command=apply']);
    const running = await mc.sync(ns, 'fin');
    t.match(running.status, { oldReplicas: 3, newReplicas: 1, currentStep: 1, state: 'running' });

    const canary = await mc.getCanary(ns, 'fin');
    const uid = canary.metadata.uid!;
    for (const name of ['fin-v1', 'fin-v2']) {
      const d = await apps.readNamespacedDeployment({ name, namespace: ns });
      t.ok(
        d.metadata?.ownerReferences?.some((r) => r.uid === uid),
        `${name} is owned by the Canary before`,
      );
    }
    // A witness that the garbage collector runs: it must go with the Canary.
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'fin-witness',
          ownerReferences: [{ apiVersion: canary.apiVersion, kind: 'Canary', name: 'fin', uid }],
        },
      },
    });

    await kubectlOk(['delete', 'canary', 'fin', '-n', ns, '--wait=false']);
    const deleting = await mc.getCanary(ns, 'fin');
    t.ok(deleting.metadata.deletionTimestamp, "Metacontroller's finalizer holds the Canary");

    const first = await mc.sync(ns, 'fin');
    t.equal(first.finalized, false, 'not finalized while the Deployments were still owned');
    t.match(first.status.message, /being deleted/);
    t.same(
      first.children.map((c) => [c.metadata.name, c.spec.replicas]).sort(),
      [
        ['fin-v1', 3],
        ['fin-v2', 1],
      ],
      'the observed children are returned unchanged',
    );
    for (const name of ['fin-v1', 'fin-v2']) {
      const d = await apps.readNamespacedDeployment({ name, namespace: ns });
      t.notOk(
        d.metadata?.ownerReferences?.some((r) => r.uid === uid),
        `${name}: the service removed the Canary's ownerReference`,
      );
    }

    const second = await mc.sync(ns, 'fin');
    t.equal(second.finalized, true, 'finalized once nothing is owned');
    await waitFor('the Canary to be gone', async () => {
      const r = await kubectl(['get', 'canary', 'fin', '-n', ns]);
      return r.code !== 0 && /NotFound/.test(r.stderr);
    });
    // The collector learns of the Canary kind at its next discovery resync (30 s).
    await waitFor(
      'the garbage collector to delete the witness',
      async () => {
        const r = await kubectl(['get', 'configmap', 'fin-witness', '-n', ns]);
        return r.code !== 0 && /NotFound/.test(r.stderr);
      },
      { timeoutMs: 120_000 },
    );
    // The collector handles an owner's dependents together; give it a moment more anyway.
    await new Promise((r) => setTimeout(r, 2000));
    t.equal((await apps.readNamespacedDeployment({ name: 'fin-v1', namespace: ns })).spec?.replicas, 3);
    t.equal((await apps.readNamespacedDeployment({ name: 'fin-v2', namespace: ns })).spec?.replicas, 1);
  },
);

t.test('without finalize, the garbage collector would have deleted them', async (t) => {
  // The control for the test above: the same ownership, no finalize hook.
  const ns = await createNamespace('no-finalize');
  await kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(canaryObject('gone', ns, validSpec({ selector: { matchLabels: { app: 'gone' } } }))),
  );
  const uid = (await kubectlOk(['get', 'canary', 'gone', '-n', ns, '-o', 'jsonpath={.metadata.uid}'])).trim();
  const owned = deploymentObject({ name: 'gone-v1', namespace: ns, app: 'gone', version: 'v1', replicas: 1 });
  owned.metadata!.ownerReferences = [
    {
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      name: 'gone',
      uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
  await apps.createNamespacedDeployment({ namespace: ns, body: owned });
  await kubectlOk(['delete', 'canary', 'gone', '-n', ns, '--wait=false']);
  await waitFor(
    'the garbage collector to delete the owned Deployment',
    async () => {
      const r = await kubectl(['get', 'deployment', 'gone-v1', '-n', ns]);
      return r.code !== 0 && /NotFound/.test(r.stderr);
    },
    { timeoutMs: 120_000 },
  );
  t.pass('an owned Deployment goes with its Canary');
});
