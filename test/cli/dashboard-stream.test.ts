/**
 * The pages' event stream over real HTTP: rows as the watches see changes,
 * catching up after a reconnect, one Canary's panel, the connection notice
 * while the API server is away.
 */
import t from 'tap';
import { parseSince } from '../../cli/dashboard/stream.js';
import { http, SseReader, startDashboard, type Running } from './dashboard-support.js';
import { canaryObject, deploymentObject, runningStatus } from './helpers.js';

const sinceOf = (html: string) => /data-since="([^"]+)"/.exec(html)?.[1] ?? '';

async function overview(d: Running, headers: Record<string, string> = {}) {
  const since = sinceOf((await http(d.url)).body);
  return { since, stream: await SseReader.open(`${d.url}api/stream?view=overview&since=${since}`, headers) };
}

type Rows = { rows: [string, string][]; removed: string[] };

t.test('parseSince: this run only', async (t) => {
  t.equal(parseSince('b00t.12', 'b00t'), 12);
  t.equal(parseSince('other.12', 'b00t'), undefined);
  t.equal(parseSince('nonsense', 'b00t'), undefined);
  t.equal(parseSince(undefined, 'b00t'), undefined);
});

t.test('overview: a new Canary, a changed one, a Deployment change, a deletion', async (t) => {
  const d = await startDashboard(t, [], (api) => {
    api.putCanary(canaryObject('web', { status: runningStatus() }));
  });
  const { stream } = await overview(d);
  t.teardown(() => stream.end());
  t.equal(stream.status, 200);
  const first = await stream.next((e) => e.event === 'connection');
  t.match(JSON.parse(first.data).html, /<div id="connection" class="notice" role="status" hidden>/);

  d.api.putCanary(canaryObject('fresh'));
  const added = await stream.next((e) => e.event === 'rows');
  const rows = JSON.parse(added.data) as Rows;
  t.same(
    rows.rows.map(([k]) => k),
    ['default/fresh'],
  );
  t.match(rows.rows[0]![1], /data-state="none"/);
  t.match(added.id, /^[0-9a-f]{12}\.\d+$/);

  d.api.putCanary(
    canaryObject('web', { status: runningStatus({ currentStep: 3, oldReplicas: 4, newReplicas: 6 }) }),
  );
  const changed = await stream.next((e) => e.event === 'rows', added.index + 1);
  t.match(JSON.parse(changed.data).rows[0][1], /<span class="steps">3\/5<\/span>/);

  d.api.putDeployment(deploymentObject('web-v2', 6, 5));
  const available = await stream.next((e) => e.event === 'rows', changed.index + 1);
  t.match(JSON.parse(available.data).rows[0][1], /<span class="available short">5<\/span>/);

  d.api.deleteCanary('default', 'fresh');
  const removed = await stream.next((e) => e.event === 'rows', available.index + 1);
  t.same(JSON.parse(removed.data), { rows: [], removed: ['default/fresh'] });
});

t.test('a burst of changes reaches a page as one message', async (t) => {
  const d = await startDashboard(t);
  const { stream } = await overview(d);
  t.teardown(() => stream.end());
  await stream.next((e) => e.event === 'connection');
  for (let i = 0; i < 50; i++) d.api.putCanary(canaryObject(`c${i}`));
  const burst = await stream.next((e) => e.event === 'rows');
  let seen = (JSON.parse(burst.data) as Rows).rows.length;
  // The fake API writes each event as it comes; a slow loop may split them in two or three.
  let from = burst.index + 1;
  while (seen < 50) {
    const more = await stream.next((e) => e.event === 'rows', from);
    seen += (JSON.parse(more.data) as Rows).rows.length;
    from = more.index + 1;
  }
  t.ok(stream.events.filter((e) => e.event === 'rows').length <= 5, 'not one message a Canary');
});

t.test('a reconnecting page gets exactly what it missed; a page of another run reloads', async (t) => {
  const d = await startDashboard(t, [], (api) => {
    api.putCanary(canaryObject('a'));
    api.putCanary(canaryObject('b'));
  });
  const { since } = await overview(d);
  d.api.putCanary(canaryObject('a', { command: 'apply' }));
  d.api.deleteCanary('default', 'b');
  await new Promise((r) => setTimeout(r, 200));
  const again = await SseReader.open(`${d.url}api/stream?view=overview&since=0`, { 'last-event-id': since });
  t.teardown(() => again.end());
  const missed = JSON.parse((await again.next((e) => e.event === 'rows')).data) as Rows;
  t.same(
    missed.rows.map(([k]) => k),
    ['default/a'],
    'Last-Event-ID wins over the URL',
  );
  t.same(missed.removed, ['default/b']);
  const stale = await SseReader.open(`${d.url}api/stream?view=overview&since=0123456789ab.3`);
  t.teardown(() => stale.end());
  t.ok(await stale.next((e) => e.event === 'reload'));
  const detailStale = await SseReader.open(`${d.url}api/stream?view=canary&key=default/a&since=x.1`);
  t.teardown(() => detailStale.end());
  t.ok(await detailStale.next((e) => e.event === 'reload'));
});

t.test(
  "one Canary's stream: its panel on every change of it, its Deployments or its Events; gone when deleted",
  async (t) => {
    const d = await startDashboard(t, [], (api) => {
      api.putCanary(canaryObject('web', { status: runningStatus() }));
      api.putCanary(canaryObject('api'));
    });
    const since = sinceOf((await http(`${d.url}canaries/default/web`)).body);
    const stream = await SseReader.open(`${d.url}api/stream?view=canary&key=default/web&since=${since}`);
    t.teardown(() => stream.end());
    const first = await stream.next((e) => e.event === 'detail');
    t.match(JSON.parse(first.data).html, /<h2>Status<\/h2>/, 'the panel at once');

    d.api.putCanary(canaryObject('api', { command: 'apply' }));
    d.api.putEvent({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default', uid: 'e1' },
      involvedObject: { kind: 'Canary', name: 'web', namespace: 'default', uid: 'uid-web' },
      type: 'Warning',
      reason: 'CrashLoopBackOff',
      message: 'Rolled back automatically',
      lastTimestamp: '2026-11-22T04:59:00Z',
    });
    const withEvent = await stream.next((e) => e.event === 'detail', first.index + 1);
    t.match(JSON.parse(withEvent.data).html, /<td>CrashLoopBackOff<\/td>.*Rolled back automatically/);
    d.api.putDeployment(deploymentObject('web-v1', 6, 2));
    const withDeployment = await stream.next((e) => e.event === 'detail', withEvent.index + 1);
    t.match(
      JSON.parse(withDeployment.data).html,
      /<td>web-v1<\/td><td class="num">6<\/td><td class="num">6<\/td><td class="num">2<\/td>/,
    );
    t.notOk(
      stream.events.slice(withDeployment.index + 1).some((e) => e.event === 'detail'),
      "another Canary's change is not sent",
    );
    d.api.deleteCanary('default', 'web');
    const gone = await stream.next(
      (e) => e.event === 'detail' && JSON.parse(e.data).gone === true,
      withDeployment.index + 1,
    );
    t.ok(gone);
  },
);

t.test('the API server goes away: the pages are told, and told again when it is back', async (t) => {
  const d = await startDashboard(t, [], (api) => api.putCanary(canaryObject('web')));
  const { stream } = await overview(d);
  t.teardown(() => stream.end());
  await stream.next((e) => e.event === 'connection');
  await d.api.watching(3);
  const port = d.api.port;
  await d.api.stop();
  const down = await stream.next((e) => e.event === 'connection' && /reconnecting/.test(e.data), 1);
  t.match(JSON.parse(down.data).html, /Reconnecting to the Kubernetes API \(.*watch\)… since .*ECONNREFUSED/);
  const health = JSON.parse((await http(`${d.url}healthz`)).body);
  t.equal(health.connection, 'reconnecting');
  d.api.putCanary(canaryObject('web', { command: 'apply' }));
  await d.api.start(port);
  const up = await stream.next(
    (e) => e.event === 'connection' && /hidden/.test(e.data),
    down.index + 1,
    20_000,
  );
  t.ok(up, 'the notice is hidden again');
  const rows = await stream.next((e) => e.event === 'rows', down.index + 1, 20_000);
  t.same(
    (JSON.parse(rows.data) as Rows).rows.map(([k]) => k),
    ['default/web'],
    'and what changed meanwhile arrives',
  );
});
