/**
 * What a stranger on the hooks' port can make the service spend (docs/design.md
 * §12), each limit tried as the attack that found it, over real HTTP on a
 * real port: the body size, requests in flight, a stalled upload, the cron
 * caches, per-Canary series, the length of what is logged and stored, and
 * replica counts no Deployment can have.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { scheduleCacheSize } from '../../hooks/k8s/cron.js';
import { buildApp, type AppDeps } from '../../server/app.js';
import { createClaimChecker, noApiClaims } from '../../server/claims.js';
import { MAX_MESSAGE_CHARS, cut } from '../../server/limits.js';
import { createMetrics } from '../../server/metrics.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { RouteDriver } from '../hooks/route-driver.js';
import { GATEWAY } from '../hooks/routed-cases.js';
import { listen, listenMetrics, post } from './support.js';

const NOW = new Date('2026-11-23T09:00:30Z');

async function start(t: Test, deps: Partial<AppDeps> = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false });
  const app = buildApp({
    kube: { releaseDeployment: async () => 'released' },
    clock: () => NOW,
    metrics,
    onSynced: metrics.observeSync,
    logger: { level: 'info', stream },
    ...deps,
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  const { port } = new URL(base);
  return { base, port: Number(port), lines, metrics };
}

const walkthrough = (spec: Record<string, unknown> = {}, name = 'my-app') =>
  syncRequest(canary({ command: 'apply', status: null, spec, name }), [
    deployment({ name: 'my-app-v1', replicas: 10 }),
    deployment({ name: 'my-app-v2', replicas: 0 }),
  ]);

/** Opens a hook request and sends its headers and `sent` bytes of a body of `length`, then stalls. */
async function stalledUpload(port: number, length: number, sent = 1024) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    `POST /sync HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`,
  );
  socket.write(Buffer.alloc(sent, 0x20));
  let answer = '';
  socket.on('data', (d) => (answer += String(d)));
  const closed = once(socket, 'close').then(() => answer);
  return { socket, closed };
}

t.test('a 30 MiB body is refused with 413 before it is parsed; a real sync is not', async (t) => {
  const { base } = await start(t);
  const big = JSON.stringify({ ...walkthrough(), padding: 'x'.repeat(30 * 1024 * 1024) });
  const res = await post(base, '/sync', big);
  t.equal(res.status, 413);
  t.equal((await post(base, '/sync', walkthrough())).status, 200);
});

t.test(
  'requests beyond the cap in flight get 503 before their body is read, and are served again after',
  async (t) => {
    const { base, port } = await start(t, { limits: { maxInFlight: 2 } });
    const held = [await stalledUpload(port, 100_000), await stalledUpload(port, 100_000)];
    // Let the server see both before the third.
    await new Promise((r) => setTimeout(r, 200));
    const refused = await post(base, '/sync', walkthrough());
    t.equal(refused.status, 503);
    t.match(refused.body, { message: /2 hook requests are being served/ });
    t.equal((await fetch(`${base}/readyz`)).status, 200, 'probes are not counted');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await new Promise((r) => setTimeout(r, 100));
    t.equal((await post(base, '/sync', walkthrough())).status, 200, 'served once the others are gone');
  },
);

t.test('a stalled upload is cut off at the request timeout instead of being held', async (t) => {
  const { port } = await start(t, { limits: { requestTimeoutMs: 1000, headersTimeoutMs: 1000 } });
  // Announced over the body limit: refused at once, nothing is held.
  const over = await stalledUpload(port, 25_000_000);
  t.match(await over.closed, /^HTTP\/1\.1 413/, 'a 25 MB upload is answered 413 and closed');
  // Under the limit, then stalled: cut off at the timeout.
  const uploads = await Promise.all(Array.from({ length: 5 }, () => stalledUpload(port, 3_000_000)));
  const answers = await Promise.all(uploads.map((u) => u.closed));
  for (const a of answers) t.match(a, /^HTTP\/1\.1 408/, 'answered 408 and closed');
});

t.test('100 distinct 1 MB cron schedules leave nothing of them in the schedule caches', async (t) => {
  const { base } = await start(t);
  const before = scheduleCacheSize();
  for (let i = 0; i < 100; i++) {
    // Valid: five fields, separated by a megabyte of spaces, different each time.
    const schedule = `*${' '.repeat(1024 * 1024 - 8 + i)}* * * *`;
    const res = await post(base, '/sync', walkthrough({ cronSchedule: schedule }, `cron-${i}`));
    t.equal(res.status, 200);
  }
  const after = scheduleCacheSize();
  t.ok(
    after.keyChars - before.keyChars < 100 * 1024,
    `cache keys grew by ${after.keyChars - before.keyChars} characters`,
  );
});

t.test('bad syncs log and store bounded messages, however long the value they quote', async (t) => {
  const { base, lines } = await start(t);
  const bad = 'x'.repeat(1024 * 1024);
  for (let i = 0; i < 20; i++) {
    const res = await post(base, '/sync', walkthrough({ cronSchedule: `${bad}${i}` }, `bad-${i}`));
    t.equal(res.status, 200);
    const status = res.body.status as { state: string; message: string; conditions: { message: string }[] };
    t.equal(status.state, 'error');
    t.ok(status.message.length <= MAX_MESSAGE_CHARS, `status message ${status.message.length} characters`);
    for (const c of status.conditions) t.ok(c.message.length <= MAX_MESSAGE_CHARS);
  }
  const bytes = lines.reduce((sum, l) => sum + l.length, 0);
  t.ok(lines.length > 0, 'the bad specs are logged');
  t.ok(bytes < 20 * 4096, `${lines.length} log lines, ${bytes} bytes`);
});

t.test('1,000 forged Canary names make no more per-Canary series than the cap', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false, maxCanaries: 50 });
  const { base } = await start(t, { metrics });
  const scrape = await listenMetrics(metrics);
  t.teardown(scrape.close);
  for (let i = 0; i < 1000; i++) await post(base, '/sync', walkthrough({}, `forged-${i}`));
  const text = await (await fetch(scrape.url)).text();
  const canaries = new Set(
    [...text.matchAll(/^canary_current_step\{namespace="[^"]*",name="([^"]*)"\}/gm)].map((m) => m[1]),
  );
  t.equal(canaries.size, 50, 'series for the first 50 only');
  t.match(text, /canary_series_untracked_total 950/);
  t.ok(text.length < 200_000, `/metrics is ${text.length} bytes`);
});

t.test(
  'totalReplicas beyond what a Deployment can hold is a spec error naming the field; nothing scales',
  async (t) => {
    const { base } = await start(t);
    for (const total of [2 ** 31, 1e308, 2 ** 30]) {
      const res = await post(base, '/sync', walkthrough({ totalReplicas: total }));
      t.equal(res.status, 200);
      t.match(
        res.body.status,
        { state: 'error', message: /spec\.totalReplicas must be at most 1073741823/ },
        String(total),
      );
      t.same(
        (res.body.children as { metadata: { name: string }; spec: { replicas: number } }[]).map((c) => [
          c.metadata.name,
          c.spec.replicas,
        ]),
        [
          ['my-app-v1', 10],
          ['my-app-v2', 0],
        ],
        'the Deployments keep their replicas',
      );
    }
  },
);

t.test(
  'a route write whose claim does not hold is refused, and logged once for a hundred requests',
  async (t) => {
    const reads: string[] = [];
    const claims = createClaimChecker(async (namespace, name) => {
      reads.push(`${namespace}/${name}`);
      return undefined;
    });
    const writes: unknown[] = [];
    const { base, lines } = await start(t, { claims, routes: { patch: async (w) => void writes.push(w) } });
    const d = new RouteDriver(
      {
        totalReplicas: 10,
        steps: [{ setWeight: 10 }, { pause: {} }],
        trafficRouting: GATEWAY.trafficRouting,
      },
      GATEWAY.route(),
      GATEWAY.key,
    );
    d.sync('2026-11-23T09:00:00Z', { command: 'apply' });
    const forged = d.request();
    forged.parent.metadata.namespace = 'payments';
    for (let i = 0; i < 100; i++) {
      const res = await post(base, '/sync', forged);
      t.equal(res.status, 200);
    }
    t.equal(writes.length, 0, 'nothing written');
    t.equal(reads.length, 100, 'the Canary is read before each write it would make');
    const refusals = lines.filter((l) => l.includes('refused a route write'));
    t.equal(refusals.length, 1, 'logged once');
    t.match(refusals[0], /payments\/my-app does not exist/);

    // A Canary at rest (no write to make) costs no read.
    const quiet = await post(base, '/sync', walkthrough());
    t.equal(quiet.status, 200);
    t.equal(reads.length, 100);
  },
);

t.test('cut says what it left out and never exceeds the bound', async (t) => {
  t.equal(cut('short'), 'short');
  const long = cut('y'.repeat(5000));
  t.equal(long.length, MAX_MESSAGE_CHARS);
  t.match(long, /\(\d+ more characters cut\)$/);
});

t.test('without a Kubernetes API a routed sync says so in its answer, and logs no warning', async (t) => {
  const { base, lines } = await start(t, {
    claims: noApiClaims('no in-cluster ServiceAccount and no ~/.kube/config'),
  });
  const d = new RouteDriver(
    { totalReplicas: 10, steps: [{ setWeight: 10 }, { pause: {} }], trafficRouting: GATEWAY.trafficRouting },
    GATEWAY.route(),
    GATEWAY.key,
  );
  d.sync('2026-11-23T09:00:00Z', { command: 'apply' });
  for (let i = 0; i < 3; i++) {
    const res = await post(base, '/sync', d.request());
    const conditions = (res.body.status as { conditions: { type: string; message: string }[] }).conditions;
    t.match(
      conditions.find((c) => c.type === 'TrafficRouted'),
      {
        message: /runs without a Kubernetes API \(no in-cluster ServiceAccount/,
      },
    );
  }
  t.same(
    lines.filter((l) => /"level":40/.test(l)),
    [],
    'no warning per decision',
  );
});
