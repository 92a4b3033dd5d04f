/**
 * Invariants of the sync decision over random input, called directly for
 * volume (the same inputs go through HTTP in http.test.ts).
 */
import fc from 'fast-check';
import t from 'tap';
import { decideSync } from '../../hooks/sync.js';
import type { SyncResponse } from '../../hooks/wire/index.js';
import { syncComplaints } from '../harness/invariants.js';
import { syncCase, type Case } from '../harness/arbitraries.js';

// PROPERTY_RUNS=5000 for a deeper search; the default keeps the suite fast on a shared machine.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);

/** Fails the property (so fast-check shrinks it) with a readable reason. */
function must(ok: boolean, reason: string): void {
  if (!ok) throw new Error(reason);
}

function decide(c: Case): SyncResponse {
  return decideSync(structuredClone(c.request), c.now).response;
}

/** What crosses the wire: JSON, so `undefined` fields vanish as they would. */
function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

t.test('every response keeps the invariants', async (t) => {
  fc.assert(
    fc.property(syncCase, (c) => {
      const response = wire(decide(c));
      const complaints = syncComplaints(c.request, response, c.now);
      if (complaints.length > 0) {
        throw new Error(`${complaints.join('\n')}\nstatus: ${JSON.stringify(response.status)}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random requests`);
});

t.test('an invalid spec is an error, and nothing is scaled', async (t) => {
  const runs = Math.ceil(RUNS / 3);
  fc.assert(
    fc.property(
      syncCase.filter((c) => c.kind === 'invalid'),
      (c) => {
        const response = wire(decide(c));
        must(response.status.state === 'error', `state ${response.status.state}`);
        must(/^Invalid spec: spec\.\w/.test(response.status.message), `message ${response.status.message}`);
        const complaints = syncComplaints(c.request, response, c.now);
        must(complaints.length === 0, complaints.join('\n'));
      },
    ),
    { numRuns: runs },
  );
  t.pass(`${runs} invalid specs`);
});

t.test('the same request at the same time gives the same response, and is not mutated', async (t) => {
  fc.assert(
    fc.property(syncCase, (c) => {
      const before = JSON.stringify(c.request);
      const first = decideSync(c.request, c.now).response;
      const second = decideSync(c.request, c.now).response;
      must(JSON.stringify(c.request) === before, 'the request was mutated');
      must(JSON.stringify(first) === JSON.stringify(second), 'two answers');
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} requests, each decided twice`);
});

t.test('a response fed back at the same instant changes nothing', async (t) => {
  // Metacontroller syncs again as soon as the status it wrote lands: that sync must be a no-op.
  fc.assert(
    fc.property(syncCase, (c) => {
      const first = wire(decide(c));
      const again = structuredClone(c.request);
      again.parent.status = { ...first.status, observedGeneration: again.parent.metadata.generation };
      const second = wire(decideSync(again, c.now).response);
      if (JSON.stringify(second) !== JSON.stringify(first)) {
        throw new Error(`first:  ${JSON.stringify(first)}\nsecond: ${JSON.stringify(second)}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass('fixed point');
});
