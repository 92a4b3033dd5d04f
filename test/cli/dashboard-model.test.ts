/** What the dashboard keeps of each watched object, and the weight it shows. */
import t from 'tap';
import {
  deploymentNames,
  objectKey,
  slimCanary,
  slimDeployment,
  slimEvent,
  weightOf,
} from '../../cli/dashboard/model.js';
import type { Canary } from '../../hooks/wire/index.js';
import { canaryObject, runningStatus } from './helpers.js';

t.test(
  'slimCanary keeps what the pages read and drops managedFields and the last-applied copy',
  async (t) => {
    const raw = {
      ...canaryObject('web', { status: runningStatus(), command: 'apply' }),
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        managedFields: [{ manager: 'kubectl' }],
        annotations: {
          'canary.k8shuginn.io/command': 'apply',
          'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}',
          team: 'payments',
          bad: 3,
        },
      },
    };
    const slim = slimCanary(raw);
    t.same(slim?.metadata, {
      name: 'web',
      namespace: 'shop',
      uid: 'u1',
      resourceVersion: '7',
      annotations: { 'canary.k8shuginn.io/command': 'apply', team: 'payments' },
    });
    t.equal(slim?.status?.state, 'running');
    t.equal((slim?.spec as Record<string, unknown>).oldDeployment, 'web-v1');
    t.equal(slimCanary({ metadata: {} }), undefined, 'no name');
    t.equal(slimCanary('nope'), undefined);
    const bare = slimCanary({ metadata: { name: 'x' } });
    t.same(
      bare,
      { apiVersion: '', kind: 'Canary', metadata: { name: 'x' }, spec: {} },
      'no status key at all',
    );
  },
);

t.test('slimDeployment: replicas, availability and images, with Dates or strings alike', async (t) => {
  const d = slimDeployment({
    metadata: { name: 'web-v2', namespace: 'shop', resourceVersion: '9', managedFields: [{}] },
    spec: {
      replicas: 4,
      template: {
        spec: { containers: [{ image: 'web:2' }, { name: 'sidecar' }, 'junk', { image: 'proxy:1' }] },
      },
    },
    status: { availableReplicas: 3, readyReplicas: 3, updatedReplicas: 4 },
  });
  t.same(d, {
    namespace: 'shop',
    name: 'web-v2',
    resourceVersion: '9',
    replicas: 4,
    available: 3,
    ready: 3,
    updated: 4,
    images: ['web:2', 'proxy:1'],
  });
  t.same(slimDeployment({ metadata: { name: 'x' } }), {
    namespace: '',
    name: 'x',
    resourceVersion: '',
    replicas: undefined,
    available: 0,
    ready: 0,
    updated: 0,
    images: [],
  });
  t.equal(slimDeployment({ metadata: { name: '' } }), undefined);
  t.equal(slimDeployment(null), undefined);
});

t.test('slimEvent: the Canary it is about and the last time it happened', async (t) => {
  const base = {
    metadata: { name: 'web.1', namespace: 'shop', uid: 'e1', creationTimestamp: '2026-11-22T04:00:00Z' },
    involvedObject: { kind: 'Canary', name: 'web', namespace: 'shop', uid: 'uid-web' },
    type: 'Warning',
    reason: 'CrashLoopBackOff',
    message: 'Rolled back',
    count: 3,
  };
  t.same(slimEvent({ ...base, lastTimestamp: new Date('2026-11-22T05:00:00Z') }), {
    uid: 'e1',
    namespace: 'shop',
    name: 'web',
    involvedUid: 'uid-web',
    type: 'Warning',
    reason: 'CrashLoopBackOff',
    message: 'Rolled back',
    count: 3,
    time: '2026-11-22T05:00:00.000Z',
  });
  t.equal(
    slimEvent({ ...base, eventTime: '2026-11-22T04:30:00.000000Z' })?.time,
    '2026-11-22T04:30:00.000000Z',
  );
  t.equal(
    slimEvent({ ...base, lastTimestamp: new Date('nope') })?.time,
    '2026-11-22T04:00:00Z',
    'invalid date skipped',
  );
  const minimal = slimEvent({ metadata: { name: 'n' }, involvedObject: { name: 'web' } });
  t.match(minimal, { uid: 'n', namespace: '', type: 'Normal', reason: '', message: '', count: 1, time: '' });
  t.equal(slimEvent({ metadata: {}, involvedObject: { name: 'web' } }), undefined, 'no uid or name');
  t.equal(slimEvent({ metadata: { uid: 'x' } }), undefined, 'no involvedObject');
});

t.test('weightOf: status.weight when reported, else what the replicas give', async (t) => {
  const c = (status: Record<string, unknown> | undefined, spec: Record<string, unknown> = {}) =>
    canaryObject('web', { status, spec }) as unknown as Canary;
  t.same(weightOf(c(runningStatus({ weight: 25 }))), { value: 25, reported: true });
  t.same(weightOf(c(runningStatus())), { value: 40, reported: false }, '4 of 10');
  t.same(weightOf(c(runningStatus({ newReplicas: 1 }), { totalReplicas: 3 })), {
    value: 33,
    reported: false,
  });
  t.equal(weightOf(c(undefined)), undefined, 'no status');
  t.equal(weightOf(c(runningStatus(), { totalReplicas: 0 })), undefined);
});

t.test('objectKey and deploymentNames', async (t) => {
  t.equal(objectKey('shop', 'web'), 'shop/web');
  t.equal(objectKey(undefined, 'web'), '/web');
  t.same(deploymentNames(canaryObject('web') as unknown as Canary), { old: 'web-v1', new: 'web-v2' });
  t.same(
    deploymentNames(
      canaryObject('web', { spec: { oldDeployment: '', newDeployment: 3 } }) as unknown as Canary,
    ),
    { old: undefined, new: undefined },
  );
});
