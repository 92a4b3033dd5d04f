/**
 * Issue 10's property: whatever interleaving of fresh and stale parent views
 * Metacontroller's caches produce, with the children current, the rollout
 * takes exactly the decisions it takes with fresh views only.
 *
 * Both runs of a story get the same syncs at the same instants: after every
 * sync one more at the same moment (the sync a Deployment's watch event sets
 * off). In the fresh run that extra sync sees the parent as it is; in the
 * stale run, as it was 0 to 3 status writes ago, as the random lags say.
 */
import fc from 'fast-check';
import t from 'tap';
import type { Simulation } from '../harness/simulation.js';
import { playStory, startStory, story, type Story } from '../harness/stories.js';

const RUNS = Number(process.env.PROPERTY_RUNS_HTTP ?? 15);

interface Outcome {
  rows: Simulation['rows'];
  transitions: string[];
  violations: string[];
}

async function play(s: Story, lags: readonly number[]): Promise<Outcome> {
  const sim = await startStory(s, {
    staleEcho: (i) => ({ parentStatusWrites: lags[i % lags.length] ?? 0 }),
  });
  try {
    await playStory(sim, s);
    return {
      rows: sim.rows,
      transitions: sim.transitions.map(
        (tr) => `${tr.kind}/${tr.reason} ${tr.from.state}@${tr.from.step} -> ${tr.to.state}@${tr.to.step}`,
      ),
      violations: sim.violations,
    };
  } finally {
    await sim.close();
  }
}

t.test('stale parent views change no decision', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      story,
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }),
      async (s, lags) => {
        const fresh = await play(s, [0]);
        const stale = await play(s, lags);
        if (JSON.stringify(stale) !== JSON.stringify(fresh)) {
          const show = (o: Outcome) =>
            [...o.rows.map((r) => JSON.stringify(r)), ...o.transitions, ...o.violations].join('\n');
          throw new Error(`fresh:\n${show(fresh)}\n\nstale (lags ${lags.join(' ')}):\n${show(stale)}`);
        }
      },
    ),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} stories, each with fresh and with stale views`);
});
