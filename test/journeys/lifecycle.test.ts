/**
 * The Canary among other objects: deleting it, a third Deployment under the
 * same labels, and its spec edited mid-rollout.
 */
import t from 'tap';
import type { FinalizeResponse } from '../../hooks/wire/index.js';
import { CANARY_UID } from '../fixtures/cluster.js';
import { Simulation, type Row } from '../harness/simulation.js';

const RUNNING = 'Canary is Running';
const COMPLETE = 'Canary is complete';

t.test('deleting the Canary orphans both Deployments and keeps their replicas', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
  t.teardown(() => sim.close());
  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:30Z');
  t.same(sim.rows.at(-1), ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING]);

  sim.deleteCanary();
  sim.kube.failuresLeft = 1; // the API server refuses the first release
  await sim.sync();
  await sim.runWhile(() => sim.cluster.canary !== undefined, 10);

  const finalizes = sim.calls
    .filter((c) => c.hook === 'finalize')
    .map((c) => {
      const response = c.response as FinalizeResponse;
      return [c.time, response.finalized, response.children.map((d) => [d.metadata.name, d.spec.replicas])];
    });
  t.same(finalizes, [
    // my-app-v1's release failed, my-app-v2's went through; both were still owned when observed
    [
      '2026-11-23T10:01:30Z',
      false,
      [
        ['my-app-v1', 6],
        ['my-app-v2', 4],
      ],
    ],
    // only my-app-v1 is still ours; released now (my-app-v2's release was a child event: no 2 s wait)
    ['2026-11-23T10:01:30Z', false, [['my-app-v1', 6]]],
    // nothing owned any more
    ['2026-11-23T10:01:30Z', true, []],
  ]);
  t.same(sim.kube.calls, [
    'release default/my-app-v1',
    'release default/my-app-v2',
    'release default/my-app-v1',
  ]);
  t.equal(sim.cluster.canary, undefined, 'the Canary is gone');
  for (const [name, replicas] of [
    ['my-app-v1', 6],
    ['my-app-v2', 4],
  ] as const) {
    const d = sim.cluster.deployment(name);
    t.equal(d?.spec.replicas, replicas, `${name} keeps ${replicas} replicas`);
    t.notOk(
      (d?.metadata.ownerReferences ?? []).some((ref) => ref.uid === CANARY_UID),
      `${name} is no longer owned`,
    );
  }
  sim.advanceBy(600);
  t.equal(sim.cluster.deployment('my-app-v2')?.status?.availableReplicas, 4, 'its pods keep running');
  t.same(sim.cluster.events, [], 'the garbage collector deleted nothing');
  t.same(sim.violations, []);
});

t.test('without finalize releasing them, the garbage collector would take both Deployments', async (t) => {
  // The harness check behind the journey above: a Canary removed while it still owns them.
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z' });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.cluster.removeCanary();
  t.same(sim.cluster.events, [
    'garbage collector deleted Deployment my-app-v1',
    'garbage collector deleted Deployment my-app-v2',
  ]);
});

t.test('a third Deployment matching the selector is returned untouched at every sync', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    extraDeployments: [
      // an orphan with the app's labels: Metacontroller adopts it
      { name: 'my-app-debug', replicas: 1, version: 'debug', owner: 'none' },
      // the same labels but another controller's: never a child
      { name: 'my-app-rollout', replicas: 3, version: 'rollout', owner: 'other' },
      // the same labels in another namespace: never a child
      { name: 'my-app-v3', replicas: 2, namespace: 'staging' },
    ],
  });
  t.teardown(() => sim.close());
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:02:00Z', 4, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:03:00Z', 2, 8, 4, 'running', RUNNING],
    ['2026-11-23T10:04:00Z', 0, 10, 5, 'complete', COMPLETE],
  ] satisfies Row[]);
  for (const call of sim.calls) {
    t.same(
      Object.keys(call.request.children['Deployment.apps/v1'] ?? {}),
      ['my-app-debug', 'my-app-v1', 'my-app-v2'],
      `${call.time}: observed children`,
    );
    t.same(
      call.response?.children.find((c) => c.metadata.name === 'my-app-debug'),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'my-app-debug', labels: { app: 'my-app', version: 'debug' } },
        spec: { replicas: 1 },
      },
      `${call.time}: my-app-debug returned as observed`,
    );
  }
  t.equal(sim.cluster.deployment('my-app-debug')?.spec.replicas, 1);
  t.equal(sim.cluster.deployment('my-app-debug')?.metadata.generation, 1, 'never written to');
  t.equal(sim.cluster.deployment('my-app-rollout')?.spec.replicas, 3);
  t.equal(sim.cluster.deployment('my-app-v3', 'staging')?.spec.replicas, 2);
  t.same(sim.violations, []);
});

t.test('totalReplicas edited mid-rollout: the same step, resized', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
  t.teardown(() => sim.close());
  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:20Z');
  sim.editSpec({ totalReplicas: 16 });
  await sim.sync();
  await sim.runUntil('2026-11-23T10:03:20Z');
  sim.editSpec({ totalReplicas: 12, stepReplicas: 4 });
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    // step 2 of 8 now; the next step still on the 10:02 tick
    ['2026-11-23T10:01:20Z', 12, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:02:00Z', 10, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:03:00Z', 8, 8, 4, 'running', RUNNING],
    // 12 by 4 has 3 steps; step 4 is past the last, so it is complete
    ['2026-11-23T10:03:20Z', 0, 12, 3, 'complete', COMPLETE],
  ] satisfies Row[]);
  t.equal(sim.status?.observedGeneration, 3, 'Metacontroller recorded the generation it synced');
  t.same(sim.violations, []);
});

t.test(
  'the new Deployment stops matching the selector: error, nothing scaled, then it recovers',
  async (t) => {
    const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
    t.teardown(() => sim.close());
    await sim.sync();
    await sim.runUntil('2026-11-23T10:01:20Z');
    // Someone relabels my-app-v2: Metacontroller releases it and stops sending it.
    sim.cluster.setLabels('my-app-v2', { app: 'my-app-canary', version: 'v2' });
    await sim.sync();
    t.notOk(sim.cluster.deployment('my-app-v2')?.metadata.ownerReferences, 'released by Metacontroller');
    await sim.runUntil('2026-11-23T10:02:30Z');
    // Put back: adopted again, and the rollout goes on from where it stood.
    sim.advanceTo('2026-11-23T10:02:40Z');
    sim.cluster.setLabels('my-app-v2', { app: 'my-app', version: 'v2' });
    await sim.sync();
    await sim.runWhile(() => sim.status?.state !== 'complete');

    const missing =
      "Deployment my-app-v2 (spec.newDeployment) not found among this Canary's children: it may not exist " +
      'in namespace default, or its labels do not match spec.selector (app=my-app), or another controller owns it';
    t.same(sim.rows, [
      ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
      ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
      // the replicas stay as they were, on both Deployments
      ['2026-11-23T10:01:20Z', 6, 4, 2, 'error', missing],
      ['2026-11-23T10:01:50Z', 6, 4, 2, 'error', missing],
      ['2026-11-23T10:02:20Z', 6, 4, 2, 'error', missing],
      // back at step 2, running again; the next step on the next tick, not at once
      ['2026-11-23T10:02:40Z', 6, 4, 2, 'running', RUNNING],
      ['2026-11-23T10:03:00Z', 4, 6, 3, 'running', RUNNING],
      ['2026-11-23T10:04:00Z', 2, 8, 4, 'running', RUNNING],
      ['2026-11-23T10:05:00Z', 0, 10, 5, 'complete', COMPLETE],
    ] satisfies Row[]);
    t.same(sim.violations, []);
  },
);
