/** `kubectl canary plan` for a routed Canary: the route's weights, and the old Deployment kept whole (docs/design.md §9). */
import t from 'tap';
import { planRollout } from '../../hooks/plan.js';
import { parseSpec } from '../../hooks/spec/parse.js';
import { GATEWAY } from './routed-cases.js';

t.test('the plan of a routed list: setWeight as written, ceil(total * w / 100) new, all old', async (t) => {
  const raw = {
    oldDeployment: 'my-app-v1',
    newDeployment: 'my-app-v2',
    totalReplicas: 4,
    selector: { matchLabels: { app: 'my-app' } },
    steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { setReplicas: 3 }],
  };
  const rows = (spec: Record<string, unknown>) => {
    const parsed = parseSpec(spec);
    if (!parsed.ok) throw new Error(parsed.problem.message);
    return planRollout(parsed.spec, new Date('2026-11-23T10:00:00Z')).steps.map((s) => [
      s.oldReplicas,
      s.newReplicas,
      s.weight,
    ]);
  };
  t.same(rows({ ...raw, trafficRouting: GATEWAY.trafficRouting }), [
    [4, 1, 10],
    [4, 1, 10],
    [4, 2, 50],
    [4, 3, 75],
  ]);
  t.same(
    rows(raw),
    [
      [3, 1, 25],
      [3, 1, 25],
      [2, 2, 50],
      [1, 3, 75],
    ],
    'without a router, as before: the weight is what the replicas give',
  );
});
