import t from 'tap';
import { DEFAULT_PORT, PROBE_PATHS, readConfig } from '../../server/config.js';
import { find, installed, selects, type K8sObject } from './manifests.js';

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: { name: string; value?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  containers: Container[];
}
interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface PeerSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: {
      from: { namespaceSelector?: PeerSelector; podSelector?: PeerSelector; ipBlock?: unknown }[];
      ports: { port: number | string; protocol?: string }[];
    }[];
  };
}

const objects = installed();
const deployment = find<Deployment>(objects, 'Deployment', 'canary-hooks');
const pod = deployment.spec.template;
const [container] = pod.spec.containers;
const service = find<
  K8sObject & { spec: { selector: Record<string, string>; ports: Record<string, unknown>[] } }
>(objects, 'Service', 'canary-hooks');
const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

t.test('the webhook Deployment runs two replicas of the local image', async (t) => {
  t.equal(deployment.spec.replicas, 2);
  t.equal(pod.spec.containers.length, 1);
  t.equal(container?.image, 'canary-hooks:latest');
  t.equal(container?.imagePullPolicy, 'IfNotPresent', 'a kind/minikube-loaded image is used, not pulled');
  t.ok(selects(deployment.spec.selector.matchLabels, pod.metadata.labels), 'its selector matches its pods');
});

t.test('port, env and probes agree with the server', async (t) => {
  t.same(container?.ports, [{ name: 'http', containerPort: DEFAULT_PORT, protocol: 'TCP' }]);
  // The server must start with exactly this environment, and listen where the Service sends.
  const config = readConfig(env);
  t.equal(config.port, DEFAULT_PORT, 'PORT env is the container port');
  t.ok(env.LOG_LEVEL, 'LOG_LEVEL is set');
  t.equal(config.logLevel, env.LOG_LEVEL);
  t.same(container?.readinessProbe?.httpGet, { path: PROBE_PATHS.readyz, port: 'http' });
  t.same(container?.livenessProbe?.httpGet, { path: PROBE_PATHS.healthz, port: 'http' });
  const delay = (config as { shutdownDelaySeconds?: number }).shutdownDelaySeconds ?? 0;
  t.ok(
    (pod.spec.terminationGracePeriodSeconds ?? 0) > delay + 10,
    `the grace period outlasts the ${delay}s drain delay with time to finish requests`,
  );
});

t.test('the Service sends port 80 to the named container port', async (t) => {
  t.same(service.spec.ports, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }]);
  t.ok(selects(service.spec.selector, pod.metadata.labels), 'it selects the webhook pods');
  t.ok(
    container?.ports?.some((p) => p.name === service.spec.ports[0]?.targetPort),
    'targetPort names a container port',
  );
});

t.test('the pod is locked down (Pod Security "restricted" and more)', async (t) => {
  t.match(pod.spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  t.type(pod.spec.securityContext?.runAsUser, 'number', 'a numeric user, so runAsNonRoot can be verified');
  t.not(pod.spec.securityContext?.runAsUser, 0);
  t.match(container?.securityContext, {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.notOk((container?.securityContext?.capabilities as { add?: unknown })?.add, 'no capability added back');
  for (const kind of ['requests', 'limits'] as const) {
    t.ok(container?.resources?.[kind]?.cpu, `cpu ${kind}`);
    t.ok(container?.resources?.[kind]?.memory, `memory ${kind}`);
  }
  const ns = find<K8sObject>(objects, 'Namespace', 'canary-system');
  t.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
});

t.test('a PodDisruptionBudget keeps one replica through a drain', async (t) => {
  const pdb = find<
    K8sObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }
  >(objects, 'PodDisruptionBudget', 'canary-hooks');
  t.equal(pdb.apiVersion, 'policy/v1');
  t.equal(pdb.spec.minAvailable, 1);
  t.ok(pdb.spec.minAvailable < deployment.spec.replicas, 'a drain can still evict one');
  t.ok(selects(pdb.spec.selector.matchLabels, pod.metadata.labels));
});

t.test('RBAC grants what finalize, Events, route weights and pod reads need, and nothing else', async (t) => {
  const sa = find<K8sObject>(objects, 'ServiceAccount', 'canary-hooks');
  t.equal(pod.spec.serviceAccountName, sa.metadata.name);
  const role = find<K8sObject & { rules: PolicyRule[] }>(objects, 'ClusterRole', 'canary-hooks');
  const granted = role.rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
    )
    .sort();
  t.same(granted, [
    '/events:create',
    '/events:patch',
    // docs/design.md §11: one list of the new pods; no get, no watch, so no pod cache.
    '/pods:list',
    'apps/deployments:get',
    'apps/deployments:patch',
    'events.k8s.io/events:create',
    'events.k8s.io/events:patch',
    'gateway.networking.k8s.io/httproutes:get',
    'gateway.networking.k8s.io/httproutes:patch',
    'networking.istio.io/virtualservices:get',
    'networking.istio.io/virtualservices:patch',
  ]);
  t.notOk(JSON.stringify(role.rules).includes('*'), 'no wildcards');
  const binding = find<K8sObject & { roleRef: Record<string, string>; subjects: Record<string, string>[] }>(
    objects,
    'ClusterRoleBinding',
    'canary-hooks',
  );
  t.same(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
    name: role.metadata.name,
  });
  t.same(binding.subjects, [
    { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
  ]);
});

t.test('the NetworkPolicy admits only Metacontroller and Prometheus, on the server port', async (t) => {
  const policy = find<NetworkPolicy>(objects, 'NetworkPolicy', 'canary-hooks');
  t.ok(selects(policy.spec.podSelector.matchLabels, pod.metadata.labels), 'it covers the webhook pods');
  t.same(policy.spec.policyTypes, ['Ingress'], 'egress stays open for the API server');
  t.equal(policy.spec.ingress.length, 2);
  for (const rule of policy.spec.ingress) {
    t.same(rule.ports, [{ protocol: 'TCP', port: DEFAULT_PORT }]);
    t.equal(rule.from.length, 1);
    const [peer] = rule.from;
    // Both selectors in one peer: pods with that label AND in that namespace.
    t.ok(peer?.namespaceSelector && peer.podSelector, 'namespace and pod are both pinned');
    t.notOk(peer?.ipBlock, 'no address ranges');
  }
  const [metacontroller, prometheus] = policy.spec.ingress.map((r) => r.from[0]!);
  t.same(metacontroller?.namespaceSelector, {
    matchLabels: { 'kubernetes.io/metadata.name': 'metacontroller' },
  });
  t.match(metacontroller?.podSelector?.matchExpressions, [
    { key: 'app.kubernetes.io/name', operator: 'In', values: ['metacontroller', 'metacontroller-helm'] },
  ]);
  t.same(prometheus?.namespaceSelector, { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } });
  t.same(prometheus?.podSelector, { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } });
});
