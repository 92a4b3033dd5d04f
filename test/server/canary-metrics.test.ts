/**
 * Metrics about Canaries, read as Prometheus reads them: GET /metrics on the
 * real app, its syncs and finalizes wired to the metrics as main.ts wires them.
 */
import t, { type Test } from 'tap';
import type { CanaryStatus } from '../../hooks/wire/index.js';
import { buildApp } from '../../server/app.js';
import type { KubeApi } from '../../server/kube.js';
import { createMetrics, rollbackReasonLabel } from '../../server/metrics.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { claimsThatHold, listen, listenMetrics, post } from './support.js';

async function start(t: Test, released: string[] = []) {
  let now = new Date('2026-11-23T09:00:30Z');
  const metrics = createMetrics({ defaultMetrics: false });
  const kube: KubeApi = {
    releaseDeployment: async (_ns, name) => {
      released.push(name);
      return 'released';
    },
  };
  const app = buildApp({
    kube,
    claims: claimsThatHold,
    clock: () => now,
    metrics,
    onSynced: metrics.observeSync,
    onFinalized: metrics.observeFinalize,
  });
  const base = await listen(app);
  t.teardown(() => app.close());
  const metricsPort = await listenMetrics(metrics);
  t.teardown(metricsPort.close);
  const scrape = async () => {
    const res = await fetch(metricsPort.url);
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /text\/plain/);
    return res.text();
  };
  return {
    base,
    scrape,
    setNow: (iso: string) => (now = new Date(iso)),
  };
}

const children = (newReplicas: number, oldReplicas = 10 - newReplicas) => [
  deployment({ name: 'my-app-v1', replicas: oldReplicas }),
  deployment({ name: 'my-app-v2', replicas: newReplicas }),
];

/** The sample lines of one metric family. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

t.test('state, step, replicas and next step time per Canary, from every sync', async (t) => {
  const { base, scrape } = await start(t);
  const res = await post(base, '/sync', syncRequest(canary({ command: 'apply', status: null }), children(0)));
  t.equal(res.status, 200);
  const text = await scrape();
  t.same(samples(text, 'canary_state').sort(), [
    'canary_state{namespace="default",name="my-app",state="complete"} 0',
    'canary_state{namespace="default",name="my-app",state="error"} 0',
    'canary_state{namespace="default",name="my-app",state="running"} 1',
    'canary_state{namespace="default",name="my-app",state="stop"} 0',
  ]);
  t.same(samples(text, 'canary_current_step'), ['canary_current_step{namespace="default",name="my-app"} 1']);
  t.same(samples(text, 'canary_total_steps'), ['canary_total_steps{namespace="default",name="my-app"} 5']);
  t.same(samples(text, 'canary_replicas').sort(), [
    'canary_replicas{namespace="default",name="my-app",deployment="new"} 2',
    'canary_replicas{namespace="default",name="my-app",deployment="old"} 8',
  ]);
  // Applied at 09:00:30 with "* * * * *": the next step is due at 09:01:00.
  t.same(samples(text, 'canary_next_step_timestamp_seconds'), [
    `canary_next_step_timestamp_seconds{namespace="default",name="my-app"} ${Date.parse('2026-11-23T09:01:00Z') / 1000}`,
  ]);
  t.match(text, /# HELP canary_state The state of each Canary/);
  t.match(text, /# TYPE canary_state gauge/);
});

t.test('each Canary has its own series; a stop moves the state and drops the next step time', async (t) => {
  const { base, scrape } = await start(t);
  const first = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'apply', status: null }), children(0)),
  );
  await post(base, '/sync', syncRequest(canary({ name: 'other', status: null }), children(0)));
  let text = await scrape();
  t.match(text, /canary_state\{namespace="default",name="other",state="stop"\} 1/);
  t.match(text, /canary_current_step\{namespace="default",name="other"\} 0/);
  t.match(text, /canary_state\{namespace="default",name="my-app",state="running"\} 1/);

  const status = first.body.status as unknown as CanaryStatus;
  await post(base, '/sync', syncRequest(canary({ command: 'stop', status }), children(2)));
  text = await scrape();
  t.match(text, /canary_state\{namespace="default",name="my-app",state="running"\} 0/);
  t.match(text, /canary_state\{namespace="default",name="my-app",state="stop"\} 1/);
  t.match(text, /canary_current_step\{namespace="default",name="my-app"\} 1/, 'the step is held');
  t.notMatch(text, /canary_next_step_timestamp_seconds\{namespace="default",name="my-app"\}/);
});

t.test('an invalid spec shows as state error', async (t) => {
  const { base, scrape } = await start(t);
  await post(
    base,
    '/sync',
    syncRequest(canary({ spec: { cronSchedule: 'soon' }, status: null }), children(0)),
  );
  const text = await scrape();
  t.match(text, /canary_state\{namespace="default",name="my-app",state="error"\} 1/);
  t.match(text, /canary_state\{namespace="default",name="my-app",state="stop"\} 0/);
});

t.test('the time between steps is observed when a step is taken on schedule', async (t) => {
  const { base, scrape, setNow } = await start(t);
  // 09:00:30 apply: step 1. The schedule is every 5 minutes: step 2 is due at 09:05.
  const spec = { cronSchedule: '*/5 * * * *' };
  const started = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'apply', spec, status: null }), children(0)),
  );
  let text = await scrape();
  t.match(text, /canary_step_interval_seconds_count 0/, 'starting is not a step after another one');

  setNow('2026-11-23T09:05:00Z');
  let status = started.body.status as unknown as CanaryStatus;
  const stepped = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'apply', spec, status }), children(2)),
  );
  status = stepped.body.status as unknown as CanaryStatus;
  t.equal(status.currentStep, 2);
  text = await scrape();
  t.match(text, /canary_step_interval_seconds_count 1/);
  t.match(text, /canary_step_interval_seconds_sum 270/, '09:00:30 to 09:05:00');
  t.match(text, /canary_step_interval_seconds_bucket\{le="300"\} 1/);
  t.match(text, /canary_step_interval_seconds_bucket\{le="60"\} 0/);

  // A sync that changes nothing observes nothing more.
  await post(base, '/sync', syncRequest(canary({ command: 'apply', spec, status }), children(4)));
  text = await scrape();
  t.match(text, /canary_step_interval_seconds_count 1/);
  t.match(text, /canary_steps_total 2/, 'the existing step counter still counts');
});

t.test("a Canary's series go when its finalize completes, not before", async (t) => {
  const released: string[] = [];
  const { base, scrape } = await start(t, released);
  await post(base, '/sync', syncRequest(canary({ command: 'apply', status: null }), children(0)));
  await post(base, '/sync', syncRequest(canary({ name: 'keep', status: null }), children(0)));

  const owned = await post(base, '/finalize', {
    ...syncRequest(canary(), children(2)),
    finalizing: true,
  });
  t.match(owned.body, { finalized: false });
  t.same(released, ['my-app-v1', 'my-app-v2']);
  let text = await scrape();
  t.match(text, /canary_current_step\{namespace="default",name="my-app"\}/, 'still there while releasing');

  // Rolled back before it is deleted, so it has a rollback series to lose too.
  const rolled = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'rollback', status: null }), children(0)),
  );
  t.equal(rolled.status, 200);

  const done = await post(base, '/finalize', {
    ...syncRequest(canary(), [
      deployment({ name: 'my-app-v1', replicas: 8, owned: false }),
      deployment({ name: 'my-app-v2', replicas: 2, owned: false }),
    ]),
    finalizing: true,
  });
  t.match(done.body, { finalized: true });
  text = await scrape();
  for (const family of [
    'canary_state',
    'canary_current_step',
    'canary_total_steps',
    'canary_replicas',
    'canary_next_step_timestamp_seconds',
    'canary_last_step_timestamp_seconds',
    'canary_rollback_timestamp_seconds',
  ]) {
    t.notMatch(
      text,
      new RegExp(`${family}\\{namespace="default",name="my-app"`),
      `${family} for my-app is gone`,
    );
  }
  t.match(text, /canary_state\{namespace="default",name="keep",state="stop"\} 1/, 'other Canaries stay');

  // A Canary re-created under the same name gets its series back.
  await post(base, '/sync', syncRequest(canary({ status: null }), children(0)));
  text = await scrape();
  t.match(text, /canary_state\{namespace="default",name="my-app",state="stop"\} 1/);
});

t.test('promote commands that acted are counted by what they did', async (t) => {
  const { base, scrape, setNow } = await start(t);
  const spec = {
    stepReplicas: undefined,
    cronSchedule: undefined,
    steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }],
  };
  let status: CanaryStatus | null = null;
  const syncAt = async (time: string, command: string, newReplicas: number) => {
    setNow(time);
    const res = await post(
      base,
      '/sync',
      syncRequest(canary({ command, status, spec }), children(newReplicas)),
    );
    t.equal(res.status, 200);
    status = res.body.status as CanaryStatus;
  };
  await syncAt('2026-11-23T09:00:30Z', 'apply', 0);
  await syncAt('2026-11-23T09:00:40Z', 'apply', 2);
  t.equal((status as CanaryStatus | null)?.pause?.kind, 'Manual');
  let text = await scrape();
  t.same(samples(text, 'canary_promotions_total'), [], 'none yet');
  await syncAt('2026-11-23T09:05:00Z', 'promote', 2);
  t.equal((status as CanaryStatus | null)?.currentStep, 3);
  text = await scrape();
  t.same(samples(text, 'canary_promotions_total'), ['canary_promotions_total{action="pause"} 1']);
  t.same(
    samples(text, 'canary_steps_total'),
    ['canary_steps_total 3'],
    'apply, the pause, the step after it',
  );
});

t.test('the last step time and the last rollback, with its reason alone, per Canary', async (t) => {
  const { base, scrape, setNow } = await start(t);
  let text = await scrape();
  t.same(samples(text, 'canary_rollback_timestamp_seconds'), [], 'no rollback, no series');

  const started = await post(
    base,
    '/sync',
    syncRequest(canary({ command: 'apply', status: null }), children(0)),
  );
  let status = started.body.status as unknown as CanaryStatus;
  text = await scrape();
  t.same(samples(text, 'canary_last_step_timestamp_seconds'), [
    `canary_last_step_timestamp_seconds{namespace="default",name="my-app"} ${Date.parse('2026-11-23T09:00:30Z') / 1000}`,
  ]);
  t.same(samples(text, 'canary_rollback_timestamp_seconds'), []);

  setNow('2026-11-23T09:00:45Z');
  const rolled = await post(base, '/sync', syncRequest(canary({ command: 'rollback', status }), children(2)));
  status = rolled.body.status as unknown as CanaryStatus;
  t.match(status.rollback?.reason, /^RollbackCommand: /, 'the status carries a detail after the reason');
  text = await scrape();
  t.same(samples(text, 'canary_rollback_timestamp_seconds'), [
    `canary_rollback_timestamp_seconds{namespace="default",name="my-app",reason="RollbackCommand"} ${Date.parse('2026-11-23T09:00:45Z') / 1000}`,
  ]);

  // Another rollback of another reason replaces the series instead of adding one.
  const crashed = {
    ...status,
    rollback: {
      time: '2026-11-23T10:00:00Z',
      reason: 'CrashLoopBackOff: container app of pod p is in CrashLoopBackOff',
      revision: 'r',
    },
  };
  await post(base, '/sync', syncRequest(canary({ command: 'rollback', status: crashed }), children(0)));
  text = await scrape();
  t.same(samples(text, 'canary_rollback_timestamp_seconds'), [
    `canary_rollback_timestamp_seconds{namespace="default",name="my-app",reason="CrashLoopBackOff"} ${Date.parse('2026-11-23T10:00:00Z') / 1000}`,
  ]);
});

t.test('a rollback reason the service does not know is labelled Other', (t) => {
  const cases: [string, string][] = [
    ['CrashLoopBackOff: container a of pod b is in CrashLoopBackOff', 'CrashLoopBackOff'],
    [
      'ProgressDeadlineExceeded: 1 of 2 replicas of app-v2 available 60s after step 1',
      'ProgressDeadlineExceeded',
    ],
    ['RollbackCommand: rolled back by the command annotation', 'RollbackCommand'],
    ['RollbackCommand', 'RollbackCommand'],
    ['something: pod-abc', 'Other'],
    ['', 'Other'],
  ];
  for (const [reason, label] of cases) t.equal(rollbackReasonLabel(reason), label, reason);
  t.end();
});
