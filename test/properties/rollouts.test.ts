/**
 * Random whole rollouts through the harness and the real server: random
 * specs, then a random story of waiting, commands, new images, pod trouble,
 * spec edits and server restarts. Every sync is checked against the
 * invariants by the harness (its `violations`), which includes at most one
 * step per sync and every observed child returned.
 */
import fc from 'fast-check';
import t from 'tap';
import { playStory, startStory, story } from '../harness/stories.js';

const RUNS = Number(process.env.PROPERTY_RUNS_HTTP ?? 15);

t.test('random rollouts keep every invariant at every sync', async (t) => {
  await fc.assert(
    fc.asyncProperty(story, async (s) => {
      const sim = await startStory(s);
      try {
        await playStory(sim, s);
        const errors = sim.rows.filter((r) => r[4] === 'error');
        if (sim.violations.length > 0 || errors.length > 0 || sim.unreachable.length > 0) {
          throw new Error(
            [...sim.violations, ...errors.map((r) => `error row ${JSON.stringify(r)}`)].join('\n') +
              `\nrows:\n${sim.rows.map((r) => JSON.stringify(r)).join('\n')}`,
          );
        }
      } finally {
        await sim.close();
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random rollouts`);
});
