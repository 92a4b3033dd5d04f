/** Step lists (docs/design.md §8): every step kind, pause kind and position of promote, one sync at a time. */
import t from 'tap';
import { weightReplicas } from '../../hooks/steps/weights.js';
import { parseSpec } from '../../hooks/spec/parse.js';
import { kinds, ListDriver } from './list-driver.js';
import { crashingNewPod } from './support.js';

const T = '2026-11-23T09:00:00Z'; // a Monday
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');

t.test(
  'setWeight to replicas without a router: round, at least 1 above 0, at most total - 1 below 100',
  async (t) => {
    const cases: [total: number, weight: number, replicas: number, why: string][] = [
      [10, 1, 1, '0.1 rounds to 0, and a weight above 0 gets one replica'],
      [10, 99, 9, '9.9 rounds to 10, and a weight below 100 leaves one old'],
      [7, 50, 4, '3.5: halves round up, so at least half the app is on the new version'],
      [10, 20, 2, 'exact'],
      [10, 0, 0, 'none'],
      [10, 100, 10, 'all'],
      [3, 10, 1, '0.3 -> at least 1'],
      [3, 90, 2, '2.7 -> 3, at most total - 1'],
      [1, 50, 0, 'one replica: a partial weight keeps it on the old version until complete'],
      [1, 100, 1, 'one replica, all of it'],
    ];
    for (const [total, weight, replicas, why] of cases) {
      t.equal(weightReplicas(total, weight), replicas, `${weight}% of ${total}: ${why}`);
    }
  },
);

t.test('durations: h, m and s, in that order', async (t) => {
  const cases: [string, number | undefined][] = [
    ['90s', 90],
    ['10m', 600],
    ['1h30m', 5400],
    ['2h', 7200],
    ['1h1m1s', 3661],
    ['', undefined],
    ['10', undefined],
    ['1m1h', undefined],
    ['1.5h', undefined],
  ];
  // Read as the sync reads it: a pause of a list, in a spec otherwise valid.
  const secondsOf = (duration: string) => {
    const parsed = parseSpec({
      oldDeployment: 'my-app-v1',
      newDeployment: 'my-app-v2',
      totalReplicas: 10,
      selector: { matchLabels: { app: 'my-app' } },
      steps: [{ pause: { duration } }],
    });
    const pause = parsed.ok ? parsed.spec.steps?.[0] : undefined;
    return pause && 'pause' in pause && pause.pause.kind === 'Duration' ? pause.pause.seconds : undefined;
  };
  for (const [text, seconds] of cases) t.equal(secondsOf(text), seconds, JSON.stringify(text));
});

t.test('apply takes step 1 at once, whatever its kind', async (t) => {
  const rest = [{ setWeight: 100 }];
  const cases: {
    first: Record<string, unknown>;
    row: ListDriver['row'];
    pause?: { kind: string; until: string | null };
    resync: number;
    message: RegExp;
    transitions: string[];
  }[] = [
    {
      first: { setWeight: 20 },
      row: [8, 2, 1, 'running', 20, null],
      // No clock to wait for: v2's own status change brings the next sync.
      resync: 0,
      message: /^Canary is Running: waiting for my-app-v2 to have 2 replicas available$/,
      transitions: ['Started/ApplyCommand'],
    },
    {
      first: { setReplicas: 3 },
      row: [7, 3, 1, 'running', 30, null],
      resync: 0,
      message: /^Canary is Running: waiting/,
      transitions: ['Started/ApplyCommand'],
    },
    {
      first: { pause: {} },
      row: [10, 0, 1, 'running', 0, 'Manual'],
      pause: { kind: 'Manual', until: null },
      resync: 0,
      message: /^Canary is Paused at step 1 until the promote command$/,
      transitions: ['Started/ApplyCommand', 'Paused/Manual'],
    },
    {
      first: { pause: { duration: '90s' } },
      row: [10, 0, 1, 'running', 0, 'Duration'],
      pause: { kind: 'Duration', until: at(90) },
      resync: 90,
      message: /^Canary is Paused at step 1 until 2026-11-23T09:01:30Z$/,
      transitions: ['Started/ApplyCommand', 'Paused/Duration'],
    },
    {
      first: { pause: { untilSchedule: '30 9 * * *' } },
      row: [10, 0, 1, 'running', 0, 'Schedule'],
      pause: { kind: 'Schedule', until: at(1800) },
      resync: 1800,
      message: /until 2026-11-23T09:30:00Z$/,
      transitions: ['Started/ApplyCommand', 'Paused/Schedule'],
    },
  ];
  for (const c of cases) {
    const d = new ListDriver({ steps: [c.first, ...rest] }, t);
    d.sync(T);
    const decision = d.sync(T, { command: 'apply' });
    const name = JSON.stringify(c.first);
    t.same(d.row, c.row, `${name}: replicas, step, state, weight, pause`);
    t.match(decision.response.status.pause, c.pause ?? null, `${name}: status.pause`);
    if (c.pause) t.equal(decision.response.status.pause?.since, T, `${name}: the pause began at apply`);
    t.equal(decision.response.resyncAfterSeconds, c.resync, `${name}: resyncAfterSeconds`);
    t.match(decision.response.status.message, c.message, `${name}: message`);
    t.same(kinds(decision), c.transitions, `${name}: transitions`);
    const paused = decision.response.status.conditions.find((x) => x.type === 'Paused');
    t.match(
      paused,
      c.pause ? { status: 'True', reason: c.pause.kind } : { status: 'False', reason: 'NotPaused' },
    );
    t.equal(decision.response.status.totalSteps, 2);
  }
});

t.test('a timed pause ends at its time, and the next step follows in the same sync', async (t) => {
  const d = new ListDriver(
    { steps: [{ setWeight: 20 }, { pause: { duration: '20s' } }, { setWeight: 60 }] },
    t,
  );
  d.sync(T, { command: 'apply' });
  const paused = d.sync(at(5));
  t.same(
    kinds(paused),
    ['StepAdvanced/StepDone', 'Paused/Duration'],
    'the set-step is done: the pause begins',
  );
  t.same(d.row, [8, 2, 2, 'running', 20, 'Duration']);
  t.equal(paused.response.resyncAfterSeconds, 20, 'called back when the pause ends');
  t.equal(paused.response.status.nextStepTime, at(25), 'the next step is due when the pause ends');
  const early = d.sync(at(24));
  t.same(kinds(early), [], 'a second early is still paused');
  t.equal(early.response.resyncAfterSeconds, 1);
  const ended = d.sync(at(25));
  t.same(kinds(ended), ['PauseEnded/Duration', 'StepAdvanced/StepDone']);
  t.same(d.row, [4, 6, 3, 'running', 60, null]);
  t.match(
    ended.response.status.conditions.find((c) => c.type === 'Paused'),
    { status: 'False', reason: 'NotPaused' },
  );
  const done = d.sync(at(30));
  t.same(kinds(done), ['Completed/AllStepsDone'], 'after the last listed step: complete');
  t.same(d.row, [0, 10, 3, 'complete', 100, null]);
});

t.test('promote in each position', async (t) => {
  await t.test('paused: ends the pause, and the step after it follows at once', async (t) => {
    const d = new ListDriver({ steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] }, t);
    d.sync(T, { command: 'apply' });
    d.sync(at(10));
    t.same(d.row, [8, 2, 2, 'running', 20, 'Manual']);
    t.same(kinds(d.sync(at(3600))), [], 'a manual pause waits as long as it takes');
    const promoted = d.sync(at(3700), { command: 'promote' });
    t.same(kinds(promoted), ['PauseEnded/PromoteCommand', 'StepAdvanced/StepDone']);
    t.same(d.row, [5, 5, 3, 'running', 50, null]);
    t.equal(promoted.response.status.observedCommand, 'promote');
  });
  await t.test(
    'paused with the replicas not available: the pause ends, the step waits for them',
    async (t) => {
      const d = new ListDriver({ steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] }, t);
      d.sync(T, { command: 'apply' });
      d.sync(at(10));
      const promoted = d.sync(at(20), { command: 'promote', available: 1 });
      t.same(kinds(promoted), ['PauseEnded/PromoteCommand']);
      t.same(d.row, [8, 2, 2, 'running', 20, null]);
      t.match(promoted.response.status.message, /waiting for my-app-v2 to have 2 replicas available/);
      t.match(
        promoted.response.status.conditions.find((c) => c.type === 'Paused'),
        { reason: 'PauseEnded' },
      );
      t.same(kinds(d.sync(at(30))), ['StepAdvanced/StepDone'], 'once they are, the next step');
    },
  );
  await t.test('waiting for a cron tick: takes the step now', async (t) => {
    const d = new ListDriver({ cronSchedule: '0 * * * *', steps: [{ setWeight: 20 }, { setWeight: 50 }] }, t);
    d.sync(T, { command: 'apply' });
    const waiting = d.sync(at(60));
    t.same(kinds(waiting), []);
    t.equal(waiting.response.status.nextStepTime, '2026-11-23T10:00:00Z');
    const promoted = d.sync(at(120), { command: 'promote' });
    t.same(kinds(promoted), ['Promoted/PromoteCommand']);
    t.same(d.row, [5, 5, 2, 'running', 50, null]);
  });
  await t.test(
    'waiting for a tick with the replicas not available: nothing (no skipping the gate)',
    async (t) => {
      const d = new ListDriver(
        { cronSchedule: '0 * * * *', steps: [{ setWeight: 20 }, { setWeight: 50 }] },
        t,
      );
      d.sync(T, { command: 'apply' });
      const promoted = d.sync(at(120), { command: 'promote', available: 1 });
      t.same(kinds(promoted), []);
      t.same(d.row, [8, 2, 1, 'running', 20, null]);
      t.equal(promoted.response.status.observedCommand, 'promote', 'the promote is spent');
    },
  );
  await t.test('not paused and no tick to wait for: nothing', async (t) => {
    const d = new ListDriver({ steps: [{ setWeight: 20 }, { setWeight: 50 }] }, t);
    d.sync(T, { command: 'apply' });
    const promoted = d.sync(at(5), { command: 'promote', available: 0 });
    t.same(kinds(promoted), []);
    t.same(d.row, [8, 2, 1, 'running', 20, null]);
  });
  await t.test('complete: stays complete', async (t) => {
    const d = new ListDriver({ steps: [{ setWeight: 20 }] }, t);
    d.sync(T, { command: 'completion' });
    t.same(d.row, [0, 10, 1, 'complete', 100, null]);
    const promoted = d.sync(at(5), { command: 'promote' });
    t.same(kinds(promoted), []);
    t.same(d.row, [0, 10, 1, 'complete', 100, null]);
  });
});

t.test('stop and apply do not move the end of a pause', async (t) => {
  const d = new ListDriver({ steps: [{ pause: { duration: '10m' } }, { setWeight: 50 }] }, t);
  d.sync(T, { command: 'apply' });
  const stopped = d.sync(at(60), { command: 'stop' });
  t.same(d.row, [10, 0, 1, 'stop', 0, 'Duration']);
  t.equal(stopped.response.status.pause?.until, at(600));
  t.equal(stopped.response.resyncAfterSeconds, 540, 'called back when the pause ends, stopped or not');
  const ended = d.sync(at(600));
  t.same(kinds(ended), ['PauseEnded/Duration'], 'the pause ends while stopped; the stop still holds');
  t.same(d.row, [10, 0, 1, 'stop', 0, null]);
  const resumed = d.sync(at(700), { command: 'apply' });
  t.same(kinds(resumed), ['Resumed/ApplyCommand', 'StepAdvanced/StepDone']);
  t.same(d.row, [5, 5, 2, 'running', 50, null]);
});

t.test('a cron gate waits for a tick before each set-step after the first, not before a pause', async (t) => {
  const d = new ListDriver(
    {
      cronSchedule: '*/10 * * * *',
      steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }, { setWeight: 50 }],
    },
    t,
  );
  d.sync(at(30), { command: 'apply' });
  t.same(kinds(d.sync(at(40))), ['StepAdvanced/StepDone', 'Paused/Duration'], 'the pause begins at once');
  t.same(kinds(d.sync(at(100))), ['PauseEnded/Duration'], 'the pause ends; the set-step waits for 09:10');
  const waiting = d.last?.response.status;
  t.equal(waiting?.nextStepTime, '2026-11-23T09:10:00Z');
  t.same(kinds(d.sync(at(600))), ['StepAdvanced/Schedule']);
  t.same(d.row, [5, 5, 3, 'running', 50, null]);
});

t.test('crash-looping new pods roll back during a pause; a pause has no progress deadline', async (t) => {
  const d = new ListDriver(
    { progressDeadlineSeconds: 60, steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] },
    t,
  );
  d.sync(T, { command: 'apply' });
  d.sync(at(10));
  t.same(kinds(d.sync(at(600), { available: 1 })), [], 'a pod lost during the pause is no missed deadline');
  const crashed = d.sync(at(700), { pods: [crashingNewPod()] });
  t.same(kinds(crashed), ['RolledBack/CrashLoopBackOff']);
  t.same(d.row, [10, 0, 0, 'stop', 0, null]);
  t.equal(crashed.response.status.pause, null);
});

t.test('a bad untilSchedule is an error that scales nothing', async (t) => {
  const d = new ListDriver({ steps: [{ setWeight: 20 }, { pause: { untilSchedule: '0 25 * * *' } }] }, t);
  const decision = d.sync(T, { command: 'apply' });
  t.equal(decision.response.status.state, 'error');
  t.match(
    decision.response.status.message,
    /^Invalid spec: spec\.steps\[1\]\.pause\.untilSchedule "0 25 \* \* \*" is not a valid cron schedule/,
  );
  t.same(d.row.slice(0, 2), [10, 0], 'replicas as observed');
  t.same(kinds(decision), ['InvalidSpec/InvalidSpec']);
});

t.test('what the hook refuses that the CRD would have', async (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ steps: [{ setWeight: 20 }], stepReplicas: 2 }, /spec\.steps and spec\.stepReplicas are two forms/],
    [{ steps: [] }, /spec\.steps must list at least one step/],
    [{ steps: [{ setWeight: 101 }] }, /spec\.steps\[0\]\.setWeight must be an integer from 0 to 100/],
    [{ steps: [{ setReplicas: -1 }] }, /spec\.steps\[0\]\.setReplicas must be an integer from 0 to/],
    [
      { steps: [{ pause: { duration: '5 min' } }] },
      /spec\.steps\[0\]\.pause\.duration "5 min" is not a duration/,
    ],
    [
      { steps: [{ pause: { duration: '5m', untilSchedule: '@daily' } }] },
      /at most one of duration and untilSchedule/,
    ],
    [{ steps: [{ setWeight: 5, pause: {} }] }, /spec\.steps\[0\] must have exactly one of/],
    [{ steps: [{ analysis: {} }] }, /unknown kind of step "analysis"/],
    [{ steps: 'all at once' }, /spec\.steps must be a list of steps/],
    [{}, /spec\.stepReplicas is required/],
  ];
  for (const [spec, message] of cases) {
    const d = new ListDriver(spec, t);
    const decision = d.sync(T, { command: 'apply' });
    t.equal(decision.response.status.state, 'error', JSON.stringify(spec));
    t.match(decision.response.status.message, message, JSON.stringify(spec));
  }
});

t.test(
  'a list edited under a running Canary: the position stays, the new list says what it asks',
  async (t) => {
    const d = new ListDriver({ steps: [{ setWeight: 20 }, { setWeight: 40 }, { setWeight: 60 }] }, t);
    d.sync(T, { command: 'apply' });
    d.sync(at(10));
    t.same(d.row, [6, 4, 2, 'running', 40, null]);
    (d.spec as { steps: unknown[] }).steps = [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }];
    const edited = d.sync(at(20));
    t.same(kinds(edited), ['Paused/Manual'], 'step 2 is now a pause: it begins now');
    t.same(d.row, [8, 2, 2, 'running', 20, 'Manual']);
    (d.spec as { steps: unknown[] }).steps = [{ setWeight: 20 }];
    const shorter = d.sync(at(30));
    t.same(d.row, [0, 10, 1, 'complete', 100, null], 'a position past the new end completes');
    t.same(kinds(shorter), ['Completed/StepsReduced'], 'and says so');
  },
);

t.test(
  'an error between two edits keeps a complete Canary complete, and a shortened list still completes once',
  async (t) => {
    // A Canary where the error finds it, then a spec that is valid again. A list
    // ending below 100% shows the difference: its last step is not complete by itself.
    const list = [{ setWeight: 20 }, { setWeight: 40 }, { setWeight: 60 }];
    const cases: [
      name: string,
      bring: (d: ListDriver) => void,
      fixed: unknown[],
      row: ListDriver['row'],
      announced: string[],
    ][] = [
      [
        'complete, the same list again',
        (d) => [10, 20, 30, 40].forEach((s) => d.sync(at(s))),
        list,
        [0, 10, 3, 'complete', 100, null],
        ['Recovered/Valid'],
      ],
      [
        'complete, a shorter list',
        (d) => [10, 20, 30, 40].forEach((s) => d.sync(at(s))),
        [{ setWeight: 20 }],
        [0, 10, 1, 'complete', 100, null],
        ['Recovered/Valid'],
      ],
      [
        'running at step 3, a list of one step',
        (d) => [10, 20].forEach((s) => d.sync(at(s))),
        [{ setWeight: 20 }],
        [0, 10, 1, 'complete', 100, null],
        ['Recovered/Valid', 'Completed/StepsReduced'],
      ],
      [
        'stopped at step 2, a list of one step',
        (d) => {
          d.sync(at(10));
          d.sync(at(15), { command: 'stop' });
        },
        [{ setWeight: 20 }],
        [0, 10, 1, 'complete', 100, null],
        ['Recovered/Valid', 'Completed/StepsReduced'],
      ],
      [
        'stopped at step 2, the same list',
        (d) => {
          d.sync(at(10));
          d.sync(at(15), { command: 'stop' });
        },
        list,
        [6, 4, 2, 'stop', 40, null],
        ['Recovered/Valid'],
      ],
    ];
    for (const [name, bring, fixed, row, announced] of cases) {
      const d = new ListDriver({ steps: list }, t);
      d.sync(T, { command: 'apply' });
      bring(d);
      (d.spec as { steps: unknown }).steps = 'all at once';
      t.equal(d.sync(at(50)).response.status.state, 'error', `${name}: the error`);
      const before = d.oldReplicas;
      (d.spec as { steps: unknown }).steps = fixed;
      const recovered = d.sync(at(60));
      t.same(d.row, row, `${name}: where it stands`);
      t.same(kinds(recovered), announced, `${name}: what it announces`);
      t.ok(d.oldReplicas <= before, `${name}: the old Deployment is not scaled up again`);
    }
  },
);
