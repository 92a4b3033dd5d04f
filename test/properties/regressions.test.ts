/**
 * Counterexamples the property tests found, kept as plain examples so they
 * are checked on every run whatever the random seed.
 */
import t from 'tap';
import { decideSync } from '../../hooks/sync.js';
import type { ObservedStatus, SyncRequest } from '../../hooks/wire.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { syncComplaints } from '../harness/invariants.js';

const NOW = new Date('2026-11-23T10:00:00Z');

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
