import t from 'tap';
import { readPriorStatus } from '../../../hooks/observed/prior.js';

t.test('readPriorStatus drops timestamps the CRD would refuse', async (t) => {
  const prior = readPriorStatus({
    lastStepTime: '2026-02-30T00:00:00Z',
    rollback: { time: '2026-11-22T10:00:00Z', reason: 'CrashLoopBackOff', revision: 'abc' },
    conditions: [
      { type: 'Valid', status: 'True', reason: 'Valid', message: '', lastTransitionTime: '2026-11-22T10:00' },
      {
        type: 'Complete',
        status: 'False',
        reason: 'Running',
        message: '',
        lastTransitionTime: '2026-11-22T10:00:00Z',
      },
    ],
  });
  t.equal(prior.lastStepTime, null);
  t.same(prior.rollback, { time: '2026-11-22T10:00:00Z', reason: 'CrashLoopBackOff', revision: 'abc' });
  t.same(
    prior.conditions.map((c) => c.type),
    ['Complete'],
  );
});
