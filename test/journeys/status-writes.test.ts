/**
 * What a step costs in status writes. Metacontroller writes the status
 * whenever the hook's answer differs from the stored one, and it syncs on
 * every change of a child: on a real cluster that is each Deployment status
 * update while the new pods come up (issue 11). Here a sync every second
 * stands for those watch events; every change of the status is one write.
 */
import t from 'tap';
import { Simulation } from '../harness/simulation.js';
import type { ObservedStatus } from '../../hooks/wire/index.js';

interface Write {
  time: string;
  status: ObservedStatus;
}

/** Syncs every second until `until`, and returns each status that differs from the one before. */
async function writesUntil(sim: Simulation, until: string): Promise<Write[]> {
  const writes: Write[] = [];
  let last = JSON.stringify(sim.status);
  const end = Date.parse(until);
  while (sim.now.getTime() < end) {
    sim.advanceBy(1);
    await sim.sync();
    const now = JSON.stringify(sim.status);
    if (now !== last) writes.push({ time: sim.time, status: structuredClone(sim.status) as ObservedStatus });
    last = now;
  }
  return writes;
}

const stepAvailable = (s: ObservedStatus) => s.conditions?.find((c) => c.type === 'StepAvailable');

t.test(
  'a step costs two status writes however its replicas come up: the step, and its replicas available',
  async (t) => {
    // The Deployment controller acts 3 s after each scale and the pods are
    // ready 5 s after they start: the new Deployment goes through "not scaled
    // yet", "not observed yet", "0 of 2 available" and "2 of 2".
    const sim = await Simulation.start({
      start: '2026-11-23T10:00:00Z',
      command: 'apply',
      deploymentControllerDelaySeconds: 3,
    });
    t.teardown(() => sim.close());
    await sim.sync();
    const writes = await writesUntil(sim, '2026-11-23T10:04:30Z');

    const byStep = new Map<number, Write[]>();
    for (const w of writes)
      byStep.set(w.status.currentStep ?? 0, [...(byStep.get(w.status.currentStep ?? 0) ?? []), w]);
    for (const step of [1, 2, 3, 4]) {
      const own = byStep.get(step) ?? [];
      // Step 1 was taken by the first sync, before the writes were counted.
      const expected = step === 1 ? ['True'] : ['False', 'True'];
      t.same(
        own.map((w) => stepAvailable(w.status)?.status),
        expected,
        `step ${step}: ${own.map((w) => `${w.time} ${w.status.message} / ${stepAvailable(w.status)?.message}`).join('; ')}`,
      );
      t.ok(
        own.every((w) => w.status.message === 'Canary is Running'),
        `step ${step}: the message stays as it was`,
      );
    }
    // Completion is a step like the others: all replicas asked, then all available.
    t.same(
      (byStep.get(5) ?? []).map((w) => [w.time, w.status.state, stepAvailable(w.status)?.status]),
      [
        ['2026-11-23T10:04:00Z', 'complete', 'False'],
        ['2026-11-23T10:04:08Z', 'complete', 'True'],
      ],
      'completion, then its replicas available',
    );
    t.equal(writes.length, 9, 'and nothing else: nothing is written while nothing changes');
    t.same(sim.violations, []);
  },
);

t.test('a step late for its tick adds one write, the waiting message, and no more per replica', async (t) => {
  // 4 replicas by 4 at once: pods take 75 s, longer than the one-minute tick.
  const sim = await Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: { totalReplicas: 8, stepReplicas: 4 },
    newPods: { kind: 'ready', afterSeconds: 75 },
    command: 'apply',
    deploymentControllerDelaySeconds: 2,
  });
  t.teardown(() => sim.close());
  await sim.sync();
  const writes = await writesUntil(sim, '2026-11-23T10:01:30Z');
  t.same(
    writes.map((w) => [w.time, w.status.currentStep, w.status.message]),
    [
      // the tick passes with the replicas still starting: say so, once
      ['2026-11-23T10:01:00Z', 1, 'Canary is Running: waiting for my-app-v2 to have 4 replicas available'],
      // ready at 10:01:17 (created at 10:00:02): the step at once, off the tick
      ['2026-11-23T10:01:17Z', 2, 'Canary is complete'],
    ],
  );
  t.same(sim.violations, []);
});

/** The part of each Deployment the hook's answers write: its replicas and its annotations. */
function written(sim: Simulation): Map<string, string> {
  return new Map(
    [...sim.cluster.deployments].map(([key, d]) => [
      key.split('/')[1] ?? key,
      JSON.stringify([d.object.spec.replicas, d.object.metadata.annotations ?? {}]),
    ]),
  );
}

t.test(
  'a surge step costs the Deployment writes its replicas need: the new one up, then the old one down',
  async (t) => {
    // Issue 11: stamping the decision record on the unchanged old Deployment
    // too, when the step scaled only the new one up, was a third write a step.
    const sim = await Simulation.start({
      start: '2026-11-23T10:00:00Z',
      spec: { surge: true },
      command: 'apply',
      deploymentControllerDelaySeconds: 3,
    });
    t.teardown(() => sim.close());
    let before = written(sim);
    const byStep = new Map<number, string[]>();
    const end = Date.parse('2026-11-23T10:04:30Z');
    while (sim.now.getTime() < end) {
      await sim.sync();
      const after = written(sim);
      const step = sim.status?.currentStep ?? 0;
      for (const [name, value] of after) {
        if (before.get(name) !== value) byStep.set(step, [...(byStep.get(step) ?? []), name]);
      }
      before = after;
      sim.advanceBy(1);
    }
    // Step 1 starts from v1 at the total: v2 up, then v1 down, as every step.
    for (const step of [1, 2, 3, 4, 5]) {
      t.same(byStep.get(step), ['my-app-v2', 'my-app-v1'], `step ${step}: v2 written once, then v1 once`);
    }
    t.equal(sim.status?.state, 'complete');
    t.same(sim.violations, []);
  },
);
