/**
 * Pods on demand against the real API server (docs/design.md §11): the
 * service lists only the new Deployment's pods, in the Canary's namespace,
 * as the manifests' ServiceAccount; without `list` on pods a crash-looping
 * new version is neither stepped past nor rolled back on a guess, and the
 * status says why; with it back, it rolls back.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import type { PodReadPlan } from '../../hooks/pod-read.js';
import type { Pod } from '../../hooks/wire/index.js';
import { createPodReader, type PodReader } from '../../server/pods.js';
import {
  createCanaryApp,
  createNamespace,
  installAll,
  kubeConfig,
  kubectlOk,
  serviceAccountConfig,
  waitFor,
} from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';

const COMMAND = 'canary.k8shuginn.io/command';

interface Read {
  plan: PodReadPlan;
  pods: string[];
}

/** The real reader, with a note of every list it makes and what came back. */
function recording(reader: PodReader, reads: Read[]): PodReader {
  return {
    async list(plan, signal) {
      const pods: Pod[] = await reader.list(plan, signal);
      reads.push({ plan, pods: pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort() });
      return pods;
    },
  };
}

let ns = '';
let elsewhere = '';
const start = new Date();
start.setUTCSeconds(5, 0);

t.before(async () => {
  await installAll();
  ns = await createNamespace('pods');
  elsewhere = await createNamespace('pods-elsewhere');
});

t.test('the service lists only the new Deployment pods, from the Canary namespace', async (t) => {
  const reads: Read[] = [];
  const kc = await serviceAccountConfig();
  const hooks = await HookServer.start(kc, start, { pods: recording(createPodReader(kc), reads) });
  t.teardown(() => hooks.close());
  const mc = new Metacontroller(hooks);
  await createCanaryApp(ns, 'shop', { totalReplicas: 10, stepReplicas: 2 });
  // The same app in another namespace, crashing: never this Canary's business.
  await createCanaryApp(elsewhere, 'shop', { totalReplicas: 10, stepReplicas: 2 });
  await mc.settleDeployment(elsewhere, 'shop-v2');
  await kubectlOk(['scale', '-n', elsewhere, 'deployment/shop-v2', '--replicas=2']);
  await mc.createPod(elsewhere, 'shop-v2', 'shop-v2-elsewhere');
  await mc.crashLoop(elsewhere, 'shop-v2-elsewhere');

  await mc.settleDeployment(ns, 'shop-v1');
  let answer = await mc.sync(ns, 'shop');
  t.equal(answer.status.state, 'stop', 'pending');
  t.same(reads, [], 'pending: no read');

  await kubectlOk(['annotate', '--overwrite', '-n', ns, 'canary', 'shop', `${COMMAND}=apply`]);
  answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { currentStep: 1, newReplicas: 2 });
  // The old version crash-looping, and a healthy new pod starting.
  await mc.createPod(ns, 'shop-v1', 'shop-v1-crashing');
  await mc.crashLoop(ns, 'shop-v1-crashing');
  await mc.createPod(ns, 'shop-v2', 'shop-v2-starting');
  await mc.settleDeployment(ns, 'shop-v2', 1);
  answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { currentStep: 1, state: 'running' }, 'no rollback for the old version');
  t.equal(reads.length, 1, 'one read while the new replicas start');
  t.same(reads[0]?.plan, {
    namespace: ns,
    deployment: 'shop-v2',
    selector: { matchLabels: { app: 'shop', version: 'v2' } },
    labelSelector: 'app=shop,version=v2',
  });
  t.same(reads[0]?.pods, [`${ns}/shop-v2-starting`], 'only the new pods of this namespace came back');

  await mc.settleDeployment(ns, 'shop-v2');
  hooks.advance(30);
  answer = await mc.sync(ns, 'shop');
  t.equal(reads.length, 1, 'at rest: no read');
});

/** A ClusterRole like canary-hooks', with or without `list` on pods, bound to a ServiceAccount of its own. */
async function limitedAccount(namespace: string, withPods: boolean): Promise<void> {
  const role = JSON.parse(await kubectlOk(['get', 'clusterrole', 'canary-hooks', '-o', 'json'])) as {
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  const rules = withPods ? role.rules : role.rules.filter((r) => !r.resources.includes('pods'));
  const name = `no-pods-${namespace}`;
  await kubectlOk(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ kind: 'ServiceAccount', name: 'no-pods', namespace }],
        },
      ],
    }),
  );
}

t.test(
  'without list on pods: no step past a crash-looping version, the status says why; with it, a rollback',
  async (t) => {
    const team = await createNamespace('pods-rbac');
    await kubectlOk(['create', 'serviceaccount', 'no-pods', '-n', team]);
    await limitedAccount(team, false);
    const token = (await kubectlOk(['create', 'token', 'no-pods', '-n', team, '--duration=1h'])).trim();
    const cluster = kubeConfig().getCurrentCluster()!;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'itest', server: cluster.server, caData: cluster.caData }],
      users: [{ name: 'no-pods', token }],
      contexts: [{ name: 'itest', cluster: 'itest', user: 'no-pods' }],
      currentContext: 'itest',
    });
    const hooks = await HookServer.start(kc, start);
    const mc = new Metacontroller(hooks);

    await createCanaryApp(team, 'cart', { totalReplicas: 4, stepReplicas: 1 });
    await mc.settleDeployment(team, 'cart-v1');
    await mc.sync(team, 'cart');
    await kubectlOk(['annotate', '--overwrite', '-n', team, 'canary', 'cart', `${COMMAND}=apply`]);
    let answer = await mc.sync(team, 'cart');
    t.match(answer.status, { currentStep: 1, newReplicas: 1 });
    await mc.createPod(team, 'cart-v2', 'cart-v2-crashing');
    await mc.crashLoop(team, 'cart-v2-crashing');

    for (let tick = 0; tick < 3; tick += 1) {
      hooks.advance(60);
      answer = await mc.sync(team, 'cart');
      t.match(answer.status, { currentStep: 1, state: 'running', rollback: null }, `tick ${tick + 1}: held`);
    }
    t.match(
      answer.status.message,
      /^Canary is Running: pods of cart-v2 could not be read \(Forbidden: HTTP 403: pods is forbidden: User "system:serviceaccount:[^"]+:no-pods" cannot list resource "pods"/,
    );
    const canary = await mc.getCanary(team, 'cart');
    const conditions = (canary.status?.conditions ?? []) as {
      type: string;
      reason: string;
      message: string;
    }[];
    t.match(
      conditions.find((c) => c.type === 'Progressing'),
      { reason: 'PodsUnreadable', message: /^Pods of cart-v2 could not be read \(Forbidden/ },
    );
    await hooks.close(); // sends the Events it queued
    const events = JSON.parse(
      await kubectlOk([
        'get',
        'events',
        '-n',
        team,
        '--field-selector',
        'reason=PodsUnreadable',
        '-o',
        'json',
      ]),
    ) as { items: { type: string; count?: number }[] };
    t.equal(events.items.length, 1, 'one Warning Event for the cause, over four syncs');
    t.equal(events.items[0]?.type, 'Warning');

    // list on pods given back: the next sync sees the crash and rolls back.
    await limitedAccount(team, true);
    const again = await HookServer.start(kc, hooks.now);
    t.teardown(() => again.close());
    const mc2 = new Metacontroller(again);
    const rolled = await waitFor('a rollback once pods can be read', async () => {
      const a = await mc2.sync(team, 'cart');
      return a.status.currentStep === 0 ? a : undefined;
    });
    t.match(rolled.status, { state: 'stop', oldReplicas: 4, newReplicas: 0 });
    t.match(rolled.status.rollback, { reason: /^CrashLoopBackOff: container app of pod cart-v2-crashing/ });
  },
);
