/**
 * The real process: main.ts started as users start it, stopped with SIGTERM
 * while a finalize is in flight.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { deployment, syncRequest, canary, CANARY_UID } from '../fixtures/cluster.js';
import { freePort, kubeconfigYaml, post, sendJson, startKubeStandIn } from './support.js';

// Starting a TypeScript process on a busy 2-core machine can take a while; these are not timing assertions.
t.setTimeout(180_000);

async function startMain(env: Record<string, string>) {
  // A port of its own for /metrics too: test files run in parallel.
  const metricsPort = String(await freePort());
  const child = spawn(process.execPath, ['--import', '@tapjs/typescript/import', 'server/main.ts'], {
    // Type-checking is the job of `npm run typecheck`; here it would only slow the start.
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', METRICS_PORT: metricsPort, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, exited, output: () => output };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, seconds = 60): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('SIGTERM: readyz turns 503, the in-flight finalize completes, then the process exits 0', async (t) => {
  let releaseGet: () => void = () => {};
  const held = new Promise<void>((resolve) => (releaseGet = resolve));
  const api = await startKubeStandIn(async (req, res) => {
    // The claim check: the Canary is live and being deleted.
    if (req.url.includes('/canaries/')) {
      const live = canary();
      live.metadata.deletionTimestamp = '2026-11-23T09:00:00Z';
      return sendJson(res, 200, live);
    }
    if (req.method === 'GET') await held;
    const d = deployment({ name: 'my-app-v1', replicas: 6 });
    sendJson(res, 200, d);
  });
  t.teardown(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'canary-hooks-'));
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(api.url));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const main = await startMain({
    PORT: String(port),
    KUBECONFIG: join(dir, 'kubeconfig'),
    SHUTDOWN_DELAY_SECONDS: '3',
    LOG_LEVEL: 'info',
  });
  t.teardown(() => {
    main.child.kill('SIGKILL');
  });

  await until(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 'the server');
  const finalize = post(base, '/finalize', {
    ...syncRequest(canary(), [deployment({ name: 'my-app-v1', replicas: 6 })]),
    finalizing: true,
  });
  await until(
    async () => (api.requests.some((r) => r.url.includes('/deployments/')) ? true : undefined),
    'finalize to reach the API',
  );

  main.child.kill('SIGTERM');
  const draining = await until(async () => {
    const res = await fetch(`${base}/readyz`);
    return res.status === 503 ? res.json() : undefined;
  }, '/readyz to answer 503');
  t.same(draining, { status: 'draining' });

  releaseGet();
  const res = await finalize;
  t.equal(res.status, 200, 'the in-flight request finished');
  t.match(res.body, { finalized: false });
  const patch = api.requests.find((r) => r.method === 'PATCH');
  t.match(patch?.body, [{ op: 'test', value: CANARY_UID }, { op: 'remove' }]);

  const [code] = await main.exited;
  t.equal(code, 0);
  t.match(main.output(), /draining before shutdown/);
  t.match(main.output(), /"msg":"stopped"/);
});

t.test('a bad environment stops the process at start with a message naming the variable', async (t) => {
  const main = await startMain({ PORT: 'eighty', LOG_LEVEL: 'info' });
  const [code] = await main.exited;
  t.equal(code, 1);
  t.match(
    main.output(),
    /canary-hooks failed to start: PORT must be an integer between 1 and 65535, got "eighty"/,
  );
});

t.test(
  'without a usable kubeconfig the service says so once, serves every hook, and each answer that needs the API says there is none',
  async (t) => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const main = await startMain({
      PORT: String(port),
      KUBECONFIG: join(tmpdir(), 'canary-hooks-no-such-kubeconfig'),
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_SECONDS: '0',
      EVENTS_ENABLED: 'true',
    });
    t.teardown(() => {
      main.child.kill('SIGKILL');
    });
    await until(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 'the server');
    const synced = await post(
      base,
      '/sync',
      syncRequest(canary({ command: 'apply' }), [
        deployment({ name: 'my-app-v1', replicas: 10 }),
        deployment({ name: 'my-app-v2', replicas: 0 }),
      ]),
    );
    t.equal(synced.status, 200);
    t.match(synced.body, { status: { state: 'running', currentStep: 1 } });
    const finalized = await post(base, '/finalize', {
      ...syncRequest(canary(), [deployment({ name: 'my-app-v1', replicas: 6 })]),
      finalizing: true,
    });
    t.equal(finalized.status, 200);
    t.match(finalized.body, {
      finalized: false,
      status: { message: /runs without a Kubernetes API .*cannot be released/ },
    });
    // A second finalize: still no warning of its own.
    await post(base, '/finalize', {
      ...syncRequest(canary(), [deployment({ name: 'my-app-v1', replicas: 6 })]),
      finalizing: true,
    });
    main.child.kill('SIGTERM');
    const [code] = await main.exited;
    t.equal(code, 0);
    const lines = main.output().split('\n');
    t.equal(lines.filter((l) => /no Kubernetes API/.test(l)).length, 1, 'said once, in one line, at start');
    t.match(main.output(), /\$KUBECONFIG \(.*canary-hooks-no-such-kubeconfig\) names no file/);
    t.equal(lines.filter((l) => /"level":40/.test(l)).length, 1, 'no warning per decision');
    t.notMatch(main.output(), /localhost:8080|ECONNREFUSED/);
  },
);
