/**
 * Automatic rollback: crashing new pods, and new pods that never become
 * available within progressDeadlineSeconds. Then what `apply` does while it
 * stays annotated, and what a fixed pod template does.
 */
import t from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';

const RUNNING = 'Canary is Running';

t.test('CrashLoopBackOff at step 3 rolls back; a new pod template restarts from step 1', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:30Z');
  // The new version falls over under more load: pods created from here on crash.
  sim.setPodBehaviour('my-app-v2', { kind: 'crash', afterSeconds: 30 });
  await sim.runUntil('2026-11-23T10:03:00Z');
  const rolledBack = '[2026-11-23T10:02:30Z] Canary is rollbacked';
  t.match(sim.status?.rollback, {
    time: '2026-11-23T10:02:30Z',
    reason: /^CrashLoopBackOff: container my-app of pod my-app-v2-\w+-\w+ is in CrashLoopBackOff$/,
    revision: /^\w+$/,
  });
  const badRevision = sim.status?.rollback?.revision;

  // `apply` is still annotated: it stays rolled back, sync after sync.
  await sim.runUntil('2026-11-23T10:05:00Z');
  t.equal(sim.cluster.deployment('my-app-v2')?.status?.replicas, 0, 'no crashing pods left');

  // The fix: a new image, healthy pods.
  sim.advanceTo('2026-11-23T10:05:10Z');
  sim.setImage('my-app-v2', 'containersol/k8s-deployment-strategies:v2.0.1', {
    kind: 'ready',
    afterSeconds: 5,
  });
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:02:00Z', 4, 6, 3, 'running', RUNNING],
    // the two pods added at step 3 crash-loop from 10:02:30: their status event's sync rolls back
    ['2026-11-23T10:02:30Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:03:00Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:03:30Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:04:00Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:04:30Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:05:00Z', 10, 0, 0, 'stop', rolledBack],
    // the new pod template restarts it at once from step 1
    ['2026-11-23T10:05:10Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:06:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:07:00Z', 4, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:08:00Z', 2, 8, 4, 'running', RUNNING],
    ['2026-11-23T10:09:00Z', 0, 10, 5, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.equal(sim.status?.rollback?.revision, badRevision, 'the rollback record stays as history');
  t.equal(sim.status?.observedCommand, 'apply');
  t.same(sim.violations, []);
});

t.test('pods of the old Deployment crash-looping never roll back', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    spec: { totalReplicas: 4 },
    // Both Deployments select the very same labels: only the owning ReplicaSet's name tells their pods apart.
    deployments: [
      {
        name: 'my-app-v1',
        replicas: 4,
        version: 'stable',
        image: 'example/app:v1',
        behaviour: { kind: 'crash', afterSeconds: 0 },
      },
      // Its pods take a while to start, so the syncs meanwhile read them (and the old ones).
      {
        name: 'my-app-v2',
        replicas: 0,
        version: 'stable',
        image: 'example/app:v2',
        behaviour: { kind: 'ready', afterSeconds: 90 },
      },
    ],
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');
  // The service read the new Deployment's pods while its replicas started (docs/design.md §11):
  // its selector picks the old, crashing pods too.
  const oldPods = (sim.podReads[0] ?? []).filter((p) => p.metadata.name.startsWith('my-app-v1-'));
  t.equal(oldPods.length, 2, "the old Deployment's crashing pods (2 at step 1) were read for the hook");
  t.match(
    oldPods[0]?.metadata.labels,
    { app: 'my-app', version: 'stable' },
    "with the new selector's labels",
  );
  const WAITING = 'Canary is Running: waiting for my-app-v2 to have 2 replicas available';
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 2, 2, 1, 'running', RUNNING],
    // No poll while v2's replicas start: their ready event at 10:01:30 brings the last step.
    ['2026-11-23T10:01:00Z', 2, 2, 1, 'running', WAITING],
    ['2026-11-23T10:01:30Z', 0, 4, 2, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

t.test('new pods that never become available roll back after progressDeadlineSeconds', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    spec: { progressDeadlineSeconds: 120 },
    newPods: { kind: 'never' },
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runUntil('2026-11-23T10:02:30Z');

  const waiting = 'Canary is Running: waiting for my-app-v2 to have 2 replicas available';
  const rolledBack = '[2026-11-23T10:02:00Z] Canary is rollbacked';
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    // step 2 is due at 10:01 but waits: no poll, the deadline at 10:02 is the clock it asks for
    ['2026-11-23T10:01:00Z', 8, 2, 1, 'running', waiting],
    // 120 s after step 1 the 2 new replicas are still not available
    ['2026-11-23T10:02:00Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:02:30Z', 10, 0, 0, 'stop', rolledBack],
  ] satisfies Row[]);
  t.match(
    sim.status?.rollback?.reason,
    /^ProgressDeadlineExceeded: 0 of 2 replicas of my-app-v2 available 120s after step 1$/,
  );
  t.match(sim.status?.conditions, [
    { type: 'Valid', status: 'True' },
    { type: 'CommandAccepted', status: 'True' },
    { type: 'Progressing', status: 'False', reason: 'RolledBack' },
    { type: 'StepAvailable', status: 'True' },
    { type: 'RolledBack', status: 'True', reason: 'ProgressDeadlineExceeded' },
    { type: 'Complete', status: 'False' },
  ]);
  t.same(sim.violations, []);
});

t.test('the deadline counts from the last step, on a slow schedule too', async (t) => {
  // Every 5 minutes, deadline 60 s: pods that never come up fail long before the next tick.
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    spec: { cronSchedule: '*/5 * * * *', progressDeadlineSeconds: 60 },
    newPods: { kind: 'never' },
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:00Z');
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    // woken for the deadline, not the 10:05 tick
    ['2026-11-23T10:01:00Z', 10, 0, 0, 'stop', '[2026-11-23T10:01:00Z] Canary is rollbacked'],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

t.test('a new pod replaced long after its step is no missed progress deadline', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    spec: { totalReplicas: 4, cronSchedule: '0 * * * *', progressDeadlineSeconds: 300 },
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runUntil('2026-11-23T10:30:00Z');
  // A node drain evicts one new pod: the Deployment's availableReplicas drops, and that
  // status change makes Metacontroller sync at once, before the replacement is ready.
  sim.evictPod('my-app-v2');
  t.equal(sim.cluster.deployment('my-app-v2')?.status?.availableReplicas, 1);
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete' && sim.time < '2026-11-23T11:00:00Z');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 2, 2, 1, 'running', RUNNING],
    // deadline woke it at 10:05; all available by then
    ['2026-11-23T10:05:00Z', 2, 2, 1, 'running', RUNNING],
    // the step's replicas were all available at 10:00:05: a later eviction is no failed step
    ['2026-11-23T10:30:00Z', 2, 2, 1, 'running', RUNNING],
    ['2026-11-23T11:00:00Z', 0, 4, 2, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

t.test('a step that made it stays made through a stop, an error and an eviction', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    spec: { totalReplicas: 4, cronSchedule: '0 * * * *', progressDeadlineSeconds: 300 },
  });
  t.teardown(() => sim.close());
  const at = async (time: string, act: () => void) => {
    sim.advanceTo(time);
    act();
    await sim.sync();
  };

  await sim.sync();
  await sim.runUntil('2026-11-23T10:05:00Z');
  await at('2026-11-23T10:10:00Z', () => sim.annotate('stop'));
  await at('2026-11-23T10:20:00Z', () => sim.editSpec({ cronSchedule: 'every hour' }));
  await at('2026-11-23T10:25:00Z', () => sim.editSpec({ cronSchedule: '0 * * * *' }));
  await at('2026-11-23T10:30:00Z', () => sim.evictPod('my-app-v2'));
  await at('2026-11-23T10:40:00Z', () => sim.annotate('apply'));
  await sim.runWhile(() => sim.status?.state !== 'complete');

  const STOPPED = 'Canary is Stopped';
  t.same(sim.rows.slice(0, 3), [
    ['2026-11-23T10:00:00Z', 2, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:05:00Z', 2, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:10:00Z', 2, 2, 1, 'stop', STOPPED],
  ] satisfies Row[]);
  t.match(sim.rows[3], [
    '2026-11-23T10:20:00Z',
    2,
    2,
    1,
    'error',
    /^Invalid spec: spec\.cronSchedule "every hour"/,
  ]);
  t.same(sim.rows.slice(4), [
    ['2026-11-23T10:25:00Z', 2, 2, 1, 'stop', STOPPED],
    // stopped part-way, one of its two new pods evicted, deadline long past: no rollback
    ['2026-11-23T10:30:00Z', 2, 2, 1, 'stop', STOPPED],
    ['2026-11-23T10:40:00Z', 2, 2, 1, 'running', RUNNING],
    ['2026-11-23T11:00:00Z', 0, 4, 2, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.equal(sim.status?.rollback, null, 'never rolled back');
  t.same(sim.violations, []);
});
