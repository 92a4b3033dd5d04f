/**
 * The service keeps nothing between requests: downtime and fresh instances
 * must neither lose progress nor make up for lost time in a burst.
 */
import t, { type Test } from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';

const RUNNING = 'Canary is Running';
const COMPLETE = 'Canary is complete';

t.test('three hours of controller downtime: one step per tick afterwards, no burst', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    spec: { totalReplicas: 20, stepReplicas: 2 },
  });
  t.teardown(() => sim.close());

  await sim.sync();
  await sim.runUntil('2026-11-23T10:02:30Z');
  await sim.stopServer();
  // Metacontroller keeps trying; every call fails while the service is down.
  await sim.runUntil('2026-11-23T13:02:30Z');
  t.equal(sim.unreachable[0], '2026-11-23T10:03:00Z', 'the 10:03 step could not be taken');
  t.ok(sim.unreachable.length > 100, `retried throughout (${sim.unreachable.length} failed calls)`);
  await sim.startServer();
  // the periodic resync reaches the service as soon as it is back
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 18, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 16, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:02:00Z', 14, 6, 3, 'running', RUNNING],
    // 180 ticks were missed; one step now, the next on the next tick
    ['2026-11-23T13:02:30Z', 12, 8, 4, 'running', RUNNING],
    ['2026-11-23T13:03:00Z', 10, 10, 5, 'running', RUNNING],
    ['2026-11-23T13:04:00Z', 8, 12, 6, 'running', RUNNING],
    ['2026-11-23T13:05:00Z', 6, 14, 7, 'running', RUNNING],
    ['2026-11-23T13:06:00Z', 4, 16, 8, 'running', RUNNING],
    ['2026-11-23T13:07:00Z', 2, 18, 9, 'running', RUNNING],
    ['2026-11-23T13:08:00Z', 0, 20, 10, 'complete', COMPLETE],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

/** A rollout with a stop and a resume, optionally restarting the server at given moments. */
async function rollout(t: Test, restartAt: string[]): Promise<Row[]> {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
  t.teardown(() => sim.close());
  const at = async (time: string) => {
    await sim.runUntil(time);
    if (restartAt.includes(time)) await sim.restartServer();
  };
  await sim.sync();
  await at('2026-11-23T10:01:30Z');
  sim.annotate('stop');
  await sim.sync();
  await at('2026-11-23T10:03:40Z');
  sim.annotate('apply');
  await sim.sync();
  await at('2026-11-23T10:03:50Z');
  // a watch event before the next tick: resumed at 10:03:40, so nothing is due yet
  await sim.sync();
  await at('2026-11-23T10:04:20Z');
  await sim.runWhile(() => sim.status?.state !== 'complete');
  t.same(sim.violations, []);
  return sim.rows;
}

t.test('a fresh server instance mid-rollout continues from status alone', async (t) => {
  const expected: Row[] = [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:01:30Z', 6, 4, 2, 'stop', 'Canary is Stopped'],
    ['2026-11-23T10:02:00Z', 6, 4, 2, 'stop', 'Canary is Stopped'],
    ['2026-11-23T10:02:30Z', 6, 4, 2, 'stop', 'Canary is Stopped'],
    ['2026-11-23T10:03:00Z', 6, 4, 2, 'stop', 'Canary is Stopped'],
    ['2026-11-23T10:03:30Z', 6, 4, 2, 'stop', 'Canary is Stopped'],
    ['2026-11-23T10:03:40Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:03:50Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:04:00Z', 4, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:05:00Z', 2, 8, 4, 'running', RUNNING],
    ['2026-11-23T10:06:00Z', 0, 10, 5, 'complete', COMPLETE],
  ];
  t.same(await rollout(t, []), expected, 'one server throughout');
  t.same(
    await rollout(t, [
      '2026-11-23T10:01:30Z',
      '2026-11-23T10:03:40Z',
      '2026-11-23T10:03:50Z',
      '2026-11-23T10:04:20Z',
    ]),
    expected,
    'a new server instance before each of four syncs',
  );
});

t.test('a lost Deployment event: the resync period catches the step up', async (t) => {
  // Pods take 75 s, past the 10:01 tick: the step then waits for v2's status event alone.
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { totalReplicas: 4, stepReplicas: 2 },
    newPods: { kind: 'ready', afterSeconds: 75 },
    command: 'apply',
  });
  t.teardown(() => sim.close());
  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:10Z');
  sim.loseEvents = 1;
  await sim.runWhile(() => sim.status?.state !== 'complete');
  t.same(sim.lostEvents, ['2026-11-23T10:01:15Z'], "v2's pods became ready; Metacontroller never heard");
  const period = sim.metacontroller.resyncPeriodSeconds;
  const caughtUp = Date.parse(sim.rows.at(-1)?.[0] ?? '');
  t.same(sim.rows.at(-1)?.slice(1), [0, 4, 2, 'complete', 'Canary is complete']);
  t.ok(
    caughtUp - Date.parse('2026-11-23T10:01:15Z') <= period * 1000,
    `caught up at ${sim.rows.at(-1)?.[0]}, within the ${period} s resync period of the lost event`,
  );
  t.same(sim.rows.at(-1)?.[0], '2026-11-23T10:01:30Z', 'by the periodic resync the waiting answer left');
  t.same(sim.violations, []);
});
