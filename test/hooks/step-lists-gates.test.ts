/**
 * Step lists (docs/design.md §8) under the round-1 gates that apply to every
 * set-step: progressDeadlineSeconds, and the rollback latch on the new pod
 * template (docs/design.md §5), one sync at a time.
 */
import t from 'tap';
import { kinds, ListDriver } from './list-driver.js';
import { crashingNewPod } from './support.js';

const T = '2026-11-23T09:00:00Z'; // a Monday
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');

t.test('a list set-step that misses progressDeadlineSeconds rolls back', async (t) => {
  const d = new ListDriver({ progressDeadlineSeconds: 60, steps: [{ setWeight: 20 }, { setWeight: 50 }] }, t);
  d.sync(T, { command: 'apply', available: 0 });
  t.same(kinds(d.sync(at(59), { available: 1 })), [], 'one of two available, 59 s in: still waiting');
  t.same(d.row.slice(0, 4), [8, 2, 1, 'running']);
  const late = d.sync(at(61), { available: 1 });
  t.same(kinds(late), ['RolledBack/ProgressDeadlineExceeded']);
  t.same(d.row, [10, 0, 0, 'stop', 0, null]);
  t.match(late.response.status.rollback?.reason, /^ProgressDeadlineExceeded: /);
});

t.test(
  'a list rolled back on a crash waits for a new pod template, then starts over at step 1',
  async (t) => {
    const d = new ListDriver({ steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] }, t);
    d.sync(T, { command: 'apply' });
    d.sync(at(10));
    t.same(d.row, [8, 2, 2, 'running', 20, 'Manual']);
    t.same(kinds(d.sync(at(20), { pods: [crashingNewPod()] })), ['RolledBack/CrashLoopBackOff']);
    t.same(kinds(d.sync(at(80))), [], 'apply still annotated: the same template stays stopped');
    t.same(d.row, [10, 0, 0, 'stop', 0, null]);
    t.same(kinds(d.sync(at(90), { image: 'containersol/k8s-deployment-strategies:v2-fixed' })), [
      'Restarted/NewPodTemplate',
    ]);
    t.same(d.row, [8, 2, 1, 'running', 20, null], 'step 1 of the list again');
    d.sync(at(100));
    t.same(d.row, [8, 2, 2, 'running', 20, 'Manual'], 'and its pause after it');
  },
);
