/**
 * Plays Metacontroller v4's part against the real API server, for the
 * CompositeController that manifests/ installed (read back from the server):
 *
 * 1. add its finalizer to the Canary (it does so because a finalize hook is set);
 * 2. claim children: Deployments in the Canary's namespace matching
 *    `spec.selector`, adopting orphans with a controller ownerReference;
 * 3. ask the real customize hook which related objects to send (pods by
 *    label, a route by name: related.ts builds the map as Metacontroller
 *    v4.17 does), its answer cached per Canary generation as Metacontroller
 *    caches it;
 * 4. POST `{controller, parent, children, related, finalizing}` to the real
 *    sync hook, or finalize once the Canary has a deletionTimestamp;
 * 5. write back what it answered: each child's `spec.replicas` (InPlace), the
 *    status through the status subresource with `observedGeneration`, and on
 *    `finalized: true` remove the finalizer.
 *
 * Also plays the Deployment controller and kubelet where a test asks it to,
 * by writing Deployment and Pod status through their status subresources.
 *
 * `sync(..., { parentStatusWrites: n })` serves the parent as a lagging
 * informer cache would: its status as it was n status writes ago, with the
 * children read fresh from the server (issue 10).
 *
 * The real engine (test/e2e: the real Metacontroller, Deployment controller,
 * scheduler and KWOK) now runs the README walkthrough, the faults and many
 * Canaries at once. This stand-in stays for what that engine cannot show
 * in a test that takes seconds, not minutes:
 * - a clock of the test's own (HookServer injects it), so schedules, a
 *   progressDeadlineSeconds and ticks are exact instead of waited for;
 * - availability and crashes written at will (settleDeployment, crashLoop),
 *   so a step is gated or a pod crashes at the moment a test chooses;
 * - a parent served exactly n status writes behind, which the real
 *   Metacontroller does only by chance;
 * - the API server's own verdict on what the hooks write (a status that does
 *   not come back as written fails the test), sync by sync.
 */
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { buildApp, type AppDeps } from '../../server/app.js';
import { createClaimChecker, kubeCanaryReader } from '../../server/claims.js';
import { buildMetricsApp } from '../../server/metrics-server.js';
import { createEventRecorder, kubeEventSink, type EventRecorder } from '../../server/events.js';
import { createKubeApi } from '../../server/kube.js';
import { createRouteWriter } from '../../server/traffic.js';
import { createMetrics } from '../../server/metrics.js';
import { createPodReader } from '../../server/pods.js';
import type { FastifyInstance } from 'fastify';
import { CANARY_GROUP, CANARY_PLURAL, CANARY_VERSION, kubeConfig } from './helpers.js';
import { RelatedObjects, selectorString, type LabelSelector, type RelatedRule } from './related.js';

export { selectorString };

const FINALIZER = 'metacontroller.io/compositecontroller-canary-hooks';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

type Json = Record<string, unknown>;

const MAX_CONFLICT_RETRIES = 5;

function isConflict(err: unknown): boolean {
  return err instanceof k8s.ApiException && err.code === 409;
}

export interface CanaryObject {
  apiVersion: string;
  kind: string;
  metadata: k8s.V1ObjectMeta;
  spec: Json & { selector: LabelSelector };
  status?: Json & { [key: string]: unknown };
}

export interface HookAnswer {
  status: Json & {
    oldReplicas: number;
    newReplicas: number;
    currentStep: number;
    state: string;
    message: string;
    weight?: number;
    pause?: { kind: string; since: string; until: string | null } | null;
  };
  children: {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { replicas?: number };
  }[];
  resyncAfterSeconds?: number;
  finalized?: boolean;
}

/** JSON with sorted keys, to compare objects whatever order their keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The real HTTP server from server/app.ts, listening on loopback. */
export class HookServer {
  private constructor(
    private readonly app: FastifyInstance,
    readonly baseUrl: string,
    private readonly metricsApp: FastifyInstance,
    /** GET /metrics, on its own port as main.ts serves it. */
    readonly metricsUrl: string,
    private readonly clock: { now: Date },
    /** Kubernetes Events on transitions, sent as the service sends them. */
    readonly events: EventRecorder,
  ) {}

  get now(): Date {
    return this.clock.now;
  }

  /**
   * `kubeconfig` is what the service's Kubernetes client uses (finalize,
   * route patches and Events); the clock starts at `start` and moves only when a test says so.
   */
  static async start(
    kubeconfig: k8s.KubeConfig,
    start: Date,
    deps: Partial<AppDeps> = {},
  ): Promise<HookServer> {
    const clock = { now: start };
    // Every write of the service's own checks its claim against the live Canary, as main.ts wires it.
    const claims = createClaimChecker(kubeCanaryReader(kubeconfig));
    const events = createEventRecorder({
      sink: kubeEventSink(kubeconfig),
      claims,
      clock: () => clock.now,
      instance: 'canary-hooks-itest',
    });
    // The per-Canary gauges as main.ts wires them.
    const metrics = createMetrics();
    const app = buildApp({
      kube: createKubeApi(kubeconfig),
      claims,
      metrics,
      onSynced: metrics.observeSync,
      onFinalized: metrics.observeFinalize,
      // Route patches with the same credentials as the rest, as main.ts does.
      routes: createRouteWriter(kubeconfig),
      // The new Deployment's pods, read as main.ts reads them (docs/design.md §11).
      pods: createPodReader(kubeconfig),
      clock: () => clock.now,
      onTransitions: events.listener,
      ...deps,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const metricsApp = buildMetricsApp(metrics);
    await metricsApp.listen({ host: '127.0.0.1', port: 0 });
    const metricsPort = (metricsApp.server.address() as AddressInfo).port;
    return new HookServer(
      app,
      `http://127.0.0.1:${port}`,
      metricsApp,
      `http://127.0.0.1:${metricsPort}/metrics`,
      clock,
      events,
    );
  }

  advance(seconds: number): void {
    this.clock.now = new Date(this.clock.now.getTime() + seconds * 1000);
  }

  async post(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  }

  async close(): Promise<void> {
    await this.events.idle();
    await this.app.close();
    await this.metricsApp.close();
  }
}

export class Metacontroller {
  readonly kc = kubeConfig();
  readonly apps = this.kc.makeApiClient(k8s.AppsV1Api);
  readonly core = this.kc.makeApiClient(k8s.CoreV1Api);
  readonly custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
  private controller: Json | undefined;
  private readonly related = new RelatedObjects(this.kc);
  /** Metacontroller keeps a customize answer per (uid, generation): the hook is asked again only on a spec change. */
  private readonly customized = new Map<string, RelatedRule[]>();
  /** Each Canary's statuses as written, oldest first: what a lagging parent cache serves. */
  private readonly statusHistory = new Map<string, (Json | undefined)[]>();

  constructor(readonly hooks: HookServer) {}

  private async compositeController(): Promise<Json> {
    this.controller ??= (await this.custom.getClusterCustomObject({
      group: 'metacontroller.k8s.io',
      version: 'v1alpha1',
      plural: 'compositecontrollers',
      name: 'canary-hooks',
    })) as Json;
    return this.controller;
  }

  private async hookPath(hook: 'sync' | 'customize' | 'finalize'): Promise<string> {
    const cc = (await this.compositeController()) as {
      spec: { hooks: Record<string, { webhook: { url: string } }> };
    };
    return new URL(cc.spec.hooks[hook]!.webhook.url).pathname;
  }

  async getCanary(namespace: string, name: string): Promise<CanaryObject> {
    return (await this.custom.getNamespacedCustomObject({
      group: CANARY_GROUP,
      version: CANARY_VERSION,
      plural: CANARY_PLURAL,
      namespace,
      name,
    })) as CanaryObject;
  }

  private async patchCanary(namespace: string, name: string, body: Json) {
    return this.custom.patchNamespacedCustomObject(
      { group: CANARY_GROUP, version: CANARY_VERSION, plural: CANARY_PLURAL, namespace, name, body },
      MERGE,
    );
  }

  /**
   * Replaces the status on the latest Canary, again on a conflict: a user (or
   * the plugin) may annotate the Canary while its sync runs, and Metacontroller's
   * AtomicStatusUpdate re-reads the parent and retries rather than failing.
   */
  private async writeStatus(
    namespace: string,
    name: string,
    status: Json,
  ): Promise<{ fresh: CanaryObject; written: CanaryObject }> {
    for (let attempt = 1; ; attempt++) {
      const fresh = await this.getCanary(namespace, name);
      try {
        const written = (await this.custom.replaceNamespacedCustomObjectStatus({
          group: CANARY_GROUP,
          version: CANARY_VERSION,
          plural: CANARY_PLURAL,
          namespace,
          name,
          body: { ...fresh, status },
        })) as CanaryObject;
        return { fresh, written };
      } catch (err) {
        if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
      }
    }
  }

  /** One sync (or finalize) of one Canary, as Metacontroller would run it. Returns the hook's answer. */
  async sync(
    namespace: string,
    name: string,
    lag: {
      parentStatusWrites?: number;
      /** Runs after the objects are observed and before the hook is called: a user's edit meanwhile. */
      beforeHook?: () => Promise<void>;
    } = {},
  ): Promise<HookAnswer> {
    let canary = await this.getCanary(namespace, name);
    const history = this.statusHistory.get(`${namespace}/${name}`) ?? [];
    const deleting = Boolean(canary.metadata.deletionTimestamp);
    if (!deleting && !(canary.metadata.finalizers ?? []).includes(FINALIZER)) {
      await this.patchCanary(namespace, name, {
        metadata: { finalizers: [...(canary.metadata.finalizers ?? []), FINALIZER] },
      });
      canary = await this.getCanary(namespace, name);
    }
    const uid = canary.metadata.uid!;

    // Claim children.
    const listed = await this.apps.listNamespacedDeployment({
      namespace,
      labelSelector: selectorString(canary.spec.selector),
    });
    const children: Record<string, k8s.V1Deployment> = {};
    for (const d of listed.items) {
      const ref = (d.metadata?.ownerReferences ?? []).find((r) => r.controller);
      if (ref && ref.uid !== uid) continue;
      if (!ref) {
        if (deleting) continue;
        const owner: k8s.V1OwnerReference = {
          apiVersion: canary.apiVersion,
          kind: canary.kind,
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        };
        const adopted = await this.apps.patchNamespacedDeployment(
          {
            name: d.metadata!.name!,
            namespace,
            body: [
              d.metadata?.ownerReferences
                ? { op: 'add', path: '/metadata/ownerReferences/-', value: owner }
                : { op: 'add', path: '/metadata/ownerReferences', value: [owner] },
            ],
          },
          JSON_PATCH,
        );
        children[adopted.metadata!.name!] = { ...adopted, apiVersion: 'apps/v1', kind: 'Deployment' };
      } else {
        children[d.metadata!.name!] = { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
      }
    }

    // Related objects, as the customize hook asks.
    const controller = await this.compositeController();
    const customizeKey = `${uid}/${canary.metadata.generation}`;
    let rules = this.customized.get(customizeKey);
    if (!rules) {
      const customize = (await this.hooks.post(await this.hookPath('customize'), {
        controller,
        parent: canary,
      })) as { relatedResources: RelatedRule[] };
      rules = customize.relatedResources;
      this.customized.set(customizeKey, rules);
    }
    const related = await this.related.build(namespace, rules);

    const statusLag = lag.parentStatusWrites ?? 0;
    const parent =
      statusLag > 0 ? { ...canary, status: history[Math.max(0, history.length - 1 - statusLag)] } : canary;
    const request = {
      controller,
      parent,
      children: { 'Deployment.apps/v1': children },
      related,
      finalizing: deleting,
    };
    await lag.beforeHook?.();
    const answer = (await this.hooks.post(
      await this.hookPath(deleting ? 'finalize' : 'sync'),
      request,
    )) as HookAnswer;

    // Apply children in place. An observed child left out would be deleted by
    // Metacontroller: that must never happen, so it fails the test instead.
    const returned = new Set(answer.children.map((c) => c.metadata.name));
    for (const observed of Object.keys(children)) {
      if (!returned.has(observed)) throw new Error(`the hook left out observed child ${observed}`);
    }
    for (const child of answer.children) {
      if (!(child.metadata.name in children))
        throw new Error(`the hook returned unknown child ${child.metadata.name}`);
      const metadata = child.metadata.annotations ? { annotations: child.metadata.annotations } : {};
      await this.apps.patchNamespacedDeployment(
        { name: child.metadata.name, namespace, body: { metadata, spec: { replicas: child.spec.replicas } } },
        MERGE,
      );
    }

    // Status through the subresource, with observedGeneration, as Metacontroller does.
    const status = { ...answer.status, observedGeneration: canary.metadata.generation };
    const { fresh, written } = await this.writeStatus(namespace, name, status);
    if (history.length === 0) history.push(canary.status);
    if (canonical(history.at(-1)) !== canonical(written.status)) history.push(written.status);
    this.statusHistory.set(`${namespace}/${name}`, history);
    // The API server prunes fields its schema lacks without a word: a status
    // that does not come back as written means schema and hooks have drifted.
    if (canonical(written.status) !== canonical(status)) {
      throw new Error(
        `the API server stored a different status:\n wrote  ${canonical(status)}\n stored ${canonical(written.status)}`,
      );
    }

    if (deleting && answer.finalized) {
      const finalizers = (fresh.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
      await this.patchCanary(namespace, name, { metadata: { finalizers } });
    }
    return answer;
  }

  /**
   * Plays the Deployment controller: the spec is observed and `available` of
   * the asked-for replicas are available (all of them unless told otherwise).
   */
  async settleDeployment(namespace: string, name: string, available?: number): Promise<void> {
    const d = await this.apps.readNamespacedDeployment({ name, namespace });
    const replicas = d.spec?.replicas ?? 1;
    const ready = Math.min(available ?? replicas, replicas);
    await this.apps.patchNamespacedDeploymentStatus(
      {
        name,
        namespace,
        body: {
          status: {
            observedGeneration: d.metadata?.generation,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: ready,
            availableReplicas: ready,
            unavailableReplicas: replicas - ready,
          },
        },
      },
      MERGE,
    );
  }

  /**
   * A ReplicaSet of `deployment`'s current pod template, and a pod of it, as
   * the Deployment controller and the scheduler would leave them. Nothing runs
   * the pod: its status is what the test writes.
   */
  async createPod(namespace: string, deployment: string, podName: string): Promise<k8s.V1Pod> {
    const d = await this.apps.readNamespacedDeployment({ name: deployment, namespace });
    const hash = `h${(d.metadata?.generation ?? 1).toString(36)}${d.metadata!.uid!.slice(0, 6)}`;
    const rsName = `${deployment}-${hash}`;
    const labels = { ...(d.spec!.template.metadata?.labels ?? {}), 'pod-template-hash': hash };
    let rs: k8s.V1ReplicaSet;
    try {
      rs = await this.apps.readNamespacedReplicaSet({ name: rsName, namespace });
    } catch {
      rs = await this.apps.createNamespacedReplicaSet({
        namespace,
        body: {
          metadata: {
            name: rsName,
            labels,
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: deployment,
                uid: d.metadata!.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            replicas: 0,
            selector: { matchLabels: labels },
            template: { ...d.spec!.template, metadata: { ...d.spec!.template.metadata, labels } },
          },
        },
      });
    }
    return this.core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: podName,
          labels,
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: rsName,
              uid: rs.metadata!.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: d.spec!.template.spec!,
      },
    });
  }

  /**
   * Plays the kubelet: the pod's first container is crash-looping, written
   * through pods/status, with Ready False as a kubelet reports it. Then plays
   * the Deployment controller, which counts that pod unavailable.
   */
  async crashLoop(namespace: string, podName: string): Promise<void> {
    const pod = await this.core.readNamespacedPod({ name: podName, namespace });
    const container = pod.spec!.containers[0]!;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.core.patchNamespacedPodStatus(
      {
        name: podName,
        namespace,
        body: {
          status: {
            phase: 'Running',
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'ContainersNotReady',
                message: `containers with unready status: [${container.name}]`,
              },
              {
                type: 'ContainersReady',
                status: 'False',
                reason: 'ContainersNotReady',
                message: `containers with unready status: [${container.name}]`,
              },
            ],
            containerStatuses: [
              {
                name: container.name,
                image: container.image,
                imageID: '',
                ready: false,
                started: false,
                restartCount: 4,
                state: {
                  waiting: {
                    reason: 'CrashLoopBackOff',
                    message: `back-off 1m20s restarting failed container=${container.name} pod=${podName}`,
                  },
                },
                lastState: {
                  terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now },
                },
              },
            ],
          },
        },
      },
      MERGE,
    );
    const rs = pod.metadata?.ownerReferences?.find((r) => r.kind === 'ReplicaSet')?.name;
    const hash = pod.metadata?.labels?.['pod-template-hash'];
    if (rs === undefined || hash === undefined || !rs.endsWith(`-${hash}`)) return;
    const deployment = rs.slice(0, -hash.length - 1);
    const d = await this.apps.readNamespacedDeployment({ name: deployment, namespace });
    await this.markUnavailable(namespace, deployment, 1, d.spec?.replicas ?? 1);
  }

  /** The Deployment controller's view once `count` of its pods are not Ready. */
  private async markUnavailable(namespace: string, name: string, count: number, replicas: number) {
    const d = await this.apps.readNamespacedDeployment({ name, namespace });
    const available = Math.max(0, Math.min(d.status?.availableReplicas ?? replicas, replicas - count));
    await this.apps.patchNamespacedDeploymentStatus(
      {
        name,
        namespace,
        body: {
          status: {
            observedGeneration: d.metadata?.generation,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: available,
            availableReplicas: available,
            unavailableReplicas: replicas - available,
          },
        },
      },
      MERGE,
    );
  }
}
