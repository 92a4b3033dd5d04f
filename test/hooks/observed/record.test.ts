import t from 'tap';
import {
  DECISION_ANNOTATION,
  encodeRecord,
  newestRecord,
  priorFromRecord,
  readRecord,
  recordOf,
  sameDecision,
  type DecisionRecord,
} from '../../../hooks/observed/record.js';
import { readPriorStatus } from '../../../hooks/observed/prior.js';
import type { Deployment } from '../../../hooks/wire/index.js';
import { CANARY_UID, deployment } from '../../fixtures/cluster.js';

const record = (overrides: Partial<DecisionRecord> = {}): DecisionRecord => ({
  uid: CANARY_UID,
  sequence: 4,
  state: 'running',
  step: 2,
  observedCommand: 'apply',
  lastStepTime: '2026-11-23T09:01:00Z',
  rollback: null,
  progressingSince: '2026-11-23T09:00:20Z',
  note: '',
  pause: null,
  pauseEnded: false,
  ...overrides,
});

const T1 = '2026-11-23T09:01:00Z';

const stamped = (value: string | undefined, name = 'my-app-v2'): Deployment => {
  const d = deployment({ name, replicas: 4 });
  d.metadata.annotations = { ...d.metadata.annotations };
  if (value !== undefined) d.metadata.annotations[DECISION_ANNOTATION] = value;
  return d;
};

t.test('a record reads back as written', async (t) => {
  const r = record({
    rollback: { time: '2026-11-23T09:03:00Z', reason: 'RollbackCommand: x', revision: 'ab' },
  });
  t.same(readRecord(stamped(encodeRecord(r)), CANARY_UID), r);
  t.equal(encodeRecord(r), encodeRecord({ ...r }), 'the same decision is the same bytes');
});

const unreadable: [string, string | undefined][] = [
  ['no annotation', undefined],
  ['not JSON', '{sequence: 4'],
  ['a list', '[1,2]'],
  ['another Canary', encodeRecord(record({ uid: 'someone-else' }))],
  ['negative sequence', encodeRecord(record({ sequence: -1 }))],
  ['fractional step', encodeRecord(record({ step: 1.5 }))],
  ['unknown state', encodeRecord({ ...record(), state: 'paused' as never })],
  ['command not a string', JSON.stringify({ ...record(), observedCommand: 3 })],
  ['note missing', JSON.stringify({ ...record(), note: undefined })],
  ['bad lastStepTime', encodeRecord(record({ lastStepTime: '2026-02-30T00:00:00Z' }))],
  ['bad progressingSince', encodeRecord(record({ progressingSince: 'yesterday' }))],
  ['rollback without a time', JSON.stringify({ ...record(), rollback: { reason: 'x', revision: 'y' } })],
  ['unknown pause kind', JSON.stringify({ ...record(), pause: { kind: 'Forever', since: T1, until: null } })],
  ['pause without a since', JSON.stringify({ ...record(), pause: { kind: 'Manual', until: null } })],
  [
    'pause until not a time',
    JSON.stringify({ ...record(), pause: { kind: 'Duration', since: T1, until: 'soon' } }),
  ],
  ['pauseEnded not a boolean', JSON.stringify({ ...record(), pauseEnded: 'yes' })],
  [
    'rollback reason not a string',
    JSON.stringify({ ...record(), rollback: { time: '2026-11-23T09:03:00Z', reason: 1, revision: 'y' } }),
  ],
];

t.test('anything malformed, or another Canary’s, is no record at all', async (t) => {
  for (const [name, value] of unreadable) {
    t.equal(readRecord(stamped(value), CANARY_UID), undefined, name);
  }
  t.equal(readRecord(stamped(encodeRecord(record({ uid: '' }))), ''), undefined, 'no uid, no record');
});

t.test('the newest of the Deployments’ records wins', async (t) => {
  const older = stamped(encodeRecord(record({ sequence: 3 })), 'my-app-v1');
  const newer = stamped(encodeRecord(record({ sequence: 5 })), 'my-app-v2');
  t.equal(newestRecord([older, newer], CANARY_UID)?.sequence, 5);
  t.equal(newestRecord([newer, older], CANARY_UID)?.sequence, 5);
  t.equal(newestRecord([stamped(undefined)], CANARY_UID), undefined);
});

t.test('sameDecision ignores the number, and notices every field that decides', async (t) => {
  t.ok(sameDecision(record(), record({ sequence: 9 })));
  const changes: Partial<DecisionRecord>[] = [
    { state: 'stop' },
    { step: 3 },
    { observedCommand: 'stop' },
    { lastStepTime: '2026-11-23T09:02:00Z' },
    { progressingSince: null },
    { note: 'Invalid spec: x' },
    { rollback: { time: '2026-11-23T09:03:00Z', reason: 'r', revision: 'v' } },
    { pause: { kind: 'Manual', since: '2026-11-23T09:01:00Z', until: null } },
    { pauseEnded: true },
  ];
  for (const change of changes) t.notOk(sameDecision(record(), record(change)), JSON.stringify(change));
});

t.test('recordOf keeps a note only where repeating the message would announce it again', async (t) => {
  const status = (overrides: Record<string, unknown>) =>
    readPriorStatus({
      state: 'running',
      currentStep: 2,
      message: 'Canary is Running: waiting for my-app-v2',
      conditions: [],
      ...overrides,
    });
  t.equal(recordOf(status({}), CANARY_UID, 1).note, '', 'a waiting message is not part of the decision');
  t.equal(
    recordOf(status({ state: 'error', message: 'Invalid spec: x' }), CANARY_UID, 1).note,
    'Invalid spec: x',
  );
  const unknown = status({
    message: 'Unknown command "pause"',
    conditions: [
      {
        type: 'CommandAccepted',
        status: 'False',
        reason: 'UnknownCommand',
        message: 'Unknown command "pause"',
        lastTransitionTime: '2026-11-23T09:00:00Z',
      },
    ],
  });
  t.equal(recordOf(unknown, CANARY_UID, 1).note, 'Unknown command "pause"');
  t.equal(recordOf(readPriorStatus(null), CANARY_UID, 0).state, 'stop', 'a new Canary is at rest');
});

t.test(
  'priorFromRecord: the record over the stale status, StepAvailable only for the same step',
  async (t) => {
    const available = {
      type: 'StepAvailable',
      status: 'True' as const,
      reason: 'ReplicasAvailable',
      message: 'x',
      lastTransitionTime: '2026-11-23T09:00:40Z',
    };
    const valid = { ...available, type: 'Valid', reason: 'Valid' };
    const stale = readPriorStatus({
      sequence: 3,
      state: 'running',
      currentStep: 1,
      lastStepTime: '2026-11-23T09:00:20Z',
      conditions: [available, valid],
    });
    const prior = priorFromRecord(record(), stale);
    t.match(prior, { sequence: 4, state: 'running', currentStep: 2, observedCommand: 'apply', message: '' });
    t.same(
      prior.conditions.map((c) => c.type),
      ['Valid', 'Progressing'],
      'step 1’s StepAvailable says nothing of step 2',
    );
    t.equal(
      prior.conditions.find((c) => c.type === 'Progressing')?.lastTransitionTime,
      '2026-11-23T09:00:20Z',
    );
    const sameStep = priorFromRecord(record({ step: 1, lastStepTime: '2026-11-23T09:00:20Z' }), stale);
    t.ok(
      sameStep.conditions.some((c) => c.type === 'StepAvailable'),
      'kept for the step it speaks of',
    );
    const stopped = priorFromRecord(record({ state: 'stop', progressingSince: null }), stale);
    t.notOk(stopped.conditions.some((c) => c.type === 'Progressing'));
  },
);

t.test(
  'pauses: a record carries the pause and its end, and one from before pauses existed reads as none',
  async (t) => {
    const paused = record({ pause: { kind: 'Duration', since: T1, until: '2026-11-23T09:31:00Z' } });
    t.same(readRecord(stamped(encodeRecord(paused)), CANARY_UID), paused);
    const ended = record({ pauseEnded: true });
    t.same(readRecord(stamped(encodeRecord(ended)), CANARY_UID), ended);
    const { pause: _pause, pauseEnded: _ended, ...older } = record();
    t.same(readRecord(stamped(JSON.stringify(older)), CANARY_UID), record(), 'no pause, not ended');

    const stale = readPriorStatus({
      sequence: 3,
      state: 'running',
      currentStep: 2,
      lastStepTime: T1,
      pause: { kind: 'Manual', since: T1, until: null },
      conditions: [
        { type: 'Paused', status: 'True', reason: 'Manual', message: 'x', lastTransitionTime: T1 },
      ],
    });
    const fromEnded = priorFromRecord(record({ lastStepTime: T1, pauseEnded: true }), stale);
    t.equal(fromEnded.pause, null, 'the record says the pause is over, whatever the stale status shows');
    t.match(
      fromEnded.conditions.filter((c) => c.type === 'Paused'),
      [{ status: 'False', reason: 'PauseEnded' }],
    );
    const fromPaused = priorFromRecord(
      paused,
      readPriorStatus({ sequence: 3, state: 'running', currentStep: 1 }),
    );
    t.same(fromPaused.pause, paused.pause);
    t.notOk(
      fromPaused.conditions.some((c) => c.type === 'Paused'),
      'an active pause lives in status.pause',
    );
  },
);
