import t, { type Test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath, validateCanary } from '../helpers/crd.js';
import {
  examples,
  find,
  kustomizationObjects,
  readKustomization,
  selects,
  type K8sObject,
} from './manifests.js';

interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string }[] } };
  };
}
interface Canary extends K8sObject {
  spec: {
    oldDeployment: string;
    newDeployment: string;
    totalReplicas: number;
    stepReplicas: number;
    cronSchedule: string;
    selector: { matchLabels: Record<string, string> };
  };
}

const objects = examples();
const canary = find<Canary>(objects, 'Canary', 'my-app');
const v1 = find<Deployment>(objects, 'Deployment', 'my-app-v1');
const v2 = find<Deployment>(objects, 'Deployment', 'my-app-v2');
const service = find<K8sObject & { spec: { selector: Record<string, string> } }>(
  objects,
  'Service',
  'my-app',
);

t.test('the walkthrough Canary: v1 to v2, total 10, step 2, every minute', async (t) => {
  t.match(canary.spec, {
    oldDeployment: 'my-app-v1',
    newDeployment: 'my-app-v2',
    totalReplicas: 10,
    stepReplicas: 2,
    cronSchedule: '* * * * *',
    selector: { matchLabels: { app: 'my-app' } },
  });
  t.same(validateCanary(canary), []);
  t.equal(
    canary.metadata.namespace,
    undefined,
    'applies into the namespace the user picks, beside its Deployments',
  );
});

t.test('Metacontroller adopts both Deployments: their labels match the Canary selector', async (t) => {
  for (const d of [v1, v2]) {
    t.ok(selects(canary.spec.selector.matchLabels, d.metadata.labels), `${d.metadata.name} labels`);
    t.ok(
      selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels),
      `${d.metadata.name} selects its pods`,
    );
    t.equal(d.metadata.namespace, undefined);
  }
  t.equal(v1.spec.template.metadata.labels.version, 'v1.0.0');
  t.equal(v2.spec.template.metadata.labels.version, 'v2.0.0');
  // Pods of v1 must never count as v2's: their selectors must tell them apart.
  t.notOk(
    selects(v2.spec.selector.matchLabels, v1.spec.template.metadata.labels),
    "v2's selector skips v1 pods",
  );
  t.notOk(
    selects(v1.spec.selector.matchLabels, v2.spec.template.metadata.labels),
    "v1's selector skips v2 pods",
  );
});

t.test('the starting replicas are the Canary step 0, and one Service spans both versions', async (t) => {
  t.equal(v1.spec.replicas, canary.spec.totalReplicas);
  t.equal(v2.spec.replicas, 0);
  for (const d of [v1, v2])
    t.ok(selects(service.spec.selector, d.spec.template.metadata.labels), d.metadata.name);
  t.equal(
    v1.spec.template.spec.containers[0]?.name,
    v2.spec.template.spec.containers[0]?.name,
    'same container name, so one `kubectl set image` line fits both',
  );
});

t.test('the example files warn against re-applying replicas', async (t) => {
  for (const file of ['app-v1.yaml', 'app-v2.yaml']) {
    t.match(
      readFileSync(repoPath(`manifests/examples/${file}`), 'utf8'),
      /re-applying this\s+(#\s+)?file/i,
      file,
    );
  }
});

// The traffic-routing examples: each folder is a `kubectl apply -k` of its own.

interface RoutedCanary extends K8sObject {
  spec: {
    oldDeployment: string;
    newDeployment: string;
    totalReplicas: number;
    selector: { matchLabels: Record<string, string> };
    steps: Record<string, unknown>[];
    trafficRouting: {
      gatewayAPI?: { httpRoute: string; oldBackend: string; newBackend: string };
      istio?: {
        virtualService: string;
        routes?: string[];
        oldDestination: { host: string; subset?: string };
        newDestination: { host: string; subset?: string };
      };
    };
  };
}
interface HTTPRoute extends K8sObject {
  spec: {
    parentRefs: { name: string }[];
    rules: { matches?: unknown[]; backendRefs: { name: string; port: number; weight?: number }[] }[];
  };
}
interface VirtualService extends K8sObject {
  spec: {
    hosts: string[];
    http: {
      name?: string;
      match?: unknown[];
      route: { destination: { host: string; subset?: string }; weight?: number }[];
    }[];
  };
}
interface DestinationRule extends K8sObject {
  spec: { host: string; subsets: { name: string; labels: Record<string, string> }[] };
}
type Service = K8sObject & { spec: { selector: Record<string, string>; ports?: { port: number }[] } };

const exampleDir = (name: string) => repoPath(`manifests/examples/${name}`);

/** What `kubectl apply -k` of the folder installs, and the folder's own YAML files. */
function folder(name: string): { objects: K8sObject[]; listed: string[]; files: string[] } {
  const dir = exampleDir(name);
  return {
    objects: kustomizationObjects(dir),
    listed: readKustomization(dir).resources ?? [],
    files: readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml'),
  };
}

/** The Deployments of a Canary, the start they must have, and that their pods tell the versions apart. */
function checkDeployments(t: Test, objects: K8sObject[], c: RoutedCanary): [Deployment, Deployment] {
  const old = find<Deployment>(objects, 'Deployment', c.spec.oldDeployment);
  const neu = find<Deployment>(objects, 'Deployment', c.spec.newDeployment);
  t.equal(old.spec.replicas, c.spec.totalReplicas, 'the old version starts with every replica');
  t.equal(neu.spec.replicas, 0, 'the new version starts with none');
  for (const d of [old, neu]) {
    t.ok(selects(c.spec.selector.matchLabels, d.metadata.labels), `the Canary adopts ${d.metadata.name}`);
    t.ok(
      selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels),
      `${d.metadata.name} selects its pods`,
    );
    t.equal(d.metadata.namespace, undefined, `${d.metadata.name} goes into the namespace the user picks`);
  }
  t.notOk(
    selects(neu.spec.selector.matchLabels, old.spec.template.metadata.labels),
    'new selector skips old pods',
  );
  t.notOk(
    selects(old.spec.selector.matchLabels, neu.spec.template.metadata.labels),
    'old selector skips new pods',
  );
  return [old, neu];
}

const weights = (steps: Record<string, unknown>[]) =>
  steps.filter((s) => 'setWeight' in s).map((s) => s.setWeight as number);

for (const name of ['gateway-api', 'istio']) {
  t.test(`examples/${name}: the kustomization lists every file of the folder, each once`, async (t) => {
    const { listed, files } = folder(name);
    t.same([...listed].sort(), [...files].sort());
    t.equal(new Set(listed).size, listed.length);
  });

  t.test(`examples/${name}: the files warn against re-applying replicas and weights`, async (t) => {
    for (const file of folder(name).files.filter((f) => f !== 'canary.yaml' && f !== 'helloworld.yaml')) {
      t.match(
        readFileSync(join(exampleDir(name), file), 'utf8'),
        /re-apply(ing)?\s+(#\s+)?(this\s+(#\s+)?file|only with the weights)/i,
        file,
      );
    }
  });
}

t.test(
  "examples/gateway-api: the seed's HTTPRoute backend-canary, driven 10%, 50%, 100% with pauses",
  async (t) => {
    const { objects } = folder('gateway-api');
    const c = find<RoutedCanary>(objects, 'Canary', 'backend');
    t.same(validateCanary(c), [], 'the Canary CRD accepts it');
    t.equal(c.metadata.namespace, undefined);
    const routing = c.spec.trafficRouting.gatewayAPI!;
    t.same(Object.keys(c.spec.trafficRouting), ['gatewayAPI'], 'one router');
    t.same(routing, { httpRoute: 'backend-canary', oldBackend: 'backend-v1', newBackend: 'backend-v2' });
    t.same(weights(c.spec.steps), [10, 50, 100], "the seed's three weights");
    t.same(
      c.spec.steps.map((s) => Object.keys(s)[0]),
      ['setWeight', 'pause', 'setWeight', 'pause', 'setWeight'],
      'a pause after each weight short of 100',
    );

    const [old, neu] = checkDeployments(t, objects, c);
    const route = find<HTTPRoute>(objects, 'HTTPRoute', routing.httpRoute);
    t.equal(route.apiVersion, 'gateway.networking.k8s.io/v1', 'the version the customize hook asks for');
    const both = route.spec.rules.filter((r) =>
      [routing.oldBackend, routing.newBackend].every((b) => r.backendRefs.some((ref) => ref.name === b)),
    );
    t.ok(both.length >= 1, 'a rule names both backends, so the Canary has a weight to set');
    for (const rule of both) {
      const w = Object.fromEntries(rule.backendRefs.map((ref) => [ref.name, ref.weight]));
      t.same(
        w,
        { [routing.oldBackend]: 100, [routing.newBackend]: 0 },
        "the route starts where the Canary's step 0 is",
      );
    }
    // Each backend is a Service that sends to exactly one version's pods.
    for (const [backend, mine, other] of [
      [routing.oldBackend, old, neu],
      [routing.newBackend, neu, old],
    ] as const) {
      const svc = find<Service>(objects, 'Service', backend);
      const port = both[0]!.backendRefs.find((ref) => ref.name === backend)!.port;
      t.ok(
        selects(svc.spec.selector, mine.spec.template.metadata.labels),
        `${backend} selects ${mine.metadata.name} pods`,
      );
      t.notOk(
        selects(svc.spec.selector, other.spec.template.metadata.labels),
        `${backend} skips ${other.metadata.name} pods`,
      );
      t.ok(
        (svc.spec.ports ?? []).some((p) => p.port === port),
        `${backend} serves the port the route names (${port})`,
      );
    }
  },
);

t.test(
  'examples/istio: helloworld v1 to v2 through a VirtualService and DestinationRule subsets',
  async (t) => {
    const { objects } = folder('istio');
    const c = find<RoutedCanary>(objects, 'Canary', 'helloworld');
    t.same(validateCanary(c), [], 'the Canary CRD accepts it');
    const routing = c.spec.trafficRouting.istio!;
    t.same(Object.keys(c.spec.trafficRouting), ['istio'], 'one router');
    t.same(weights(c.spec.steps), [20, 50, 80, 100]);

    const [old, neu] = checkDeployments(t, objects, c);
    const vs = find<VirtualService>(objects, 'VirtualService', routing.virtualService);
    t.equal(vs.apiVersion, 'networking.istio.io/v1', 'the version the customize hook asks for');
    const same = (a: { host: string; subset?: string }, b: { host: string; subset?: string }) =>
      a.host === b.host && a.subset === b.subset;
    const named = (routing.routes ?? []).map((r) => vs.spec.http.find((h) => h.name === r));
    t.ok(named.length > 0 && named.every(Boolean), `the routes named (${routing.routes?.join(', ')}) exist`);
    for (const http of named) {
      const dests = http!.route.map((r) => r.destination);
      t.ok(
        dests.some((d) => same(d, routing.oldDestination)),
        `${http!.name} has the old destination`,
      );
      t.ok(
        dests.some((d) => same(d, routing.newDestination)),
        `${http!.name} has the new destination`,
      );
      t.same(
        http!.route.map((r) => r.weight),
        [100, 0],
        "it starts where the Canary's step 0 is",
      );
    }
    const pinned = vs.spec.http.filter(
      (h) => !h.route.some((r) => same(r.destination, routing.newDestination)),
    );
    t.ok(
      pinned.length >= 1 && pinned.every((h) => h.match),
      'a header-matched route names only v1: left alone',
    );

    // host -> the Service of both versions; subset -> the DestinationRule's labels of one version.
    const svc = find<Service>(objects, 'Service', routing.oldDestination.host);
    t.equal(routing.newDestination.host, svc.metadata.name);
    t.ok(vs.spec.hosts.includes(svc.metadata.name));
    const dr = find<DestinationRule>(objects, 'DestinationRule', svc.metadata.name);
    t.equal(dr.spec.host, svc.metadata.name);
    for (const [dest, mine, other] of [
      [routing.oldDestination, old, neu],
      [routing.newDestination, neu, old],
    ] as const) {
      const subset = dr.spec.subsets.find((s) => s.name === dest.subset);
      t.ok(subset, `subset ${dest.subset} is defined`);
      const labels = { ...svc.spec.selector, ...subset!.labels };
      t.ok(
        selects(labels, mine.spec.template.metadata.labels),
        `subset ${dest.subset} selects ${mine.metadata.name} pods`,
      );
      t.notOk(
        selects(labels, other.spec.template.metadata.labels),
        `subset ${dest.subset} skips ${other.metadata.name}`,
      );
    }
  },
);
