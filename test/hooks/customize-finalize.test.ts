import t from 'tap';
import { decideCustomize } from '../../hooks/customize.js';
import { FINALIZE_RETRY_SECONDS, decideFinalize } from '../../hooks/finalize.js';
import { availability, podTemplateRevision } from '../../hooks/k8s/deployments.js';
import { CANARY_UID, canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { validateCanaryStatus } from '../helpers/crd.js';

t.test('customize asks for no pods, whatever the selector (docs/design.md §11)', async (t) => {
  // Metacontroller would cache every pod of the cluster to serve one rule for pods.
  const selectors = [
    { matchLabels: { app: 'my-app' } },
    { matchExpressions: [{ key: 'app', operator: 'In', values: ['a'] }], extra: 1 },
    {},
    'app=my-app',
    undefined,
  ];
  for (const selector of selectors) {
    const response = decideCustomize({ parent: canary({ spec: { selector } }) });
    t.same(response.relatedResources, [], JSON.stringify(selector));
  }
});

t.test('finalize lists the Deployments this Canary still owns, by uid', async (t) => {
  const parent = canary({ status: { state: 'running', currentStep: 2, oldReplicas: 6, newReplicas: 4 } });
  const someoneElses = deployment({ name: 'other', replicas: 3 });
  someoneElses.metadata.ownerReferences = [
    { apiVersion: 'canary.k8shuginn.io/v1alpha1', kind: 'Canary', name: 'my-app', uid: 'a-previous-canary' },
  ];
  const decision = decideFinalize(
    syncRequest(parent, [
      deployment({ name: 'my-app-v1', replicas: 6 }),
      deployment({ name: 'my-app-v2', replicas: 4 }),
      someoneElses,
    ]),
  );
  t.same(decision.owned, [
    { namespace: 'default', name: 'my-app-v1' },
    { namespace: 'default', name: 'my-app-v2' },
  ]);
  t.equal(decision.ownerUid, CANARY_UID);
  t.equal(decision.response.finalized, false);
  t.equal(decision.response.resyncAfterSeconds, FINALIZE_RETRY_SECONDS);
  t.same(
    decision.response.children.map((c) => [c.metadata.name, c.spec.replicas]),
    [
      ['my-app-v1', 6],
      ['my-app-v2', 4],
      ['other', 3],
    ],
    'children come back unchanged',
  );
  t.match(decision.response.status, { state: 'running', currentStep: 2, message: /releasing 2 Deployment/ });
  t.same(validateCanaryStatus(decision.response.status), []);
});

t.test('finalize is done once nothing is owned', async (t) => {
  const decision = decideFinalize(
    syncRequest(canary(), [deployment({ name: 'my-app-v1', replicas: 6, owned: false })]),
  );
  t.same(decision.owned, []);
  t.equal(decision.response.finalized, true);
  t.equal(decision.response.resyncAfterSeconds, 0);
  t.same(validateCanaryStatus(decision.response.status), []);
  const empty = decideFinalize({ parent: canary(), children: null, related: null });
  t.equal(empty.response.finalized, true);
  t.same(empty.response.children, []);
});

t.test('without a parent uid, ownership falls back to kind and name', async (t) => {
  const parent = canary();
  delete parent.metadata.uid;
  const decision = decideFinalize(syncRequest(parent, [deployment({ name: 'my-app-v1', replicas: 6 })]));
  t.equal(decision.owned.length, 1);
});

t.test('availability and the pod template revision', async (t) => {
  const d = deployment({ name: 'my-app-v2', replicas: 4, available: 4 });
  t.match(availability(d, 0), { ready: true });
  t.match(availability(d, 4), { ready: true, available: 4 });
  t.match(availability(d, 6), { ready: false, waitingFor: 'my-app-v2 to have 6 replicas available' });
  const fresh = deployment({ name: 'my-app-v2', replicas: 4, available: 4 });
  delete fresh.metadata.generation;
  delete fresh.status;
  t.match(availability(fresh, 4), { ready: false, available: 0 }, 'no status yet');
  const same = podTemplateRevision(deployment({ name: 'my-app-v2', replicas: 4 }));
  t.equal(
    podTemplateRevision(deployment({ name: 'my-app-v2', replicas: 9 })),
    same,
    'replicas do not change it',
  );
  t.not(podTemplateRevision(deployment({ name: 'my-app-v2', replicas: 4, image: 'fixed:v2.0.1' })), same);
  t.match(same, /^[0-9a-f]{10}$/);
});
