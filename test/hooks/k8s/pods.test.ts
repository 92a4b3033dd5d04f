import t from 'tap';
import { findCrashLoopingPod } from '../../../hooks/k8s/pods.js';
import { describeSelector, matchesSelector } from '../../../hooks/k8s/selectors.js';
import type { Deployment, Pod } from '../../../hooks/wire/index.js';
import { deployment, pod } from '../../fixtures/cluster.js';

const v1 = deployment({ name: 'my-app-v1', replicas: 10 });
const v2 = deployment({ name: 'my-app-v2', replicas: 2 });

// Through findCrashLoopingPod, as the sync asks: a crashing pod is reported
// exactly when it belongs to the Deployment, and with the container that crashes.
const crashing = (options: Parameters<typeof pod>[0]) => pod({ ...options, crashLoop: true });
const belongsTo = (p: Pod, of: Deployment) => findCrashLoopingPod([p], of) !== undefined;
const crashingContainer = (p: Pod) => findCrashLoopingPod([p], v2)?.container;

t.test(
  'a pod belongs to the Deployment whose ReplicaSet owns it and whose selector matches it',
  async (t) => {
    const cases = [
      { name: 'new pod, new Deployment', pod: crashing({ deployment: 'my-app-v2' }), of: v2, belongs: true },
      { name: 'old pod, new Deployment', pod: crashing({ deployment: 'my-app-v1' }), of: v2, belongs: false },
      { name: 'old pod, old Deployment', pod: crashing({ deployment: 'my-app-v1' }), of: v1, belongs: true },
      {
        name: 'new labels but another ReplicaSet',
        pod: crashing({ deployment: 'my-app-v2', replicaSet: 'other-7d4f8c9b5' }),
        of: v2,
        belongs: false,
      },
      {
        name: 'owner named right but labels outside the selector',
        pod: crashing({ deployment: 'my-app-v2', version: 'v3' }),
        of: v2,
        belongs: false,
      },
    ];
    for (const c of cases) t.equal(belongsTo(c.pod, c.of), c.belongs, c.name);
    const noHash = crashing({ deployment: 'my-app-v2' });
    delete noHash.metadata.labels?.['pod-template-hash'];
    t.notOk(belongsTo(noHash, v2), 'no pod-template-hash label');
  },
);

t.test('CrashLoopBackOff in a container or an init container', async (t) => {
  t.equal(crashingContainer(pod({ deployment: 'my-app-v2', crashLoop: true })), 'my-app');
  t.equal(crashingContainer(pod({ deployment: 'my-app-v2', initCrashLoop: true })), 'init-config');
  t.notOk(crashingContainer(pod({ deployment: 'my-app-v2' })));
  const noStatus = pod({ deployment: 'my-app-v2' });
  delete noStatus.status;
  t.notOk(crashingContainer(noStatus), 'a pod not yet scheduled has no status');
});

t.test('the first crashing live pod of the Deployment, in name order', async (t) => {
  const pods = [
    pod({ deployment: 'my-app-v1', crashLoop: true }),
    pod({ deployment: 'my-app-v2', crashLoop: true, index: 2 }),
    pod({ deployment: 'my-app-v2', crashLoop: true, index: 1, terminating: true }),
    pod({ deployment: 'my-app-v2', index: 0 }),
  ];
  t.same(findCrashLoopingPod(pods, v2), { pod: 'my-app-v2-7d4f8c9b5-cx2kq', container: 'my-app' });
  t.same(findCrashLoopingPod(pods.slice(0, 1), v2), undefined);
});

t.test('label selectors', async (t) => {
  const labels = { app: 'my-app', tier: 'web' };
  const cases = [
    { selector: { matchLabels: { app: 'my-app' } }, matches: true },
    { selector: { matchLabels: { app: 'other' } }, matches: false },
    {
      selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] },
      matches: true,
    },
    { selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, matches: false },
    { selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, matches: true },
    { selector: { matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, matches: true },
    { selector: { matchExpressions: [{ key: 'tier', operator: 'Like' }] }, matches: false },
    { selector: {}, matches: false },
    { selector: undefined, matches: false },
  ];
  for (const c of cases) t.equal(matchesSelector(labels, c.selector), c.matches, JSON.stringify(c.selector));
  t.equal(
    describeSelector({
      matchLabels: { app: 'my-app' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'x', operator: 'Exists' },
        { key: 'y', operator: 'DoesNotExist' },
      ],
    }),
    'app=my-app,tier in (web,api),x,!y',
  );
});
