/**
 * Traffic routing over simulated time (docs/design.md §9): the seed's Gateway
 * API walkthrough, backend-v1 and backend-v2 behind backend-canary at 10%,
 * then 50%, then 100%, as a Canary with setWeight steps and pauses; then the
 * same route through a rollout that crashes and rolls back, and one whose
 * writes are refused for a while. The harness's Metacontroller hands the
 * route to every sync as a related object and the server's writer patches
 * it, as a cluster would; a row is what the Deployments, the status and the
 * route show after each sync.
 */
import t from 'tap';
import { routerFor } from '../../hooks/routers/registry.js';
import { readRoute, shownWeight } from '../../hooks/routers/rules.js';
import { parseSpec } from '../../hooks/spec/parse.js';
import { HEADER_RULE, httpRoute, virtualService } from '../fixtures/routes.js';
import type { RouteObject } from '../harness/routes.js';
import { Simulation, type Row } from '../harness/simulation.js';

const ROUTING = {
  gatewayAPI: { httpRoute: 'backend-canary', oldBackend: 'backend-v1', newBackend: 'backend-v2' },
};
const SPEC = {
  stepReplicas: undefined,
  cronSchedule: undefined,
  totalReplicas: 4,
  steps: [
    { setWeight: 10 },
    { pause: {} },
    { setWeight: 50 },
    { pause: { duration: '10m' } },
    { setWeight: 100 },
  ],
  trafficRouting: ROUTING,
};

type Trace = [
  time: string,
  old: number | null,
  new: number | null,
  step: number,
  state: string,
  asked: number,
  shown: number | undefined,
];

function route(sim: Simulation): RouteObject {
  return sim.routes.get(
    'gateway.networking.k8s.io/v1',
    'httproutes',
    'default',
    'backend-canary',
  ) as RouteObject;
}

function shown(sim: Simulation): number | undefined {
  const parsed = parseSpec(sim.cluster.canary?.spec);
  if (!parsed.ok || !parsed.spec.trafficRouting) return undefined;
  const routing = parsed.spec.trafficRouting;
  const reading = readRoute(routerFor(routing), routing, route(sim));
  return reading.ok ? shownWeight(reading.rules) : undefined;
}

/**
 * Metacontroller's schedule of syncs until `until`, and the syncs watch
 * events bring (the route's change after a write, a Deployment's status), a
 * trace row after each.
 */
async function runUntil(sim: Simulation, trace: Trace[], until: string, max = 300) {
  sim.afterSync = (row) => traceRow(sim, trace, row);
  try {
    await sim.runUntil(until, max);
  } finally {
    sim.afterSync = undefined;
  }
}

function traceRow(sim: Simulation, trace: Trace[], row: Row) {
  const s = sim.status;
  trace.push([row[0], row[1], row[2], row[3], row[4], s?.weight ?? -1, shown(sim)]);
}

async function syncNow(sim: Simulation, trace: Trace[]) {
  const row = await sim.sync();
  if (row) traceRow(sim, trace, row);
}

/** Only the rows where something changed. */
const changes = (trace: Trace[]) =>
  trace.filter((r, i) => i === 0 || JSON.stringify(r.slice(1)) !== JSON.stringify(trace[i - 1]?.slice(1)));

const TRANSITIONS = (sim: Simulation) => sim.transitions.map((x) => `${x.kind}/${x.reason}`);

function start(extra: Partial<Parameters<typeof Simulation.start>[0]> = {}) {
  return Simulation.start({
    start: '2026-11-23T10:00:00Z',
    spec: SPEC,
    routes: [httpRoute({ old: 100, new: 0 }, [HEADER_RULE]) as RouteObject],
    ...extra,
  });
}

t.test("the seed's walkthrough: 10%, promote, 50%, ten minutes, 100%, on an HTTPRoute", async (t) => {
  const sim = await start();
  t.teardown(() => sim.close());
  const trace: Trace[] = [];
  await syncNow(sim, trace);
  sim.annotate('apply');
  await syncNow(sim, trace);
  await runUntil(sim, trace, '2026-11-23T10:05:00Z');
  sim.annotate('promote');
  await syncNow(sim, trace);
  await runUntil(sim, trace, '2026-11-23T10:20:00Z');
  t.same(changes(trace), [
    ['2026-11-23T10:00:00Z', 4, 0, 0, 'stop', 0, 0],
    // One replica of four carries 10%; the weight waits for it (ready 5s later: its Deployment's event).
    ['2026-11-23T10:00:00Z', 4, 1, 1, 'running', 0, 0],
    ['2026-11-23T10:00:05Z', 4, 1, 1, 'running', 10, 10],
    // The route read back at 10% (the write's own event): the step is done, the manual pause
    // begins. The old keeps all four.
    ['2026-11-23T10:00:05Z', 4, 1, 2, 'running', 10, 10],
    ['2026-11-23T10:05:00Z', 4, 2, 3, 'running', 10, 10],
    ['2026-11-23T10:05:05Z', 4, 2, 3, 'running', 50, 50],
    ['2026-11-23T10:05:05Z', 4, 2, 4, 'running', 50, 50],
    // Ten minutes on, setWeight 100 completes: every new replica first, then 100%, then the old goes.
    ['2026-11-23T10:15:05Z', 4, 4, 5, 'complete', 50, 50],
    ['2026-11-23T10:15:10Z', 4, 4, 5, 'complete', 100, 100],
    ['2026-11-23T10:15:10Z', 0, 4, 5, 'complete', 100, 100],
  ] satisfies Trace[]);
  t.same(
    sim.routes.writes.map((w) => [w.write.weight, w.outcome]),
    [
      [10, 'applied'],
      [50, 'applied'],
      [100, 'applied'],
    ],
    'three writes, one per weight; none while idle',
  );
  const final = route(sim) as unknown as ReturnType<typeof httpRoute>;
  t.same(final.spec.rules[1], HEADER_RULE, 'the header rule naming only backend-v2 is as it was');
  t.same(
    final.spec.rules[0]?.backendRefs.map((r) => [r.name, r.weight]),
    [
      ['backend-v1', 0],
      ['backend-v2', 100],
    ],
  );
  t.same(sim.violations, []);
  t.same(TRANSITIONS(sim), [
    'Started/ApplyCommand',
    'WeightSet/WeightSet',
    'StepAdvanced/StepDone',
    'Paused/Manual',
    'PauseEnded/PromoteCommand',
    'StepAdvanced/StepDone',
    'WeightSet/WeightSet',
    'StepAdvanced/StepDone',
    'Paused/Duration',
    'PauseEnded/Duration',
    'Completed/AllStepsDone',
    'WeightSet/WeightSet',
  ]);
});

t.test(
  'crashing new pods at 50%: weight 0 first, the new Deployment scaled down once the route shows it',
  async (t) => {
    const sim = await start();
    t.teardown(() => sim.close());
    const trace: Trace[] = [];
    sim.annotate('apply');
    await syncNow(sim, trace);
    await runUntil(sim, trace, '2026-11-23T10:01:00Z');
    sim.annotate('promote');
    await syncNow(sim, trace);
    await runUntil(sim, trace, '2026-11-23T10:02:00Z');
    t.same(trace.at(-1)?.slice(1), [4, 2, 4, 'running', 50, 50], 'at 50%, paused for ten minutes');
    // The new version falls over: its pods crash-loop from now on.
    sim.setPodBehaviour('my-app-v2', { kind: 'crash', afterSeconds: 20 });
    sim.evictPod('my-app-v2');
    // The replacement pod's crash is a watch event: the sync it sets off.
    sim.advanceTo('2026-11-23T10:02:30Z');
    await syncNow(sim, trace);
    await runUntil(sim, trace, '2026-11-23T10:04:00Z');
    const after = trace.filter((r) => r[0] >= '2026-11-23T10:02:00Z');
    t.same(
      changes(after).slice(-2),
      [
        ['2026-11-23T10:02:30Z', 4, 2, 0, 'stop', 0, 0],
        // the route's change to 0% is the event that lets the new replicas go
        ['2026-11-23T10:02:30Z', 4, 0, 0, 'stop', 0, 0],
      ] satisfies Trace[],
      'rolled back: 0% at once with both new replicas kept, then scaled down',
    );
    t.match(sim.status?.rollback, { reason: /^CrashLoopBackOff/ });
    t.same(
      sim.routes.writes.map((w) => w.write.weight),
      [10, 50, 0],
    );
    t.same(sim.violations, []);
  },
);

t.test('writes refused for a while: the step waits, PatchFailed says why, then it goes on', async (t) => {
  const sim = await start();
  t.teardown(() => sim.close());
  const trace: Trace[] = [];
  sim.routes.refuse = 'httproutes.gateway.networking.k8s.io "backend-canary" is forbidden';
  sim.annotate('apply');
  await syncNow(sim, trace);
  await runUntil(sim, trace, '2026-11-23T10:01:00Z');
  t.same(
    changes(trace),
    [
      ['2026-11-23T10:00:00Z', 4, 1, 1, 'running', 0, 0],
      ['2026-11-23T10:00:05Z', 4, 1, 1, 'running', 10, 0],
    ] satisfies Trace[],
    'asked 10%, the route still at 0, the replicas held',
  );
  const routed = sim.status?.conditions?.find((c) => c.type === 'TrafficRouted');
  t.match(routed, { status: 'False', reason: 'PatchFailed', message: /is forbidden; retrying$/ });
  t.ok(sim.routes.writes.length >= 5, `retried every 10s (${sim.routes.writes.length} tries)`);
  t.ok(TRANSITIONS(sim).includes('RoutePatchFailed/PatchFailed'));
  sim.routes.refuse = undefined;
  await runUntil(sim, trace, '2026-11-23T10:01:30Z');
  t.same(trace.at(-1)?.slice(1), [4, 1, 2, 'running', 10, 10], 'written, read back, on to the pause');
  t.match(
    sim.status?.conditions?.find((c) => c.type === 'TrafficRouted'),
    { status: 'True', reason: 'WeightSet' },
  );
  t.same(sim.violations, []);
});

t.test('an edit of the route while the rollout runs survives every later write', async (t) => {
  const sim = await start();
  t.teardown(() => sim.close());
  const trace: Trace[] = [];
  sim.annotate('apply');
  await syncNow(sim, trace);
  await runUntil(sim, trace, '2026-11-23T10:01:00Z');
  sim.routes.edit('gateway.networking.k8s.io/v1', 'httproutes', 'default', 'backend-canary', (r) => {
    const spec = r.spec as ReturnType<typeof httpRoute>['spec'];
    spec.hostnames.push('backends.example.org');
    spec.rules[1]!.matches = [{ headers: [{ type: 'Exact', name: 'x-canary', value: 'always' }] }];
    r.metadata.annotations = { ...(r.metadata.annotations as object), 'team/owner': 'payments' };
  });
  const edited = route(sim);
  sim.annotate('completion');
  await syncNow(sim, trace);
  await runUntil(sim, trace, '2026-11-23T10:02:00Z');
  t.same(trace.at(-1)?.slice(1), [0, 4, 5, 'complete', 100, 100]);
  const strip = (r: RouteObject) =>
    JSON.stringify({ ...r, metadata: { ...r.metadata, resourceVersion: '' } }).replace(
      /"weight":\d+/g,
      '"weight":0',
    );
  t.equal(strip(route(sim)), strip(edited), 'byte for byte, but for the two weights and the resourceVersion');
  t.same(sim.violations, []);
});

t.test('istio: only the named http route moves, through a rollout and a rollback command', async (t) => {
  const secondary = {
    name: 'secondary',
    match: [{ headers: { 'end-user': { exact: 'jason' } } }],
    route: [
      { destination: { host: 'helloworld', subset: 'v1' }, weight: 100 },
      { destination: { host: 'helloworld', subset: 'v2' }, weight: 0 },
    ],
  };
  const sim = await start({
    spec: {
      ...SPEC,
      trafficRouting: {
        istio: {
          virtualService: 'helloworld',
          routes: ['primary'],
          oldDestination: { host: 'helloworld', subset: 'v1' },
          newDestination: { host: 'helloworld', subset: 'v2' },
        },
      },
    },
    routes: [virtualService({ old: 100, new: 0 }, [secondary]) as RouteObject],
  });
  t.teardown(() => sim.close());
  const vs = () =>
    sim.routes.get('networking.istio.io/v1', 'virtualservices', 'default', 'helloworld') as RouteObject;
  const weights = () =>
    (vs().spec as { http: { route: { weight?: number }[] }[] }).http.map((h) => h.route.map((r) => r.weight));
  sim.annotate('apply');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:01:00Z');
  sim.annotate('promote');
  await sim.sync();
  await sim.runUntil('2026-11-23T10:02:00Z');
  t.same(weights(), [
    [50, 50],
    [100, 0],
  ]);
  t.same([sim.cluster.replicas('my-app-v1'), sim.cluster.replicas('my-app-v2')], [4, 2]);
  sim.annotate('rollback');
  await sim.sync();
  t.same(
    weights(),
    [
      [100, 0],
      [100, 0],
    ],
    '0% at once',
  );
  t.same(
    [sim.cluster.replicas('my-app-v1'), sim.cluster.replicas('my-app-v2')],
    [4, 2],
    'the new pods kept for now',
  );
  await sim.runUntil('2026-11-23T10:03:00Z');
  t.same([sim.cluster.replicas('my-app-v1'), sim.cluster.replicas('my-app-v2')], [4, 0], 'then scaled down');
  t.equal((vs().spec as { http: unknown[] }).http[1] !== undefined, true);
  t.same((vs().spec as { http: unknown[] }).http[1], secondary, 'the secondary route as it was');
  t.same(sim.violations, []);
});

t.test(
  'deleting the Canary mid-rollout leaves the route with the weights it has, as the Deployments',
  async (t) => {
    const sim = await start();
    t.teardown(() => sim.close());
    sim.annotate('apply');
    await sim.sync();
    await sim.runUntil('2026-11-23T10:01:00Z');
    const before = route(sim);
    t.equal(shown(sim), 10);
    const writes = sim.routes.writes.length;
    sim.deleteCanary();
    await sim.sync();
    await sim.runWhile(() => sim.cluster.canary !== undefined, 10);
    t.equal(sim.cluster.canary, undefined, 'finalized and gone');
    t.equal(sim.routes.writes.length, writes, 'no write while finalizing');
    t.same(route(sim), before, 'the route as it was, 10% on backend-v2');
    t.same([sim.cluster.replicas('my-app-v1'), sim.cluster.replicas('my-app-v2')], [4, 1]);
    t.same(sim.violations, []);
  },
);
