/** The dashboard's store: change numbers, catch-up, the chart's samples, Events, the connection. */
import t from 'tap';
import {
  slimCanary,
  slimDeployment,
  slimEvent,
  type DeploymentSlim,
  type EventSlim,
} from '../../cli/dashboard/model.js';
import { Store, type Change } from '../../cli/dashboard/store.js';
import type { Canary } from '../../hooks/wire/index.js';
import { canaryObject, deploymentObject, runningStatus } from './helpers.js';

let clock = 1_000_000;
const now = () => new Date(clock);

function canary(name: string, rv: string, status?: Record<string, unknown>, namespace = 'default'): Canary {
  const raw = canaryObject(name, { status, namespace }) as unknown as { metadata: Record<string, unknown> };
  raw.metadata.resourceVersion = rv;
  return slimCanary(raw)!;
}

function deployment(name: string, rv: string, available: number): DeploymentSlim {
  const raw = deploymentObject(name, available, available);
  raw.metadata.resourceVersion = rv;
  return slimDeployment(raw)!;
}

function event(uid: string, name: string, time: string, involvedUid = `uid-${name}`): EventSlim {
  return slimEvent({
    metadata: { uid, name: uid, namespace: 'default' },
    involvedObject: { kind: 'Canary', name, namespace: 'default', uid: involvedUid },
    reason: 'Schedule',
    message: uid,
    lastTimestamp: time,
  })!;
}

function recorder(store: Store) {
  const changes: Change[] = [];
  store.subscribe((c) => changes.push(c));
  return changes;
}

t.test('every row change takes the next number; a page catches up from the one it saw', async (t) => {
  const store = new Store(now);
  const changes = recorder(store);
  store.canarySink.replace([canary('a', '1'), canary('b', '1')]);
  t.equal(store.seq, 2);
  t.same(store.changedSince(0), { changed: ['default/a', 'default/b'], removed: [] });
  store.canarySink.upsert(canary('a', '1'));
  t.equal(store.seq, 2, 'the same resourceVersion is no change');
  store.canarySink.upsert(canary('a', '2'));
  t.same(store.changedSince(2), { changed: ['default/a'], removed: [] });
  t.equal(store.versionOf('default/a'), 3);
  store.canarySink.remove(canary('b', '1'));
  t.same(store.changedSince(3), { changed: [], removed: ['default/b'] });
  t.equal(store.versionOf('default/b'), undefined);
  t.equal(store.changedSince(99), 'reload', 'a number from the future: another run');
  // A re-list drops what is gone and keeps what is unchanged.
  store.canarySink.replace([canary('a', '2'), canary('c', '1')]);
  t.same(store.changedSince(4), { changed: ['default/c'], removed: [] });
  t.same(
    changes.filter((c) => c.type === 'canary').map((c) => (c as { key: string }).key),
    ['default/a', 'default/b', 'default/a', 'default/b', 'default/c'],
  );
  store.canarySink.upsert(canary('b', '5'));
  t.same(store.changedSince(5), { changed: ['default/b'], removed: [] }, 'back again: no longer a tombstone');
});

t.test('deleted Canaries are remembered up to a limit, then a page too far behind reloads', async (t) => {
  const store = new Store(now, { tombstones: 2 });
  store.canarySink.replace([canary('a', '1'), canary('b', '1'), canary('c', '1')]);
  store.canarySink.remove(canary('a', '1'));
  store.canarySink.remove(canary('b', '1'));
  t.same(store.changedSince(3), { changed: [], removed: ['default/a', 'default/b'] });
  store.canarySink.remove(canary('c', '1'));
  t.equal(store.changedSince(3), 'reload', 'the deletion of a is forgotten');
  t.same(store.changedSince(4), { changed: [], removed: ['default/b', 'default/c'] });
});

t.test('a Deployment change re-renders the Canaries that name it, and only those', async (t) => {
  const store = new Store(now);
  store.canarySink.replace([canary('web', '1', runningStatus()), canary('api', '1')]);
  const changes = recorder(store);
  store.deploymentSink.upsert(deployment('web-v2', '1', 3));
  t.same(changes, [{ type: 'canary', key: 'default/web' }]);
  t.equal(store.deploymentsOf(store.canaries.get('default/web')!).new?.available, 3);
  store.deploymentSink.upsert(deployment('web-v2', '1', 3));
  t.equal(changes.length, 1, 'same resourceVersion');
  store.deploymentSink.upsert(deployment('other', '1', 3));
  t.equal(changes.length, 1, 'named by no Canary');
  store.deploymentSink.replace([deployment('web-v1', '1', 6)]);
  t.same(
    changes.slice(1),
    [
      { type: 'canary', key: 'default/web' },
      { type: 'canary', key: 'default/web' },
    ],
    'web-v2 gone, web-v1 new',
  );
  store.deploymentSink.remove(deployment('web-v1', '1', 6));
  t.equal(store.deploymentsOf(store.canaries.get('default/web')!).old, undefined);
  store.deploymentSink.remove(deployment('web-v1', '1', 6));
  t.equal(changes.length, 4, 'removing what is not there changes nothing');
  // A spec that names other Deployments is re-indexed.
  const moved = canary('web', '2', runningStatus());
  (moved.spec as Record<string, unknown>).newDeployment = 'web-v3';
  store.canarySink.upsert(moved);
  const before = changes.length;
  store.deploymentSink.upsert(deployment('web-v2', '2', 1));
  t.equal(changes.length, before, 'web-v2 no longer concerns web');
  store.deploymentSink.upsert(deployment('web-v3', '1', 1));
  t.equal(changes.length, before + 1);
  store.canarySink.remove(moved);
  store.deploymentSink.upsert(deployment('web-v3', '2', 2));
  t.equal(changes.length, before + 2, 'only the removal: a deleted Canary is no longer indexed');
});

t.test('the chart keeps one sample per distinct state, the newest ones', async (t) => {
  const store = new Store(now, { samples: 3 });
  clock = 1_000_000;
  store.canarySink.upsert(
    canary('web', '1', runningStatus({ currentStep: 1, oldReplicas: 8, newReplicas: 2 })),
  );
  clock += 1000;
  store.canarySink.upsert(
    canary('web', '2', runningStatus({ currentStep: 1, oldReplicas: 8, newReplicas: 2 })),
  );
  t.equal(
    store.historyOf('default/web').length,
    1,
    'a new resourceVersion with the same numbers adds nothing',
  );
  store.deploymentSink.upsert(deployment('web-v2', '1', 2));
  t.match(store.historyOf('default/web')[1], {
    t: 1_001_000,
    step: 1,
    stepTime: Date.parse('2026-11-22T04:55:00Z'),
    old: 8,
    new: 2,
    weight: 20,
    newAvailable: 2,
  });
  for (const [rv, step] of [
    ['3', 2],
    ['4', 3],
    ['5', 4],
  ] as const) {
    clock += 1000;
    store.canarySink.upsert(
      canary(
        'web',
        rv,
        runningStatus({ currentStep: step, oldReplicas: 10 - 2 * step, newReplicas: 2 * step }),
      ),
    );
  }
  t.same(
    store.historyOf('default/web').map((s) => s.step),
    [2, 3, 4],
    'capped, oldest dropped',
  );
  store.canarySink.remove(canary('web', '5'));
  t.same(store.historyOf('default/web'), [], 'forgotten with the Canary');
});

t.test(
  "Events: the Canary's, newest first, capped, without those of an earlier Canary of the name",
  async (t) => {
    const store = new Store(now, { events: 2 });
    store.canarySink.upsert(canary('web', '1'));
    const changes = recorder(store);
    store.eventSink.replace([
      event('e1', 'web', '2026-11-22T04:00:00Z'),
      event('old', 'web', '2026-11-21T00:00:00Z', 'uid-gone'),
    ]);
    t.same(
      store.eventsOf('default/web').map((e) => e.uid),
      ['e1'],
      'the other uid is left out',
    );
    store.eventSink.upsert(event('e2', 'web', '2026-11-22T05:00:00Z'));
    t.same(
      store.eventsOf('default/web').map((e) => e.uid),
      ['e2', 'e1'],
      'the oldest dropped at the cap',
    );
    store.eventSink.remove(event('e1', 'web', ''));
    t.same(
      store.eventsOf('default/web').map((e) => e.uid),
      ['e2'],
    );
    store.eventSink.remove(event('nope', 'web', ''));
    t.same(changes, [
      { type: 'events', key: 'default/web' },
      { type: 'events', key: 'default/web' },
      { type: 'events', key: 'default/web' },
    ]);
    store.eventSink.replace([]);
    t.same(store.eventsOf('default/web'), [], 'a re-list replaces them');
    t.same(store.eventsOf('default/none'), []);
  },
);

t.test('the connection is the worst of the three watches', async (t) => {
  const store = new Store(() => new Date(5000));
  t.match(store.connection(), { state: 'connecting', kinds: ['canaries', 'deployments', 'events'] });
  const changes = recorder(store);
  store.canarySink.connection({ state: 'connected', since: 6000 });
  store.deploymentSink.connection({ state: 'connected', since: 6000 });
  store.eventSink.connection({ state: 'connected', since: 7000 });
  t.same(store.connection(), { state: 'connected', since: 7000, kinds: [] });
  store.eventSink.connection({ state: 'reconnecting', since: 9000, error: 'down' });
  store.canarySink.connection({ state: 'reconnecting', since: 8000, error: 'refused' });
  t.same(store.connection(), {
    state: 'reconnecting',
    since: 8000,
    error: 'refused',
    kinds: ['canaries', 'events'],
  });
  store.canarySink.connection({ state: 'reconnecting', since: 8500, error: 'refused' });
  t.equal(changes.length, 5, 'the same state again is no change');
});
