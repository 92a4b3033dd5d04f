/** Surge first (docs/design.md §7a) over simulated time: what the Deployments ask during each step. */
import t from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';

t.test('10 by 2 every minute with surge: serving capacity never drops below 10', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', spec: { surge: true } });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runWhile(() => !(sim.status?.state === 'complete' && sim.status.oldReplicas === 0));
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    // Each step asks for the new replicas first; the old ones go the moment those are
    // available (5 s later), on the new Deployment's status event: no poll waits for it.
    ['2026-11-23T10:00:00Z', 10, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-23T10:00:05Z', 8, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-23T10:01:00Z', 8, 4, 2, 'running', 'Canary is Running'],
    ['2026-11-23T10:01:05Z', 6, 4, 2, 'running', 'Canary is Running'],
    ['2026-11-23T10:02:00Z', 6, 6, 3, 'running', 'Canary is Running'],
    ['2026-11-23T10:02:05Z', 4, 6, 3, 'running', 'Canary is Running'],
    ['2026-11-23T10:03:00Z', 4, 8, 4, 'running', 'Canary is Running'],
    ['2026-11-23T10:03:05Z', 2, 8, 4, 'running', 'Canary is Running'],
    [
      '2026-11-23T10:04:00Z',
      2,
      10,
      5,
      'complete',
      'Canary is complete: my-app-v1 keeps 2 replicas until 10 replicas of my-app-v2 are available (8 now)',
    ],
    ['2026-11-23T10:04:05Z', 0, 10, 5, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  // Between the ticks no sync is asked for: each answer's resyncAfterSeconds is the next tick (or none).
  const asked = sim.calls.map(
    (c) => (c.response as { resyncAfterSeconds?: number } | undefined)?.resyncAfterSeconds,
  );
  t.notOk(
    asked.some((after) => after !== undefined && after > 0 && after < 55),
    'no short poll asked',
  );
  t.same(sim.violations, []);
});

t.test('a rollback with surge: every old replica back, and the new ones gone, at once', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', spec: { surge: true } });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:04Z');
  t.same(
    sim.rows.at(-1)?.slice(1, 4),
    [8, 4, 2],
    'mid-step: 2 old replicas held for the 2 new still starting',
  );
  sim.annotate('rollback');
  await sim.sync();
  t.same(sim.rows.at(-1)?.slice(1, 4), [10, 0, 0]);
  t.same(sim.violations, []);
});
