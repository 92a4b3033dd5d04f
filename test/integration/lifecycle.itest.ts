/**
 * A Canary's life against the real API server: the real HTTP service decides,
 * a stand-in for Metacontroller (./metacontroller.ts) carries objects read
 * back from the server to it and writes its answers back, and kubectl is how
 * a person steers and watches it.
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
  parseTable,
  serviceAccountConfig,
  validSpec,
} from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';

const COMMAND = 'canary.k8shuginn.io/command';
const WIDE_COLUMNS = ['NAME', 'OLDREPLICAS', 'NEWREPLICAS', 'CURRENTSTEP', 'STATE', 'MESSAGE'];

let ns = '';
let hooks: HookServer;
let mc: Metacontroller;
const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);

async function replicas(name: string): Promise<number | undefined> {
  return (await apps.readNamespacedDeployment({ name, namespace: ns })).spec?.replicas;
}

async function wide(): Promise<{ header: string[]; row: Record<string, string> }> {
  const out = await kubectlOk(['get', 'canaries', '-n', ns, '-o', 'wide']);
  const header = out.split('\n')[0]!.trim().split(/\s+/);
  const row = parseTable(out).find((r) => r.NAME === 'shop');
  if (!row) throw new Error(`no row for shop in\n${out}`);
  return { header, row };
}

async function annotate(command: string): Promise<void> {
  await kubectlOk(['annotate', '--overwrite', '-n', ns, 'canary', 'shop', `${COMMAND}=${command}`]);
}

t.before(async () => {
  await installAll();
  ns = await createNamespace('lifecycle');
  // A round minute plus 5 s, so each `advance(60)` passes exactly one tick of `* * * * *`.
  const start = new Date();
  start.setUTCSeconds(5, 0);
  // The service talks to the API server as its own ServiceAccount (Events).
  hooks = await HookServer.start(await serviceAccountConfig(), start);
  mc = new Metacontroller(hooks);
  await createCanaryApp(ns, 'shop', { totalReplicas: 10, stepReplicas: 2 });
});

t.teardown(() => hooks?.close());

t.test('a new Canary is pending, adopts both Deployments, and shows in kubectl get -o wide', async (t) => {
  // The old version's pods crashing must never roll the new one back.
  await mc.settleDeployment(ns, 'shop-v1');
  await mc.createPod(ns, 'shop-v1', 'shop-v1-crashing');
  await mc.crashLoop(ns, 'shop-v1-crashing');

  const answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { oldReplicas: 10, newReplicas: 0, currentStep: 0, state: 'stop' });
  t.equal(answer.status.message, 'Canary is Pending');

  const canary = await mc.getCanary(ns, 'shop');
  t.match(canary.status, { state: 'stop', totalSteps: 5, observedGeneration: canary.metadata.generation });
  t.ok(canary.metadata.finalizers?.includes('metacontroller.io/compositecontroller-canary-hooks'));
  for (const name of ['shop-v1', 'shop-v2']) {
    const d = await apps.readNamespacedDeployment({ name, namespace: ns });
    t.match(d.metadata?.ownerReferences, [
      { kind: 'Canary', name: 'shop', uid: canary.metadata.uid, controller: true },
    ]);
  }
  t.equal(await replicas('shop-v1'), 10);
  t.equal(await replicas('shop-v2'), 0);

  const { header, row } = await wide();
  t.same(header.slice(0, WIDE_COLUMNS.length), WIDE_COLUMNS, `columns: ${header.join(' ')}`);
  t.match(row, {
    OLDREPLICAS: '10',
    NEWREPLICAS: '0',
    CURRENTSTEP: '0',
    STATE: 'stop',
    MESSAGE: 'Canary is Pending',
  });
  t.ok('TOTALSTEPS' in row && 'NEXTSTEP' in row, 'the extra -o wide columns follow');
  const plain = await kubectlOk(['get', 'can', '-n', ns]);
  t.notMatch(plain, /TOTALSTEPS/, 'priority-1 columns only with -o wide');
});

t.test('kubectl annotate apply starts it: step 1 at once, written to the Deployments', async (t) => {
  await annotate('apply');
  const got = JSON.parse(await kubectlOk(['get', 'canary', 'shop', '-n', ns, '-o', 'json']));
  t.equal(got.metadata.annotations[COMMAND], 'apply', 'kubectl annotate sets the command');

  const answer = await mc.sync(ns, 'shop');
  t.match(answer.status, {
    oldReplicas: 8,
    newReplicas: 2,
    currentStep: 1,
    state: 'running',
    observedCommand: 'apply',
  });
  t.equal(await replicas('shop-v1'), 8);
  t.equal(await replicas('shop-v2'), 2);
  const { row } = await wide();
  t.match(row, {
    OLDREPLICAS: '8',
    NEWREPLICAS: '2',
    CURRENTSTEP: '1',
    STATE: 'running',
    MESSAGE: /^Canary is Running/,
  });
  t.ok(
    answer.resyncAfterSeconds! > 0 && answer.resyncAfterSeconds! <= 60,
    'asks to be synced again at the tick',
  );
});

t.test('a due step waits until the new replicas are available', async (t) => {
  hooks.advance(60);
  const waiting = await mc.sync(ns, 'shop');
  t.match(waiting.status, { currentStep: 1, state: 'running' });
  t.match(waiting.status.message, /waiting for .*shop-v2/i);
  t.equal(await replicas('shop-v2'), 2);

  await mc.settleDeployment(ns, 'shop-v1');
  await mc.settleDeployment(ns, 'shop-v2');
  const stepped = await mc.sync(ns, 'shop');
  t.match(stepped.status, { oldReplicas: 6, newReplicas: 4, currentStep: 2, state: 'running' });
  t.equal(await replicas('shop-v1'), 6);
  t.equal(await replicas('shop-v2'), 4);
});

t.test('a sync shown the parent from before the last status write changes nothing', async (t) => {
  // The Deployments' status changes set this sync off before the parent's
  // cache has seen step 2's status: it still says step 1 (issue 10).
  await mc.settleDeployment(ns, 'shop-v2');
  const stale = await mc.sync(ns, 'shop', { parentStatusWrites: 1 });
  t.match(stale.status, { oldReplicas: 6, newReplicas: 4, currentStep: 2, state: 'running' });
  t.equal(await replicas('shop-v1'), 6, 'no replica flip back to step 1');
  t.equal(await replicas('shop-v2'), 4);
  const stored = await mc.getCanary(ns, 'shop');
  t.equal((stored.status as { currentStep?: number }).currentStep, 2, 'step 1 is not written back');
  const v2 = await apps.readNamespacedDeployment({ name: 'shop-v2', namespace: ns });
  const record = JSON.parse(v2.metadata?.annotations?.['canary.k8shuginn.io/decision'] ?? '{}');
  t.match(record, { step: 2, state: 'running', sequence: (stored.status as { sequence?: number }).sequence });
});

t.test('stop holds the replicas; apply resumes on the next tick', async (t) => {
  await annotate('stop');
  let answer = await mc.sync(ns, 'shop');
  t.match(answer.status, {
    oldReplicas: 6,
    newReplicas: 4,
    currentStep: 2,
    state: 'stop',
    observedCommand: 'stop',
  });
  hooks.advance(120);
  await mc.settleDeployment(ns, 'shop-v2');
  answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { currentStep: 2, state: 'stop' }, 'no step while stopped');
  t.match((await wide()).row, { STATE: 'stop', CURRENTSTEP: '2' });

  await annotate('apply');
  answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { currentStep: 2, state: 'running' }, 'resumes where it stopped');
  hooks.advance(60);
  await mc.settleDeployment(ns, 'shop-v1');
  await mc.settleDeployment(ns, 'shop-v2');
  answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { oldReplicas: 4, newReplicas: 6, currentStep: 3, state: 'running' });
  t.equal(await replicas('shop-v1'), 4);
  t.equal(await replicas('shop-v2'), 6);
});

t.test('a crash-looping pod of the new version rolls back by itself', async (t) => {
  await mc.createPod(ns, 'shop-v2', 'shop-v2-crashing');
  await mc.crashLoop(ns, 'shop-v2-crashing');
  const pod = JSON.parse(await kubectlOk(['get', 'pod', 'shop-v2-crashing', '-n', ns, '-o', 'json']));
  t.equal(pod.status.containerStatuses[0].state.waiting.reason, 'CrashLoopBackOff', 'kubelet status stored');

  const answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { oldReplicas: 10, newReplicas: 0, currentStep: 0, state: 'stop' });
  t.match(answer.status.message, /^\[\d{4}-\d\d-\d\dT[\d:]+Z\] Canary is rollbacked$/);
  t.match(answer.status.rollback, { reason: /CrashLoopBackOff/ });
  t.match(answer.status.rollback, { reason: /shop-v2-crashing/ });
  t.equal(await replicas('shop-v1'), 10);
  t.equal(await replicas('shop-v2'), 0);
  t.match((await wide()).row, { OLDREPLICAS: '10', NEWREPLICAS: '0', CURRENTSTEP: '0', STATE: 'stop' });

  hooks.advance(60);
  const again = await mc.sync(ns, 'shop');
  t.match(again.status, { currentStep: 0, state: 'stop' }, 'apply still annotated: stays rolled back');
});

t.test('a fixed image starts it again from step 1; completion finishes it', async (t) => {
  await kubectlOk(['delete', 'pod', '-n', ns, 'shop-v2-crashing', '--wait=false']);
  await kubectlOk(['set', 'image', '-n', ns, 'deployment/shop-v2', 'app=registry.example/shop:v2.1']);
  let answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { oldReplicas: 8, newReplicas: 2, currentStep: 1, state: 'running' });
  t.equal(await replicas('shop-v2'), 2);

  await annotate('completion');
  answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { oldReplicas: 0, newReplicas: 10, currentStep: 5, state: 'complete' });
  t.equal(answer.status.message, 'Canary is complete');
  t.equal(await replicas('shop-v1'), 0);
  t.equal(await replicas('shop-v2'), 10);
  t.match((await wide()).row, { OLDREPLICAS: '0', NEWREPLICAS: '10', CURRENTSTEP: '5', STATE: 'complete' });
});

t.test('each transition is a Kubernetes Event on the Canary, sent with the service account', async (t) => {
  await hooks.events.idle();
  t.equal(hooks.events.stats.failed, 0, 'no Event was refused (RBAC allows creating them)');
  const list = JSON.parse(
    await kubectlOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=shop',
      '-o',
      'json',
    ]),
  ) as { items: { reason: string; type: string; involvedObject: { kind: string } }[] };
  const seen = list.items.map((e) => `${e.type}/${e.reason}`);
  t.ok(list.items.every((e) => e.involvedObject.kind === 'Canary'));
  t.ok(
    seen.some((s) => s.startsWith('Warning/') && /CrashLoop|RolledBack/.test(s)),
    `a Warning for the rollback: ${seen}`,
  );
  t.ok(seen.length >= 6, `started, steps, stop, resume, rollback, restart, completion: ${seen}`);
  const describe = await kubectlOk(['describe', 'canary', 'shop', '-n', ns]);
  t.match(describe, /Events:/);
  t.match(describe, /canary-hooks/);
});

t.test('an unknown command is named in the status and changes nothing', async (t) => {
  await annotate('go-faster');
  const answer = await mc.sync(ns, 'shop');
  t.match(answer.status, { state: 'complete', currentStep: 5 });
  t.match(answer.status.message, /go-faster/);
  t.match(answer.status.message, /apply/);
  const r = await kubectl(['get', 'canary', 'shop', '-n', ns, '-o', 'jsonpath={.status.message}']);
  t.match(r.stdout, /go-faster/);
});

t.test('new replicas that never become available roll back after progressDeadlineSeconds', async (t) => {
  for (const d of [
    deploymentObject({ name: 'slow-v1', namespace: ns, app: 'slow', version: 'v1', replicas: 4 }),
    deploymentObject({ name: 'slow-v2', namespace: ns, app: 'slow', version: 'v2', replicas: 0 }),
  ]) {
    await apps.createNamespacedDeployment({ namespace: ns, body: d });
  }
  await kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(
      canaryObject(
        'slow',
        ns,
        validSpec({
          oldDeployment: 'slow-v1',
          newDeployment: 'slow-v2',
          totalReplicas: 4,
          stepReplicas: 2,
          progressDeadlineSeconds: 90,
          selector: { matchLabels: { app: 'slow' } },
        }),
      ),
    ),
  );
  await mc.sync(ns, 'slow');
  await kubectlOk(['annotate', '-n', ns, 'canary', 'slow', `${COMMAND}=apply`]);
  let answer = await mc.sync(ns, 'slow');
  // Surge (docs/design.md §7a, the default): v2 is asked for 2 while v1 keeps all 4 until they are available.
  t.match(answer.status, { oldReplicas: 4, newReplicas: 2, currentStep: 1, state: 'running' });
  // The Deployment controller sees the new spec, but no pod ever becomes available.
  await mc.settleDeployment(ns, 'slow-v2', 0);
  hooks.advance(60);
  answer = await mc.sync(ns, 'slow');
  t.match(answer.status, { currentStep: 1, state: 'running' }, 'still within the deadline');
  hooks.advance(60);
  answer = await mc.sync(ns, 'slow');
  t.match(answer.status, { oldReplicas: 4, newReplicas: 0, currentStep: 0, state: 'stop' });
  t.match(answer.status.rollback, { reason: /ProgressDeadlineExceeded/ });
  t.equal(await replicas('slow-v2'), 0);
  t.equal(await replicas('slow-v1'), 4);
});
