import t, { type Test } from 'tap';
import { MESSAGES, decideSync, type TransitionKind } from '../../hooks/sync.js';
import { podTemplateRevision } from '../../hooks/k8s/deployments.js';
import { deployment, pod } from '../fixtures/cluster.js';
import {
  T0,
  assertStatusFitsCrd,
  condition,
  crashingNewPod,
  replicasOf,
  request,
  sync,
  type World,
} from './support.js';

interface Expectation {
  state: string;
  step: number;
  old: number;
  new: number;
  message?: string | RegExp;
  observedCommand?: string;
  transitions?: TransitionKind[];
  resync?: number;
  nextStepTime?: string | null;
}

interface Case {
  name: string;
  world: World;
  expect: Expectation;
}

const rolledBackAt = (time: string, revision = 'deadbeef00') => ({
  time,
  reason: 'CrashLoopBackOff: container my-app of pod x is in CrashLoopBackOff',
  revision,
});

function check(t: Test, c: Case) {
  const decision = sync(c.world);
  const s = decision.response.status;
  t.equal(s.state, c.expect.state, 'state');
  t.equal(s.currentStep, c.expect.step, 'step');
  t.same(replicasOf(decision), {
    'my-app-v1': c.expect.old,
    'my-app-v2': c.expect.new,
    ...extraReplicas(c.world),
  });
  t.equal(s.oldReplicas, c.expect.old, 'status.oldReplicas');
  t.equal(s.newReplicas, c.expect.new, 'status.newReplicas');
  if (c.expect.message instanceof RegExp) t.match(s.message, c.expect.message, 'message');
  else if (c.expect.message !== undefined) t.equal(s.message, c.expect.message, 'message');
  if (c.expect.observedCommand !== undefined)
    t.equal(s.observedCommand, c.expect.observedCommand, 'observedCommand');
  if (c.expect.transitions) {
    t.same(
      decision.transitions.map((x) => x.kind),
      c.expect.transitions,
      'transitions',
    );
  }
  if (c.expect.resync !== undefined) t.equal(decision.response.resyncAfterSeconds, c.expect.resync, 'resync');
  if (c.expect.nextStepTime === null) t.notOk('nextStepTime' in s, 'no nextStepTime: none is due');
  else if (c.expect.nextStepTime !== undefined)
    t.equal(s.nextStepTime, c.expect.nextStepTime, 'nextStepTime');
  assertStatusFitsCrd(t, decision);
}

function extraReplicas(world: World): Record<string, number | undefined> {
  return Object.fromEntries((world.extraDeployments ?? []).map((d) => [d.metadata.name, d.spec.replicas]));
}

const AT_9_00_30 = '2026-11-23T09:00:30Z';

// Every row of docs/design.md §4.
const commandCases: Case[] = [
  {
    name: 'a new Canary with no command is pending at step 0',
    world: { canary: { status: undefined } },
    expect: {
      state: 'stop',
      step: 0,
      old: 10,
      new: 0,
      message: MESSAGES.pending,
      observedCommand: '',
      transitions: [],
      resync: 0,
    },
  },
  {
    name: 'apply from pending takes step 1 at once',
    world: { position: { state: 'stop', step: 0 }, canary: { command: 'apply' }, now: AT_9_00_30 },
    expect: {
      state: 'running',
      step: 1,
      old: 8,
      new: 2,
      message: MESSAGES.running,
      observedCommand: 'apply',
      transitions: ['Started'],
      resync: 30,
      nextStepTime: '2026-11-23T09:01:00Z',
    },
  },
  {
    name: 'a Canary created with apply already annotated starts at once',
    world: { canary: { command: 'apply' } },
    expect: { state: 'running', step: 1, old: 8, new: 2, transitions: ['Started'] },
  },
  {
    name: 'apply from rolled back takes step 1 at once',
    world: {
      position: {
        state: 'stop',
        step: 0,
        observedCommand: 'rollback',
        rollback: rolledBackAt('2026-11-23T08:00:00Z'),
      },
      canary: { command: 'apply' },
    },
    expect: {
      state: 'running',
      step: 1,
      old: 8,
      new: 2,
      message: MESSAGES.running,
      transitions: ['Started'],
    },
  },
  {
    name: 'apply from stopped at step 3 resumes there and waits for the next tick',
    world: {
      position: { state: 'stop', step: 3, observedCommand: 'stop', lastStepTime: '2026-11-23T08:00:00Z' },
      canary: { command: 'apply' },
      now: AT_9_00_30,
    },
    expect: {
      state: 'running',
      step: 3,
      old: 4,
      new: 6,
      message: MESSAGES.running,
      transitions: ['Resumed'],
      nextStepTime: '2026-11-23T09:01:00Z',
    },
  },
  {
    name: 'stop while running holds the current step',
    world: {
      position: { state: 'running', step: 2 },
      canary: { command: 'stop' },
      now: '2026-11-23T09:05:00Z',
    },
    expect: {
      state: 'stop',
      step: 2,
      old: 6,
      new: 4,
      message: MESSAGES.stopped,
      observedCommand: 'stop',
      transitions: ['Stopped'],
      resync: 0,
      nextStepTime: null,
    },
  },
  {
    name: 'stop while pending records the command and stays pending',
    world: { position: { state: 'stop', step: 0 }, canary: { command: 'stop' } },
    expect: {
      state: 'stop',
      step: 0,
      old: 10,
      new: 0,
      message: MESSAGES.pending,
      observedCommand: 'stop',
      transitions: [],
    },
  },
  {
    name: 'rollback returns to step 0 with the rollback time in the message',
    world: {
      position: { state: 'running', step: 3 },
      canary: { command: 'rollback' },
      now: '2026-11-23T09:03:10Z',
    },
    expect: {
      state: 'stop',
      step: 0,
      old: 10,
      new: 0,
      message: '[2026-11-23T09:03:10Z] Canary is rollbacked',
      observedCommand: 'rollback',
      transitions: ['RolledBack'],
    },
  },
  {
    name: 'rollback from complete goes back to step 0 too',
    world: {
      position: { state: 'complete', step: 5, observedCommand: 'apply' },
      canary: { command: 'rollback' },
    },
    expect: {
      state: 'stop',
      step: 0,
      old: 10,
      new: 0,
      message: `[${T0}] Canary is rollbacked`,
      transitions: ['RolledBack'],
    },
  },
  {
    name: 'completion moves every replica to new at once',
    world: { position: { state: 'running', step: 1 }, canary: { command: 'completion' } },
    expect: {
      state: 'complete',
      step: 5,
      old: 0,
      new: 10,
      message: MESSAGES.complete,
      observedCommand: 'completion',
      transitions: ['Completed'],
    },
  },
  {
    name: 'completion from pending completes too',
    world: { position: { state: 'stop', step: 0 }, canary: { command: 'completion' } },
    expect: { state: 'complete', step: 5, old: 0, new: 10, transitions: ['Completed'] },
  },
  {
    name: 'the last step reached by schedule completes',
    world: {
      position: { state: 'running', step: 4, lastStepTime: '2026-11-23T08:59:00Z' },
      canary: { command: 'apply' },
      now: '2026-11-23T09:00:00Z',
    },
    expect: {
      state: 'complete',
      step: 5,
      old: 0,
      new: 10,
      message: MESSAGES.complete,
      transitions: ['Completed'],
      resync: 0,
    },
  },
  {
    name: 'an unknown command changes nothing and names the valid values',
    world: {
      position: { state: 'running', step: 2, lastStepTime: T0 },
      canary: { command: 'pause' },
      now: AT_9_00_30,
    },
    expect: {
      state: 'running',
      step: 2,
      old: 6,
      new: 4,
      message:
        'Unknown command "pause" in annotation canary.k8shuginn.io/command: valid values are apply, stop, rollback, completion, promote',
      observedCommand: 'apply',
      transitions: ['UnknownCommand'],
    },
  },
  {
    name: 'an unknown command reported before is not reported again',
    world: {
      position: {
        state: 'stop',
        step: 0,
        message:
          'Unknown command "pause" in annotation canary.k8shuginn.io/command: valid values are apply, stop, rollback, completion, promote',
      },
      canary: { command: 'pause' },
    },
    expect: { state: 'stop', step: 0, old: 10, new: 0, message: /^Unknown command "pause"/, transitions: [] },
  },
  {
    name: 'apply on a complete Canary stays complete',
    world: {
      position: { state: 'complete', step: 5, observedCommand: 'completion' },
      canary: { command: 'apply' },
    },
    expect: {
      state: 'complete',
      step: 5,
      old: 0,
      new: 10,
      message: MESSAGES.complete,
      observedCommand: 'apply',
      transitions: [],
    },
  },
  {
    name: 'a command already acted on does nothing again',
    world: { position: { state: 'stop', step: 2, observedCommand: 'stop' }, canary: { command: 'stop' } },
    expect: { state: 'stop', step: 2, old: 6, new: 4, observedCommand: 'stop', transitions: [] },
  },
  {
    name: 'removing the annotation forgets the last command so the same value acts again later',
    world: { position: { state: 'stop', step: 2, observedCommand: 'stop' } },
    expect: { state: 'stop', step: 2, old: 6, new: 4, observedCommand: '', transitions: [] },
  },
];

t.test('commands and states (docs/design.md §4)', async (t) => {
  for (const c of commandCases) t.test(c.name, async (t) => check(t, c));
});

const scheduleCases: Case[] = [
  {
    name: 'running before the next tick waits, and resyncs when it is due',
    world: {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      now: '2026-11-23T09:00:15Z',
    },
    expect: {
      state: 'running',
      step: 1,
      old: 8,
      new: 2,
      transitions: [],
      resync: 45,
      nextStepTime: '2026-11-23T09:01:00Z',
    },
  },
  {
    name: 'a due tick with the new replicas available takes one step',
    world: {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      now: '2026-11-23T09:01:00Z',
    },
    expect: {
      state: 'running',
      step: 2,
      old: 6,
      new: 4,
      transitions: ['StepAdvanced'],
      resync: 60,
      nextStepTime: '2026-11-23T09:02:00Z',
    },
  },
  {
    // The Deployment's own status change brings the next sync: no clock to ask for.
    name: 'a due tick waits while the new replicas are not all available, says for what, and asks no poll',
    world: {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      newAvailable: 1,
      now: '2026-11-23T09:01:00Z',
    },
    expect: {
      state: 'running',
      step: 1,
      old: 8,
      new: 2,
      message: 'Canary is Running: waiting for my-app-v2 to have 2 replicas available',
      transitions: [],
      resync: 0,
    },
  },
  {
    name: 'a due tick waits until the Deployment controller has observed the new spec',
    world: {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      newObservedGeneration: 2,
      now: '2026-11-23T09:01:00Z',
    },
    expect: {
      state: 'running',
      step: 1,
      old: 8,
      new: 2,
      message: 'Canary is Running: waiting for my-app-v2 to have 2 replicas available',
    },
  },
  {
    name: 'after three hours of downtime only one step is taken, and the next waits for the next tick',
    world: {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      now: '2026-11-23T12:00:20Z',
    },
    expect: {
      state: 'running',
      step: 2,
      old: 6,
      new: 4,
      transitions: ['StepAdvanced'],
      nextStepTime: '2026-11-23T12:01:00Z',
      resync: 40,
    },
  },
  {
    name: 'the schedule is read in the time zone: 09:00 in Seoul is 00:00 UTC',
    world: {
      position: { state: 'running', step: 1, lastStepTime: '2026-11-23T00:00:00Z' },
      canary: { command: 'apply', spec: { cronSchedule: '0 9 * * *', timeZone: 'Asia/Seoul' } },
      now: '2026-11-23T05:00:00Z',
    },
    expect: {
      state: 'running',
      step: 1,
      old: 8,
      new: 2,
      nextStepTime: '2026-11-24T00:00:00Z',
      resync: 19 * 3600,
    },
  },
  {
    name: 'weekday schedules skip the weekend',
    world: {
      position: { state: 'running', step: 1, lastStepTime: '2026-11-27T00:00:00Z' },
      canary: { command: 'apply', spec: { cronSchedule: '0 9 * * 1-5', timeZone: 'Asia/Seoul' } },
      now: '2026-11-28T03:00:00Z',
    },
    expect: { state: 'running', step: 1, old: 8, new: 2, nextStepTime: '2026-11-30T00:00:00Z' },
  },
  {
    name: 'without a time zone the schedule is UTC',
    world: {
      position: { state: 'running', step: 1, lastStepTime: '2026-11-23T00:00:00Z' },
      canary: { command: 'apply', spec: { cronSchedule: '@daily' } },
      now: '2026-11-23T05:00:00Z',
    },
    expect: { state: 'running', step: 1, old: 8, new: 2, nextStepTime: '2026-11-24T00:00:00Z' },
  },
  {
    name: 'total 10 in steps of 3 takes 4 steps and ends with every replica on new (step 3 -> 4)',
    world: {
      position: { state: 'running', step: 3, lastStepTime: T0 },
      canary: { command: 'apply', spec: { stepReplicas: 3 } },
      now: '2026-11-23T09:01:00Z',
    },
    expect: { state: 'complete', step: 4, old: 0, new: 10, transitions: ['Completed'] },
  },
  {
    name: 'total 10 in steps of 3: step 3 is 1/9',
    world: {
      position: { state: 'running', step: 2, lastStepTime: T0 },
      canary: { command: 'apply', spec: { stepReplicas: 3 } },
      now: '2026-11-23T09:01:00Z',
    },
    expect: { state: 'running', step: 3, old: 1, new: 9 },
  },
  {
    name: 'totalReplicas lowered below the current step completes, never over-scales',
    world: {
      position: { state: 'running', step: 4, lastStepTime: T0 },
      canary: { command: 'apply', spec: { totalReplicas: 6 } },
      now: '2026-11-23T09:00:10Z',
    },
    expect: { state: 'complete', step: 3, old: 0, new: 6 },
  },
  {
    name: 'a third Deployment matching the selector comes back untouched',
    world: {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      extraDeployments: [deployment({ name: 'my-app-debug', replicas: 1 })],
      now: '2026-11-23T09:01:00Z',
    },
    expect: { state: 'running', step: 2, old: 6, new: 4 },
  },
];

t.test('the schedule and availability gating (docs/design.md §3 and §4)', async (t) => {
  for (const c of scheduleCases) t.test(c.name, async (t) => check(t, c));
});

const running3 = { state: 'running' as const, step: 3, lastStepTime: T0 };
const rollbackCases: Case[] = [
  {
    name: 'a crash-looping container of the new Deployment rolls back',
    world: {
      position: running3,
      canary: { command: 'apply' },
      pods: [pod({ deployment: 'my-app-v2' }), crashingNewPod({ index: 1 })],
    },
    expect: {
      state: 'stop',
      step: 0,
      old: 10,
      new: 0,
      message: `[${T0}] Canary is rollbacked`,
      transitions: ['RolledBack'],
      observedCommand: 'apply',
    },
  },
  {
    name: 'a crash-looping init container of the new Deployment rolls back',
    world: {
      position: running3,
      canary: { command: 'apply' },
      pods: [pod({ deployment: 'my-app-v2', initCrashLoop: true })],
    },
    expect: { state: 'stop', step: 0, old: 10, new: 0, transitions: ['RolledBack'] },
  },
  {
    name: 'stopped part-way still rolls back on a crash',
    world: {
      position: { state: 'stop', step: 2, observedCommand: 'stop' },
      canary: { command: 'stop' },
      pods: [crashingNewPod()],
    },
    expect: { state: 'stop', step: 0, old: 10, new: 0, transitions: ['RolledBack'] },
  },
  {
    name: 'old pods crashing never trigger it, even with shared labels',
    world: {
      position: running3,
      canary: { command: 'apply' },
      pods: [
        pod({ deployment: 'my-app-v1', crashLoop: true, index: 0 }),
        pod({ deployment: 'my-app-v1', crashLoop: true, index: 1 }),
      ],
      now: '2026-11-23T09:00:10Z',
    },
    expect: { state: 'running', step: 3, old: 4, new: 6, transitions: [] },
  },
  {
    name: 'a pod with the new labels but owned by another ReplicaSet does not trigger it',
    world: {
      position: running3,
      canary: { command: 'apply' },
      pods: [crashingNewPod({ replicaSet: 'my-app-v2-canary-7d4f8c9b5' })],
      now: '2026-11-23T09:00:10Z',
    },
    expect: { state: 'running', step: 3, old: 4, new: 6, transitions: [] },
  },
  {
    name: 'a crash-looping pod that is already terminating does not trigger it',
    world: {
      position: running3,
      canary: { command: 'apply' },
      pods: [crashingNewPod({ terminating: true })],
      now: '2026-11-23T09:00:10Z',
    },
    expect: { state: 'running', step: 3, transitions: [], old: 4, new: 6 },
  },
  {
    name: 'with enableRollback false a crash is reported but nothing rolls back',
    world: {
      position: running3,
      canary: { command: 'apply', spec: { enableRollback: false } },
      pods: [crashingNewPod()],
      now: '2026-11-23T09:00:10Z',
    },
    expect: {
      state: 'running',
      step: 3,
      old: 4,
      new: 6,
      transitions: [],
      message: /CrashLoopBackOff \(automatic rollback is disabled\)/,
    },
  },
  {
    name: 'a pending Canary does not roll back',
    world: { position: { state: 'stop', step: 0 }, pods: [crashingNewPod()] },
    expect: { state: 'stop', step: 0, old: 10, new: 0, message: MESSAGES.pending, transitions: [] },
  },
  {
    name: 'a complete Canary does not roll back',
    world: {
      position: { state: 'complete', step: 5, observedCommand: 'apply' },
      canary: { command: 'apply' },
      pods: [crashingNewPod()],
    },
    expect: { state: 'complete', step: 5, old: 0, new: 10, transitions: [] },
  },
  {
    name: 'new replicas not available past progressDeadlineSeconds roll back',
    world: {
      position: { state: 'running', step: 2, lastStepTime: T0 },
      canary: { command: 'apply', spec: { progressDeadlineSeconds: 300, cronSchedule: '0 * * * *' } },
      newAvailable: 3,
      now: '2026-11-23T09:05:00Z',
    },
    expect: { state: 'stop', step: 0, old: 10, new: 0, transitions: ['RolledBack'] },
  },
  {
    name: 'within progressDeadlineSeconds it waits, and wakes up at the deadline',
    world: {
      position: { state: 'running', step: 2, lastStepTime: T0 },
      canary: { command: 'apply', spec: { progressDeadlineSeconds: 300, cronSchedule: '0 * * * *' } },
      newAvailable: 3,
      now: '2026-11-23T09:04:00Z',
    },
    expect: { state: 'running', step: 2, old: 6, new: 4, transitions: [], resync: 60 },
  },
  {
    name: 'a pod lost long after the step became available is no missed deadline',
    world: {
      position: { state: 'running', step: 2, lastStepTime: T0, stepAvailable: true },
      canary: { command: 'apply', spec: { progressDeadlineSeconds: 300, cronSchedule: '0 * * * *' } },
      newAvailable: 3,
      now: '2026-11-23T09:30:00Z',
    },
    expect: { state: 'running', step: 2, old: 6, new: 4, transitions: [] },
  },
  {
    name: 'past progressDeadlineSeconds with every replica available nothing happens',
    world: {
      position: { state: 'running', step: 2, lastStepTime: T0 },
      canary: { command: 'apply', spec: { progressDeadlineSeconds: 300, cronSchedule: '0 * * * *' } },
      now: '2026-11-23T09:30:00Z',
    },
    expect: { state: 'running', step: 2, old: 6, new: 4, transitions: [] },
  },
];

t.test('automatic rollback (docs/design.md §5)', async (t) => {
  for (const c of rollbackCases) t.test(c.name, async (t) => check(t, c));

  t.test('the rollback records why, when, and the new pod template revision', async (t) => {
    const world: World = { position: running3, canary: { command: 'apply' }, pods: [crashingNewPod()] };
    const decision = sync(world);
    const newDeployment = request(world).children?.['Deployment.apps/v1']?.['my-app-v2'];
    t.ok(newDeployment);
    t.same(decision.response.status.rollback, {
      time: T0,
      reason: 'CrashLoopBackOff: container my-app of pod my-app-v2-7d4f8c9b5-ax0kq is in CrashLoopBackOff',
      revision: podTemplateRevision(newDeployment!),
    });
    t.match(condition(decision, 'RolledBack'), { status: 'True', reason: 'CrashLoopBackOff' });
    t.match(decision.transitions[0], {
      reason: 'CrashLoopBackOff',
      warning: true,
      from: { state: 'running', step: 3 },
      to: { state: 'stop', step: 0 },
    });
  });

  t.test('availability remembered for one step does not carry over to the next', async (t) => {
    const spec = { progressDeadlineSeconds: 300, cronSchedule: '* * * * *' };
    const stepped = sync({
      position: { state: 'running', step: 1, lastStepTime: T0, stepAvailable: true },
      canary: { command: 'apply', spec },
      now: '2026-11-23T09:01:00Z',
    });
    t.equal(stepped.response.status.currentStep, 2);
    t.match(condition(stepped, 'StepAvailable'), {
      status: 'False',
      reason: 'WaitingForReplicas',
      lastTransitionTime: '2026-11-23T09:01:00Z',
    });
    // Five minutes on, the new step's replicas never became available: that is a missed deadline.
    const late = decideSync(
      request({ canary: { command: 'apply', spec, status: stepped.response.status }, newAvailable: 2 }),
      new Date('2026-11-23T09:06:00Z'),
    );
    t.equal(late.response.status.currentStep, 0);
    t.match(late.transitions[0], { kind: 'RolledBack', reason: 'ProgressDeadlineExceeded' });
  });

  t.test('rolled back with apply still annotated, it stays stopped on the same pod template', async (t) => {
    const first = sync({ position: running3, canary: { command: 'apply' }, pods: [crashingNewPod()] });
    const revision = first.response.status.rollback!.revision;
    const later = sync({
      position: { state: 'stop', step: 0, observedCommand: 'apply', rollback: rolledBackAt(T0, revision) },
      canary: { command: 'apply' },
      now: '2026-11-23T10:00:00Z',
    });
    t.equal(later.response.status.state, 'stop');
    t.equal(later.response.status.currentStep, 0);
    t.equal(later.response.status.message, `[${T0}] Canary is rollbacked`);
    t.same(later.transitions, []);
  });

  t.test('a new pod template (a fixed image) restarts it from step 1', async (t) => {
    const first = sync({ position: running3, canary: { command: 'apply' }, pods: [crashingNewPod()] });
    const revision = first.response.status.rollback!.revision;
    const fixed = sync({
      position: { state: 'stop', step: 0, observedCommand: 'apply', rollback: rolledBackAt(T0, revision) },
      canary: { command: 'apply' },
      newImage: 'containersol/k8s-deployment-strategies:v2.0.1',
      now: '2026-11-23T10:00:00Z',
    });
    t.equal(fixed.response.status.state, 'running');
    t.equal(fixed.response.status.currentStep, 1);
    t.same(replicasOf(fixed), { 'my-app-v1': 8, 'my-app-v2': 2 });
    t.same(
      fixed.transitions.map((x) => [x.kind, x.reason]),
      [['Restarted', 'NewPodTemplate']],
    );
    t.match(condition(fixed, 'RolledBack'), { status: 'False' });
    assertStatusFitsCrd(t, fixed);
  });

  t.test('a new pod template does not restart a canary rolled back by command', async (t) => {
    const decision = sync({
      position: { state: 'stop', step: 0, observedCommand: 'rollback', rollback: rolledBackAt(T0, 'old') },
      canary: { command: 'rollback' },
      newImage: 'containersol/k8s-deployment-strategies:v2.0.1',
    });
    t.equal(decision.response.status.state, 'stop');
    t.equal(decision.response.status.currentStep, 0);
  });
});

const errorCases: { name: string; world: World; message: RegExp }[] = [
  {
    name: 'old Deployment missing',
    world: { position: running3, canary: { command: 'apply' }, omit: ['my-app-v1'] },
    message:
      /Deployment my-app-v1 \(spec\.oldDeployment\) not found.*namespace default.*labels do not match spec\.selector \(app=my-app\)/,
  },
  {
    name: 'new Deployment missing',
    world: { position: running3, canary: { command: 'apply' }, omit: ['my-app-v2'] },
    message: /my-app-v2 \(spec\.newDeployment\) not found/,
  },
  {
    name: 'both missing',
    world: { omit: ['my-app-v1', 'my-app-v2'] },
    message: /my-app-v1 \(spec\.oldDeployment\) and my-app-v2 \(spec\.newDeployment\)/,
  },
  {
    name: 'bad cron',
    world: { position: running3, canary: { command: 'apply', spec: { cronSchedule: '61 * * * *' } } },
    message: /^Invalid spec: spec\.cronSchedule "61 \* \* \* \*" is not a valid cron schedule/,
  },
  {
    name: 'six-field cron',
    world: { canary: { spec: { cronSchedule: '* * * * * *' } } },
    message: /spec\.cronSchedule .*expected 5 fields/,
  },
  {
    name: 'unknown macro',
    world: { canary: { spec: { cronSchedule: '@fortnightly' } } },
    message: /spec\.cronSchedule .*unknown macro/,
  },
  {
    name: 'unknown time zone',
    world: { canary: { spec: { timeZone: 'Mars/Olympus_Mons' } } },
    message: /spec\.timeZone "Mars\/Olympus_Mons" is not a known IANA time zone/,
  },
  {
    name: 'old equals new',
    world: { canary: { spec: { newDeployment: 'my-app-v1' } } },
    message: /spec\.newDeployment must name a different Deployment/,
  },
  {
    name: 'zero total',
    world: { canary: { spec: { totalReplicas: 0 } } },
    message: /spec\.totalReplicas must be at least 1/,
  },
  {
    name: 'fractional step',
    world: { canary: { spec: { stepReplicas: 1.5 } } },
    message: /spec\.stepReplicas must be an integer/,
  },
  {
    name: 'missing old name',
    world: { canary: { spec: { oldDeployment: undefined } } },
    message: /spec\.oldDeployment is required/,
  },
  {
    name: 'upper-case name',
    world: { canary: { spec: { newDeployment: 'My-App' } } },
    message: /spec\.newDeployment "My-App" is not a valid Deployment name/,
  },
  {
    name: 'empty selector',
    world: { canary: { spec: { selector: {} } } },
    message: /spec\.selector must not be empty/,
  },
  {
    name: 'missing selector',
    world: { canary: { spec: { selector: undefined } } },
    message: /spec\.selector is required/,
  },
  {
    name: 'bad selector operator',
    world: { canary: { spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Like' }] } } } },
    message: /spec\.selector\.matchExpressions\[0\]\.operator must be one of In, NotIn, Exists, DoesNotExist/,
  },
  {
    name: 'In without values',
    world: { canary: { spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } } } },
    message: /matchExpressions\[0\]\.values must list at least one value/,
  },
  {
    name: 'enableRollback not a boolean',
    world: { canary: { spec: { enableRollback: 'yes' } } },
    message: /spec\.enableRollback must be true or false/,
  },
  {
    name: 'zero progress deadline',
    world: { canary: { spec: { progressDeadlineSeconds: 0 } } },
    message: /spec\.progressDeadlineSeconds must be a whole number of seconds/,
  },
];

t.test('errors never scale anything and return every child (docs/design.md §6)', async (t) => {
  for (const c of errorCases) {
    t.test(c.name, async (t) => {
      const req = request({
        ...c.world,
        extraDeployments: [deployment({ name: 'my-app-debug', replicas: 1 })],
      });
      const observed = Object.values(req.children?.['Deployment.apps/v1'] ?? {});
      const decision = decideSync(req, new Date(T0));
      const s = decision.response.status;
      t.equal(s.state, 'error');
      t.match(s.message, c.message);
      t.same(
        decision.response.children.map((ch) => [ch.metadata.name, ch.spec.replicas]),
        observed.map((d) => [d.metadata.name, d.spec.replicas]),
        'every observed child, replicas as observed',
      );
      t.same(
        decision.response.children.map((ch) => ch.metadata.labels),
        observed.map((d) => d.metadata.labels),
        'labels as observed',
      );
      t.equal(decision.response.resyncAfterSeconds, 0);
      t.match(condition(decision, 'Valid'), { status: 'False' });
      t.equal(decision.transitions.length, 1);
      t.equal(decision.transitions[0]?.warning, true);
      assertStatusFitsCrd(t, decision);
    });
  }

  t.test(
    'an error keeps the step on record, reports what the Deployments have, and is not re-announced',
    async (t) => {
      const first = sync({ position: running3, canary: { command: 'apply' }, omit: ['my-app-v2'] });
      t.equal(first.response.status.currentStep, 3);
      t.equal(first.response.status.totalSteps, 5, 'the steps the valid spec has, not 0');
      t.equal(first.response.status.oldReplicas, 4, 'what my-app-v1 has');
      t.equal(first.response.status.newReplicas, 0, 'my-app-v2 is missing: it has none');
      const again = decideSync(
        {
          ...request({ canary: { command: 'apply', status: first.response.status }, omit: ['my-app-v2'] }),
        },
        new Date('2026-11-23T09:10:00Z'),
      );
      t.same(again.transitions, [], 'the same error twice is one event');
      t.equal(again.response.status.state, 'error');
    },
  );

  t.test('a command during an error is not consumed: it acts once the error is fixed', async (t) => {
    const broken = sync({
      position: { state: 'stop', step: 0 },
      canary: { command: 'apply' },
      omit: ['my-app-v2'],
    });
    t.equal(broken.response.status.observedCommand, '');
    const fixed = sync({ canary: { command: 'apply', status: broken.response.status } });
    t.equal(fixed.response.status.state, 'running');
    t.equal(fixed.response.status.currentStep, 1);
    t.same(
      fixed.transitions.map((x) => x.kind),
      ['Recovered', 'Started'],
    );
  });

  t.test('recovering from an error resumes the rollout that was running', async (t) => {
    const broken = sync({
      position: { state: 'running', step: 2, lastStepTime: T0 },
      canary: { command: 'apply' },
      omit: ['my-app-v1'],
    });
    const fixed = decideSync(
      request({ canary: { command: 'apply', status: broken.response.status }, position: undefined }),
      new Date('2026-11-23T09:00:30Z'),
    );
    t.equal(fixed.response.status.state, 'running');
    t.equal(fixed.response.status.currentStep, 2);
    t.equal(fixed.response.status.nextStepTime, '2026-11-23T09:01:00Z', 'next tick after recovery');
  });
});

t.test('the same request at the same time gives the same answer', async (t) => {
  const worlds: World[] = [
    { canary: { status: undefined } },
    { position: { state: 'stop', step: 0 }, canary: { command: 'apply' } },
    { position: running3, canary: { command: 'apply' }, pods: [crashingNewPod()] },
    {
      position: { state: 'running', step: 1, lastStepTime: T0 },
      canary: { command: 'apply' },
      now: '2026-11-23T09:01:00Z',
    },
    { canary: { spec: { cronSchedule: 'nope' } } },
  ];
  for (const world of worlds) {
    const req = request(world);
    const copy = structuredClone(req);
    const now = new Date(world.now ?? T0);
    t.same(decideSync(req, now), decideSync(copy, now));
    t.same(req, copy, 'the request is not mutated');
  }
});

t.test('condition transition times move only when their status changes', async (t) => {
  const started = sync({
    position: { state: 'stop', step: 0 },
    canary: { command: 'apply' },
    now: AT_9_00_30,
  });
  const progressing = condition(started, 'Progressing');
  t.match(progressing, { status: 'True', lastTransitionTime: '2026-11-23T09:00:30Z' });
  const stepped = decideSync(
    request({ canary: { command: 'apply', status: started.response.status }, position: undefined }),
    new Date('2026-11-23T09:01:00Z'),
  );
  t.equal(condition(stepped, 'Progressing')?.lastTransitionTime, '2026-11-23T09:00:30Z');
  t.equal(condition(stepped, 'Valid')?.lastTransitionTime, '2026-11-23T09:00:30Z');
  t.same(
    stepped.response.status.conditions.map((c) => c.type),
    ['Valid', 'CommandAccepted', 'Progressing', 'StepAvailable', 'RolledBack', 'Complete', 'Paused'],
  );
});

t.test('garbage in the prior status is read as a new Canary would be', async (t) => {
  const decision = sync({
    canary: {
      status: {
        state: 'flying' as never,
        currentStep: -3,
        lastStepTime: 'yesterday',
        rollback: 'no' as never,
        conditions: [null, { type: 'X' }] as never,
      },
    },
  });
  t.equal(decision.response.status.state, 'stop');
  t.equal(decision.response.status.currentStep, 0);
  t.equal(decision.response.status.lastStepTime, null);
  t.equal(decision.response.status.rollback, null);
  assertStatusFitsCrd(t, decision);
});
