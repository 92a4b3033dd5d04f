/**
 * Step lists over simulated time (issue 12): the seed's Argo-style list from
 * apply to complete, a schedule pause across a weekend in Seoul, promote
 * during a duration pause, and a crash during a pause.
 */
import t from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';
import { SEED_STEPS } from '../helpers/step-lists.js';

const LIST = { stepReplicas: undefined, cronSchedule: undefined };

const PAUSED_MANUAL = (step: number) => `Canary is Paused at step ${step} until the promote command`;
const WAITING = (n: number) =>
  `Canary is Running: waiting for my-app-v2 to have ${n} ${n === 1 ? 'replica' : 'replicas'} available`;
const transitionsOf = (sim: Simulation) => sim.transitions.map((x) => `${x.kind}/${x.reason} @${x.to.step}`);

t.test("the seed's list: 20 / pause / 40 / 20s / 60 / 20s / 80 / 20s, from apply to complete", async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', spec: { ...LIST, steps: SEED_STEPS } });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:30:00Z');
  t.equal(sim.status?.pause?.kind, 'Manual', 'held at the manual pause for as long as it takes');
  t.equal(sim.status?.weight, 20);
  sim.annotate('promote');
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');
  t.same(changes(sim.rows), [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', WAITING(2)],
    // The new pods are ready after 5s; their Deployment's event brings the sync, and the manual pause begins.
    ['2026-11-23T10:00:05Z', 8, 2, 2, 'running', PAUSED_MANUAL(2)],
    ['2026-11-23T10:30:00Z', 6, 4, 3, 'running', WAITING(4)],
    ['2026-11-23T10:30:05Z', 6, 4, 4, 'running', 'Canary is Paused at step 4 until 2026-11-23T10:30:25Z'],
    ['2026-11-23T10:30:25Z', 4, 6, 5, 'running', WAITING(6)],
    ['2026-11-23T10:30:30Z', 4, 6, 6, 'running', 'Canary is Paused at step 6 until 2026-11-23T10:30:50Z'],
    ['2026-11-23T10:30:50Z', 2, 8, 7, 'running', WAITING(8)],
    ['2026-11-23T10:30:55Z', 2, 8, 8, 'running', 'Canary is Paused at step 8 until 2026-11-23T10:31:15Z'],
    // After the last listed step (a pause), every replica on the new version.
    ['2026-11-23T10:31:15Z', 0, 10, 8, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(transitionsOf(sim), [
    'Started/ApplyCommand @1',
    'StepAdvanced/StepDone @2',
    'Paused/Manual @2',
    'PauseEnded/PromoteCommand @2',
    'StepAdvanced/StepDone @3',
    'StepAdvanced/StepDone @4',
    'Paused/Duration @4',
    'PauseEnded/Duration @4',
    'StepAdvanced/StepDone @5',
    'StepAdvanced/StepDone @6',
    'Paused/Duration @6',
    'PauseEnded/Duration @6',
    'StepAdvanced/StepDone @7',
    'StepAdvanced/StepDone @8',
    'Paused/Duration @8',
    'PauseEnded/Duration @8',
    'Completed/AllStepsDone @8',
  ]);
  t.equal(sim.status?.weight, 100);
  t.same(sim.violations, []);
});
/** The rows where something changed: a paused Canary is looked at every resync period. */
function changes(rows: readonly Row[]): Row[] {
  return rows.filter(
    (row, i) => i === 0 || JSON.stringify(row.slice(1)) !== JSON.stringify(rows[i - 1]?.slice(1)),
  );
}

t.test(
  'a Friday-evening apply with untilSchedule "0 9 * * 1-5" in Asia/Seoul resumes Monday 09:00 +09:00',
  async (t) => {
    const sim = await Simulation.start({
      start: '2026-11-27T10:00:00Z', // Friday 19:00 in Seoul
      spec: {
        ...LIST,
        timeZone: 'Asia/Seoul',
        steps: [
          { setWeight: 10 },
          { pause: { untilSchedule: '0 9 * * 1-5' } },
          { setWeight: 50 },
          { setWeight: 100 },
        ],
      },
      rowTimeZone: 'Asia/Seoul',
    });
    t.teardown(() => sim.close());
    await sim.sync();
    sim.annotate('apply');
    await sim.sync();
    await sim.runWhile(() => sim.status?.state !== 'complete');
    t.same(sim.rows, [
      ['2026-11-27T19:00:00+09:00', 10, 0, 0, 'stop', 'Canary is Pending'],
      ['2026-11-27T19:00:00+09:00', 9, 1, 1, 'running', WAITING(1)],
      [
        '2026-11-27T19:00:05+09:00',
        9,
        1,
        2,
        'running',
        'Canary is Paused at step 2 until 2026-11-30T00:00:00Z',
      ],
      // The resync period the apply's answer left queued (it asked for no clock).
      [
        '2026-11-27T19:00:30+09:00',
        9,
        1,
        2,
        'running',
        'Canary is Paused at step 2 until 2026-11-30T00:00:00Z',
      ],
      // Not Saturday or Sunday: the next tick of "0 9 * * 1-5" in Seoul is Monday 09:00 +09:00.
      ['2026-11-30T09:00:00+09:00', 5, 5, 3, 'running', WAITING(5)],
      ['2026-11-30T09:00:05+09:00', 0, 10, 4, 'complete', 'Canary is complete'],
    ] satisfies Row[]);
    t.same(transitionsOf(sim), [
      'Started/ApplyCommand @1',
      'StepAdvanced/StepDone @2',
      'Paused/Schedule @2',
      'PauseEnded/Schedule @2',
      'StepAdvanced/StepDone @3',
      'Completed/AllStepsDone @4',
    ]);
    t.same(sim.violations, []);
  },
);

t.test('promote during a duration pause ends it at once', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { ...LIST, steps: [{ setWeight: 20 }, { pause: { duration: '30m' } }, { setWeight: 60 }] },
  });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:05:00Z');
  sim.annotate('promote');
  await sim.sync();
  await sim.runWhile(() => sim.status?.state !== 'complete');
  t.same(sim.rows, [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2026-11-23T10:00:00Z', 8, 2, 1, 'running', WAITING(2)],
    ['2026-11-23T10:00:05Z', 8, 2, 2, 'running', 'Canary is Paused at step 2 until 2026-11-23T10:30:05Z'],
    // The resync period the apply's answer left queued (it asked for no clock).
    ['2026-11-23T10:00:30Z', 8, 2, 2, 'running', 'Canary is Paused at step 2 until 2026-11-23T10:30:05Z'],
    // The promote at 10:05 ends the 30m pause then and there, and the next step follows.
    ['2026-11-23T10:05:00Z', 4, 6, 3, 'running', WAITING(6)],
    ['2026-11-23T10:05:05Z', 0, 10, 3, 'complete', 'Canary is complete'],
  ] satisfies Row[]);
  t.same(transitionsOf(sim), [
    'Started/ApplyCommand @1',
    'StepAdvanced/StepDone @2',
    'Paused/Duration @2',
    'PauseEnded/PromoteCommand @2',
    'StepAdvanced/StepDone @3',
    'Completed/AllStepsDone @3',
  ]);
  t.same(sim.violations, []);
});

t.test('new pods crashing during a pause roll the Canary back', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { ...LIST, steps: [{ setWeight: 30 }, { pause: {} }, { setWeight: 60 }] },
  });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:02:00Z');
  sim.setPodBehaviour('my-app-v2', { kind: 'crash', afterSeconds: 0 });
  sim.setImage('my-app-v2', 'example/app:v2.1');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:05:00Z');
  t.same(changes(sim.rows), [
    ['2026-11-23T10:00:00Z', 10, 0, 0, 'stop', 'Canary is Pending'],
    ['2026-11-23T10:00:00Z', 7, 3, 1, 'running', WAITING(3)],
    ['2026-11-23T10:00:05Z', 7, 3, 2, 'running', PAUSED_MANUAL(2)],
    ['2026-11-23T10:02:00Z', 10, 0, 0, 'stop', '[2026-11-23T10:02:00Z] Canary is rollbacked'],
  ] satisfies Row[]);
  t.same(transitionsOf(sim), [
    'Started/ApplyCommand @1',
    'StepAdvanced/StepDone @2',
    'Paused/Manual @2',
    'RolledBack/CrashLoopBackOff @0',
  ]);
  t.equal(sim.status?.pause, null, 'the rollback ends the pause');
  t.equal(sim.status?.state, 'stop', 'with apply still annotated it waits for a different pod template');
  t.same(sim.violations, []);
});
