/**
 * Any sequence of total changes (kubectl scale, an HPA) and commands, over
 * random rollouts of either form, with or without surge, through the real
 * server and the harness: the harness checks every sync's invariants (old +
 * new == totalReplicas at rest, never negative, status.replicas == old +
 * new, the step never beyond the last), and every rollout still ends with
 * all replicas on the new version.
 */
import fc from 'fast-check';
import t from 'tap';
import { startStory, story } from '../harness/stories.js';
import type { Simulation } from '../harness/simulation.js';

const RUNS = Number(process.env.PROPERTY_RUNS_HTTP ?? 15);

type Move =
  { kind: 'scale'; total: number } | { kind: 'command'; value: string } | { kind: 'wait'; seconds: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.integer({ min: 1, max: 25 }).map((total) => ({ kind: 'scale' as const, total })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('apply', 'stop', 'rollback', 'completion', 'promote')
      .map((value) => ({ kind: 'command' as const, value })),
  },
  {
    weight: 3,
    arbitrary: fc.integer({ min: 5, max: 200 }).map((seconds) => ({ kind: 'wait' as const, seconds })),
  },
);

function must(ok: boolean, reason: string): void {
  if (!ok) throw new Error(reason);
}

function standing(sim: Simulation): string {
  const s = sim.status ?? {};
  return `step ${String(s.currentStep)}/${String(s.totalSteps)} ${String(s.state)}, rows:\n${sim.rows
    .map((r) => JSON.stringify(r))
    .join('\n')}`;
}

/** Issues `value` so that it acts even if it was the last one acted on. */
async function command(sim: Simulation, value: string): Promise<void> {
  if (sim.status?.observedCommand === value) {
    sim.annotate(undefined);
    await sim.sync();
  }
  sim.annotate(value);
  await sim.sync();
}

t.test('scaled at any moment, a rollout keeps its invariants and ends all on new', async (t) => {
  await fc.assert(
    fc.asyncProperty(story, fc.array(move, { minLength: 1, maxLength: 10 }), async (s, moves) => {
      // Pods that become ready, so that every rollout can end; crashes are the other tests'.
      const sim = await startStory({ ...s, newPods: { kind: 'ready', afterSeconds: 5 } });
      try {
        await sim.sync();
        let total = s.total;
        for (const m of moves) {
          if (m.kind === 'scale') {
            total = m.total;
            sim.editSpec({ totalReplicas: total });
            await sim.sync();
          } else if (m.kind === 'command') {
            await command(sim, m.value);
          } else {
            await sim.runUntil(new Date(sim.now.getTime() + m.seconds * 1000).toISOString());
          }
          const st = sim.status ?? {};
          must((st.currentStep ?? 0) <= (st.totalSteps ?? 0), `beyond the last step: ${standing(sim)}`);
          must(st.state !== 'error', `error: ${String(st.message)}`);
        }
        await command(sim, 'completion');
        await sim.runWhile(() => !(sim.status?.state === 'complete' && sim.status.oldReplicas === 0), 100);
        const [, old, fresh] = sim.rows.at(-1) ?? [];
        must(
          old === 0 && fresh === total,
          `ended ${String(old)}/${String(fresh)} of ${total}: ${standing(sim)}`,
        );
        must(
          sim.status?.currentStep === sim.status?.totalSteps,
          `complete off the last step: ${standing(sim)}`,
        );
        must(sim.violations.length === 0, `${sim.violations.join('\n')}\n${standing(sim)}`);
      } finally {
        await sim.close();
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random rollouts, scaled at random`);
});
