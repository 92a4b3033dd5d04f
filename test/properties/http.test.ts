/**
 * The same random requests through the real HTTP server: what Metacontroller
 * receives is what the decision said (the response schema strips or breaks
 * nothing), it keeps the invariants, answers twice alike, and a malformed
 * body is a 400, never a 500.
 */
import fc from 'fast-check';
import t from 'tap';
import { buildApp } from '../../server/app.js';
import type { KubeApi, ReleaseResult } from '../../server/kube.js';
import { createMetrics } from '../../server/metrics.js';
import { claimsThatHold } from '../server/support.js';
import { decideSync } from '../../hooks/sync.js';
import type { Deployment, FinalizeResponse, SyncResponse } from '../../hooks/wire/index.js';
import { CANARY_UID } from '../fixtures/cluster.js';
import { childrenComplaints, syncComplaints, untouchedComplaints } from '../harness/invariants.js';
import { validateCanaryStatus } from '../helpers/crd.js';
import { syncCase, validSpec } from '../harness/arbitraries.js';

const RUNS = Number(process.env.PROPERTY_RUNS_HTTP ?? 50);

let now = new Date('2026-11-23T10:00:00Z');
const released: string[] = [];
const kube: KubeApi = {
  async releaseDeployment(namespace, name, ownerUid): Promise<ReleaseResult> {
    released.push(`${namespace}/${name}/${ownerUid}`);
    return 'released';
  },
};
const app = buildApp({
  kube,
  // The API server agrees with each request: these properties are about the answer, not the claim.
  claims: claimsThatHold,
  clock: () => now,
  metrics: createMetrics({ defaultMetrics: false }),
  logger: false,
});
const base = await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(() => app.close());

/** Fails the property (so fast-check shrinks it) with a readable reason. */
function must(ok: boolean, reason: string): void {
  if (!ok) throw new Error(reason);
}

/** JSON with every object's keys sorted: the response serializer writes optional fields last, the decision in its own order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

async function post(path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

t.test('sync over HTTP: what the decision said, within the invariants, twice alike', async (t) => {
  await fc.assert(
    fc.asyncProperty(syncCase, async (c) => {
      now = c.now;
      const first = await post('/sync', c.request);
      const second = await post('/sync', c.request);
      must(first.status === 200, `HTTP ${first.status}: ${first.text}`);
      const body = JSON.parse(first.text) as SyncResponse;
      const expected = JSON.parse(JSON.stringify(decideSync(structuredClone(c.request), c.now).response));
      must(same(body, expected), `the body is not the decision:\n${first.text}\n${JSON.stringify(expected)}`);
      must(second.text === first.text, 'the same request twice gave different bytes');
      const complaints = syncComplaints(c.request, body, c.now);
      must(complaints.length === 0, complaints.join('\n'));
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random requests, each posted twice`);
});

t.test('customize over HTTP asks for no pods, whatever the Canary (docs/design.md §11)', async (t) => {
  await fc.assert(
    fc.asyncProperty(syncCase, async (c) => {
      const { status, text } = await post('/customize', {
        controller: c.request.controller,
        parent: c.request.parent,
      });
      must(status === 200, `HTTP ${status}: ${text}`);
      const rules = (JSON.parse(text) as { relatedResources: { resource: string }[] }).relatedResources;
      must(
        rules.every((r) => r.resource !== 'pods'),
        `asked for ${text}`,
      );
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random Canaries`);
});

t.test('finalize over HTTP: children as observed, finalized once nothing is owned', async (t) => {
  await fc.assert(
    fc.asyncProperty(syncCase, async (c) => {
      now = c.now;
      released.length = 0;
      const request = { ...c.request, finalizing: true };
      const { status, text } = await post('/finalize', request);
      must(status === 200, `HTTP ${status}: ${text}`);
      const body = JSON.parse(text) as FinalizeResponse;
      const observed = Object.values(request.children?.['Deployment.apps/v1'] ?? {}) as Deployment[];
      const owned = observed.filter((d) =>
        (d.metadata.ownerReferences ?? []).some((r) => r.uid === CANARY_UID),
      );
      const complaints = [
        ...childrenComplaints(request, body),
        ...untouchedComplaints(request, body, 'all'),
        ...validateCanaryStatus(body.status),
      ];
      must(complaints.length === 0, complaints.join('\n'));
      must(body.finalized === (owned.length === 0), `finalized ${body.finalized} with ${owned.length} owned`);
      const want = owned.map((d) => `default/${d.metadata.name}/${CANARY_UID}`).sort();
      must(same(released.sort(), want), `released ${released.join(', ')}`);
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random finalize requests`);
});

/** Bodies Metacontroller would never send: the server must say 400, not fail. */
const malformed: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.constantFrom('{', 'null', '[]', '"x"', '{"parent": 1}', '{"parent": {"metadata": {}}}'),
  validSpec.map((spec) => ({ parent: { apiVersion: 'v1', kind: 'Canary', metadata: { name: '' }, spec } })),
  validSpec.map((spec) => ({
    parent: { apiVersion: 'v1', kind: 'Canary', metadata: { name: 'x' }, spec },
    children: { 'Deployment.apps/v1': { a: { metadata: { name: 'a' }, spec: { replicas: -1 } } } },
  })),
  validSpec.map((spec) => ({
    parent: { apiVersion: 'v1', kind: 'Canary', metadata: { name: 'x' }, spec, status: 'broken' },
  })),
);

t.test('malformed bodies get a 400 with a JSON error, never a 500', async (t) => {
  await fc.assert(
    fc.asyncProperty(malformed, fc.constantFrom('/sync', '/customize', '/finalize'), async (body, path) => {
      const { status, text } = await post(
        path,
        typeof body === 'string' ? body : JSON.stringify(body ?? null),
      );
      must(status === 200 || status === 400, `${path}: HTTP ${status}: ${text}`);
      if (status === 400) {
        const error = JSON.parse(text) as { error?: unknown; message?: unknown };
        must(typeof error.error === 'string' && typeof error.message === 'string', `${path}: ${text}`);
      }
    }),
    { numRuns: RUNS * 2 },
  );
  t.pass(`${RUNS * 2} malformed bodies`);
});
