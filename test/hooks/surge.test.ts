/** Surge first (docs/design.md §7a): a step adds new replicas before it removes old ones. */
import t from 'tap';
import { surged } from '../../hooks/steps/placement.js';
import { kinds, ListDriver } from './list-driver.js';

const T = '2026-11-23T09:00:30Z';
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');
const SHORTHAND = { stepReplicas: 2, cronSchedule: '* * * * *', surge: true };

t.test('the old replicas give way only to available new ones', async (t) => {
  const cases: [
    target: [number, number],
    observedOld: number,
    available: number,
    old: number,
    why: string,
  ][] = [
    [[8, 2], 10, 0, 10, 'step 1 asked, nothing available yet: all old replicas stay'],
    [[8, 2], 10, 1, 9, 'one new replica available: one old one goes'],
    [[8, 2], 10, 2, 8, 'all available: the split of the step'],
    [[8, 2], 10, 5, 8, 'more available than asked: never below the target'],
    [[6, 4], 8, 2, 8, 'step 2 asked with step 1 available: step 1 split'],
    [[10, 0], 6, 4, 10, 'a rollback: back to every old replica at once'],
    [[0, 10], 2, 8, 2, 'completion: the old go as the new arrive'],
    [[0, 10], 2, 10, 0, 'completion, all available'],
    [[8, 2], 3, 0, 8, 'an old Deployment below the target is raised at once'],
  ];
  for (const [[oldReplicas, newReplicas], observedOld, available, old, why] of cases) {
    t.same(
      surged({ oldReplicas, newReplicas }, 10, observedOld, available),
      { oldReplicas: old, newReplicas },
      why,
    );
  }
});

t.test('a shorthand step: new up first, old down once those are available', async (t) => {
  const d = new ListDriver(SHORTHAND, t);
  d.sync(T, { command: 'apply', available: 0 });
  t.same(d.row.slice(0, 3), [10, 2, 1], 'apply: 2 new asked, all 10 old kept');
  t.equal(d.last?.response.status.oldReplicas, 10, 'status reports what is asked now');
  d.sync(at(5), { available: 1 });
  t.same(d.row.slice(0, 3), [9, 2, 1], 'one new available: one old goes');
  d.sync(at(10), { available: 2 });
  t.same(d.row.slice(0, 3), [8, 2, 1], 'at rest: old + new == total');
  const step = d.sync(at(30), { available: 2 });
  t.same(kinds(step), ['StepAdvanced/Schedule']);
  t.same(d.row.slice(0, 3), [8, 4, 2], 'the next step adds before it removes');
  d.sync(at(40), { available: 4 });
  t.same(d.row.slice(0, 3), [6, 4, 2]);
  const rolled = d.sync(at(45), { command: 'rollback', available: 4 });
  t.same(kinds(rolled), ['RolledBack/RollbackCommand']);
  t.same(d.row.slice(0, 3), [10, 0, 0], 'a rollback: old back to the total and new to 0 at once');
});

t.test('completion is a step like the others', async (t) => {
  const d = new ListDriver(SHORTHAND, t);
  d.sync(T, { command: 'apply' });
  d.sync(at(5));
  t.same(d.row.slice(0, 3), [8, 2, 1]);
  d.sync(at(10), { command: 'completion', available: 2 });
  t.same(d.row.slice(0, 4), [8, 10, 5, 'complete'], 'complete: new to the total first');
  d.sync(at(20), { available: 10 });
  t.same(d.row.slice(0, 3), [0, 10, 5], 'old to 0 once they are available');
});

t.test(
  'Complete is True only once the old Deployment is down to 0; until then it says what is left',
  async (t) => {
    const condition = (d: ListDriver, type: string) =>
      d.last?.response.status.conditions.find((c) => c.type === type);
    // Each case ends at rest: the last row is where nothing is left.
    const cases: [
      name: string,
      spec: Record<string, unknown>,
      syncs: [seconds: number, options: Parameters<ListDriver['sync']>[1]][],
      rows: [old: number, complete: 'True' | 'False', message: RegExp][],
    ][] = [
      [
        'the completion command',
        SHORTHAND,
        [
          [10, { command: 'completion', available: 2 }],
          [15, { available: 7 }],
          [20, { available: 10 }],
        ],
        [
          [
            8,
            'False',
            /^Not every replica runs the new version yet: my-app-v1 keeps 8 replicas until 10 replicas of my-app-v2 are available \(2 now\)$/,
          ],
          [3, 'False', /keeps 3 replicas until 10 replicas of my-app-v2 are available \(7 now\)$/],
          [0, 'True', /^Every replica runs the new version$/],
        ],
      ],
      [
        'the last listed step, reached on its own',
        { surge: true, steps: [{ setWeight: 50 }, { setWeight: 100 }] },
        [
          [10, { available: 5 }],
          [20, { available: 10 }],
        ],
        [
          [5, 'False', /my-app-v1 keeps 5 replicas until 10 replicas of my-app-v2 are available \(5 now\)$/],
          [0, 'True', /^Every replica runs the new version$/],
        ],
      ],
      [
        'surge: false, both at once',
        { ...SHORTHAND, surge: false },
        [[10, { command: 'completion', available: 2 }]],
        [[0, 'True', /^Every replica runs the new version$/]],
      ],
    ];
    for (const [name, spec, syncs, rows] of cases) {
      const d = new ListDriver(spec, t);
      d.sync(T, { command: 'apply' });
      d.sync(at(5));
      syncs.forEach(([seconds, options], i) => {
        d.sync(at(seconds), options);
        const [old, complete, message] = rows[i]!;
        const what = `${name}, sync ${i + 1}`;
        t.same(
          d.row.slice(0, 4),
          [old, 10, d.row[2], 'complete'],
          `${what}: state complete from the last step`,
        );
        t.match(
          condition(d, 'Complete'),
          { status: complete, reason: complete === 'True' ? 'Complete' : 'Completing', message },
          what,
        );
        t.equal(
          condition(d, 'Progressing')?.message,
          complete === 'True'
            ? 'Every replica runs the new version'
            : `Every step is taken; ${condition(d, 'Complete')?.message.replace(/^.*yet: /, '')}`,
          `${what}: Progressing says the same`,
        );
        // The message says what is left too, so `kubectl get canaries` never reads a bare
        // "complete" while the old Deployment still has replicas asked.
        t.equal(
          d.last?.response.status.message,
          complete === 'True'
            ? 'Canary is complete'
            : `Canary is complete: ${condition(d, 'Complete')?.message.replace(/^.*yet: /, '')}`,
          `${what}: the message says what is left`,
        );
      });
    }
  },
);

t.test('surge: false takes both at once, as round 1 did', async (t) => {
  const d = new ListDriver({ ...SHORTHAND, surge: false }, t);
  d.sync(T, { command: 'apply', available: 0 });
  t.same(d.row.slice(0, 3), [8, 2, 1]);
});

t.test('a step list surges too', async (t) => {
  const d = new ListDriver({ surge: true, steps: [{ setWeight: 30 }, { pause: {} }, { setWeight: 60 }] }, t);
  d.sync(T, { command: 'apply', available: 0 });
  t.same(d.row, [10, 3, 1, 'running', 30, null]);
  d.sync(at(10), { available: 3 });
  t.same(d.row, [7, 3, 1, 'running', 30, null], 'the old Deployment steps down before the step is done');
  d.sync(at(11), { available: 3 });
  t.same(d.row, [7, 3, 2, 'running', 30, 'Manual'], 'the pause holds the split at rest');
});

t.test(
  'an error while the old Deployment steps down holds Completing, and the Canary stays complete',
  async (t) => {
    const d = new ListDriver(SHORTHAND, t);
    d.sync(T, { command: 'apply' });
    d.sync(at(5));
    d.sync(at(10), { command: 'completion', available: 2 });
    (d.spec as { cronSchedule: unknown }).cronSchedule = 'every minute';
    d.sync(at(15), { available: 4 });
    const held = d.last?.response.status.conditions.find((c) => c.type === 'Complete');
    t.match(held, { status: 'False', reason: 'Completing' }, 'in error: as it was');
    (d.spec as { cronSchedule: unknown }).cronSchedule = '* * * * *';
    const recovered = d.sync(at(20), { available: 10 });
    t.same(kinds(recovered), ['Recovered/Valid'], 'no second completion');
    t.same(d.row.slice(0, 4), [0, 10, 5, 'complete']);
  },
);
