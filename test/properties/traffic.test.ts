/**
 * Properties of traffic routing (docs/design.md §9) over random step lists,
 * random routes and random stories of commands, availability and refused
 * writes, on both routers, with surge on and off. At every sync:
 * - the patch changes only `weight` fields, and only of the two named
 *   backends, in lists that name both (every other byte stays);
 * - after it, old weight + new weight == 100 in every such list;
 * - the new version is never short of what its weight needs: replicas
 *   asked >= ceil(total * w / 100) for the weight asked, a weight rises
 *   only once the replicas for it were available, and the replicas the route
 *   sent traffic to before the write are not scaled away in the same sync;
 * - the old Deployment keeps totalReplicas until the Canary completes, and
 *   leaves only once the route shows 100.
 */
import fc from 'fast-check';
import t from 'tap';
import { replicasForWeight } from '../../hooks/steps/weights.js';
import { exposure, readRoute } from '../../hooks/routers/rules.js';
import { routerFor } from '../../hooks/routers/registry.js';
import { parseSpec } from '../../hooks/spec/parse.js';
import { applyJsonPatch } from '../harness/json-patch.js';
import { RouteDriver } from '../hooks/route-driver.js';
import { GATEWAY, ISTIO, type RouterCase } from '../hooks/routed-cases.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const T0 = Date.parse('2026-11-23T09:00:00Z');

const weight = fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined });

/** One list of backends: some of the old, the new and a stranger, in any order, weights or none. */
function entries(make: (who: string, w: number | undefined) => unknown) {
  return fc
    .uniqueArray(fc.constantFrom('old', 'new', 'other'), { minLength: 1, maxLength: 3 })
    .chain((who) => fc.tuple(...who.map((w) => fc.tuple(fc.constant(w), weight))))
    .map((pairs) => pairs.map(([who, w]) => make(who, w)));
}

const gatewayEntry = (who: string, w: number | undefined) => ({
  name: { old: 'backend-v1', new: 'backend-v2', other: 'backend-legacy' }[who],
  port: 3000,
  ...(w === undefined ? {} : { weight: w }),
});
const istioEntry = (who: string, w: number | undefined) => ({
  destination: { host: 'helloworld', subset: { old: 'v1', new: 'v2', other: 'v3' }[who] },
  ...(w === undefined ? {} : { weight: w }),
});

/** A route with a first list naming both, then random others (header matches, filters). */
function routeOf(c: RouterCase): fc.Arbitrary<ReturnType<RouterCase['route']>> {
  const isGateway = c === GATEWAY;
  const make = isGateway ? gatewayEntry : istioEntry;
  const both = fc
    .tuple(weight, weight, fc.boolean())
    .map(([o, n, swap]) => (swap ? [make('new', n), make('old', o)] : [make('old', o), make('new', n)]));
  const list = (backends: unknown[], i: number) =>
    isGateway
      ? { matches: [{ headers: [{ name: 'x-rule', value: String(i) }] }], backendRefs: backends }
      : { name: `r${i}`, match: [{ headers: { 'x-rule': { exact: String(i) } } }], route: backends };
  return fc.tuple(both, fc.array(entries(make), { maxLength: 3 })).map(([first, rest]) => {
    const route = c.route();
    const lists = [first, ...rest].map(list);
    (route as unknown as { spec: Record<string, unknown> }).spec[isGateway ? 'rules' : 'http'] = lists;
    return route;
  });
}

const step = (total: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: 100 }).map((w) => ({ setWeight: w })),
    fc.integer({ min: 0, max: total }).map((n) => ({ setReplicas: n })),
    fc.constant({ pause: {} }),
  );

const spec = fc.integer({ min: 1, max: 20 }).chain((total) =>
  fc.record({
    totalReplicas: fc.constant(total),
    surge: fc.boolean(),
    form: fc.oneof(
      fc.array(step(total), { minLength: 1, maxLength: 6 }).map((steps) => ({ steps })),
      fc.integer({ min: 1, max: total }).map((s) => ({ stepReplicas: s, cronSchedule: '* * * * *' })),
    ),
  }),
);

const action = fc.record({
  seconds: fc.integer({ min: 1, max: 90 }),
  command: fc.option(fc.constantFrom('apply', 'promote', 'rollback', 'completion', 'stop'), {
    freq: 3,
    nil: undefined,
  }),
  /** undefined: all the new Deployment has. */
  available: fc.option(fc.integer({ min: 0, max: 20 }), { freq: 2, nil: undefined }),
  refuse: fc.boolean(),
});

function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`),
  );
}

interface Action {
  seconds: number;
  command: string | undefined;
  available: number | undefined;
  refuse: boolean;
}

function play(
  c: RouterCase,
  s: Record<string, unknown>,
  route: ReturnType<RouterCase['route']>,
  actions: Action[],
) {
  const { form, ...rest } = s as { form: Record<string, unknown> };
  const d = new RouteDriver({ ...rest, ...form, trafficRouting: c.trafficRouting }, route, c.key);
  const parsed = parseSpec({
    ...d.spec,
    selector: { matchLabels: { app: 'x' } },
    oldDeployment: 'a',
    newDeployment: 'b',
  });
  if (!parsed.ok || !parsed.spec.trafficRouting) throw new Error(`bad spec ${JSON.stringify(d.spec)}`);
  const routing = parsed.spec.trafficRouting;
  const router = routerFor(routing);
  const total = d.spec.totalReplicas as number;
  let now = T0;
  d.sync(new Date(now).toISOString());
  for (const a of actions) {
    now += a.seconds * 1000;
    const before = structuredClone(d.route);
    const beforeReading = readRoute(router, routing, before as never);
    if (!beforeReading.ok) throw new Error(beforeReading.message);
    const observedNew = d.newReplicas;
    const available = a.available === undefined ? observedNew : Math.min(a.available, observedNew);
    const shownBefore = d.shown;
    const decision = d.sync(new Date(now).toISOString().replace('.000', ''), {
      command: a.command,
      available: a.available === undefined ? undefined : available,
      refuse: a.refuse ? 'admission webhook "policy" denied the request' : undefined,
    });
    const s = decision.response.status;
    const where = `at ${new Date(now).toISOString()} ${JSON.stringify(d.row)}`;
    if (s.state === 'error') throw new Error(`error ${s.message} ${where}`);
    const write = decision.routeWrite;
    if (write) {
      const after = applyJsonPatch(before, write.patch);
      for (const path of changedPaths(before, after)) {
        if (!/\/weight$/.test(path)) throw new Error(`changed ${path} ${where}`);
        const entry = path.replace(/\/weight$/, '');
        const touched = beforeReading.rules.some((r) => r.oldPointer === entry || r.newPointer === entry);
        if (!touched)
          throw new Error(
            `changed the weight of ${entry}, not a named backend of a list naming both ${where}`,
          );
      }
      const reading = readRoute(router, routing, after as never);
      if (!reading.ok) throw new Error(reading.message);
      for (const r of reading.rules) {
        if ((r.oldWeight ?? NaN) + (r.newWeight ?? NaN) !== 100) {
          throw new Error(`${r.label}: ${r.oldWeight} + ${r.newWeight} != 100 ${where}`);
        }
      }
    }
    if (d.newReplicas < replicasForWeight(total, s.weight)) {
      throw new Error(`new ${d.newReplicas} short of ${s.weight}% ${where}`);
    }
    if (
      shownBefore !== undefined &&
      s.weight > shownBefore &&
      available < replicasForWeight(total, s.weight)
    ) {
      throw new Error(`weight rose to ${s.weight} with ${available} available ${where}`);
    }
    const carried = Math.min(replicasForWeight(total, exposure(beforeReading.rules)), observedNew);
    if (d.newReplicas < carried)
      throw new Error(`scaled new to ${d.newReplicas} under ${carried} the route still sends to ${where}`);
    if (d.oldReplicas !== total && !(s.state === 'complete' && shownBefore === 100)) {
      throw new Error(`old ${d.oldReplicas} before the route showed 100 on completion ${where}`);
    }
  }
}

for (const c of [GATEWAY, ISTIO]) {
  t.test(`${c.name}: random lists, routes and stories keep the routing properties`, async (t) => {
    fc.assert(
      fc.property(
        spec,
        routeOf(c),
        fc.array(action, { minLength: 1, maxLength: 25 }),
        (s, route, actions) => {
          play(c, s, route, actions);
        },
      ),
      { numRuns: RUNS },
    );
    t.pass(`${RUNS} runs`);
  });
}
