/**
 * The end-to-end checks on the histories they must catch: the real engine
 * produces a stale-view flap only now and then, so what the checker says of
 * one is proven here, on the very sequences issue 10 reports.
 */
import t from 'tap';
import {
  canonicalJson,
  changes,
  countBy,
  decisionsFromLog,
  expectedReplicaSequences,
  extraChanges,
  moveLabels,
  percentile,
  repeated,
  replicaSequence,
  rolledBackRestarts,
  sameSequence,
  split,
  stepLateness,
  surgeMisfits,
  stepRegressions,
  stepSequence,
  type CanarySample,
  type DeploymentSample,
} from './lib/analysis.js';

let rv = 0;
function canary(step: number, more: Partial<CanarySample> = {}): CanarySample {
  rv += 1;
  return {
    rv,
    at: rv * 1000,
    step,
    state: 'running',
    oldReplicas: 10 - 2 * step,
    newReplicas: 2 * step,
    message: 'Canary is Running',
    lastStepTime: null,
    nextStepTime: null,
    rollbackTime: null,
    rollbackReason: null,
    observedCommand: 'apply',
    ...more,
  };
}
function deployment(
  replicas: number,
  template = 'v2',
  more: Partial<DeploymentSample> = {},
): DeploymentSample {
  rv += 1;
  return { rv, at: rv * 1000, replicas, template, availableReplicas: replicas, ...more };
}

t.test('changes keeps one of each run', async (t) => {
  t.same(changes([10, 10, 8, 8, 6, 8, 8]), [10, 8, 6, 8]);
  t.same(changes([]), []);
});

t.test('a steady rollout has no regression', async (t) => {
  const samples = [0, 1, 1, 2, 3, 4, 5].map((s) => canary(s));
  t.same(stepRegressions(samples), []);
  t.same(stepSequence(samples), [0, 1, 2, 3, 4, 5]);
});

t.test('the flap of issue 10 (3 4 3 4) counts each step back', async (t) => {
  const samples = [3, 4, 3, 4, 3, 4].map((s) => canary(s));
  const r = stepRegressions(samples);
  t.equal(r.length, 2);
  t.match(r[0], { from: 4, to: 3 });
});

t.test('samples are ordered by resourceVersion, not by arrival', async (t) => {
  const a = canary(1);
  const b = canary(2);
  t.same(stepRegressions([b, a]), [], 'a poll that lands after a watch event is no regression');
});

t.test('a new rollback may go to step 0; an old one written back may not', async (t) => {
  const rolled = {
    rollbackTime: '2026-11-22T10:05:12Z',
    rollbackReason: 'RollbackCommand: x',
    state: 'stop',
  };
  t.same(stepRegressions([canary(3), canary(0, rolled)]), [], 'a rollback');
  const r = stepRegressions([canary(3), canary(0, rolled), canary(1), canary(0, rolled)]);
  t.equal(r.length, 1, 'the stale rollback status again');
  t.equal(
    stepRegressions([canary(2), canary(1, { rollbackTime: 'y' })]).length,
    1,
    'a rollback ends at step 0',
  );
  t.same(stepRegressions([canary(1, { step: undefined }), canary(0)]), [], 'no status yet is no step');
});

t.test('split and the replica sequences of a walkthrough', async (t) => {
  t.same(split(10, 3, 4), { old: 0, new: 10 }, 'the last step takes the rest');
  t.same(split(10, 2, 0), { old: 10, new: 0 });
  const want = expectedReplicaSequences(10, 2, [0, 1, 2, 0, 1], { old: 10, new: 0 });
  t.same(want, { old: [10, 8, 6, 10, 8], new: [0, 2, 4, 0, 2] });
  const flapped = replicaSequence([10, 8, 6, 8, 6, 10, 8].map((n) => deployment(n, 'v1')));
  t.notOk(sameSequence(flapped, want.old), 'a flap does not pass as the steps');
  t.equal(extraChanges(flapped, want.old), 2);
  t.equal(extraChanges(want.old, want.old), 0);
  t.ok(sameSequence([1, 2], [1, 2]));
  t.notOk(sameSequence([1, 2], [1, 2, 3]));
});

t.test(
  'surge: the old Deployment steps down as new replicas become available, never past a step',
  async (t) => {
    // Steps 0, 1, 2, a rollback to 0: old targets 10, 8, 6, 10.
    const targets = [10, 8, 6, 10];
    t.same(surgeMisfits([10, 8, 6, 10], targets), [], 'one change per step');
    t.same(surgeMisfits([10, 9, 8, 7, 6, 10], targets), [], 'replica by replica');
    t.same(surgeMisfits([10, 9, 7, 6, 10], targets), [], 'two available between syncs');
    t.same(surgeMisfits([10, 9, 10], targets), [], 'a rollback before the step down was done');
    t.same(surgeMisfits([10, 10], [10, 8, 10]), [], 'a crashing step never steps the old one down');
    t.equal(surgeMisfits([10, 5, 10], targets).length, 1, 'below the last step: no surge');
    t.equal(surgeMisfits([10, 8, 9, 6], targets).length, 1, 'up by one: a flap, not a rollback');
    t.equal(surgeMisfits([10, 6, 8], [10, 6, 8, 6]).length, 0, 'a step up to exactly its target');
    t.equal(surgeMisfits([10, 6, 7], [10, 6, 8]).length, 1, 'a step up that stops short');
    t.equal(surgeMisfits([8, 6], targets).length, 1, 'not where the manifests put it');
  },
);

t.test('a rolled-back v2 scaled up again on the same template is a restart', async (t) => {
  const before = [deployment(0, 'broken'), deployment(2, 'broken')];
  const rollback = canary(0, {
    state: 'stop',
    rollbackTime: 't1',
    rollbackReason: 'CrashLoopBackOff: container my-app of pod p is in CrashLoopBackOff',
  });
  const after = [deployment(0, 'broken'), deployment(2, 'broken'), deployment(0, 'broken')];
  const restarts = rolledBackRestarts([canary(1), rollback], [...before, ...after]);
  t.equal(restarts.length, 1);
  t.match(restarts[0], { rollbackTime: 't1', replicas: 2 });
});

t.test('a fix, a late scale-down or a command rollback is no restart', async (t) => {
  const crash = { state: 'stop', rollbackTime: 't2', rollbackReason: 'CrashLoopBackOff: c' };
  const c = canary(0, crash);
  // The scale-down arrives after the status; then a new template scales up.
  const v2 = [
    deployment(2, 'broken'),
    deployment(2, 'broken'),
    deployment(0, 'broken'),
    deployment(2, 'fixed'),
  ];
  v2[0]!.at = c.at - 1;
  t.same(rolledBackRestarts([c], v2), []);
  const byHand = canary(0, { state: 'stop', rollbackTime: 't3', rollbackReason: 'RollbackCommand: x' });
  t.same(rolledBackRestarts([byHand], [deployment(0), deployment(2)]), [], 'apply after a command rollback');
  t.same(rolledBackRestarts([canary(0, crash)], []), [], 'no Deployment seen');
});

t.test('decisions come from the service log lines of one Canary', async (t) => {
  const line = (canary: string, transition: string, to: number, why: string, time = 10) =>
    JSON.stringify({
      level: 30,
      time,
      canary,
      transition,
      from: { state: 'running', step: to - 1 },
      to: { state: 'running', step: to },
      why,
    });
  const log = [
    '--- 2026-12-01T22:00:00.000Z start: node server.mjs',
    line('ns/a', 'Started', 1, 'ApplyCommand'),
    line('ns/b', 'Started', 1, 'ApplyCommand'),
    line('ns/a', 'StepAdvanced', 2, 'Schedule'),
    line('ns/a', 'StepAdvanced', 2, 'Schedule'),
    line('ns/a', 'UnknownCommand', 2, 'UnknownCommand'),
    line('ns/a', 'StepAdvanced', 3, 'Schedule', 1),
    '{"level":30,"transition":"cut by a SIGK',
    JSON.stringify({ canary: 'ns/a', transition: 'Stopped' }),
  ].join('\n');
  const d = decisionsFromLog(log, 'ns/a', 5);
  t.equal(d.length, 4, 'one Canary, since the given time, whole lines only');
  const moves = moveLabels(d);
  t.same(moves, ['Started(ApplyCommand)->1', 'StepAdvanced(Schedule)->2', 'StepAdvanced(Schedule)->2']);
  t.same(countBy(moves), { 'Started(ApplyCommand)->1': 1, 'StepAdvanced(Schedule)->2': 2 });
  t.same(repeated(moves), { 'StepAdvanced(Schedule)->2': 2 }, 'a step decided twice');
  t.same(repeated(moves, { 'StepAdvanced(Schedule)->2': 2 }), {});
  t.same(decisionsFromLog(JSON.stringify({ canary: 'ns/a', transition: 'Stopped' }), 'ns/a'), [
    {
      time: 0,
      canary: 'ns/a',
      kind: 'Stopped',
      why: '',
      fromStep: -1,
      toStep: -1,
      fromState: '',
      toState: '',
    },
  ]);
});

t.test('step lateness: scheduled steps only', async (t) => {
  const samples = [
    canary(1, { lastStepTime: '2026-11-22T10:00:41Z', nextStepTime: '2026-11-22T10:01:00Z' }),
    canary(2, { lastStepTime: '2026-11-22T10:01:02Z', nextStepTime: '2026-11-22T10:02:00Z' }),
    canary(3, { lastStepTime: '2026-11-22T10:02:00Z', nextStepTime: '2026-11-22T10:03:00Z' }),
    // completion by command, before the tick: no scheduled step
    canary(5, { state: 'complete', lastStepTime: '2026-11-22T10:02:30Z', nextStepTime: null }),
  ];
  t.same(stepLateness(samples), [2000, 0]);
  t.equal(percentile([5, 1, 3], 50), 3);
  t.equal(percentile([5, 1, 3], 100), 5);
  t.ok(Number.isNaN(percentile([], 50)));
});

t.test('canonicalJson ignores key order, keeps arrays in order', async (t) => {
  t.equal(
    canonicalJson({ b: 1, a: { d: [2, 1], c: null } }),
    canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }),
  );
  t.not(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
});
