/**
 * The production artifact: build/bundle.js writes the server as one file into
 * a directory with no node_modules in reach, and that file, run by node the
 * way the image runs it, serves the hooks over real HTTP and reaches the
 * Kubernetes API through the bundled @kubernetes/client-node.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import {
  NODE_FLAGS,
  OPTIONAL_EXTERNALS,
  bundleServer,
  computedRequires,
  unbundledPackages,
} from '../../build/bundle.js';
import { decideSync } from '../../hooks/sync.js';
import type { SyncRequest } from '../../hooks/wire/index.js';
import { CANARY_UID, canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { repoPath } from '../helpers/crd.js';
import {
  STAND_IN_TOKEN,
  freePort,
  kubeStatus,
  kubeconfigYaml,
  post,
  sendJson,
  startKubeStandIn,
} from '../server/support.js';

// Bundling takes a few seconds on a busy 2-core machine; these are not timing assertions.
t.setTimeout(180_000);

async function until<T>(probe: () => Promise<T | undefined>, what: () => string, seconds = 60): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what()}`);
}

t.test('only builtins and the optional native add-ons may stay outside the bundle', async (t) => {
  const imports = [
    { path: 'node:fs', kind: 'import-statement', external: true },
    { path: 'http', kind: 'require-call', external: true },
    ...OPTIONAL_EXTERNALS.map((path) => ({ path, kind: 'require-call', external: true })),
    { path: 'node_modules/fastify/fastify.js', kind: 'require-call' },
    { path: 'left-pad', kind: 'require-call', external: true },
    { path: '@scope/dep/sub', kind: 'dynamic-import', external: true },
  ];
  t.same(unbundledPackages(imports), ['left-pad (require-call)', '@scope/dep/sub (dynamic-import)']);
});

t.test('a require() whose name is computed is found, with its line', async (t) => {
  const code = [
    'var fs = __require("fs");',
    "var http2 = __require('node:http2');",
    'var mod = __require2();',
    '  const plugin = __require(name);',
    '  return __require(`node:${builtin}`);',
  ].join('\n');
  t.same(computedRequires(code), [
    '4: const plugin = __require(name);',
    '5: return __require(`node:${builtin}`);',
  ]);
});

t.test('the bundle runs alone: hooks over HTTP, the API through bundled client-node, SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-hooks-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (let d = dir; ; d = dirname(d)) {
    t.notOk(existsSync(join(d, 'node_modules')), `no node_modules in ${d}`);
    if (dirname(d) === d) break;
  }

  const { outfile, bytes } = await bundleServer(join(dir, 'server.mjs'));
  t.equal(outfile, join(dir, 'server.mjs'));
  t.same(readdirSync(dir), ['server.mjs'], 'one file, no chunks or assets beside it');
  const code = readFileSync(outfile, 'utf8');
  t.equal(bytes, Buffer.byteLength(code));
  // Tree-shaken: the API groups the service calls are in, none of the other generated ones.
  t.match(code, /\bAppsV1ApiRequestFactory\b/);
  t.match(code, /\bCoreV1ApiRequestFactory\b/);
  t.notMatch(code, /\bStorageV1ApiRequestFactory\b/);
  t.notMatch(code, /\bBatchV1ApiRequestFactory\b/);
  // The npm punycode, not node's deprecated builtin (Node 22 warns when a bundle loads it).
  t.match(code, /node_modules\/punycode\/punycode\.js/);
  t.notMatch(code, /require\("punycode"\)/);
  // Latin-1 only, so V8 holds the source one byte a character (two beyond it).
  t.notOk(
    [...code].some((c) => c.charCodeAt(0) > 0xff),
    'no character beyond Latin-1',
  );
  // Names kept, so a stack trace in the log names the function that threw.
  t.match(code, /function decideSync\(/);

  const owned = deployment({ name: 'my-app-v1', replicas: 6 });
  // The live Canary every write of the service's own checks its claim against
  // (docs/design.md §12): it exists with the request's uid, and is being deleted
  // for finalize.
  const live = canary();
  live.metadata.deletionTimestamp = '2026-11-23T10:00:00Z';
  const api = await startKubeStandIn((req, res) => {
    if (
      req.method === 'GET' &&
      req.url === '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries/my-app'
    ) {
      return sendJson(res, 200, live);
    }
    if (req.url.startsWith('/apis/apps/v1/namespaces/default/deployments/my-app-v1')) {
      if (req.method === 'GET') return sendJson(res, 200, owned);
      if (req.method === 'PATCH') {
        return sendJson(res, 200, { ...owned, metadata: { ...owned.metadata, ownerReferences: [] } });
      }
    }
    if (req.method === 'POST' && req.url === '/api/v1/namespaces/default/events') {
      return sendJson(res, 201, req.body);
    }
    sendJson(res, 404, kubeStatus(404, 'NotFound', `no ${req.method} ${req.url} in the stand-in`));
  });
  t.teardown(() => api.close());
  writeFileSync(join(dir, 'kubeconfig'), kubeconfigYaml(api.url));

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Run as the image runs it (its node flags), in a clean environment: tap's NODE_OPTIONS would load its TypeScript loader
  // and coverage from this repo's node_modules, and HOME and NODE_PATH are
  // where require() also looks for packages.
  const child = spawn(process.execPath, [...NODE_FLAGS, outfile], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      PORT: String(port),
      METRICS_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      EVENTS_ENABLED: 'true',
      SHUTDOWN_DELAY_SECONDS: '0',
      KUBECONFIG: join(dir, 'kubeconfig'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  t.teardown(() => {
    child.kill('SIGKILL');
  });

  const health = await until(
    async () => {
      const res = await fetch(`${base}/healthz`);
      return res.ok ? res.json() : undefined;
    },
    () => `the bundled server to answer /healthz; it printed:\n${output}`,
  );
  t.same(health, { status: 'ok' });

  t.test('POST /sync answers what decideSync decides in process', async (t) => {
    const text = readFileSync(repoPath('test/fixtures/sync-request.json'), 'utf8');
    const request = JSON.parse(text) as SyncRequest;
    const before = Math.floor(Date.now() / 1000) * 1000;
    const res = await post(base, '/sync', text);
    const after = Date.now();
    t.equal(res.status, 200);
    // The server decides at its own "now", which it writes to the second; the
    // same decision taken here at that second must be identical, field for field.
    const stamped = (res.body.status as { lastStepTime?: string } | undefined)?.lastStepTime;
    t.type(stamped, 'string');
    const at = Date.parse(stamped!);
    t.ok(at >= before && at <= after, `stamped ${stamped} while the request was in flight`);
    const expected = decideSync(request, new Date(at));
    t.same(res.body, JSON.parse(JSON.stringify(expected.response)));
    t.match(res.body, { status: { state: 'running', currentStep: 1 } });
    t.same(
      expected.transitions.map((tr) => tr.kind),
      ['Started'],
    );

    // The transition goes out as a Kubernetes Event through the bundled CoreV1Api.
    const event = await until(
      async () => api.requests.find((r) => r.method === 'POST' && r.url.endsWith('/events')),
      () => 'the Started Event to reach the API',
    );
    t.equal(event.authorization, `Bearer ${STAND_IN_TOKEN}`);
    t.match(event.body, {
      kind: 'Event',
      type: 'Normal',
      action: 'Started',
      reason: expected.transitions[0]!.reason,
      involvedObject: { kind: 'Canary', name: 'my-app', uid: CANARY_UID },
      count: 1,
    });
    // client-node's serializer turned the recorder's Date into the API's time format.
    const { firstTimestamp } = event.body as { firstTimestamp: string };
    t.match(firstTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.ok(Date.parse(firstTimestamp) >= at && Date.parse(firstTimestamp) <= Date.now(), firstTimestamp);
  });

  t.test('POST /finalize releases the Deployment with a guarded JSON patch', async (t) => {
    const res = await post(base, '/finalize', { ...syncRequest(canary(), [owned]), finalizing: true });
    t.equal(res.status, 200);
    t.match(res.body, { finalized: false });
    const calls = api.requests.filter((r) => r.url.includes('/deployments/'));
    t.ok(
      api.requests.some((r) => r.method === 'GET' && r.url.endsWith('/canaries/my-app')),
      'the claim was checked against the live Canary first',
    );
    t.same(
      calls.map((r) => r.method),
      ['GET', 'PATCH'],
    );
    const patch = calls[1]!;
    t.equal(patch.url, '/apis/apps/v1/namespaces/default/deployments/my-app-v1');
    t.equal(patch.contentType, 'application/json-patch+json');
    t.equal(patch.authorization, `Bearer ${STAND_IN_TOKEN}`);
    t.same(patch.body, [
      { op: 'test', path: '/metadata/ownerReferences/0/uid', value: CANARY_UID },
      { op: 'remove', path: '/metadata/ownerReferences/0' },
    ]);
    t.match(output, /"result":"released".*"msg":"released Deployment from the Canary"/);
  });

  t.test('SIGTERM: drains and exits 0', async (t) => {
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    t.equal(code, 0, output);
    t.equal(signal, null);
    t.match(output, /"msg":"stopped"/);
    t.notMatch(output, /"level":(40|50|60)/, 'no warnings or errors logged');
  });
});
