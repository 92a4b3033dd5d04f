/**
 * Schedules read in the Canary's time zone: a weekday-morning rollout across
 * a weekend, and an hourly one across a daylight-saving change.
 */
import t from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';
import type { SyncResponse } from '../../hooks/wire/index.js';

t.test('weekdays at 09:00 in Asia/Seoul, across a weekend', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-27T01:00:00Z', // Friday 10:00 in Seoul
    spec: { cronSchedule: '0 9 * * 1-5', timeZone: 'Asia/Seoul' },
    rowTimeZone: 'Asia/Seoul',
  });
  t.teardown(() => sim.close());

  await sim.sync();
  sim.advanceTo('2026-11-27T01:05:00Z');
  sim.annotate('apply');
  await sim.sync();
  t.equal(sim.status?.nextStepTime, '2026-11-30T00:00:00Z', 'next step on Monday 09:00 KST, not Saturday');
  t.equal(sim.nextSyncAtMs, Date.parse('2026-11-30T00:00:00Z'), 'resyncAfterSeconds reaches Monday');
  // Something wakes the controller on Saturday: still no step.
  sim.advanceTo('2026-11-28T03:00:00Z');
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2026-11-27T10:00:00+09:00', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2026-11-27T10:05:00+09:00', 8, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-28T12:00:00+09:00', 8, 2, 1, 'running', 'Canary is Running'],
    ['2026-11-30T09:00:00+09:00', 6, 4, 2, 'running', 'Canary is Running'],
    ['2026-12-01T09:00:00+09:00', 4, 6, 3, 'running', 'Canary is Running'],
    ['2026-12-02T09:00:00+09:00', 2, 8, 4, 'running', 'Canary is Running'],
    ['2026-12-03T09:00:00+09:00', 0, 10, 5, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(sim.violations, []);
});

t.test('hourly in America/New_York across the March 2027 daylight-saving change', async (t) => {
  const sim = await Simulation.start({
    start: '2027-03-14T05:00:00Z', // 00:00 EST; at 02:00 EST clocks go to 03:00 EDT
    spec: { cronSchedule: '0 * * * *', timeZone: 'America/New_York' },
    rowTimeZone: 'America/New_York',
  });
  t.teardown(() => sim.close());

  await sim.sync();
  sim.advanceTo('2027-03-14T05:30:00Z');
  sim.annotate('apply');
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');

  t.same(sim.rows, [
    ['2027-03-14T00:00:00-05:00', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2027-03-14T00:30:00-05:00', 8, 2, 1, 'running', 'Canary is Running'],
    ['2027-03-14T01:00:00-05:00', 6, 4, 2, 'running', 'Canary is Running'],
    // 02:00 does not exist that night; the next hour on the wall clock is 03:00 EDT, one real hour later
    ['2027-03-14T03:00:00-04:00', 4, 6, 3, 'running', 'Canary is Running'],
    ['2027-03-14T04:00:00-04:00', 2, 8, 4, 'running', 'Canary is Running'],
    ['2027-03-14T05:00:00-04:00', 0, 10, 5, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  // The syncs that changed the step (the first sync's, the apply's, then each tick's); watch
  // events bring other syncs between the ticks.
  const stepped = sim.calls.filter(
    (c) =>
      (c.response as SyncResponse | undefined)?.status.currentStep !== c.request.parent.status?.currentStep,
  );
  const stepTimes = stepped.slice(2).map((c) => Date.parse(c.time));
  t.same(
    stepTimes.slice(1).map((ms, i) => (ms - (stepTimes[i] as number)) / 3600_000),
    [1, 1, 1],
    'steps stay one real hour apart',
  );
  t.same(sim.violations, []);
});

t.test('across the November 2027 fall-back in America/New_York', async (t) => {
  // 01:00-02:00 happens twice on 2027-11-07.
  const journey = async (cronSchedule: string) => {
    const sim = await Simulation.start({
      start: '2027-11-07T04:30:00Z', // 00:30 EDT
      spec: { cronSchedule, timeZone: 'America/New_York', totalReplicas: 6 },
      rowTimeZone: 'America/New_York',
      command: 'apply',
    });
    t.teardown(() => sim.close());
    await sim.sync();
    await sim.runWhile(() => sim.status?.state !== 'complete');
    t.same(sim.violations, []);
    return sim.rows;
  };

  t.same(
    await journey('0 * * * *'),
    [
      ['2027-11-07T00:30:00-04:00', 4, 2, 1, 'running', 'Canary is Running'],
      ['2027-11-07T01:00:00-04:00', 2, 4, 2, 'running', 'Canary is Running'],
      // the repeated 01:00 is another real hour, so another tick
      ['2027-11-07T01:00:00-05:00', 0, 6, 3, 'complete', 'Canary is complete'],
    ] satisfies Row[],
    'hourly: a tick every real hour',
  );
  t.same(
    await journey('30 1 * * *'),
    [
      ['2027-11-07T00:30:00-04:00', 4, 2, 1, 'running', 'Canary is Running'],
      ['2027-11-07T01:30:00-04:00', 2, 4, 2, 'running', 'Canary is Running'],
      // 01:30 comes round twice that night, but a daily schedule runs once a day
      ['2027-11-08T01:30:00-05:00', 0, 6, 3, 'complete', 'Canary is complete'],
    ] satisfies Row[],
    'daily at 01:30: once on the fall-back day',
  );
});
