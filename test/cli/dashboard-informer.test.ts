/**
 * One list-and-watch per kind against the stand-in API server over real
 * HTTP: pages, events, re-opened watches, 410 Gone, an API server that goes
 * away and comes back, and refusals.
 */
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Informer, type InformerOptions } from '../../cli/dashboard/informer.js';
import { createSources } from '../../cli/dashboard/kube.js';
import { slimCanary, slimDeployment, slimEvent } from '../../cli/dashboard/model.js';
import type { ConnectionState, Sink } from '../../cli/dashboard/store.js';
import { EXIT } from '../../cli/errors.js';
import { resolveTarget } from '../../cli/kube.js';
import type { Canary } from '../../hooks/wire/index.js';
import { FakeApi } from './fake-api.js';
import { canaryObject, deploymentObject } from './helpers.js';

const clock = {
  now: () => new Date(),
  sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }),
};
const FAST: Partial<InformerOptions> = { backoffMs: [20, 50], minRewatchMs: 20 };

class Recorder<T> implements Sink<T> {
  log: string[] = [];
  states: ConnectionState[] = [];
  constructor(private readonly name: (item: T) => string) {}
  replace(items: T[]) {
    this.log.push(`replace ${items.map(this.name).join(',')}`);
  }
  upsert(item: T) {
    this.log.push(`upsert ${this.name(item)}`);
  }
  remove(item: T) {
    this.log.push(`remove ${this.name(item)}`);
  }
  connection(state: ConnectionState) {
    this.states.push(state);
  }
  get state() {
    return this.states[this.states.length - 1]?.state;
  }
}

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function setup(t: Test, allNamespaces = false) {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  const target = resolveTarget({ kubeconfig: api.kubeconfig(t.testdir({})), env: {} });
  return { api, target, sources: createSources(target, allNamespaces ? undefined : 'default') };
}

const canaryName = (c: Canary) => c.metadata.name;

t.test('lists in pages, then follows ADDED, MODIFIED and DELETED; a bookmark is no change', async (t) => {
  const { api, target, sources } = await setup(t);
  for (const n of ['a', 'b', 'c', 'd', 'e']) api.putCanary(canaryObject(n));
  api.putCanary(canaryObject('elsewhere', { namespace: 'shop' }));
  const sink = new Recorder(canaryName);
  const informer = new Informer(
    sources.canaries,
    slimCanary,
    sink,
    clock,
    { ...FAST, server: target.server, pageSize: 2 },
    true,
  );
  t.teardown(() => informer.stop());
  informer.start();
  await informer.firstSync;
  t.same(sink.log, ['replace a,b,c,d,e'], 'one replace after every page, of this namespace only');
  const lists = api.requests.filter((r) => r.method === 'GET' && !r.query.has('watch'));
  t.same(
    lists.map((r) => [r.query.get('limit'), r.query.get('continue')]),
    [
      ['2', null],
      ['2', '2'],
      ['2', '4'],
    ],
  );
  t.equal(sink.state, 'connected');
  await api.watching(1);
  const watch = api.requests.find((r) => r.query.get('watch') === 'true');
  t.equal(watch?.path, '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries');
  t.equal(watch?.query.get('allowWatchBookmarks'), 'true');
  t.equal(watch?.query.get('timeoutSeconds'), '300');
  api.bookmark();
  api.putCanary(canaryObject('f'));
  api.putCanary(canaryObject('a', { command: 'apply' }));
  api.deleteCanary('default', 'b');
  await until('three events', () => sink.log.length === 4);
  t.same(sink.log.slice(1), ['upsert f', 'upsert a', 'remove b']);
});

t.test('a watch the server ends is re-opened from the last resourceVersion, without a list', async (t) => {
  const { api, target, sources } = await setup(t);
  api.putCanary(canaryObject('a'));
  const sink = new Recorder(canaryName);
  const informer = new Informer(sources.canaries, slimCanary, sink, clock, {
    ...FAST,
    server: target.server,
  });
  t.teardown(() => informer.stop());
  informer.start();
  await api.watching(1);
  const stored = api.putCanary(canaryObject('a', { command: 'stop' }));
  await until('the change', () => sink.log.length === 2);
  api.requests.length = 0;
  api.closeWatches();
  await until('a new watch', () => api.openWatches === 1);
  t.same(
    api.requests.map((r) => [r.query.get('watch'), r.query.get('resourceVersion')]),
    [['true', stored.metadata.resourceVersion]],
    'watched again from where it was; nothing listed',
  );
  t.same(
    sink.states.map((s) => s.state),
    ['connected'],
    'no reconnecting notice for a routine close',
  );
});

t.test('410 Gone: the resourceVersion is too old, so it lists again', async (t) => {
  const { api, target, sources } = await setup(t);
  api.putCanary(canaryObject('a'));
  const sink = new Recorder(canaryName);
  const informer = new Informer(sources.canaries, slimCanary, sink, clock, {
    ...FAST,
    server: target.server,
  });
  t.teardown(() => informer.stop());
  informer.start();
  await api.watching(1);
  api.putCanary(canaryObject('b'));
  await until('b', () => sink.log.includes('upsert b'));
  api.expireWatches('canaries');
  await until('a re-list', () => sink.log.filter((l) => l.startsWith('replace')).length === 2);
  t.equal(sink.log[sink.log.length - 1], 'replace a,b');
  t.notOk(sink.states.some((s) => s.state === 'reconnecting'));
});

t.test('another watch ERROR, or a silent connection, is a failure: reconnecting, then back', async (t) => {
  const { api, target, sources } = await setup(t);
  const sink = new Recorder(canaryName);
  const informer = new Informer(sources.canaries, slimCanary, sink, clock, {
    ...FAST,
    server: target.server,
    idleMs: 300,
  });
  t.teardown(() => informer.stop());
  informer.start();
  await api.watching(1);
  api.expireWatches('canaries', 500);
  await until('reconnecting', () => sink.state === 'reconnecting');
  t.match(sink.states.find((s) => s.state === 'reconnecting')?.error, /too old resource version/);
  await until('connected again', () => sink.state === 'connected');
  // No byte for idleMs: taken for a dead connection.
  const before = sink.states.length;
  await until('the idle watch given up', () =>
    sink.states.slice(before).some((s) => s.state === 'reconnecting'),
  );
  t.match(sink.states.slice(before).find((s) => s.state === 'reconnecting')?.error, /no data for 0.3s/);
});

t.test('an API server that goes away: reconnecting with the reason, then everything again', async (t) => {
  const { api, target, sources } = await setup(t);
  api.putDeployment(deploymentObject('web-v1', 3, 3));
  const sink = new Recorder((d: { name: string }) => d.name);
  const informer = new Informer(sources.deployments, slimDeployment, sink, clock, {
    ...FAST,
    server: target.server,
  });
  t.teardown(() => informer.stop());
  informer.start();
  await api.watching(1);
  const port = api.port;
  await api.stop();
  await until('reconnecting', () => sink.state === 'reconnecting');
  t.match(
    sink.states[sink.states.length - 1]?.error,
    /cannot reach the Kubernetes API at http:\/\/127.0.0.1:\d+: ECONNREFUSED/,
  );
  api.putDeployment(deploymentObject('web-v2', 1, 0));
  await api.start(port);
  await until('connected', () => sink.state === 'connected');
  t.equal(
    sink.log[sink.log.length - 1],
    'replace web-v1,web-v2',
    'listed again, with what changed meanwhile',
  );
  await api.watching(1);
  t.equal(
    api.requests.filter((r) => r.path === '/apis/apps/v1/namespaces/default/deployments').length > 2,
    true,
  );
});

t.test('all namespaces: the cluster-wide paths; Events only about Canaries', async (t) => {
  const { api, target, sources } = await setup(t, true);
  const event = (name: string, kind: string, namespace: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace, uid: name },
    involvedObject: { kind, name: 'web', namespace },
    reason: 'Schedule',
    message: name,
  });
  api.putEvent(event('e1', 'Canary', 'default'));
  api.putEvent(event('e2', 'Canary', 'shop'));
  api.putEvent(event('e3', 'Pod', 'shop'));
  const sink = new Recorder((e: { uid: string }) => e.uid);
  const informer = new Informer(sources.events, slimEvent, sink, clock, { ...FAST, server: target.server });
  t.teardown(() => informer.stop());
  informer.start();
  await api.watching(1);
  t.same(sink.log, ['replace e1,e2']);
  const paths = api.requests.map((r) => `${r.path}?${r.query.get('fieldSelector')}`);
  t.same(paths, ['/api/v1/events?involvedObject.kind=Canary', '/api/v1/events?involvedObject.kind=Canary']);
  api.putEvent(event('e4', 'Canary', 'other'));
  await until('e4', () => sink.log.includes('upsert e4'));

  const canaries = new Informer(sources.canaries, slimCanary, new Recorder(canaryName), clock, {
    server: target.server,
  });
  const deployments = new Informer(
    sources.deployments,
    slimDeployment,
    new Recorder((d: { name: string }) => d.name),
    clock,
    { server: target.server },
  );
  t.teardown(() => canaries.stop());
  t.teardown(() => deployments.stop());
  canaries.start();
  deployments.start();
  await api.watching(3);
  t.ok(
    api.requests.some(
      (r) => r.path === '/apis/canary.k8shuginn.io/v1alpha1/canaries' && r.query.get('watch') === 'true',
    ),
  );
  t.ok(api.requests.some((r) => r.path === '/apis/apps/v1/deployments' && r.query.get('watch') === 'true'));
});

t.test(
  'refusals: the first list of Canaries fails fast; other kinds keep retrying and say why',
  async (t) => {
    const { api, target, sources } = await setup(t);
    api.crdInstalled = false;
    const canaries = new Informer(
      sources.canaries,
      slimCanary,
      new Recorder(canaryName),
      clock,
      { ...FAST, server: target.server },
      true,
    );
    canaries.start();
    await t.rejects(canaries.firstSync, {
      exitCode: EXIT.notFound,
      message: /canaries in namespace default \(is the Canary CRD installed\?\) not found/,
    });

    api.forbidden.push({ prefix: '/apis/apps/v1' });
    const sink = new Recorder((d: { name: string }) => d.name);
    const deployments = new Informer(sources.deployments, slimDeployment, sink, clock, {
      ...FAST,
      server: target.server,
    });
    t.teardown(() => deployments.stop());
    deployments.start();
    await until('two failures', () => sink.states.length >= 2);
    t.match(sink.states[0], { state: 'reconnecting', error: /^forbidden: .*cannot get this resource/ });
    api.forbidden.length = 0;
    await until('allowed again', () => sink.state === 'connected');
    await deployments.firstSync;
  },
);

t.test('stop ends the watch and the retries', async (t) => {
  const { api, target, sources } = await setup(t);
  const sink = new Recorder(canaryName);
  const informer = new Informer(sources.canaries, slimCanary, sink, clock, {
    ...FAST,
    server: target.server,
  });
  informer.start();
  await api.watching(1);
  informer.stop();
  await until('the watch closed', () => api.openWatches === 0);
  const requests = api.requests.length;
  await sleep(100);
  t.equal(api.requests.length, requests, 'nothing more asked');
  // Stopped while waiting to retry.
  api.crdInstalled = false;
  const retrying = new Informer(sources.canaries, slimCanary, new Recorder(canaryName), clock, {
    ...FAST,
    backoffMs: [60_000],
    server: target.server,
  });
  retrying.start();
  await sleep(50);
  retrying.stop();
  t.pass('a stop during the backoff returns at once');
});
