/**
 * A small simulated cluster: one namespace holding a Canary, Deployments and
 * their pods, with just enough of the API server, the Deployment controller
 * and the kubelet to answer what canary-hooks reads:
 *
 * - every spec change of a Deployment bumps `metadata.generation`, as the API
 *   server does; the Deployment controller then (after an optional delay)
 *   catches `status.observedGeneration` up;
 * - pods follow each Deployment's replicas, owned by the ReplicaSet
 *   `<deployment>-<pod-template-hash>`; a new pod template gets a new hash and
 *   its pods replace the old ones;
 * - each pod becomes available after a chosen delay, crash-loops, or never
 *   becomes ready, as the Deployment's pod behaviour said when it was created.
 *
 * Time is a simulated clock that only moves when told to. Nothing here knows
 * anything about canaries beyond the object shapes.
 */
import { COMMAND_ANNOTATION } from '../../hooks/wire/index.js';
import type { Canary, Deployment, Pod } from '../../hooks/wire/index.js';
import { canary as canaryFixture, deployment as deploymentFixture, NAMESPACE } from '../fixtures/cluster.js';

export type PodBehaviour =
  /** Ready and available `afterSeconds` after the pod is created. */
  | { kind: 'ready'; afterSeconds: number }
  /** Starts, then from `afterSeconds` on waits in CrashLoopBackOff; never available. */
  | { kind: 'crash'; afterSeconds: number }
  /** Runs but never passes its readiness probe. */
  | { kind: 'never' };

export const HEALTHY: PodBehaviour = { kind: 'ready', afterSeconds: 5 };

interface SimPod {
  object: Pod;
  deployment: string;
  hash: string;
  createdAt: number;
  behaviour: PodBehaviour;
}

interface SimDeployment {
  object: Deployment;
  /** Pods created from now on behave like this. */
  behaviour: PodBehaviour;
  /** When the spec last changed, for the Deployment controller's delay. */
  specChangedAt: number;
}

export interface DeploymentSetup {
  name: string;
  replicas: number;
  version?: string;
  image?: string;
  labels?: Record<string, string>;
  namespace?: string;
  /** `canary`: already owned by the Canary (adopted earlier); `none`: an orphan; `other`: another controller's. */
  owner?: 'canary' | 'none' | 'other';
  behaviour?: PodBehaviour;
}

/** The alphabet Kubernetes uses for generated names and hashes (rand.SafeEncodeString). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(value: number, length: number): string {
  let out = '';
  let n = value >>> 0;
  for (let i = 0; i < length; i++) {
    out += SAFE[n % SAFE.length];
    n = Math.floor(n / SAFE.length) + i * 7919;
  }
  return out;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Stands in for the Deployment controller's pod-template-hash: a function of the template alone. */
export function templateHash(template: unknown): string {
  return safeEncode(fnv1a(JSON.stringify(template ?? null)), 10);
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export class Cluster {
  nowMs: number;
  canary: Canary | undefined;
  /** Deployments by `namespace/name`. */
  readonly deployments = new Map<string, SimDeployment>();
  readonly pods = new Map<string, SimPod>();
  /** How long the Deployment controller takes to notice a spec change. */
  deploymentControllerDelaySeconds = 0;
  /** What happened to the cluster that nobody asked for: deletions by garbage collection and the like. */
  readonly events: string[] = [];
  private podCounter = 0;
  private resourceVersion = 1000;

  constructor(start: string) {
    this.nowMs = Date.parse(start);
    if (Number.isNaN(this.nowMs)) throw new Error(`bad start time ${start}`);
  }

  get now(): Date {
    return new Date(this.nowMs);
  }

  private nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  // ------------------------------------------------------------- the Canary

  createCanary(spec: Record<string, unknown>, command?: string): Canary {
    const object = canaryFixture({ spec, command });
    delete (object as { status?: unknown }).status;
    object.metadata.generation = 1;
    object.metadata.resourceVersion = this.nextResourceVersion();
    (object.metadata as Record<string, unknown>).creationTimestamp = rfc3339(this.nowMs);
    this.canary = object;
    return object;
  }

  private requireCanary(): Canary {
    if (!this.canary) throw new Error('no Canary in the cluster');
    return this.canary;
  }

  /** `kubectl annotate canary.k8shuginn.io/command=<value>`, or `...command-` with undefined. */
  annotate(command: string | undefined): void {
    const canary = this.requireCanary();
    const annotations = { ...canary.metadata.annotations };
    if (command === undefined) delete annotations[COMMAND_ANNOTATION];
    else annotations[COMMAND_ANNOTATION] = command;
    canary.metadata.annotations = annotations;
    canary.metadata.resourceVersion = this.nextResourceVersion();
  }

  /** A spec change through the API server: generation goes up. */
  editCanarySpec(patch: Record<string, unknown>): void {
    const canary = this.requireCanary();
    canary.spec = { ...canary.spec, ...patch };
    canary.metadata.generation = (canary.metadata.generation ?? 1) + 1;
    canary.metadata.resourceVersion = this.nextResourceVersion();
  }

  /** `kubectl delete canary`: with Metacontroller's finalizer on it, it only gets a deletionTimestamp. */
  deleteCanary(): void {
    const canary = this.requireCanary();
    const finalizers = (canary.metadata as { finalizers?: string[] }).finalizers ?? [];
    if (finalizers.length === 0) {
      this.removeCanary();
      return;
    }
    canary.metadata.deletionTimestamp = rfc3339(this.nowMs);
    canary.metadata.resourceVersion = this.nextResourceVersion();
  }

  /** The last finalizer is gone: the object goes, and the garbage collector deletes what it still owns. */
  removeCanary(): void {
    const canary = this.requireCanary();
    this.canary = undefined;
    for (const [key, d] of this.deployments) {
      if ((d.object.metadata.ownerReferences ?? []).some((ref) => ref.uid === canary.metadata.uid)) {
        this.events.push(`garbage collector deleted Deployment ${d.object.metadata.name}`);
        this.deleteDeployment(key);
      }
    }
  }

  // --------------------------------------------------------- Deployments

  addDeployment(setup: DeploymentSetup): Deployment {
    const object = deploymentFixture({
      name: setup.name,
      version: setup.version,
      replicas: setup.replicas,
      image: setup.image,
      labels: setup.labels,
      generation: 1,
      observedGeneration: 0,
      available: 0,
    });
    const namespace = setup.namespace ?? NAMESPACE;
    object.metadata.namespace = namespace;
    object.metadata.resourceVersion = this.nextResourceVersion();
    const owner = setup.owner ?? 'canary';
    if (owner === 'none') delete object.metadata.ownerReferences;
    if (owner === 'other') {
      object.metadata.ownerReferences = [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: 'someone-else',
          uid: 'uid-someone-else',
          controller: true,
          blockOwnerDeletion: true,
        },
      ];
    }
    if (owner === 'canary' && this.canary) {
      for (const ref of object.metadata.ownerReferences ?? []) {
        ref.name = this.canary.metadata.name;
        ref.uid = this.canary.metadata.uid ?? ref.uid;
      }
    }
    // Deployments that exist before the story starts have long been running.
    this.deployments.set(`${namespace}/${setup.name}`, {
      object,
      behaviour: setup.behaviour ?? HEALTHY,
      specChangedAt: this.nowMs - 3600_000,
    });
    this.reconcile();
    return object;
  }

  deployment(name: string, namespace = NAMESPACE): Deployment | undefined {
    return this.deployments.get(`${namespace}/${name}`)?.object;
  }

  private sim(name: string, namespace = NAMESPACE): SimDeployment {
    const d = this.deployments.get(`${namespace}/${name}`);
    if (!d) throw new Error(`no Deployment ${namespace}/${name}`);
    return d;
  }

  replicas(name: string): number | undefined {
    return this.deployment(name)?.spec.replicas;
  }

  /** A change to a Deployment's spec, as the API server records it. */
  private changeSpec(d: SimDeployment, change: (spec: Deployment['spec']) => void): void {
    const before = JSON.stringify(d.object.spec);
    change(d.object.spec);
    if (JSON.stringify(d.object.spec) === before) return;
    d.object.metadata.generation = (d.object.metadata.generation ?? 1) + 1;
    d.object.metadata.resourceVersion = this.nextResourceVersion();
    d.specChangedAt = this.nowMs;
  }

  scale(name: string, replicas: number, namespace = NAMESPACE): void {
    this.changeSpec(this.sim(name, namespace), (spec) => {
      spec.replicas = replicas;
    });
    this.reconcile();
  }

  setLabels(name: string, labels: Record<string, string>, namespace = NAMESPACE): void {
    const d = this.sim(name, namespace);
    d.object.metadata.labels = { ...labels };
    d.object.metadata.resourceVersion = this.nextResourceVersion();
  }

  /**
   * Metacontroller's in-place apply of the annotations a hook returns: each
   * key set as given, every other annotation kept. (Removing a key it applied
   * before, from its last-applied record, is not modelled.)
   */
  setAnnotations(name: string, annotations: Record<string, string>, namespace = NAMESPACE): void {
    const d = this.sim(name, namespace);
    const current = d.object.metadata.annotations ?? {};
    if (Object.entries(annotations).every(([k, v]) => current[k] === v)) return;
    d.object.metadata.annotations = { ...current, ...annotations };
    d.object.metadata.resourceVersion = this.nextResourceVersion();
  }

  /** `kubectl set image`: a new pod template, so a new pod-template-hash and new pods. */
  setImage(name: string, image: string, namespace = NAMESPACE): void {
    this.changeSpec(this.sim(name, namespace), (spec) => {
      const template = spec.template as { spec: { containers: { image: string }[] } };
      for (const container of template.spec.containers) container.image = image;
    });
    this.reconcile();
  }

  setPodBehaviour(name: string, behaviour: PodBehaviour, namespace = NAMESPACE): void {
    this.sim(name, namespace).behaviour = behaviour;
  }

  /**
   * A pod of this Deployment goes away (node drain, eviction, OOM kill): its
   * ReplicaSet replaces it at once, and the new pod needs its start-up time.
   */
  evictPod(name: string, namespace = NAMESPACE): string {
    const key = `${namespace}/${name}`;
    const victim = [...this.pods.values()]
      .filter((p) => p.deployment === key)
      .sort((a, b) => a.object.metadata.name.localeCompare(b.object.metadata.name))[0];
    if (!victim) throw new Error(`Deployment ${key} has no pod to evict`);
    this.pods.delete(victim.object.metadata.name);
    const d = this.sim(name, namespace);
    this.followReplicas(key, d, this.nowMs);
    this.reconcile();
    return victim.object.metadata.name;
  }

  deleteDeployment(key: string): void {
    const d = this.deployments.get(key);
    if (!d) return;
    this.deployments.delete(key);
    for (const [podName, pod] of this.pods) {
      if (pod.deployment === key) this.pods.delete(podName);
    }
  }

  /** Adds or removes an ownerReference, as Metacontroller's adopt/release patches and finalize's release do. */
  setOwnerReferences(key: string, refs: Deployment['metadata']['ownerReferences']): void {
    const d = this.deployments.get(key);
    if (!d) throw new Error(`no Deployment ${key}`);
    if (refs === undefined || refs.length === 0) delete d.object.metadata.ownerReferences;
    else d.object.metadata.ownerReferences = refs;
    d.object.metadata.resourceVersion = this.nextResourceVersion();
  }

  // ----------------------------------------------------------------- time

  /**
   * The next moment after `afterMs` at which the Deployment controller or
   * the kubelet changes something by itself (a spec observed after the
   * delay, a container started, a pod ready, a crash loop beginning or
   * restarting): the watch events time alone brings.
   */
  nextChangeAfter(afterMs: number): number | undefined {
    const times: number[] = [];
    for (const d of this.deployments.values()) {
      const generation = d.object.metadata.generation ?? 1;
      if ((d.object.status?.observedGeneration ?? 0) < generation) {
        times.push(d.specChangedAt + this.deploymentControllerDelaySeconds * 1000);
      }
    }
    for (const pod of this.pods.values()) {
      const b = pod.behaviour;
      const at = (seconds: number) => pod.createdAt + seconds * 1000;
      times.push(at(b.kind === 'ready' ? Math.min(1, b.afterSeconds) : 1));
      if (b.kind === 'ready') times.push(at(b.afterSeconds));
      if (b.kind === 'crash') {
        const crashing = at(b.afterSeconds);
        // restartCount goes up once a minute while it crash-loops.
        const minutes = afterMs < crashing ? 0 : Math.floor((afterMs - crashing) / 60_000) + 1;
        times.push(crashing + minutes * 60_000);
      }
    }
    const ahead = times.filter((time) => time > afterMs);
    return ahead.length === 0 ? undefined : Math.min(...ahead);
  }

  advanceTo(timeMs: number): void {
    if (timeMs < this.nowMs) throw new Error(`time goes forward only: ${rfc3339(timeMs)}`);
    this.nowMs = timeMs;
    this.reconcile();
  }

  // ---------------- the Deployment controller and the kubelet, in one pass

  reconcile(): void {
    for (const [key, d] of this.deployments) this.reconcileDeployment(key, d);
  }

  private reconcileDeployment(key: string, d: SimDeployment): void {
    const object = d.object;
    const status = (object.status ??= {});
    const generation = object.metadata.generation ?? 1;
    const observedAt = d.specChangedAt + this.deploymentControllerDelaySeconds * 1000;
    if ((status.observedGeneration ?? 0) < generation && this.nowMs >= observedAt) {
      status.observedGeneration = generation;
      this.followReplicas(key, d, observedAt);
    } else if ((status.observedGeneration ?? 0) >= generation) {
      this.followReplicas(key, d, this.nowMs);
    }
    const hash = templateHash(object.spec.template);
    const pods = [...this.pods.values()].filter((p) => p.deployment === key);
    for (const pod of pods) this.updatePodStatus(pod);
    const ready = pods.filter((p) => this.isReady(p)).length;
    status.replicas = pods.length;
    status.updatedReplicas = pods.filter((p) => p.hash === hash).length;
    status.readyReplicas = ready;
    status.availableReplicas = ready;
  }

  /** Pods of the current template, `spec.replicas` of them; pods of any other template go. */
  private followReplicas(key: string, d: SimDeployment, at: number): void {
    const hash = templateHash(d.object.spec.template);
    const want = d.object.spec.replicas ?? 1;
    const mine = [...this.pods.values()]
      .filter((p) => p.deployment === key)
      .sort(
        (a, b) => a.createdAt - b.createdAt || a.object.metadata.name.localeCompare(b.object.metadata.name),
      );
    for (const pod of mine.filter((p) => p.hash !== hash)) this.pods.delete(pod.object.metadata.name);
    const current = mine.filter((p) => p.hash === hash);
    // Scale down newest first, as the ReplicaSet controller prefers younger pods.
    while (current.length > want) {
      const pod = current.pop() as SimPod;
      this.pods.delete(pod.object.metadata.name);
    }
    for (let i = current.length; i < want; i++) this.createPod(key, d, hash, at);
  }

  private createPod(key: string, d: SimDeployment, hash: string, at: number): void {
    const deploymentName = d.object.metadata.name;
    const namespace = d.object.metadata.namespace ?? NAMESPACE;
    this.podCounter += 1;
    const name = `${deploymentName}-${hash}-${safeEncode(fnv1a(`${key}/${this.podCounter}`), 5)}`;
    const template = d.object.spec.template as {
      metadata?: { labels?: Record<string, string> };
      spec: { containers: { name: string; image: string }[] };
    };
    const replicaSet = `${deploymentName}-${hash}`;
    const object = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        uid: `uid-${name}`,
        resourceVersion: this.nextResourceVersion(),
        creationTimestamp: rfc3339(at),
        labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: replicaSet,
            uid: `uid-rs-${replicaSet}`,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { containers: template.spec.containers.map((c) => ({ name: c.name, image: c.image })) },
      status: {},
    } as unknown as Pod;
    this.pods.set(name, { object, deployment: key, hash, createdAt: at, behaviour: d.behaviour });
  }

  private isReady(pod: SimPod): boolean {
    const b = pod.behaviour;
    return b.kind === 'ready' && this.nowMs >= pod.createdAt + b.afterSeconds * 1000;
  }

  /** What the kubelet would report by now. */
  private updatePodStatus(pod: SimPod): void {
    const b = pod.behaviour;
    const since = (seconds: number) => pod.createdAt + seconds * 1000;
    const containers = (pod.object as unknown as { spec: { containers: { name: string }[] } }).spec
      .containers;
    const startsAfter = b.kind === 'ready' ? Math.min(1, b.afterSeconds) : 1;
    const ready = this.isReady(pod);
    let state: Record<string, unknown> = { running: { startedAt: rfc3339(since(startsAfter)) } };
    let restartCount = 0;
    if (b.kind === 'crash' && this.nowMs >= since(b.afterSeconds)) {
      restartCount = 3 + Math.floor((this.nowMs - since(b.afterSeconds)) / 60_000);
      state = {
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' },
      };
    } else if (this.nowMs < since(startsAfter)) {
      state = { waiting: { reason: 'ContainerCreating' } };
    }
    pod.object.status = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready,
        restartCount,
        state: clone(state),
      })),
    } as Pod['status'];
  }
}
