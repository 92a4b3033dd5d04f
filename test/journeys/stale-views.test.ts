/**
 * Issue 10: Metacontroller shows the hook a parent from its informer cache,
 * which can lag behind the status it just wrote while the children are
 * current (and the reverse). Whatever the caches show, the rollout must take
 * the same steps as with fresh views: no step backwards, none decided twice,
 * no replica flip, no command acted on twice.
 */
import t, { type Test } from 'tap';
import { Simulation, type Row } from '../harness/simulation.js';
import type { CacheLag } from '../harness/metacontroller.js';

const isComplete = (sim: Simulation) => sim.status?.state === 'complete';

/** The rows without their times, each run of repeats kept once: what a watcher of `kubectl get` sees. */
function changes(rows: readonly Row[]): string[] {
  const seen: string[] = [];
  for (const [, ...rest] of rows) {
    const text = JSON.stringify(rest);
    if (seen.at(-1) !== text) seen.push(text);
  }
  return seen;
}

/** Every value each Deployment's spec.replicas took, in order, repeats folded. */
function replicaHistory(sim: Simulation, name: string): number[] {
  const index = name === 'my-app-v1' ? 1 : 2;
  const history: number[] = [];
  for (const row of sim.rows) {
    const value = row[index] as number;
    if (history.at(-1) !== value) history.push(value);
  }
  return history;
}

function announced(sim: Simulation): string[] {
  return sim.transitions.map((tr) => `${tr.kind} ${tr.from.step}->${tr.to.step}`);
}

async function walkthrough(t: Test, staleEcho?: CacheLag): Promise<Simulation> {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', staleEcho });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.advanceTo('2026-11-23T10:00:20Z');
  sim.annotate('apply');
  await sim.sync();
  await sim.runWhile(() => !isComplete(sim));
  await sim.runUntil('2026-11-23T10:05:00Z');
  return sim;
}

t.test('the walkthrough under a parent cache one or two status writes behind', async (t) => {
  const fresh = await walkthrough(t);
  for (const parentStatusWrites of [1, 2]) {
    const stale = await walkthrough(t, { parentStatusWrites });
    t.same(changes(stale.rows), changes(fresh.rows), `lag ${parentStatusWrites}: the same changes`);
    t.same(replicaHistory(stale, 'my-app-v1'), [10, 8, 6, 4, 2, 0], 'one change of v1 per step');
    t.same(replicaHistory(stale, 'my-app-v2'), [0, 2, 4, 6, 8, 10], 'one change of v2 per step');
    t.same(announced(stale), announced(fresh), 'each step announced once');
    t.same(stale.violations, []);
  }
});

t.test('an automatic rollback stays rolled back under a stale parent', async (t) => {
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    command: 'apply',
    staleEcho: { parentStatusWrites: 1 },
  });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.setImage('my-app-v2', 'my-app:2.0.1-broken', { kind: 'crash', afterSeconds: 10 });
  await sim.runUntil('2026-11-23T10:03:00Z');
  t.equal(sim.status?.state, 'stop');
  t.equal(sim.status?.currentStep, 0);
  t.same(replicaHistory(sim, 'my-app-v2'), [2, 0], 'the crashing image is never scaled up again');
  t.same(
    announced(sim).filter((a) => a.startsWith('RolledBack')),
    ['RolledBack 1->0'],
    'one rollback announced',
  );
  t.same(sim.violations, []);
});

t.test('a command is acted on once under a stale parent', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', staleEcho: { parentStatusWrites: 1 } });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:00:50Z');
  t.same(
    announced(sim).filter((a) => a.startsWith('Started')),
    ['Started 0->1'],
    'Started announced once',
  );
});

t.test('children a sync behind the parent: the rollout neither stalls nor regresses', async (t) => {
  const fresh = await walkthrough(t);
  const stale = await walkthrough(t, { childSyncs: 1 });
  t.same(changes(stale.rows), changes(fresh.rows));
  t.same(stale.violations, []);
});

t.test('a lost status write: the children carry the decision on', async (t) => {
  // No watch events: the echo of the children's update would rewrite the status at once.
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply', watchEvents: false });
  t.teardown(() => sim.close());
  await sim.sync();
  t.equal(sim.status?.currentStep, 1);
  // Step 2 is decided at 10:01, its Deployments applied, and then
  // Metacontroller dies before it writes the status.
  sim.metacontroller.loseStatusWrites = 1;
  await sim.runUntil('2026-11-23T10:01:00Z');
  t.equal(sim.status?.currentStep, 1, 'the status write was lost');
  t.equal(sim.cluster.replicas('my-app-v2'), 4, 'but the Deployments were scaled for step 2');
  // The Deployments' status changes set off the next sync.
  sim.advanceTo('2026-11-23T10:01:10Z');
  await sim.sync();
  t.equal(sim.status?.currentStep, 2, 'the next sync writes step 2 from what the children record');
  await sim.runWhile(() => !isComplete(sim));
  t.same(replicaHistory(sim, 'my-app-v2'), [2, 4, 6, 8, 10]);
  t.same(
    announced(sim).filter((a) => a.startsWith('StepAdvanced')),
    ['StepAdvanced 1->2', 'StepAdvanced 2->3', 'StepAdvanced 3->4'],
    'step 2 is not decided a second time',
  );
  t.same(sim.violations, []);
});

t.test('a lost child update: the next sync applies it again', async (t) => {
  const sim = await Simulation.start({ start: '2026-11-23T10:00:00Z', command: 'apply' });
  t.teardown(() => sim.close());
  await sim.sync();
  sim.metacontroller.loseChildUpdates = 1;
  await sim.runUntil('2026-11-23T10:01:00Z');
  await sim.runWhile(() => !isComplete(sim));
  t.equal(sim.cluster.replicas('my-app-v2'), 10);
  t.equal(sim.cluster.replicas('my-app-v1'), 0);
  const steps = sim.rows.map((r) => r[3]);
  t.ok(
    steps.every((s, i) => i === 0 || s >= (steps[i - 1] as number)),
    `currentStep never goes back: ${steps.join(' ')}`,
  );
  t.same(sim.violations, []);
});

t.test('the new Deployment refused at a restart: the restart is decided once', async (t) => {
  // Seen on the real engine (issue 11): the user's new pod template keeps the
  // Deployment controller writing to my-app-v2, so Metacontroller's update of
  // it from its cached copy is refused, and the sync ends before its status
  // write. The record must then be on my-app-v1, or the next sync restarts
  // again from the rolled-back status: a second Restarted Event.
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { surge: true },
    command: 'apply',
    deploymentControllerDelaySeconds: 3,
  });
  t.teardown(() => sim.close());
  sim.setPodBehaviour('my-app-v2', { kind: 'crash', afterSeconds: 5 });
  await sim.sync();
  for (let i = 0; i < 40; i++) {
    sim.advanceBy(1);
    await sim.sync();
  }
  t.equal(sim.status?.state, 'stop', 'rolled back on the crashing pods');
  sim.advanceTo('2026-11-23T10:00:45Z');
  sim.setImage('my-app-v2', 'my-app:2.0.1', { kind: 'ready', afterSeconds: 5 });
  sim.metacontroller.refuseUpdatesOf.set('my-app-v2', 1);
  await sim.sync();
  t.equal(sim.status?.state, 'stop', 'the refused sync wrote no status');
  await sim.runUntil('2026-11-23T10:01:30Z');
  t.same(
    announced(sim).filter((a) => a.startsWith('Restarted')),
    ['Restarted 0->1'],
    'restarted once, though the first answer was only half applied',
  );
  t.equal(sim.status?.currentStep, 2, 'and the rollout goes on from there');
  t.same(sim.violations, []);
});
