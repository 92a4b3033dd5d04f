/**
 * The rollout the original operator's README walks through, and the one it
 * could not finish: whole rollouts through the real server over simulated time.
 */
import t from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';

const isComplete = (sim: Simulation) => sim.status?.state === 'complete';

t.test('the original walkthrough: 10 replicas by 2, every minute', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z' });
  t.teardown(() => sim.close());

  await sim.sync();
  sim.advanceTo('2026-11-23T10:00:20Z');
  sim.annotate('apply');
  await sim.sync();
  await sim.runWhile(() => !isComplete(sim));
  await sim.runUntil('2026-11-23T10:05:00Z');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    // `apply` takes step 1 at once, not at the next tick
    ['2026-11-23T10:00:20Z', 8, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', 'Canary is Running'],
    ['2026-11-23T10:02:00Z', 4, 6, 3, 'running', 'Canary is Running'],
    ['2026-11-23T10:03:00Z', 2, 8, 4, 'running', 'Canary is Running'],
    ['2026-11-23T10:04:00Z', 0, 10, 5, 'complete', 'Canary is complete'],
    // complete stays complete on the periodic resyncs
    ['2026-11-23T10:04:30Z', 0, 10, 5, 'complete', 'Canary is complete'],
    ['2026-11-23T10:05:00Z', 0, 10, 5, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.equal(sim.status?.totalSteps, 5);
  t.notOk(sim.status && 'nextStepTime' in sim.status, 'nothing is due once complete: no nextStepTime');
  t.equal(sim.status?.lastStepTime, '2026-11-23T10:04:00Z');
  t.equal(sim.cluster.deployment('my-app-v2')?.status?.availableReplicas, 10, 'the cluster followed');
  t.equal(sim.cluster.deployment('my-app-v1')?.status?.replicas, 0);
  t.same(sim.violations, []);
});

t.test('10 replicas by 3 ends at 0/10 and completes', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', spec: { stepReplicas: 3 } });
  t.teardown(() => sim.close());

  await sim.sync();
  sim.advanceTo('2026-11-23T10:00:20Z');
  sim.annotate('apply');
  await sim.sync();
  await sim.runWhile(() => !isComplete(sim));

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2026-11-23T10:00:20Z', 7, 3, 1, 'running', 'Canary is Running'],
    ['2026-11-23T10:01:00Z', 4, 6, 2, 'running', 'Canary is Running'],
    ['2026-11-23T10:02:00Z', 1, 9, 3, 'running', 'Canary is Running'],
    // the last step moves only the one replica left
    ['2026-11-23T10:03:00Z', 0, 10, 4, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.equal(sim.status?.totalSteps, 4);
  t.same(sim.violations, []);
});

t.test('a step waits for the new replicas to become available', async (t) => {
  // Pods take 75 s to become ready: longer than the one-minute schedule.
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { totalReplicas: 4, stepReplicas: 2 },
    newPods: { kind: 'ready', afterSeconds: 75 },
    command: 'apply',
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runWhile(() => !isComplete(sim));

  const waiting = 'Canary is Running: waiting for my-app-v2 to have 2 replicas available';
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 2, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-23T10:01:00Z', 2, 2, 1, 'running', waiting],
    // ready at 10:01:15: the Deployment's status event brings the sync that takes the step, off the tick
    ['2026-11-23T10:01:15Z', 0, 4, 2, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(
    sim.calls.filter((c) => c.time > '2026-11-23T10:01:00Z' && c.time < '2026-11-23T10:01:15Z'),
    [],
    'no poll between the tick and the event',
  );
  t.same(sim.violations, []);
});

t.test('a step waits for the Deployment controller to observe the new replicas', async (t) => {
  // The Deployment controller takes 90 s to act on a spec change (a busy kube-controller-manager).
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { totalReplicas: 4, stepReplicas: 2 },
    command: 'apply',
    deploymentControllerDelaySeconds: 90,
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runWhile(() => !isComplete(sim));

  // One message from the tick until the replicas are there, whichever part
  // is slow: each change of it would be one more status write.
  const waiting = 'Canary is Running: waiting for my-app-v2 to have 2 replicas available';
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 2, 2, 1, 'running', 'Canary is Running'],
    // generation 2 is not observed yet: its availableReplicas speak for the old spec
    ['2026-11-23T10:01:00Z', 2, 2, 1, 'running', waiting],
    // the resync period (nothing asked: no clock ahead) as the spec is observed, its pods just created
    ['2026-11-23T10:01:30Z', 2, 2, 1, 'running', waiting],
    // ready at 10:01:35: that event's sync takes the step
    ['2026-11-23T10:01:35Z', 0, 4, 2, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.ok(sim.eventSyncs.includes('2026-11-23T10:01:35Z'), 'the step came with the event');
  t.same(sim.violations, []);
});
