/**
 * Counterexamples the property tests found, kept as plain examples so they
 * are checked on every run whatever the random seed.
 */
import t from 'tap';
import { decideSync } from '../../hooks/sync.js';
import type { ObservedStatus, SyncRequest } from '../../hooks/wire/index.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { decideFinalize } from '../../hooks/finalize.js';
import { validateCanaryStatus } from '../helpers/crd.js';
import { syncComplaints } from '../harness/invariants.js';

const NOW = new Date('2026-11-23T10:00:00Z');

const conditionOf = (status: { conditions: { type: string }[] }, type: string) =>
  status.conditions.find((c) => c.type === type);

function request(status: ObservedStatus | undefined, options: { command?: string; spec?: object } = {}) {
  return syncRequest(canary({ status, command: options.command, spec: { ...options.spec } }), [
    deployment({ name: 'my-app-v1', replicas: 10 }),
    deployment({ name: 'my-app-v2', replicas: 0 }),
  ]);
}

/** The status Metacontroller would write back, and the next sync at the same instant. */
function again(req: SyncRequest, status: object, now = NOW) {
  const next = structuredClone(req);
  next.parent.status = { ...status, observedGeneration: 1 };
  return decideSync(next, now).response;
}

t.test('a prior timestamp the CRD would refuse is not echoed back', async (t) => {
  for (const bad of ['2026-02-30T00:00:00Z', '2026-11-22T10:00', '2026-11-22T25:00:00Z']) {
    const req = request(
      {
        state: 'stop',
        currentStep: 2,
        lastStepTime: bad,
        rollback: { time: bad, reason: 'RollbackCommand: x', revision: 'r' },
        conditions: [
          { type: 'Valid', status: 'True', reason: 'Valid', message: '', lastTransitionTime: bad },
        ],
      },
      { spec: { totalReplicas: 0 } },
    );
    const response = decideSync(req, NOW).response;
    t.same(syncComplaints(req, JSON.parse(JSON.stringify(response))), [], bad);
    t.equal(response.status.lastStepTime, null, `${bad}: lastStepTime dropped`);
    t.equal(response.status.rollback, null, `${bad}: rollback record dropped`);
  }
});

t.test('a repeated error keeps the RolledBack and Complete conditions', async (t) => {
  const missingNew = (status: ObservedStatus) => {
    const req = request(status, { command: 'apply' });
    delete req.children?.['Deployment.apps/v1']?.['my-app-v2'];
    return req;
  };
  const complete = missingNew({ state: 'complete', currentStep: 5, totalSteps: 5, observedCommand: 'apply' });
  const first = decideSync(complete, NOW).response;
  const later = new Date('2026-11-23T10:05:00Z');
  const second = again(complete, first.status, later);
  t.equal(second.status.state, 'error');
  t.match(conditionOf(second.status, 'Complete'), { status: 'True' });
  t.same(second.status.conditions, first.status.conditions, 'nothing flaps, no new transition time');

  const rolledBack = missingNew({
    state: 'stop',
    currentStep: 0,
    observedCommand: 'apply',
    rollback: { time: '2026-11-23T09:00:00Z', reason: 'CrashLoopBackOff: pod x', revision: 'abc' },
  });
  const r1 = decideSync(rolledBack, NOW).response;
  const r2 = again(rolledBack, r1.status, later);
  t.match(conditionOf(r2.status, 'RolledBack'), { status: 'True', reason: 'CrashLoopBackOff' });
  t.same(r2.status.conditions, r1.status.conditions);
});

t.test('apply on a one-step Canary completes at once', async (t) => {
  // stepReplicas == totalReplicas: step 1 moves everything, so there is nothing left to run.
  const req = request(undefined, { command: 'apply', spec: { totalReplicas: 3, stepReplicas: 3 } });
  const decision = decideSync(req, NOW);
  const first = decision.response;
  t.same(
    decision.transitions.map((x) => [x.kind, x.reason]),
    [
      ['Started', 'ApplyCommand'],
      ['Completed', 'SingleStep'],
    ],
    'the completion is announced, so events and the completions metric see it',
  );
  t.match(first.status, {
    state: 'complete',
    currentStep: 1,
    totalSteps: 1,
    oldReplicas: 0,
    newReplicas: 3,
    message: 'Canary is complete',
    nextStepTime: null,
  });
  t.equal(first.resyncAfterSeconds, 0, 'no step left to wake up for');
  t.same(again(req, first.status).status, first.status, 'and stays so');
});

t.test("a stale Progressing condition does not move a fresh start's schedule", async (t) => {
  // A pending Canary whose status (hand-written, or left by another version) says Progressing
  // since a later time: apply starts it now, and the next tick is the next minute.
  const req = request(
    {
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'StepScheduled',
          message: '',
          lastTransitionTime: '2026-11-23T10:01:00Z',
        },
      ],
    },
    { command: 'apply' },
  );
  const first = decideSync(req, NOW).response;
  t.match(first.status, { state: 'running', currentStep: 1, nextStepTime: '2026-11-23T10:01:00Z' });
  t.match(conditionOf(first.status, 'Progressing'), { lastTransitionTime: '2026-11-23T10:00:00Z' });
  t.same(again(req, first.status).status, first.status, 'read back, the same next step');
});

t.test('finalize hands back only conditions the CRD would store', async (t) => {
  const at = '2026-11-23T09:00:00Z';
  const req = request({
    state: 'running',
    currentStep: 2,
    conditions: [
      { type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: at },
      { type: 'Progressing', status: 'True', reason: 'StepScheduled', message: 'a', lastTransitionTime: at },
      { type: 'Progressing', status: 'False', reason: 'Stopped', message: 'b', lastTransitionTime: at },
      { type: 'not a type!', status: 'True', reason: 'X', message: '', lastTransitionTime: at },
    ],
  });
  req.finalizing = true;
  const status = decideFinalize(req).response.status;
  t.same(validateCanaryStatus(status), []);
  t.same(status.conditions, [
    { type: 'Progressing', status: 'True', reason: 'StepScheduled', message: 'a', lastTransitionTime: at },
  ]);
});
