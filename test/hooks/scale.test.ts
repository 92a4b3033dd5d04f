/**
 * The scale subresource (docs/design.md §10): the status fields it reads, and the
 * re-split when `kubectl scale` or an HPA changes spec.totalReplicas, in
 * every state, for the shorthand and for step lists, with and without surge.
 */
import t from 'tap';
import { countAboveTotal } from '../../hooks/spec/limits.js';
import { decideFinalize } from '../../hooks/finalize.js';
import { parseSpec } from '../../hooks/spec/parse.js';
import type { CanarySpec } from '../../hooks/spec/parse.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { kinds, ListDriver } from './list-driver.js';
import { sync } from './support.js';

const T = '2026-11-23T09:00:30Z';
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');

t.test('every status carries replicas and labelSelector, in every state', async (t) => {
  const cases: [string, Parameters<typeof sync>[0], number][] = [
    ['pending', {}, 10],
    ['running', { position: { state: 'running', step: 2 } }, 10],
    ['stopped', { position: { state: 'stop', step: 3 } }, 10],
    ['complete', { position: { state: 'complete', step: 5 } }, 10],
    ['error: invalid spec', { canary: { spec: { cronSchedule: '61 * * * *' } } }, 10],
    ['error: a Deployment missing', { omit: ['my-app-v2'] }, 10],
  ];
  for (const [name, world, replicas] of cases) {
    const status = sync(world).response.status;
    t.equal(status.replicas, replicas, `${name}: replicas`);
    t.equal(status.replicas, status.oldReplicas + status.newReplicas, `${name}: old + new`);
    t.equal(status.labelSelector, 'app=my-app', `${name}: labelSelector`);
  }
  const badSelector = sync({ canary: { spec: { selector: { matchLabels: {} } } } }).response.status;
  t.equal(badSelector.state, 'error');
  t.equal(badSelector.labelSelector, '', 'an unusable selector: an empty string, which an HPA refuses');

  const parent = canary({ status: sync({ position: { state: 'running', step: 2 } }).response.status });
  const finalize = decideFinalize(syncRequest(parent, [deployment({ name: 'my-app-v1', replicas: 6 })], []));
  t.match(finalize.response.status, { replicas: 10, labelSelector: 'app=my-app' }, 'finalize too');
});

const SHORTHAND = { stepReplicas: 2, cronSchedule: '* * * * *' };
const WEIGHTS = {
  cronSchedule: '* * * * *',
  steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { setReplicas: 8 }],
};
const TICKED = { cronSchedule: '* * * * *', steps: [{ setWeight: 20 }, { setWeight: 50 }] };
const COUNTS = {
  cronSchedule: '* * * * *',
  steps: [{ setReplicas: 2 }, { setReplicas: 8 }, { setReplicas: 10 }],
};

type Setup = (d: ListDriver) => void;
const pending: Setup = (d) => d.sync(T);
const runningAt2: Setup = (d) => {
  d.sync(T, { command: 'apply' });
  d.sync(at(5)); // with surge, v1 is down to step 1's share before step 2 is taken
  d.sync(at(30));
};
const stoppedAt2: Setup = (d) => {
  runningAt2(d);
  d.sync(at(31), { command: 'stop' });
};
const rolledBack: Setup = (d) => {
  runningAt2(d);
  d.sync(at(31), { command: 'rollback' });
};
const complete: Setup = (d) => {
  runningAt2(d);
  d.sync(at(31), { command: 'completion' });
};
/** The list with a pause: step 1, then the pause at step 2 begins once step 1 is available. */
const pausedAt2: Setup = (d) => {
  d.sync(T, { command: 'apply' });
  d.sync(at(5));
};
const runningAt1: Setup = (d) => d.sync(at(30), { command: 'apply' });

/** [old, new, step, state] at rest after the total changed, and totalSteps. */
type Expected = [old: number, fresh: number, step: number, state: string, totalSteps: number];

const table: [string, Record<string, unknown>, Setup, number, Expected][] = [
  // The shorthand keeps its absolute counts: step k asks min(k * stepReplicas, total).
  ['pending, up', SHORTHAND, pending, 20, [20, 0, 0, 'stop', 10]],
  ['pending, down', SHORTHAND, pending, 6, [6, 0, 0, 'stop', 3]],
  ['running at step 2, up', SHORTHAND, runningAt2, 20, [16, 4, 2, 'running', 10]],
  ['running at step 2, down', SHORTHAND, runningAt2, 6, [2, 4, 2, 'running', 3]],
  ['running at step 2, down to its last step', SHORTHAND, runningAt2, 4, [0, 4, 2, 'complete', 2]],
  ['running at step 2, down past its last step', SHORTHAND, runningAt2, 3, [0, 3, 2, 'complete', 2]],
  ['running at step 2, down below stepReplicas', SHORTHAND, runningAt2, 1, [0, 1, 1, 'complete', 1]],
  ['stopped at step 2, up', SHORTHAND, stoppedAt2, 20, [16, 4, 2, 'stop', 10]],
  ['stopped at step 2, down', SHORTHAND, stoppedAt2, 7, [3, 4, 2, 'stop', 4]],
  ['rolled back, up', SHORTHAND, rolledBack, 20, [20, 0, 0, 'stop', 10]],
  ['rolled back, down', SHORTHAND, rolledBack, 3, [3, 0, 0, 'stop', 2]],
  ['complete, up: every replica on new', SHORTHAND, complete, 20, [0, 20, 10, 'complete', 10]],
  ['complete, down', SHORTHAND, complete, 6, [0, 6, 3, 'complete', 3]],
  // setWeight keeps its percent of the new total.
  ['setWeight 20 running, up', TICKED, runningAt1, 20, [16, 4, 1, 'running', 2]],
  ['setWeight 20 running, down', TICKED, runningAt1, 6, [5, 1, 1, 'running', 2]],
  [
    'setWeight 50 running, down to 1: the old version keeps it',
    TICKED,
    runningAt2,
    1,
    [1, 0, 2, 'running', 2],
  ],
  ['paused after setWeight 20, up', WEIGHTS, pausedAt2, 20, [16, 4, 2, 'running', 4]],
  ['paused after setWeight 20, down', WEIGHTS, pausedAt2, 3, [2, 1, 2, 'running', 4]],
  ['a list complete, up', WEIGHTS, complete, 15, [0, 15, 4, 'complete', 4]],
  ['a list rolled back, up', WEIGHTS, rolledBack, 12, [12, 0, 0, 'stop', 4]],
  // setReplicas keeps its count, clamped to the total.
  ['setReplicas 8 running, up', COUNTS, runningAt2, 20, [12, 8, 2, 'running', 3]],
  ['setReplicas 8 running, down: clamped to 6', COUNTS, runningAt2, 6, [0, 6, 2, 'running', 3]],
  ['setReplicas 8 stopped, down', COUNTS, stoppedAt2, 5, [0, 5, 2, 'stop', 3]],
];

for (const surge of [false, true]) {
  t.test(`a new total is split at the current step (surge: ${surge})`, async (t) => {
    for (const [name, spec, setup, total, expected] of table) {
      const d = new ListDriver({ ...spec, surge }, t);
      setup(d);
      const before = d.status?.currentStep;
      d.spec.totalReplicas = total;
      const first = d.sync(at(35)).response.status;
      // Surge (docs/design.md §7a) may hold old replicas for new ones still starting, never fewer than the total.
      const sum = first.oldReplicas + first.newReplicas;
      t.ok(surge ? sum >= total && first.oldReplicas <= total : sum === total, `${name}: ${sum} of ${total}`);
      // At rest: the new replicas asked are available (surge lets the old ones go then).
      d.sync(at(36));
      const s = d.last!.response.status;
      t.same([d.oldReplicas, d.newReplicas, s.currentStep, s.state, s.totalSteps], expected, name);
      t.equal(s.replicas, total, `${name}: status.replicas is the total at rest`);
      t.ok(s.currentStep <= s.totalSteps, `${name}: step ${before} -> ${s.currentStep} of ${s.totalSteps}`);
      if (name.startsWith('paused')) t.equal(s.pause?.kind, 'Manual', `${name}: still paused`);
      if (name.startsWith('rolled back')) t.not(s.rollback, null, `${name}: the rollback stays on record`);
    }
  });
}

t.test('an error scales nothing whatever the total; once fixed, the new total is split', async (t) => {
  for (const surge of [false, true]) {
    const d = new ListDriver({ ...SHORTHAND, surge }, t);
    runningAt2(d);
    d.sync(at(31)); // with surge, the old replicas go once the new are available
    t.same(d.row.slice(0, 4), [6, 4, 2, 'running']);
    d.spec.timeZone = 'Mars/Olympus_Mons';
    d.sync(at(32));
    d.spec.totalReplicas = 20;
    const error = d.sync(at(33));
    t.equal(error.response.status.state, 'error');
    t.same([d.oldReplicas, d.newReplicas], [6, 4], 'the Deployments keep what they have');
    t.match(
      error.response.status,
      { replicas: 10, oldReplicas: 6, newReplicas: 4 },
      'and the status says so',
    );
    d.spec.timeZone = 'UTC';
    const fixed = d.sync(at(34));
    t.same(kinds(fixed), ['Recovered/Valid']);
    d.sync(at(35));
    t.same(d.row.slice(0, 4), [16, 4, 2, 'running'], `surge ${surge}: step 2 of the new total`);
  }
});

t.test('a scale-down completes a step that waited for more replicas than the new total asks', async (t) => {
  // setWeight 50 of 10 waits for 5 new; scaled to 4 it asks 2, which are there.
  const d = new ListDriver({ steps: [{ setWeight: 50 }, { pause: {} }], surge: false }, t);
  d.sync(T, { command: 'apply', available: 2 });
  t.match(d.last!.response.status.message, /waiting for my-app-v2/);
  d.spec.totalReplicas = 4;
  d.sync(at(5), { available: 2 });
  d.sync(at(6), { available: 2 });
  const s = d.last!.response.status;
  t.same(d.row.slice(0, 3), [2, 2, 2], 'the gate is met at the new total: the pause begins');
  t.equal(s.pause?.kind, 'Manual');
});

t.test('a scale-up after the step was available keeps its progress deadline met', async (t) => {
  const d = new ListDriver({ ...SHORTHAND, progressDeadlineSeconds: 20 }, t);
  d.sync(T, { command: 'apply' });
  d.sync(at(5));
  t.equal(d.last!.response.status.conditions.find((c) => c.type === 'StepAvailable')?.status, 'True');
  d.spec.totalReplicas = 30;
  // Step 1 still asks 2 of the new version: nothing more to wait for, no rollback.
  d.sync(at(25), { available: 2 });
  t.same(d.row.slice(0, 4), [28, 2, 1, 'running']);
  t.equal(d.last!.response.status.rollback, null);
});

t.test('a stale parent whose Deployments record a step beyond the new last step completes', async (t) => {
  const d = new ListDriver(SHORTHAND, t);
  runningAt2(d);
  const stale = d.status;
  d.sync(at(90)); // step 3, recorded on the Deployments
  t.equal(d.status?.currentStep, 3);
  d.status = stale; // the parent's cache still shows step 2
  d.spec.totalReplicas = 4; // 2 steps now: the recorded step 3 is past the last
  d.sync(at(91));
  d.sync(at(92));
  t.same(d.row.slice(0, 4), [0, 4, 2, 'complete']);
});

t.test('counts above the total are refused where a manifest is written, clamped where synced', async (t) => {
  const parsed = (spec: Record<string, unknown>) => {
    const r = parseSpec({
      oldDeployment: 'a',
      newDeployment: 'b',
      totalReplicas: 4,
      cronSchedule: '* * * * *',
      selector: { matchLabels: { app: 'a' } },
      ...spec,
    });
    if (!r.ok) throw new Error(r.problem.message);
    return r.spec as CanarySpec;
  };
  t.match(countAboveTotal(parsed({ stepReplicas: 5 })), {
    field: 'stepReplicas',
    message: 'spec.stepReplicas (5) must not exceed spec.totalReplicas (4)',
  });
  t.match(countAboveTotal(parsed({ steps: [{ setWeight: 10 }, { setReplicas: 9 }] })), {
    field: 'steps[1].setReplicas',
    message: 'spec.steps[1].setReplicas (9) must not exceed spec.totalReplicas (4)',
  });
  t.equal(countAboveTotal(parsed({ stepReplicas: 4 })), undefined);
  t.equal(countAboveTotal(parsed({ steps: [{ setReplicas: 4 }, { setWeight: 100 }] })), undefined);
});
