/**
 * The README's Gateway API walkthrough ("Traffic routing: the Envoy Gateway
 * canary") on the real engine: Metacontroller v4.17 hands the service the
 * real HTTPRoute as a related resource (its informer, its resync on every
 * change of the route), the Deployment controller and KWOK make the pods
 * available, and canary-hooks patches the route as its own ServiceAccount.
 *
 * manifests/examples/gateway-api as it is, except the Canary's pause of ten
 * minutes, cut to a few seconds so the run stays short. All through the
 * rollout a sampler reads the route and backend-v2 every 250 ms: no sample
 * may show a weight on backend-v2 before the replicas that carry it were
 * available, and backend-v1 keeps its 4 replicas until the route shows 100.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { REPO, parseTable, sleep, waitFor, workspace } from './lib/cluster.js';
import { getDeployment, settled, waitSettled, waitStatus, type CanaryStatus } from './lib/walk.js';

const DIR = 'manifests/examples/gateway-api';
const NAME = 'backend';
const ROUTE = 'backend-canary';
const TOTAL = 4;
const PAUSE = '5s';

interface HTTPRoute {
  metadata: { resourceVersion: string; ownerReferences?: unknown[] };
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}
type Status = CanaryStatus & { weight?: number; pause?: { kind: string } | null };

const ws = await workspace('e2e-traffic');
const startedAt = Date.now();
t.teardown(async () => {
  sampling = false;
  await sampler;
  await ws.kubectl(['delete', 'namespace', ws.namespace, '--wait=false']);
});
t.comment(`namespace ${ws.namespace}`);

async function route(): Promise<HTTPRoute> {
  return JSON.parse(await ws.kubectlOk(['get', 'httproute', ROUTE, '-o', 'json'])) as HTTPRoute;
}

/** backend-v1's and backend-v2's weights in the route's one rule. */
function weights(r: HTTPRoute): [number | undefined, number | undefined] {
  const refs = r.spec.rules[0]!.backendRefs;
  return [
    refs.find((b) => b.name === 'backend-v1')?.weight,
    refs.find((b) => b.name === 'backend-v2')?.weight,
  ];
}

// ---------------------------------------------------------------- the sampler

interface Sample {
  at: number;
  /** backend-v2's weight read before the Deployments, and after them. */
  newWeight: number;
  newWeightAfter: number;
  v1Replicas: number;
  v2Available: number;
}
const samples: Sample[] = [];
let sampling = true;
let sampler: Promise<void> = Promise.resolve();

function startSampler(): void {
  sampler = (async () => {
    while (sampling) {
      try {
        // The route, the Deployments, the route again. Availability read
        // after a weight is at least what it was when the weight was written;
        // a route read after backend-v1 went down shows what was written
        // before that, and the weight never goes down on the way to 100.
        const [, w] = weights(await route());
        const [v1, v2] = await Promise.all([
          getDeployment(ws, 'backend-v1'),
          getDeployment(ws, 'backend-v2'),
        ]);
        const [, after] = weights(await route());
        samples.push({
          at: Date.now() - startedAt,
          newWeight: w ?? 0,
          newWeightAfter: after ?? 0,
          v1Replicas: v1.spec.replicas ?? 0,
          v2Available: v2.status?.availableReplicas ?? 0,
        });
      } catch {
        // the namespace going away at the end
      }
      await sleep(250);
    }
  })();
}

/** Until the route shows `w` for backend-v2 (and 100 - w for backend-v1). */
async function routeAt(w: number, timeoutMs = 60_000): Promise<HTTPRoute> {
  return waitFor(
    `the route at ${100 - w}/${w}`,
    async () => {
      const r = await route();
      const [o, n] = weights(r);
      return o === 100 - w && n === w ? r : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

async function wideRow(): Promise<Record<string, string>> {
  const { rows } = parseTable(await ws.kubectlOk(['get', 'canaries', '-o', 'wide']));
  return rows.find((r) => r.NAME === NAME) ?? {};
}

// ------------------------------------------------------------------ the walk

let applied: HTTPRoute;

await t.test('1. the app, its route and the Canary: everything on backend-v1', async (t) => {
  const out = await ws.kubectlOk([
    'apply',
    '-f',
    `${DIR}/backend-v1.yaml`,
    '-f',
    `${DIR}/backend-v2.yaml`,
    '-f',
    `${DIR}/httproute.yaml`,
  ]);
  t.match(out, /httproute\.gateway\.networking\.k8s\.io\/backend-canary created/);
  // The example's Canary, with seconds where it pauses for minutes.
  const [doc] = parseAllDocuments(readFileSync(`${REPO}/${DIR}/canary.yaml`, 'utf8')).map(
    (d) =>
      d.toJS() as {
        spec: { steps: { pause?: { duration?: string } }[] };
      },
  );
  for (const s of doc!.spec.steps) if (s.pause?.duration) s.pause.duration = PAUSE;
  t.match(
    await ws.kubectlOk(['apply', '-f', '-'], JSON.stringify(doc)),
    /canary.k8shuginn.io\/backend created/,
  );
  await waitStatus(ws, NAME, 'pending', (s) => s.state === 'stop');
  await waitSettled(ws, { 'backend-v1': TOTAL, 'backend-v2': 0 }, 90_000);
  applied = await route();
  t.same(weights(applied), [100, 0]);
  t.match(await wideRow(), { STATE: 'stop', WEIGHT: '0' });
  startSampler();
});

await t.test('2. apply: 10% once backend-v2 has its pod, then a pause until promote', async (t) => {
  await ws.kubectlOk(['annotate', 'canary', NAME, 'canary.k8shuginn.io/command=apply', '--overwrite']);
  const r = await routeAt(10);
  t.same(weights(r), [90, 10], 'the route read back: 90/10');
  await waitSettled(ws, { 'backend-v1': TOTAL, 'backend-v2': 1 });
  const s = await waitStatus(ws, NAME, 'paused', (s) => (s as Status).pause?.kind === 'Manual');
  t.match(s.status, { weight: 10, currentStep: 2, state: 'running' });
  t.match(
    s.status?.conditions?.find((c) => c.type === 'TrafficRouted'),
    { status: 'True', reason: 'WeightSet' },
  );
  t.match(await wideRow(), { WEIGHT: '10', OLDREPLICAS: String(TOTAL), NEWREPLICAS: '1' });
  const shown = await ws.kubectlOk(['canary', 'status', NAME]);
  t.comment(shown);
  t.match(shown, /^Route:\s+HTTPRoute backend-canary \(backend-v1 -> backend-v2\)$/m);
  t.match(
    shown,
    /^\s+weight asked 10%, the route has 10%$/m,
    'status: the weight asked and the one the route has',
  );
  await sleep(2000);
  t.same(weights(await route()), [90, 10], 'the pause holds the route');
});

await t.test('3. promote: 50%, a pause of seconds, then 100% and the old version down', async (t) => {
  await ws.kubectlOk(['canary', 'promote', NAME]);
  t.same(weights(await routeAt(50)), [50, 50], 'the route read back: 50/50');
  // The service patches the route before it answers; Metacontroller writes
  // the status after, so the route may show 50 a moment before the status does.
  const at50 = await waitStatus(ws, NAME, 'weight 50', (s) => (s as Status).weight === 50, 10_000);
  t.match(at50.status, { weight: 50 });
  t.match(await wideRow(), { WEIGHT: '50' });
  t.same(weights(await routeAt(100)), [0, 100], 'the route read back: 0/100');
  // `complete` shows as soon as the last step is entered; the old version
  // goes down only once the route shows 100.
  const done = await waitStatus(
    ws,
    NAME,
    'complete, backend-v1 down',
    (s) => s.state === 'complete' && s.oldReplicas === 0,
    60_000,
  );
  t.match(done.status, { weight: 100, oldReplicas: 0, newReplicas: TOTAL });
  await waitSettled(ws, { 'backend-v1': 0, 'backend-v2': TOTAL }, 90_000);
  t.match(await wideRow(), { WEIGHT: '100', STATE: 'complete' });
  t.comment(await ws.kubectlOk(['get', 'canaries', '-o', 'wide']));
  t.comment(await ws.kubectlOk(['canary', 'status', NAME]));
});

await t.test('4. the order rules held on every sample of the rollout', async (t) => {
  sampling = false;
  await sampler;
  t.ok(samples.length > 10, `${samples.length} samples`);
  const early = samples.filter((s) => s.v2Available < Math.ceil((TOTAL * s.newWeight) / 100));
  t.same(early, [], 'no weight on backend-v2 before the replicas that carry it were available');
  const oldDown = samples.filter((s) => s.v1Replicas < TOTAL);
  const firstDown = oldDown[0];
  t.ok(firstDown, 'backend-v1 went down in the end');
  t.ok(
    samples.filter((s) => s.at <= (firstDown?.at ?? 0)).some((s) => s.newWeightAfter === 100),
    'the route showed 100 before backend-v1 lost a replica',
  );
  t.same(
    oldDown.filter((s) => s.newWeightAfter !== 100),
    [],
    'backend-v1 below 4 only while the route sends everything to backend-v2',
  );
  const seen = [...new Set(samples.map((s) => s.newWeight))];
  t.same(
    seen,
    [...seen].sort((a, b) => a - b),
    `the weight only went up: ${seen.join(', ')}`,
  );
  t.ok(
    [0, 10, 50, 100].every((w) => seen.includes(w)),
    'through each step of the walkthrough',
  );
});

await t.test('5. only the two weights changed; deleting the Canary leaves the route as it is', async (t) => {
  const now = await route();
  const strip = (r: HTTPRoute) => {
    const copy = JSON.parse(JSON.stringify(r)) as HTTPRoute & { metadata: Record<string, unknown> };
    for (const ref of copy.spec.rules[0]!.backendRefs) delete ref.weight;
    return { spec: copy.spec, labels: copy.metadata.labels, annotations: copy.metadata.annotations };
  };
  t.same(strip(now), strip(applied), 'every other field of the route as applied');
  t.equal(now.metadata.ownerReferences, undefined, 'the route is no child of the Canary');
  await ws.kubectlOk(['delete', 'canary', NAME]);
  await sleep(2000);
  const kept = await route();
  t.same(weights(kept), [0, 100], 'the route keeps its weights');
  const v2 = await getDeployment(ws, 'backend-v2');
  t.ok(settled(v2, TOTAL), 'and backend-v2 its replicas');
  t.comment(`walkthrough took ${Math.round((Date.now() - startedAt) / 1000)} s`);
});
