/**
 * People steering a rollout with the command annotation: stop and resume,
 * completion, rollback, and issuing a command again.
 */
import t, { type Test } from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';

const RUNNING = 'Canary is Running';
const STOPPED = 'Canary is Stopped';
const COMPLETE = 'Canary is complete';

async function started(t: Test): Promise<Simulation> {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
  t.teardown(() => sim.close());
  await sim.sync();
  return sim;
}

/** A command as `kubectl annotate --overwrite` sets it, and the sync its watch event triggers. */
async function command(sim: Simulation, at: string, value: string | undefined): Promise<void> {
  sim.advanceTo(at);
  sim.annotate(value);
  await sim.sync();
}

t.test('stop holds the replicas; apply resumes on the next tick', async (t) => {
  const sim = await started(t);
  await sim.runUntil('2026-11-23T10:01:30Z');
  await command(sim, '2026-11-23T10:01:30Z', 'stop');
  await sim.runUntil('2026-11-23T10:03:00Z');
  await command(sim, '2026-11-23T10:03:40Z', 'apply');
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:01:30Z', 6, 4, 2, 'stop', STOPPED],
    // stopped: the periodic resyncs take no step at 10:02 or 10:03
    ['2026-11-23T10:02:00Z', 6, 4, 2, 'stop', STOPPED],
    ['2026-11-23T10:02:30Z', 6, 4, 2, 'stop', STOPPED],
    ['2026-11-23T10:03:00Z', 6, 4, 2, 'stop', STOPPED],
    // resumed where it stood, no catch-up step
    ['2026-11-23T10:03:40Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:04:00Z', 4, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:05:00Z', 2, 8, 4, 'running', RUNNING],
    ['2026-11-23T10:06:00Z', 0, 10, 5, 'complete', COMPLETE],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

t.test('completion moves every replica at once', async (t) => {
  const sim = await started(t);
  await sim.runUntil('2026-11-23T10:01:20Z');
  await command(sim, '2026-11-23T10:01:20Z', 'completion');
  await sim.runUntil('2026-11-23T10:02:00Z');
  // apply on a complete Canary changes nothing
  await command(sim, '2026-11-23T10:02:10Z', 'apply');

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:01:20Z', 0, 10, 5, 'complete', COMPLETE],
    ['2026-11-23T10:01:50Z', 0, 10, 5, 'complete', COMPLETE],
    ['2026-11-23T10:02:10Z', 0, 10, 5, 'complete', COMPLETE],
  ] satisfies Row[]);
  t.equal(sim.status?.observedCommand, 'apply');
  t.same(sim.violations, []);
});

t.test('rollback returns every replica to the old version; apply starts again', async (t) => {
  const sim = await started(t);
  await sim.runUntil('2026-11-23T10:02:20Z');
  await command(sim, '2026-11-23T10:02:20Z', 'rollback');
  await sim.runUntil('2026-11-23T10:02:50Z');
  t.match(sim.status?.rollback, {
    time: '2026-11-23T10:02:20Z',
    reason: /^RollbackCommand: /,
  });
  await command(sim, '2026-11-23T10:03:00Z', 'apply');
  await sim.runUntil('2026-11-23T10:04:00Z');

  const rolledBack = '[2026-11-23T10:02:20Z] Canary is rollbacked';
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:02:00Z', 4, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:02:20Z', 10, 0, 0, 'stop', rolledBack],
    ['2026-11-23T10:02:50Z', 10, 0, 0, 'stop', rolledBack],
    // apply from rolled back: step 1 at once
    ['2026-11-23T10:03:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:04:00Z', 6, 4, 2, 'running', RUNNING],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

t.test('a command acts once per value: re-issue it by changing the value or removing it', async (t) => {
  const sim = await started(t);
  const observed: [string, string | undefined][] = [];
  const note = () => observed.push([sim.time, sim.status?.observedCommand]);
  note();
  await command(sim, '2026-11-23T10:00:30Z', 'stop');
  note();
  // the same value again, as `kubectl annotate --overwrite` with no change: nothing new
  await command(sim, '2026-11-23T10:00:35Z', 'stop');
  note();
  await command(sim, '2026-11-23T10:00:40Z', 'apply');
  note();
  await sim.runUntil('2026-11-23T10:01:00Z');
  await command(sim, '2026-11-23T10:01:10Z', 'stop');
  note();
  // removed: the last command is forgotten, so setting the same value again acts
  await command(sim, '2026-11-23T10:01:20Z', undefined);
  note();
  await command(sim, '2026-11-23T10:01:30Z', 'apply');
  note();
  await sim.runUntil('2026-11-23T10:02:00Z');
  await command(sim, '2026-11-23T10:02:10Z', 'stop');
  await command(sim, '2026-11-23T10:02:20Z', undefined);
  await command(sim, '2026-11-23T10:02:30Z', 'stop');
  note();
  await command(sim, '2026-11-23T10:02:40Z', 'pause');
  note();

  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:00:30Z', 8, 2, 1, 'stop', STOPPED],
    ['2026-11-23T10:00:35Z', 8, 2, 1, 'stop', STOPPED],
    ['2026-11-23T10:00:40Z', 8, 2, 1, 'running', RUNNING],
    ['2026-11-23T10:01:00Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:01:10Z', 6, 4, 2, 'stop', STOPPED],
    ['2026-11-23T10:01:20Z', 6, 4, 2, 'stop', STOPPED],
    ['2026-11-23T10:01:30Z', 6, 4, 2, 'running', RUNNING],
    ['2026-11-23T10:02:00Z', 4, 6, 3, 'running', RUNNING],
    ['2026-11-23T10:02:10Z', 4, 6, 3, 'stop', STOPPED],
    ['2026-11-23T10:02:20Z', 4, 6, 3, 'stop', STOPPED],
    // stop again after removing it: already stopped, so only recorded
    ['2026-11-23T10:02:30Z', 4, 6, 3, 'stop', STOPPED],
    // an unknown value changes nothing and says which values are valid
    [
      '2026-11-23T10:02:40Z',
      4,
      6,
      3,
      'stop',
      'Unknown command "pause" in annotation canary.k8shuginn.io/command: valid values are apply, stop, rollback, completion, promote',
    ],
  ] satisfies Row[]);
  t.same(observed, [
    ['2026-11-23T10:00:00Z', 'apply'],
    ['2026-11-23T10:00:30Z', 'stop'],
    ['2026-11-23T10:00:35Z', 'stop'],
    ['2026-11-23T10:00:40Z', 'apply'],
    ['2026-11-23T10:01:10Z', 'stop'],
    ['2026-11-23T10:01:20Z', ''],
    ['2026-11-23T10:01:30Z', 'apply'],
    ['2026-11-23T10:02:30Z', 'stop'],
    ['2026-11-23T10:02:40Z', 'stop'],
  ]);
  t.same(sim.violations, []);
});
