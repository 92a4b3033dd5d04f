/**
 * Scaling a Canary during its rollout (docs/design.md §10) over simulated time: the
 * total goes 10 -> 20 -> 6 as `kubectl scale` (or an HPA) would set it, and
 * the rollout still ends with every replica on the new version.
 */
import t from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';

async function scaledRollout(surge: boolean): Promise<Simulation> {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', spec: { surge } });
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:30Z');
  // kubectl scale canary my-app --replicas=20: the scale subresource writes spec.totalReplicas.
  sim.editSpec({ totalReplicas: 20 });
  await sim.sync();
  await sim.runUntil('2026-11-23T10:03:30Z');
  sim.editSpec({ totalReplicas: 6 });
  await sim.sync();
  await sim.runWhile(() => !(sim.status?.state === 'complete' && sim.status.oldReplicas === 0));
  return sim;
}

t.test('10 -> 20 -> 6 by 2 every minute: each step keeps its count, and all end on new', async (t) => {
  const sim = await scaledRollout(false);
  t.teardown(() => sim.close());
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', 'Canary is Running'],
    // Scaled to 20 at step 2: its 4 new replicas stay, the 16 others run the old version.
    ['2026-11-23T10:01:30Z', 16, 4, 2, 'running', 'Canary is Running'],
    ['2026-11-23T10:02:00Z', 14, 6, 3, 'running', 'Canary is Running'],
    ['2026-11-23T10:03:00Z', 12, 8, 4, 'running', 'Canary is Running'],
    // Scaled to 6 at step 4 of 10: 3 steps now, so step 4 is past the last and completes.
    ['2026-11-23T10:03:30Z', 0, 6, 3, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(sim.violations, []);
  t.match(sim.status, { replicas: 6, totalSteps: 3, labelSelector: 'app=my-app' });
  t.same(
    sim.transitions.map((x) => `${x.kind}/${x.reason}`),
    [
      'Started/ApplyCommand',
      'StepAdvanced/Schedule',
      'StepAdvanced/Schedule',
      'StepAdvanced/Schedule',
      'Completed/StepsReduced',
    ],
    'a new total is no step of its own; the completion it causes is announced',
  );
});

t.test('the same with surge: old + new never below the total, and all end on new', async (t) => {
  const sim = await scaledRollout(true);
  t.teardown(() => sim.close());
  const last = sim.rows.at(-1);
  t.same(last?.slice(1, 5), [0, 6, 3, 'complete']);
  t.same(sim.violations, [], 'the harness checks docs/design.md §7a at every sync');
  // Scaled up at 10:01:30: the old Deployment goes up at once, the new one keeps its 4.
  t.same(sim.rows.find((r) => r[0] === '2026-11-23T10:01:30Z')?.slice(1, 4), [16, 4, 2]);
});

t.test('a list of weights, scaled up and down: each step keeps its percent', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: {
      stepReplicas: undefined,
      surge: false,
      steps: [
        { setWeight: 20 },
        { pause: { duration: '60s' } },
        { setWeight: 50 },
        { pause: { duration: '60s' } },
      ],
    },
  });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:00:30Z');
  sim.editSpec({ totalReplicas: 20 });
  await sim.sync();
  t.same(sim.rows.at(-1)?.slice(1, 4), [16, 4, 2], 'paused at 20%: 4 of 20');
  await sim.runUntil('2026-11-23T10:01:40Z');
  t.same(sim.rows.at(-1)?.slice(1, 4), [10, 10, 4], '50% of 20');
  sim.editSpec({ totalReplicas: 6 });
  await sim.sync();
  t.same(sim.rows.at(-1)?.slice(1, 4), [3, 3, 4], '50% of 6');
  await sim.runWhile(() => sim.status?.state !== 'complete');
  t.same(sim.rows.at(-1)?.slice(1, 5), [0, 6, 4, 'complete']);
  t.same(sim.violations, []);
});
