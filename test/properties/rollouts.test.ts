/**
 * Random whole rollouts through the harness and the real server: random
 * specs, then a random story of waiting, commands, new images, pod trouble,
 * spec edits and server restarts. Every sync is checked against the
 * invariants by the harness (its `violations`), which includes at most one
 * step per sync and every observed child returned.
 */
import fc from 'fast-check';
import t from 'tap';
import type { PodBehaviour } from '../harness/cluster.js';
import { Simulation } from '../harness/simulation.js';
import { COMMAND_VALUES, NEW } from '../harness/arbitraries.js';

const RUNS = Number(process.env.PROPERTY_RUNS_HTTP ?? 15);

const behaviour: fc.Arbitrary<PodBehaviour> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.integer({ min: 0, max: 120 }).map((s) => ({ kind: 'ready' as const, afterSeconds: s })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 90 }).map((s) => ({ kind: 'crash' as const, afterSeconds: s })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'never' as const }) },
);

type Action =
  | { kind: 'wait'; seconds: number }
  | { kind: 'command'; value: string | undefined }
  | { kind: 'image'; tag: number; pods: PodBehaviour }
  | { kind: 'pods'; pods: PodBehaviour }
  | { kind: 'resize'; total: number; step: number }
  | { kind: 'restart' };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.integer({ min: 5, max: 300 }).map((seconds) => ({ kind: 'wait' as const, seconds })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<string | undefined>(...COMMAND_VALUES, undefined, 'pause')
      .map((value) => ({ kind: 'command' as const, value })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ tag: fc.integer({ min: 1, max: 3 }), pods: behaviour })
      .map((a) => ({ kind: 'image' as const, ...a })),
  },
  { weight: 1, arbitrary: behaviour.map((pods) => ({ kind: 'pods' as const, pods })) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 12 })
      .chain((total) => fc.record({ total: fc.constant(total), step: fc.integer({ min: 1, max: total }) }))
      .map((a) => ({ kind: 'resize' as const, ...a })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

const story = fc.record({
  total: fc.integer({ min: 1, max: 12 }),
  stepFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  cronSchedule: fc.constantFrom('* * * * *', '*/2 * * * *', '*/5 * * * *'),
  timeZone: fc.constantFrom('UTC', 'Asia/Seoul', 'America/New_York'),
  enableRollback: fc.boolean(),
  progressDeadlineSeconds: fc.option(fc.integer({ min: 30, max: 600 }), { nil: undefined }),
  newPods: behaviour,
  start: fc.date({
    min: new Date('2026-01-01T00:00:00Z'),
    max: new Date('2028-01-01T00:00:00Z'),
    noInvalidDate: true,
  }),
  actions: fc.array(action, { minLength: 1, maxLength: 8 }),
});

t.test('random rollouts keep every invariant at every sync', async (t) => {
  await fc.assert(
    fc.asyncProperty(story, async (s) => {
      const start = new Date(Math.floor(s.start.getTime() / 1000) * 1000).toISOString();
      const sim = await Simulation.start({
        start,
        spec: {
          totalReplicas: s.total,
          stepReplicas: Math.max(1, Math.ceil(s.stepFraction * s.total)),
          cronSchedule: s.cronSchedule,
          timeZone: s.timeZone,
          enableRollback: s.enableRollback,
          progressDeadlineSeconds: s.progressDeadlineSeconds,
        },
        newPods: s.newPods,
      });
      try {
        await sim.sync();
        for (const a of s.actions) {
          switch (a.kind) {
            case 'wait':
              await sim.runUntil(new Date(sim.now.getTime() + a.seconds * 1000).toISOString());
              break;
            case 'command':
              sim.annotate(a.value);
              await sim.sync();
              break;
            case 'image':
              sim.setImage(NEW, `example/app:v2.${a.tag}`, a.pods);
              await sim.sync();
              break;
            case 'pods':
              sim.setPodBehaviour(NEW, a.pods);
              break;
            case 'resize':
              sim.editSpec({ totalReplicas: a.total, stepReplicas: a.step });
              await sim.sync();
              break;
            case 'restart':
              await sim.restartServer();
              break;
          }
        }
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
