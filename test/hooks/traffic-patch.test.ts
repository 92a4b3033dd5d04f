/**
 * The JSON patch a sync asks of the server (docs/design.md §9): only the two
 * weights of every rule that names both versions, each rule's backends
 * pinned by `test` operations at their indexes, every other byte of the
 * route as it was. Applied with the API server's all-or-nothing rules.
 */
import t from 'tap';
import {
  HEADER_RULE,
  HTTPROUTE_KEY,
  VIRTUALSERVICE_KEY,
  httpRoute,
  virtualService,
} from '../fixtures/routes.js';
import { applyJsonPatch } from '../harness/json-patch.js';
import { RouteDriver } from './route-driver.js';
import { GATEWAY, ISTIO } from './routed-cases.js';

const T = '2026-11-23T09:00:00Z';
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');

/** Every leaf path whose value differs between a and b. */
function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) =>
    changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`),
  );
}

/** A Canary at step 1 (10%), its replica available, so the next sync writes 10%. */
function writeOf(spec: Record<string, unknown>, route: { metadata: { name: string } }, key: string) {
  const d = new RouteDriver(
    { totalReplicas: 10, steps: [{ setWeight: 10 }, { pause: {} }], ...spec },
    route as never,
    key,
  );
  d.sync(at(0), { command: 'apply' });
  const before = structuredClone(d.route);
  const decision = d.sync(at(5));
  return { before, write: decision.routeWrite, after: d.route, d };
}

const THIRD_BACKEND_RULE = {
  matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
  filters: [
    { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
  ],
  backendRefs: [
    { name: 'backend-v2', port: 3000, weight: 5 },
    { name: 'backend-legacy', port: 3000, weight: 20 },
    { name: 'backend-v1', port: 3000 },
  ],
};

t.test('gatewayAPI: only the weights of the two backends, in each rule that names both', async (t) => {
  const route = httpRoute({ old: 100, new: 0 }, [HEADER_RULE, THIRD_BACKEND_RULE]);
  const { before, write, after } = writeOf({ trafficRouting: GATEWAY.trafficRouting }, route, HTTPROUTE_KEY);
  t.same(write?.route, {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    resource: 'httproutes',
    kind: 'HTTPRoute',
    namespace: 'default',
    name: 'backend-canary',
  });
  t.same(write?.patch, [
    { op: 'test', path: '/spec/rules/0/backendRefs/0/name', value: 'backend-v1' },
    { op: 'test', path: '/spec/rules/0/backendRefs/1/name', value: 'backend-v2' },
    { op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 90 },
    { op: 'replace', path: '/spec/rules/0/backendRefs/1/weight', value: 10 },
    { op: 'test', path: '/spec/rules/2/backendRefs/2/name', value: 'backend-v1' },
    { op: 'test', path: '/spec/rules/2/backendRefs/0/name', value: 'backend-v2' },
    // The first sync already gave it one: the rule showed 1 (the default) against 5, a split to undo at once.
    { op: 'replace', path: '/spec/rules/2/backendRefs/2/weight', value: 90 },
    { op: 'replace', path: '/spec/rules/2/backendRefs/0/weight', value: 10 },
  ]);
  t.same(changedPaths(before, after).sort(), [
    '/spec/rules/0/backendRefs/0/weight',
    '/spec/rules/0/backendRefs/1/weight',
    '/spec/rules/2/backendRefs/0/weight',
    '/spec/rules/2/backendRefs/2/weight',
  ]);
  t.same(
    (after as typeof route).spec.rules[1],
    HEADER_RULE,
    'the header rule naming only backend-v2 is left alone',
  );
  t.equal(
    JSON.stringify((after as typeof route).spec.rules[2]).replace(/,?"weight":\d+/g, ''),
    JSON.stringify(THIRD_BACKEND_RULE).replace(/,?"weight":\d+/g, ''),
    'the third backend, filters and matches are byte for byte as they were, in their order',
  );
});

t.test('istio: every http route with both destinations, or only those `routes` names', async (t) => {
  const secondary = {
    name: 'secondary',
    match: [{ headers: { 'end-user': { exact: 'jason' } } }],
    route: [
      { destination: { host: 'helloworld', subset: 'v2' }, weight: 0 },
      { destination: { host: 'helloworld', subset: 'v1' }, weight: 100 },
    ],
    timeout: '5s',
  };
  const mirrorOnly = { name: 'v2-only', route: [{ destination: { host: 'helloworld', subset: 'v2' } }] };
  const route = virtualService({ old: 100, new: 0 }, [secondary, mirrorOnly]);
  const every = writeOf({ trafficRouting: ISTIO.trafficRouting }, route, VIRTUALSERVICE_KEY);
  t.same(changedPaths(every.before, every.after).sort(), [
    '/spec/http/0/route/0/weight',
    '/spec/http/0/route/1/weight',
    '/spec/http/1/route/0/weight',
    '/spec/http/1/route/1/weight',
  ]);
  t.same(every.write?.patch.slice(0, 4), [
    { op: 'test', path: '/spec/http/0/route/0/destination/host', value: 'helloworld' },
    { op: 'test', path: '/spec/http/0/route/0/destination/subset', value: 'v1' },
    { op: 'test', path: '/spec/http/0/route/1/destination/host', value: 'helloworld' },
    { op: 'test', path: '/spec/http/0/route/1/destination/subset', value: 'v2' },
  ]);
  const istio = ISTIO.trafficRouting.istio as Record<string, unknown>;
  const named = writeOf(
    { trafficRouting: { istio: { ...istio, routes: ['secondary'] } } },
    route,
    VIRTUALSERVICE_KEY,
  );
  t.same(changedPaths(named.before, named.after).sort(), [
    '/spec/http/1/route/0/weight',
    '/spec/http/1/route/1/weight',
  ]);
  t.same(
    (named.after as typeof route).spec.http[1],
    {
      ...secondary,
      route: [
        { ...secondary.route[0], weight: 10 },
        { ...secondary.route[1], weight: 90 },
      ],
    },
    'weights in its own order: new first here',
  );
});

t.test('a concurrent edit between the read and the write makes the patch fail, not overwrite', async (t) => {
  const cases = [
    {
      name: 'a rule inserted before the one read',
      edit: (r: ReturnType<typeof httpRoute>) => r.spec.rules.unshift(HEADER_RULE as never),
    },
    {
      name: 'the backends swapped',
      edit: (r: ReturnType<typeof httpRoute>) => r.spec.rules[0]!.backendRefs.reverse(),
    },
    {
      name: 'a backend renamed',
      edit: (r: ReturnType<typeof httpRoute>) => {
        r.spec.rules[0]!.backendRefs[1]!.name = 'backend-v3';
      },
    },
  ];
  for (const c of cases) {
    const { before, write } = writeOf({ trafficRouting: GATEWAY.trafficRouting }, httpRoute(), HTTPROUTE_KEY);
    const edited = structuredClone(before) as ReturnType<typeof httpRoute>;
    c.edit(edited);
    t.ok(write, `${c.name}: a write`);
    t.throws(
      () => applyJsonPatch(edited, write?.patch ?? []),
      { message: /^testing value .* failed$/ },
      c.name,
    );
  }
  const { before, write } = writeOf({ trafficRouting: GATEWAY.trafficRouting }, httpRoute(), HTTPROUTE_KEY);
  const annotated = structuredClone(before) as ReturnType<typeof httpRoute>;
  annotated.metadata.annotations = { ...annotated.metadata.annotations, 'team/owner': 'payments' };
  annotated.spec.rules.push(THIRD_BACKEND_RULE as never);
  const result = applyJsonPatch(annotated, write?.patch ?? []);
  t.same(
    changedPaths(annotated, result).sort(),
    ['/spec/rules/0/backendRefs/0/weight', '/spec/rules/0/backendRefs/1/weight'],
    'an edit elsewhere (an annotation, a rule appended) passes, and survives',
  );
});

t.test('which entries name a backend', async (t) => {
  const gatewayCases: [string, Record<string, unknown>, boolean][] = [
    ['a Service by name', { name: 'backend-v2', port: 3000 }, true],
    ['kind Service and group "" spelled out', { group: '', kind: 'Service', name: 'backend-v2' }, true],
    ['the same namespace spelled out', { name: 'backend-v2', namespace: 'default' }, true],
    ['another namespace', { name: 'backend-v2', namespace: 'other' }, false],
    ['another kind', { group: 'example.com', kind: 'Backend', name: 'backend-v2' }, false],
  ];
  for (const [name, ref, names] of gatewayCases) {
    const route = httpRoute();
    route.spec.rules[0]!.backendRefs[1] = { ...ref, weight: 0 } as never;
    const { write } = writeOf({ trafficRouting: GATEWAY.trafficRouting }, route, HTTPROUTE_KEY);
    t.equal(write !== undefined, names, `gatewayAPI, ${name}`);
  }
  const istio = ISTIO.trafficRouting.istio as Record<string, unknown>;
  const byHost = {
    ...istio,
    oldDestination: { host: 'helloworld' },
    newDestination: { host: 'helloworld-v2' },
  };
  const route = virtualService();
  route.spec.http[0]!.route = [
    { destination: { host: 'helloworld', subset: 'v1', port: { number: 5000 } }, weight: 50 },
    { destination: { host: 'helloworld', port: { number: 5000 } }, weight: 50 },
    { destination: { host: 'helloworld-v2', port: { number: 5000 } } },
  ] as never;
  const { before, after } = writeOf({ trafficRouting: { istio: byHost } }, route, VIRTUALSERVICE_KEY);
  t.same(
    changedPaths(before, after).sort(),
    ['/spec/http/0/route/1/weight', '/spec/http/0/route/2/weight'],
    'istio without a subset: the destination without one, not the subset v1 of the same host',
  );
});
