/**
 * Traffic routing (docs/design.md §9) against the real kube-apiserver, with the
 * real HTTPRoute and VirtualService CRDs of Gateway API and Istio
 * (route-crds.sh, installed by run.sh): the service patches real routes, the
 * stand-in Metacontroller hands it the route as a related resource by name,
 * and every weight is read back from the API server after every sync.
 *
 * The stand-in plays the Deployment controller too (settleDeployment), so a
 * test chooses when the new replicas are available: that is what the order
 * rules hang on.
 */
import t, { type Test } from 'tap';
import * as k8s from '@kubernetes/client-node';
import {
  REPO,
  canaryObject,
  createNamespace,
  deploymentObject,
  installAll,
  kubeConfig,
  kubectlOk,
  parseTable,
  serviceAccountConfig,
  waitFor,
} from './helpers.js';
import { HookServer, Metacontroller, type HookAnswer } from './metacontroller.js';

const COMMAND = 'canary.k8shuginn.io/command';
const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };
const ISTIO = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' };
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

type Json = Record<string, unknown>;
interface Route {
  metadata: k8s.V1ObjectMeta;
  spec: Json;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const core = kc.makeApiClient(k8s.CoreV1Api);

let hooks: HookServer;
let mc: Metacontroller;

t.before(async () => {
  await installAll();
  const start = new Date();
  start.setUTCSeconds(5, 0);
  // The service talks to the API as the manifests' ServiceAccount: its
  // ClusterRole must be enough to patch both kinds of route.
  hooks = await HookServer.start(await serviceAccountConfig(), start);
  mc = new Metacontroller(hooks);
});
t.teardown(() => hooks?.close());

// ------------------------------------------------------------------ helpers

async function getRoute(
  kind: typeof GATEWAY | typeof ISTIO,
  namespace: string,
  name: string,
): Promise<Route> {
  return (await custom.getNamespacedCustomObject({ ...kind, namespace, name })) as Route;
}

async function patchRoute(
  kind: typeof GATEWAY | typeof ISTIO,
  namespace: string,
  name: string,
  body: unknown[],
): Promise<void> {
  await custom.patchNamespacedCustomObject({ ...kind, namespace, name, body }, JSON_PATCH);
}

/** Each HTTPRoute rule's backend weights, by backend name. */
function httpRouteWeights(route: Route): Record<string, number | undefined>[] {
  return ((route.spec.rules ?? []) as { backendRefs?: { name: string; weight?: number }[] }[]).map((r) =>
    Object.fromEntries((r.backendRefs ?? []).map((b) => [b.name, b.weight])),
  );
}

/** Each VirtualService http route's destination weights, by `host/subset`. */
function virtualServiceWeights(route: Route): Record<string, Record<string, number | undefined>> {
  const http = (route.spec.http ?? []) as {
    name?: string;
    route: { destination: { host: string; subset?: string }; weight?: number }[];
  }[];
  return Object.fromEntries(
    http.map((h, i) => [
      h.name ?? String(i),
      Object.fromEntries(
        h.route.map((r) => [`${r.destination.host}/${r.destination.subset ?? ''}`, r.weight]),
      ),
    ]),
  );
}

/** The route with the two weights of every list taken out: what must never change. */
function withoutWeights(route: Route): { metadata: Json; spec: Json } {
  const spec = JSON.parse(JSON.stringify(route.spec)) as Json;
  for (const rule of (spec.rules ?? []) as { backendRefs?: Json[] }[])
    for (const ref of rule.backendRefs ?? []) delete ref.weight;
  for (const h of (spec.http ?? []) as { route?: Json[] }[]) for (const r of h.route ?? []) delete r.weight;
  const { labels, annotations, name, namespace, uid, creationTimestamp } = route.metadata;
  return { metadata: { labels, annotations, name, namespace, uid, creationTimestamp }, spec };
}

async function replicas(namespace: string, name: string): Promise<number | undefined> {
  return (await apps.readNamespacedDeployment({ name, namespace })).spec?.replicas;
}

async function annotate(namespace: string, canary: string, command: string): Promise<void> {
  await kubectlOk(['annotate', '--overwrite', '-n', namespace, 'canary', canary, `${COMMAND}=${command}`]);
}

function trafficRouted(answer: HookAnswer): Condition | undefined {
  return ((answer.status.conditions ?? []) as Condition[]).find((c) => c.type === 'TrafficRouted');
}

async function wideRow(namespace: string, name: string): Promise<Record<string, string>> {
  const row = parseTable(await kubectlOk(['get', 'canaries', '-n', namespace, '-o', 'wide'])).find(
    (r) => r.NAME === name,
  );
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

async function metrics(): Promise<string> {
  return (await fetch(hooks.metricsUrl)).text();
}

/** The value of one sample of the service's /metrics whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * The order rules, checked on every sync of a rollout: what the route showed
 * going in, what the hook asked, what the route shows after the service wrote.
 */
interface Observation {
  routeBefore: number;
  routeAfter: number;
  oldAsked: number;
  newAsked: number;
  newAvailable: number;
  state: string;
}

class Rollout {
  readonly seen: Observation[] = [];
  constructor(
    readonly t: Test,
    readonly namespace: string,
    readonly canary: string,
    readonly total: number,
    readonly oldName: string,
    readonly newName: string,
    /** The new version's weight the route shows, one number for every list that names both. */
    readonly routeWeight: () => Promise<number>,
  ) {}

  async sync(options?: Parameters<Metacontroller['sync']>[2]): Promise<HookAnswer> {
    const routeBefore = await this.routeWeight();
    const neu = await apps.readNamespacedDeployment({ name: this.newName, namespace: this.namespace });
    const newAvailable = neu.status?.availableReplicas ?? 0;
    const generations = `gen ${neu.metadata?.generation}/${neu.status?.observedGeneration}`;
    const answer = await mc.sync(this.namespace, this.canary, options);
    const routeAfter = await this.routeWeight();
    const obs: Observation = {
      routeBefore,
      routeAfter,
      oldAsked: (await replicas(this.namespace, this.oldName)) ?? -1,
      newAsked: (await replicas(this.namespace, this.newName)) ?? -1,
      newAvailable,
      state: answer.status.state,
    };
    this.seen.push(obs);
    const t = this.t;
    t.comment(
      `sync ${this.seen.length}: step ${answer.status.currentStep} ${obs.state}, weight ${String(answer.status.weight)}` +
        ` | route ${routeBefore} -> ${routeAfter} | old ${obs.oldAsked}, new ${obs.newAsked} (${newAvailable} available, ${generations})` +
        ` | ${trafficRouted(answer)?.reason ?? '-'} | ${answer.status.message} (${String(answer.status.observedCommand)})`,
    );
    // No request meets a version that cannot serve it: a weight on the route
    // only once the new replicas that carry it were available.
    if (routeAfter > routeBefore)
      t.ok(
        newAvailable >= Math.ceil((this.total * routeAfter) / 100),
        `weight ${routeAfter} only with its replicas available (${newAvailable} of ${this.total})`,
      );
    // The old Deployment keeps every replica until the route shows 100.
    if (obs.oldAsked < this.total)
      t.equal(routeBefore, 100, `old scaled down (${obs.oldAsked}) only once the route showed 100`);
    // The new one loses replicas only once the route shows a weight the rest carry.
    const before = this.seen.at(-2)?.newAsked;
    if (before !== undefined && obs.newAsked < before)
      t.ok(
        routeBefore <= Math.floor((100 * obs.newAsked) / this.total),
        `new scaled down to ${obs.newAsked} only once the route showed ${routeBefore}`,
      );
    return answer;
  }

  /**
   * Plays the Deployment controller: both Deployments observed, the old one
   * all available; the new one all available too, or with `observeOnly` as
   * many as before (its new pods not started yet). The Deployment controller
   * must observe even a change of annotations: the decision record the
   * service writes on both Deployments bumps their generation.
   */
  async settle(observeOnly = false): Promise<void> {
    await mc.settleDeployment(this.namespace, this.oldName);
    const neu = await apps.readNamespacedDeployment({ name: this.newName, namespace: this.namespace });
    await mc.settleDeployment(
      this.namespace,
      this.newName,
      observeOnly ? (neu.status?.availableReplicas ?? 0) : undefined,
    );
  }

  /**
   * Syncs until `done` holds, at most `max` times, playing the Deployment
   * controller between syncs unless told not to: how many syncs a step takes
   * is the engine's business, what the route and replicas show on each is
   * checked by sync().
   */
  async until(
    what: string,
    done: (a: HookAnswer) => boolean | Promise<boolean>,
    { settle = true, max = 6 }: { settle?: boolean | 'observe'; max?: number } = {},
  ): Promise<HookAnswer> {
    for (let i = 0; i < max; i++) {
      const a = await this.sync();
      if (await done(a)) return a;
      if (settle) await this.settle(settle === 'observe');
    }
    throw new Error(`${this.canary}: not ${what} after ${max} syncs`);
  }
}

async function ownRoute(namespace: string, name: string, spec: Json): Promise<Route> {
  return (await custom.createNamespacedCustomObject({
    ...GATEWAY,
    namespace,
    body: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name }, spec },
  })) as Route;
}

async function twoDeployments(namespace: string, app: string, total: number): Promise<void> {
  for (const [version, n] of [
    ['v1', total],
    ['v2', 0],
  ] as const) {
    await apps.createNamespacedDeployment({
      namespace,
      body: deploymentObject({ name: `${app}-${version}`, namespace, app, version, replicas: n }),
    });
  }
}

// ------------------------------------------------------------- the tests

t.test("the seed's walkthrough, from manifests/examples/gateway-api: 10%, 50%, 100% read back", async (t) => {
  const ns = await createNamespace('traffic-gw');
  await kubectlOk(['apply', '-n', ns, '-k', `${REPO}/manifests/examples/gateway-api`]);
  const applied = await getRoute(GATEWAY, ns, 'backend-canary');
  const weight = async () => {
    const w = httpRouteWeights(await getRoute(GATEWAY, ns, 'backend-canary'));
    const [rule] = w;
    t.equal((rule!['backend-v1'] ?? 0) + (rule!['backend-v2'] ?? 0), 100, 'old + new == 100');
    return rule!['backend-v2'] ?? 0;
  };
  const r = new Rollout(t, ns, 'backend', 4, 'backend-v1', 'backend-v2', weight);
  await r.settle();

  let a = await r.sync();
  t.match(a.status, { state: 'stop', weight: 0, oldReplicas: 4, newReplicas: 0 });
  t.equal(
    (await getRoute(GATEWAY, ns, 'backend-canary')).metadata.resourceVersion,
    applied.metadata.resourceVersion,
    'a route that already shows 0 is not written',
  );

  await annotate(ns, 'backend', 'apply');
  a = await r.until('at step 1', (a) => a.status.currentStep === 1, { settle: 'observe' });
  t.match(a.status, { state: 'running', oldReplicas: 4, newReplicas: 1 });
  t.equal(await weight(), 0, 'no weight before its replica is available');
  t.match(trafficRouted(a), { status: 'False', reason: 'WaitingForReplicas' });

  await r.settle();
  a = await r.until('at 10%', async () => (await weight()) === 10);
  t.match(trafficRouted(a), { status: 'True', reason: 'WeightSet' });
  t.match(a.status, { weight: 10, oldReplicas: 4, newReplicas: 1 });
  t.match(await wideRow(ns, 'backend'), { WEIGHT: '10', OLDREPLICAS: '4', NEWREPLICAS: '1' });
  const m = await metrics();
  t.equal(
    sample(m, 'canary_traffic_weight', { namespace: ns, name: 'backend' }),
    10,
    'canary_traffic_weight',
  );
  t.comment(
    m
      .split('\n')
      .filter((l) => /^canary_/.test(l))
      .join('\n'),
  );

  a = await r.until('paused', (a) => a.status.pause?.kind === 'Manual', { settle: 'observe' });
  t.match(a.status, { currentStep: 2 }, 'then the pause, until promote');
  t.equal(await weight(), 10);

  await annotate(ns, 'backend', 'promote');
  a = await r.until('at step 3', (a) => a.status.currentStep === 3, { settle: 'observe' });
  t.match(a.status, { newReplicas: 2, oldReplicas: 4 });
  t.equal(await weight(), 10, '50% waits for its second replica');
  await r.settle();
  a = await r.until('at 50%', async () => (await weight()) === 50);
  t.match(await wideRow(ns, 'backend'), { WEIGHT: '50' });

  a = await r.until('paused for 10m', (a) => a.status.pause?.kind === 'Duration');
  t.match(a.status, { currentStep: 4 });
  hooks.advance(600);
  a = await r.until('at step 5', (a) => a.status.currentStep === 5, { settle: 'observe' });
  t.match(a.status, { newReplicas: 4, oldReplicas: 4 }, 'the old version keeps all 4');
  t.equal(await weight(), 50, '100% waits for all four');
  await r.settle();
  a = await r.until('at 100%', async () => (await weight()) === 100);
  t.equal(await replicas(ns, 'backend-v1'), 4, 'the old version still has all 4 as the route goes to 100');
  a = await r.until('complete', (a) => a.status.state === 'complete' && a.status.oldReplicas === 0);
  t.match(a.status, { state: 'complete', oldReplicas: 0, newReplicas: 4, weight: 100 });
  t.equal(await replicas(ns, 'backend-v1'), 0, 'old scaled down after the route shows 100');

  const final = await getRoute(GATEWAY, ns, 'backend-canary');
  t.same(withoutWeights(final), withoutWeights(applied), 'every other field of the route is as applied');

  // Deleting the Canary leaves the route at the weights it has, like the Deployments.
  await kubectlOk(['delete', 'canary', 'backend', '-n', ns, '--wait=false']);
  for (let i = 0; i < 5; i++) {
    const c = await mc.getCanary(ns, 'backend').catch(() => undefined);
    if (!c) break;
    await mc.sync(ns, 'backend');
  }
  await waitFor('the Canary to go', async () => !(await mc.getCanary(ns, 'backend').catch(() => undefined)));
  const kept = await getRoute(GATEWAY, ns, 'backend-canary');
  t.same(httpRouteWeights(kept), [{ 'backend-v1': 0, 'backend-v2': 100 }], 'the route keeps its weights');
  t.equal(kept.metadata.ownerReferences, undefined, 'never owned by the Canary');
  t.equal(await replicas(ns, 'backend-v2'), 4);
  t.equal(
    sample(await metrics(), 'canary_traffic_weight', { namespace: ns, name: 'backend' }),
    undefined,
    'gauge dropped',
  );
});

t.test('two rules, a header rule naming only the new backend, concurrent edits, a rollback', async (t) => {
  const ns = await createNamespace('traffic-rules');
  await twoDeployments(ns, 'shop', 4);
  const refs = (a: string, b: string, wa: number, wb: number) => [
    { name: a, port: 80, weight: wa },
    { name: b, port: 80, weight: wb },
  ];
  const header = {
    matches: [{ headers: [{ type: 'Exact', name: 'x-canary', value: 'true' }] }],
    filters: [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-via', value: 'canary' }] } },
    ],
    backendRefs: [{ name: 'shop-v2', port: 80 }],
  };
  await ownRoute(ns, 'shop', {
    parentRefs: [{ name: 'eg' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backendRefs: refs('shop-v1', 'shop-v2', 100, 0),
      },
      header,
      // The other order: pinned by index, so it is found wherever it is.
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: refs('shop-v2', 'shop-v1', 0, 100),
      },
    ],
  });
  await kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(
      canaryObject('shop', ns, {
        oldDeployment: 'shop-v1',
        newDeployment: 'shop-v2',
        totalReplicas: 4,
        selector: { matchLabels: { app: 'shop' } },
        trafficRouting: { gatewayAPI: { httpRoute: 'shop', oldBackend: 'shop-v1', newBackend: 'shop-v2' } },
        steps: [{ setWeight: 25 }, { setWeight: 50 }, { pause: {} }],
      }),
    ),
  );
  const weights = async () => httpRouteWeights(await getRoute(GATEWAY, ns, 'shop'));
  const weight = async () => {
    const w = await weights();
    t.equal(w[0]!['shop-v2'], w[2]!['shop-v2'], 'both rules that name both agree');
    // Gateway API's CRD defaults a backendRef's weight to 1: the header rule stays as the API server stored it.
    t.same(w[1], { 'shop-v2': 1 }, 'the header rule is left alone');
    return w[0]!['shop-v2']!;
  };
  const r = new Rollout(t, ns, 'shop', 4, 'shop-v1', 'shop-v2', weight);
  await r.settle();
  await r.sync();
  await annotate(ns, 'shop', 'apply');
  await r.sync();
  await r.settle();
  await r.sync();
  t.same(await weights(), [
    { 'shop-v1': 75, 'shop-v2': 25 },
    { 'shop-v2': 1 },
    { 'shop-v2': 25, 'shop-v1': 75 },
  ]);

  // A user edits the header rule while the next step's sync is on its way:
  // the patch pins only the two backends' names, so both changes land.
  let a = await r.sync(); // step 2 asks for its replicas
  await r.settle();
  a = await r.sync({
    beforeHook: () =>
      patchRoute(GATEWAY, ns, 'shop', [
        { op: 'replace', path: '/spec/rules/1/matches/0/headers/0/value', value: 'always' },
      ]),
  });
  t.match(trafficRouted(a), { status: 'True', reason: 'WeightSet' });
  const edited = await getRoute(GATEWAY, ns, 'shop');
  t.same(httpRouteWeights(edited)[0], { 'shop-v1': 50, 'shop-v2': 50 });
  t.match(
    edited.spec.rules,
    [{}, { matches: [{ headers: [{ value: 'always' }] }], filters: header.filters }],
    "the user's edit survives",
  );

  // An edit that moves a backend the patch pins: the `test` fails, the patch
  // is refused as a whole, the replicas hold, and the next sync starts over.
  await annotate(ns, 'shop', 'rollback');
  const newBefore = await replicas(ns, 'shop-v2');
  a = await r.sync({
    beforeHook: () =>
      patchRoute(GATEWAY, ns, 'shop', [
        { op: 'move', from: '/spec/rules/0/backendRefs/1', path: '/spec/rules/0/backendRefs/0' },
      ]),
  });
  t.match(trafficRouted(a), { status: 'False', reason: 'PatchFailed' });
  t.equal(await replicas(ns, 'shop-v2'), newBefore, 'a refused patch holds the replicas');
  t.same((await weights())[0], { 'shop-v2': 50, 'shop-v1': 50 }, 'the route is as the user left it');
  t.match(
    sample(await metrics(), 'canary_route_patch_total', { router: 'gatewayAPI', outcome: 'conflict' }),
    Number,
  );

  // Rollback: weight 0 at once, the new Deployment scaled down only after the route shows it.
  a = await r.sync();
  t.same(await weights(), [
    { 'shop-v2': 0, 'shop-v1': 100 },
    { 'shop-v2': 1 },
    { 'shop-v2': 0, 'shop-v1': 100 },
  ]);
  t.equal(await replicas(ns, 'shop-v2'), newBefore, 'the new replicas still there while the route goes to 0');
  t.equal(await replicas(ns, 'shop-v1'), 4);
  a = await r.sync();
  t.match(a.status, { state: 'stop', currentStep: 0, weight: 0, newReplicas: 0, oldReplicas: 4 });
  t.equal(await replicas(ns, 'shop-v2'), 0, 'then scaled down');
  t.match((await getRoute(GATEWAY, ns, 'shop')).spec.rules, [
    {},
    { matches: [{ headers: [{ value: 'always' }] }] },
  ]);
});

t.test('Istio: manifests/examples/istio, the named route moves, the header-matched one stays', async (t) => {
  const ns = await createNamespace('traffic-istio');
  await kubectlOk(['apply', '-n', ns, '-k', `${REPO}/manifests/examples/istio`]);
  const applied = await getRoute(ISTIO, ns, 'helloworld');
  const weight = async () => {
    const w = virtualServiceWeights(await getRoute(ISTIO, ns, 'helloworld'));
    t.same(w.pinned, { 'helloworld/v1': undefined }, 'pinned is left alone');
    t.equal((w.primary!['helloworld/v1'] ?? 0) + (w.primary!['helloworld/v2'] ?? 0), 100);
    return w.primary!['helloworld/v2'] ?? 0;
  };
  const r = new Rollout(t, ns, 'helloworld', 5, 'helloworld-v1', 'helloworld-v2', weight);
  await r.settle();
  await r.sync();
  await annotate(ns, 'helloworld', 'apply');
  const after: number[] = [];
  const a = await r.until(
    'complete at 100',
    async (a) => {
      const w = await weight();
      if (after.at(-1) !== w) after.push(w);
      if (a.status.pause?.kind === 'Duration') hooks.advance(300);
      if (a.status.pause?.kind === 'Manual') await annotate(ns, 'helloworld', 'promote');
      return a.status.state === 'complete' && w === 100 && a.status.oldReplicas === 0;
    },
    { max: 40 },
  );
  t.match(a.status, { weight: 100, newReplicas: 5 });
  t.same(after, [0, 20, 50, 80, 100], `each step's weight read back in turn: ${after.join(', ')}`);
  t.equal(await weight(), 100);
  t.same(
    withoutWeights(await getRoute(ISTIO, ns, 'helloworld')),
    withoutWeights(applied),
    'every other field as applied',
  );
});

t.test(
  'a patch refused by RBAC: replicas held, TrafficRouted says why, an Event, then a retry',
  async (t) => {
    const ns = await createNamespace('traffic-rbac');
    // A ServiceAccount with everything canary-hooks has except patch on routes.
    const rbac = JSON.parse(await kubectlOk(['get', 'clusterrole', 'canary-hooks', '-o', 'json'])) as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const routeGroups = new Set(['gateway.networking.k8s.io', 'networking.istio.io']);
    t.ok(
      rbac.rules.some((r) => r.resources.includes('httproutes')),
      'the ClusterRole names httproutes',
    );
    // Patch is all it grants on routes, so their rules go whole.
    const rules = rbac.rules
      .map((r) =>
        r.apiGroups.some((g) => routeGroups.has(g))
          ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') }
          : r,
      )
      .filter((r) => r.verbs.length > 0);
    const name = `no-route-patch-${ns}`;
    await kubectlOk(['create', 'serviceaccount', 'no-route-patch', '-n', ns]);
    await kubectlOk(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
            subjects: [{ kind: 'ServiceAccount', name: 'no-route-patch', namespace: ns }],
          },
        ],
      }),
    );
    const token = (await kubectlOk(['create', 'token', 'no-route-patch', '-n', ns, '--duration=1h'])).trim();
    const cluster = kc.getCurrentCluster()!;
    const limited = new k8s.KubeConfig();
    limited.loadFromOptions({
      clusters: [{ name: 'itest', server: cluster.server, caData: cluster.caData }],
      users: [{ name: 'no-route-patch', token }],
      contexts: [{ name: 'itest', cluster: 'itest', user: 'no-route-patch' }],
      currentContext: 'itest',
    });
    const refused = await HookServer.start(limited, hooks.now);
    t.teardown(() => refused.close());
    const limitedMc = new Metacontroller(refused);

    await twoDeployments(ns, 'cart', 4);
    await ownRoute(ns, 'cart', {
      parentRefs: [{ name: 'eg' }],
      rules: [
        {
          backendRefs: [
            { name: 'cart-v1', port: 80, weight: 100 },
            { name: 'cart-v2', port: 80, weight: 0 },
          ],
        },
      ],
    });
    await kubectlOk(
      ['create', '-f', '-'],
      JSON.stringify(
        canaryObject('cart', ns, {
          oldDeployment: 'cart-v1',
          newDeployment: 'cart-v2',
          totalReplicas: 4,
          selector: { matchLabels: { app: 'cart' } },
          trafficRouting: { gatewayAPI: { httpRoute: 'cart', oldBackend: 'cart-v1', newBackend: 'cart-v2' } },
          steps: [{ setWeight: 50 }, { pause: {} }],
        }),
      ),
    );
    const settle = async () => {
      await limitedMc.settleDeployment(ns, 'cart-v1');
      await limitedMc.settleDeployment(ns, 'cart-v2');
    };
    await settle();
    await limitedMc.sync(ns, 'cart');
    await annotate(ns, 'cart', 'apply');
    await limitedMc.sync(ns, 'cart');
    await settle();
    for (let i = 0; i < 3; i++) {
      const a = await limitedMc.sync(ns, 'cart');
      const c = trafficRouted(a);
      t.match(
        c,
        { status: 'False', reason: 'PatchFailed', message: /forbidden/i },
        `sync ${i + 1}: ${c?.message}`,
      );
      t.same(httpRouteWeights(await getRoute(GATEWAY, ns, 'cart')), [{ 'cart-v1': 100, 'cart-v2': 0 }]);
      t.equal(await replicas(ns, 'cart-v1'), 4, 'old held');
      t.equal(await replicas(ns, 'cart-v2'), 2, 'new held at what the weight needs');
    }
    await refused.events.idle();
    const events = await waitFor('the Warning Event', async () => {
      const list = await core.listNamespacedEvent({ namespace: ns });
      const found = list.items.filter((e) => e.reason === 'PatchFailed' && e.type === 'Warning');
      return found.length > 0 ? found : undefined;
    });
    t.match(events[0], { involvedObject: { kind: 'Canary', name: 'cart' }, message: /forbidden/i });
    t.ok(
      (sample(await (await fetch(refused.metricsUrl)).text(), 'canary_route_patch_total', {
        router: 'gatewayAPI',
        outcome: 'forbidden',
      }) ?? 0) >= 3,
      'counted as forbidden',
    );

    // Granted patch, the next sync goes through: nothing to do but retry.
    await kubectlOk(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
        rules: rbac.rules,
      }),
    );
    const a = await waitFor('the patch to be allowed', async () => {
      const answer = await limitedMc.sync(ns, 'cart');
      return trafficRouted(answer)?.reason === 'WeightSet' ? answer : undefined;
    });
    t.match(a.status, { weight: 50 });
    t.same(httpRouteWeights(await getRoute(GATEWAY, ns, 'cart')), [{ 'cart-v1': 50, 'cart-v2': 50 }]);
  },
);

t.test('bad input scales nothing and moves no traffic: a missing route, a backend in no rule', async (t) => {
  const ns = await createNamespace('traffic-bad');
  await twoDeployments(ns, 'pay', 4);
  await kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(
      canaryObject('pay', ns, {
        oldDeployment: 'pay-v1',
        newDeployment: 'pay-v2',
        totalReplicas: 4,
        selector: { matchLabels: { app: 'pay' } },
        trafficRouting: { gatewayAPI: { httpRoute: 'pay', oldBackend: 'pay-v1', newBackend: 'pay-v2' } },
        steps: [{ setWeight: 50 }],
      }),
    ),
  );
  await annotate(ns, 'pay', 'apply');
  let a = await mc.sync(ns, 'pay');
  t.match(a.status, { state: 'error', message: /pay/ });
  t.match(trafficRouted(a), { status: 'False', reason: 'RouteNotFound' });
  t.equal(await replicas(ns, 'pay-v2'), 0, 'nothing scaled');

  await ownRoute(ns, 'pay', {
    parentRefs: [{ name: 'eg' }],
    rules: [
      {
        backendRefs: [
          { name: 'pay-v1', port: 80, weight: 100 },
          { name: 'someone-else', port: 80, weight: 0 },
        ],
      },
    ],
  });
  const before = await getRoute(GATEWAY, ns, 'pay');
  a = await mc.sync(ns, 'pay');
  t.match(a.status, { state: 'error', message: /pay-v2/ });
  t.equal(await replicas(ns, 'pay-v2'), 0, 'nothing scaled');
  t.equal(
    (await getRoute(GATEWAY, ns, 'pay')).metadata.resourceVersion,
    before.metadata.resourceVersion,
    'route not written',
  );
});
