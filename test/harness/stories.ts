/**
 * Random whole rollouts for the property tests: a random spec, then a random
 * story of waiting, commands, new images, pod trouble, spec edits and server
 * restarts, played through a Simulation.
 */
import fc from 'fast-check';
import type { PodBehaviour } from './cluster.js';
import { Simulation, type SimulationOptions } from './simulation.js';
import { COMMAND_VALUES, NEW } from './arbitraries.js';

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

export type Action =
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
      .constantFrom<string | undefined>(...COMMAND_VALUES, 'promote', 'promote', undefined, 'pause')
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

/** One entry of a random `spec.steps`; setReplicas as a fraction of the total, fixed when the story starts. */
export type StoryStep =
  { setWeight: number } | { replicasFraction: number } | { pause: Record<string, string> };

const storyStep: fc.Arbitrary<StoryStep> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 100 }).map((setWeight) => ({ setWeight })) },
  {
    weight: 1,
    arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((replicasFraction) => ({ replicasFraction })),
  },
  { weight: 1, arbitrary: fc.constant({ pause: {} }) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 5, max: 400 }).map((s) => ({ pause: { duration: `${s}s` } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('*/5 * * * *', '0 * * * *', '30 9 * * 1-5')
      .map((untilSchedule) => ({ pause: { untilSchedule } })),
  },
);

/** The rollout's form: the shorthand (stepReplicas on cronSchedule), or a list with an optional gate. */
const form = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'shorthand' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('list' as const),
      steps: fc.array(storyStep, { minLength: 1, maxLength: 6 }),
      gated: fc.boolean(),
    }),
  },
);

export const story = fc.record({
  form,
  total: fc.integer({ min: 1, max: 12 }),
  stepFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  cronSchedule: fc.constantFrom('* * * * *', '*/2 * * * *', '*/5 * * * *'),
  timeZone: fc.constantFrom('UTC', 'Asia/Seoul', 'America/New_York'),
  enableRollback: fc.boolean(),
  surge: fc.boolean(),
  progressDeadlineSeconds: fc.option(fc.integer({ min: 30, max: 600 }), { nil: undefined }),
  newPods: behaviour,
  start: fc.date({
    min: new Date('2026-01-01T00:00:00Z'),
    max: new Date('2028-01-01T00:00:00Z'),
    noInvalidDate: true,
  }),
  actions: fc.array(action, { minLength: 1, maxLength: 8 }),
});
export type Story = typeof story extends fc.Arbitrary<infer S> ? S : never;

/** Starts the story's Simulation; the caller closes it. */
export async function startStory(s: Story, options: Partial<SimulationOptions> = {}): Promise<Simulation> {
  const start = new Date(Math.floor(s.start.getTime() / 1000) * 1000).toISOString();
  const shape =
    s.form.kind === 'shorthand'
      ? { stepReplicas: Math.max(1, Math.ceil(s.stepFraction * s.total)), cronSchedule: s.cronSchedule }
      : {
          stepReplicas: undefined,
          cronSchedule: s.form.gated ? s.cronSchedule : undefined,
          steps: s.form.steps.map((step) =>
            'replicasFraction' in step ? { setReplicas: Math.floor(step.replicasFraction * s.total) } : step,
          ),
        };
  return Simulation.start({
    start,
    spec: {
      totalReplicas: s.total,
      ...shape,
      timeZone: s.timeZone,
      enableRollback: s.enableRollback,
      surge: s.surge,
      progressDeadlineSeconds: s.progressDeadlineSeconds,
    },
    newPods: s.newPods,
    ...options,
  });
}

/** Plays the story's actions, with the sync each would set off. */
export async function playStory(sim: Simulation, s: Story): Promise<void> {
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
        // A list keeps its steps: a setReplicas above the new total is the hook's to refuse.
        sim.editSpec(
          s.form.kind === 'list'
            ? { totalReplicas: a.total }
            : { totalReplicas: a.total, stepReplicas: a.step },
        );
        await sim.sync();
        break;
      case 'restart':
        await sim.restartServer();
        break;
    }
  }
}
