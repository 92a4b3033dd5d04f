/**
 * Plays Metacontroller v4's part for one CompositeController (the one in
 * manifests/), the way its composite controller syncs a parent:
 *
 * 1. claim children: Deployments in the parent's namespace whose labels match
 *    the parent's `spec.selector` and whose controller reference is the parent,
 *    or which have none and can be adopted (not while the parent is being
 *    deleted); an owned child that stopped matching is released;
 * 2. ask the customize hook (once per parent generation) which related objects
 *    to send, and select those pods by its label selector;
 * 3. POST `{controller, parent, children, related, finalizing}` to the sync
 *    hook, or to the finalize hook once the parent has a deletionTimestamp;
 * 4. on HTTP 200: update each returned child that was observed in place
 *    (InPlace: only what the response sets), delete each observed child left
 *    out, refuse to create unknown ones; write the status with
 *    `observedGeneration` (through the CRD's status schema, as the API server
 *    would); on `finalized: true` remove the finalizer;
 * 5. enqueue the next sync after `resyncAfterSeconds`, or the resync period.
 *
 * Watch events: `watched()` is everything whose change makes the real one
 * sync this Canary (the Canary, status included; its Deployments and those
 * it could adopt; the pods customize asks for; the routes). The simulation
 * (simulation.ts) syncs when it differs from what the last sync read, and
 * can lose such an event. A test still calls `sync()` for the sync an edit of
 * its own would trigger.
 *
 * Its informer caches can be told to lag (`lag`), as the real ones do: the
 * parent served as it was some status writes ago while the children are
 * current, or the children as they were some syncs ago; and writes can be
 * lost (`loseStatusWrites`: Metacontroller applied the children, then died
 * before writing the status; `loseChildUpdates`: an update refused with a
 * conflict on an outdated resourceVersion, which Metacontroller logs and
 * skips). Issue 10 is what these reproduce.
 */
import { readYamlDocuments, repoPath, validateCanaryStatus } from '../helpers/crd.js';
import { DEPLOYMENT_CHILD_KEY, POD_RELATED_KEY } from '../../hooks/wire/index.js';
import type {
  Canary,
  CustomizeResponse,
  Deployment,
  DesiredChild,
  FinalizeResponse,
  Pod,
  SyncResponse,
} from '../../hooks/wire/index.js';
import { Cluster, rfc3339 } from './cluster.js';
import { childrenComplaints, syncComplaints, untouchedComplaints } from './invariants.js';
import { selectorMatches, type Selector } from './labels.js';
import type { RouteStore } from './routes.js';

export interface CompositeController {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    resyncPeriodSeconds?: number;
    hooks: Record<string, { webhook?: { url?: string } }>;
  };
}

let controllerCache: CompositeController | undefined;

/** The CompositeController as installed, from manifests/. */
export function compositeController(): CompositeController {
  controllerCache ??= (
    readYamlDocuments(repoPath('manifests/compositecontroller.yaml')) as CompositeController[]
  )[0];
  if (!controllerCache) throw new Error('manifests/compositecontroller.yaml has no CompositeController');
  return structuredClone(controllerCache);
}

/** How far behind the truth the informer caches are for one sync. */
export interface CacheLag {
  /** The parent's status as it was this many status writes ago (its metadata and spec current). */
  parentStatusWrites?: number;
  /** Every child as it was at the start of the sync this many syncs ago. */
  childSyncs?: number;
}

export interface SyncRequestBody {
  controller: CompositeController;
  parent: Canary;
  children: Record<string, Record<string, Deployment>>;
  related: Record<string, Record<string, Pod>>;
  finalizing: boolean;
}

/** One hook call and what came of it. */
export interface HookCall {
  hook: 'sync' | 'finalize';
  time: string;
  request: SyncRequestBody;
  httpStatus: number;
  response?: SyncResponse | FinalizeResponse;
  error?: string;
}

const FINALIZER_PREFIX = 'metacontroller.io/compositecontroller-';

function clone<T>(value: T): T {
  return structuredClone(value);
}

function controllerRef(d: Deployment) {
  return (d.metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
}

export class Metacontroller {
  readonly controller = compositeController();
  /** Things a real Metacontroller or API server would have refused or done that the hooks should never cause. */
  readonly violations: string[] = [];
  readonly calls: HookCall[] = [];
  private customizeCache: { key: string; rules: CustomizeResponse['relatedResources'] } | undefined;
  /** Lag of the caches for every sync that does not name its own. */
  lag: CacheLag = {};
  /** The next this many status writes are lost. */
  loseStatusWrites = 0;
  /** The next this many child updates are refused as conflicts and skipped. */
  loseChildUpdates = 0;
  /**
   * The next update of each named child (the count per name) is refused as a
   * conflict, as the real v4.17 does when its cached copy is older than the
   * object: the other children are still written, but the sync then fails
   * before its status write.
   */
  readonly refuseUpdatesOf = new Map<string, number>();
  /** Every status the Canary has had, oldest first: what a lagging parent cache serves. */
  private readonly statusHistory: (Canary['status'] | undefined)[] = [];
  /** Routes (HTTPRoutes, VirtualServices) customize may ask for by name. */
  routes: RouteStore | undefined;
  /** The children as claimed at the start of each sync, oldest first. */
  private readonly childHistory: Map<string, Deployment>[] = [];

  constructor(
    private readonly cluster: Cluster,
    public baseUrl: string,
  ) {
    this.statusHistory.push(clone(cluster.canary?.status ?? undefined));
  }

  get resyncPeriodSeconds(): number {
    return this.controller.spec.resyncPeriodSeconds ?? 30;
  }

  private path(hook: string): string {
    const url = this.controller.spec.hooks[hook]?.webhook?.url;
    if (!url) throw new Error(`the CompositeController has no ${hook} hook`);
    return new URL(url).pathname;
  }

  private async post(hook: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${this.baseUrl}${this.path(hook)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  // ---------------------------------------------------------- observing

  private parentSelector(canary: Canary): Selector {
    return (canary.spec.selector ?? {}) as Selector;
  }

  /** The claim step of Metacontroller's ControllerRefManager, with its adopt and release patches. */
  claimChildren(canary: Canary): Map<string, Deployment> {
    const selector = this.parentSelector(canary);
    const deleting = Boolean(canary.metadata.deletionTimestamp);
    const namespace = canary.metadata.namespace;
    const claimed = new Map<string, Deployment>();
    const keys = [...this.cluster.deployments.keys()].sort();
    for (const key of keys) {
      const d = this.cluster.deployments.get(key)?.object as Deployment;
      if (d.metadata.namespace !== namespace) continue;
      const matches = selectorMatches(selector, d.metadata.labels);
      const ref = controllerRef(d);
      if (ref) {
        if (ref.uid !== canary.metadata.uid) continue;
        if (matches) {
          claimed.set(d.metadata.name, d);
        } else if (!deleting) {
          this.cluster.setOwnerReferences(
            key,
            (d.metadata.ownerReferences ?? []).filter((r) => r.uid !== canary.metadata.uid),
          );
        }
        continue;
      }
      if (!matches || deleting) continue;
      this.cluster.setOwnerReferences(key, [
        ...(d.metadata.ownerReferences ?? []),
        {
          apiVersion: canary.apiVersion,
          kind: canary.kind,
          name: canary.metadata.name,
          uid: canary.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      claimed.set(d.metadata.name, d);
    }
    return claimed;
  }

  private async relatedRules(canary: Canary): Promise<CustomizeResponse['relatedResources']> {
    const key = `${canary.metadata.uid}/${canary.metadata.generation}`;
    if (this.customizeCache?.key === key) return this.customizeCache.rules;
    const { status, json } = await this.post('customize', {
      controller: this.controller,
      parent: clone(canary),
    });
    if (status !== 200) throw new Error(`customize hook answered ${status}: ${JSON.stringify(json)}`);
    const rules = (json as CustomizeResponse).relatedResources;
    this.customizeCache = { key, rules };
    return rules;
  }

  private async related(canary: Canary): Promise<SyncRequestBody['related']> {
    const related: SyncRequestBody['related'] = {};
    for (const rule of await this.relatedRules(canary)) {
      if (rule.names !== undefined) {
        this.relatedByName(canary, rule, related);
        continue;
      }
      if (rule.apiVersion !== 'v1' || rule.resource !== 'pods') {
        this.violations.push(`customize asked for ${rule.apiVersion} ${rule.resource}, not served here`);
        continue;
      }
      const pods = (related[POD_RELATED_KEY] ??= {});
      for (const pod of this.cluster.pods.values()) {
        const p = pod.object;
        if (p.metadata.namespace !== canary.metadata.namespace) continue;
        if (selectorMatches(rule.labelSelector as Selector, p.metadata.labels)) {
          pods[p.metadata.name] = clone(p);
        }
      }
    }
    return related;
  }

  /** A rule by names, as Metacontroller v4.17 serves it: Kind.group/version, then by name. */
  private relatedByName(
    canary: Canary,
    rule: CustomizeResponse['relatedResources'][number],
    related: SyncRequestBody['related'],
  ): void {
    if (rule.labelSelector !== undefined) {
      this.violations.push(`customize asked for ${rule.resource} by names and a label selector: refused`);
      return;
    }
    if (rule.namespace === undefined) {
      this.violations.push(`customize asked for ${rule.resource} by name in every namespace`);
    }
    const namespace = rule.namespace ?? canary.metadata.namespace ?? 'default';
    for (const name of rule.names ?? []) {
      const route = this.routes?.get(rule.apiVersion, rule.resource, namespace, name);
      if (!route) continue;
      const group = ((related as Record<string, Record<string, unknown>>)[
        `${route.kind}.${rule.apiVersion}`
      ] ??= {});
      group[name] = route;
    }
  }

  async buildRequest(lag: CacheLag = this.lag): Promise<SyncRequestBody> {
    const canary = this.cluster.canary;
    if (!canary) throw new Error('no Canary to sync');
    const claimed = this.claimChildren(canary);
    this.childHistory.push(new Map([...claimed].map(([name, d]) => [name, clone(d)])));
    let children = claimed;
    const childLag = lag.childSyncs ?? 0;
    if (childLag > 0) {
      const then = this.childHistory[Math.max(0, this.childHistory.length - 1 - childLag)] ?? claimed;
      children = new Map([...claimed].map(([name, d]) => [name, then.get(name) ?? d]));
    }
    const parent = clone(canary);
    const statusLag = lag.parentStatusWrites ?? 0;
    if (statusLag > 0) {
      const stale = this.statusHistory[Math.max(0, this.statusHistory.length - 1 - statusLag)];
      if (stale === undefined) delete parent.status;
      else parent.status = clone(stale);
    }
    return {
      controller: this.controller,
      parent,
      children: {
        [DEPLOYMENT_CHILD_KEY]: Object.fromEntries([...children].map(([name, d]) => [name, clone(d)])),
      },
      related: await this.related(canary),
      finalizing: Boolean(canary.metadata.deletionTimestamp),
    };
  }

  /**
   * What this Canary's informers hold, as one string: when it differs from
   * what a sync read, a watch event is on its way and Metacontroller syncs
   * again (child and related events by their owner or selector, the parent's
   * own, its status writes included).
   */
  watched(): string {
    const canary = this.cluster.canary;
    if (!canary) return '';
    const namespace = canary.metadata.namespace;
    const selector = this.parentSelector(canary);
    const deployments = [...this.cluster.deployments.values()]
      .map((d) => d.object)
      .filter((d) => d.metadata.namespace === namespace)
      .filter((d) => {
        const ref = controllerRef(d);
        return ref ? ref.uid === canary.metadata.uid : selectorMatches(selector, d.metadata.labels);
      });
    const pods = [...this.cluster.pods.values()]
      .map((p) => p.object)
      .filter((p) => p.metadata.namespace === namespace && selectorMatches(selector, p.metadata.labels));
    return JSON.stringify([canary, deployments, pods, this.routes?.snapshot() ?? '']);
  }

  // ---------------------------------------------------------- syncing

  /**
   * One sync (or finalize) of the Canary at the cluster's current time.
   * Throws only when the server cannot be reached, as a failed webhook call.
   */
  async syncOnce(lag: CacheLag = this.lag): Promise<HookCall> {
    const request = await this.buildRequest(lag);
    const hook = request.finalizing ? 'finalize' : 'sync';
    const time = rfc3339(this.cluster.nowMs);
    const { status, json } = await this.post(hook, request);
    const call: HookCall = { hook, time, request, httpStatus: status };
    this.calls.push(call);
    if (status !== 200) {
      call.error = JSON.stringify(json);
      return call;
    }
    const response = json as SyncResponse | FinalizeResponse;
    call.response = response;
    const complaints =
      hook === 'sync'
        ? syncComplaints(request, response, this.cluster.now)
        : [
            ...childrenComplaints(request, response),
            ...untouchedComplaints(request, response, 'all'),
            ...validateCanaryStatus(response.status).map((e) => `status schema: ${e}`),
          ];
    this.violations.push(...complaints.map((c) => `${hook} at ${time}: ${c}`));
    this.apply(request, response);
    return call;
  }

  /** Whether applying the desired child would change the observed one (only then can it conflict). */
  private childChanges(observed: Deployment, desired: DesiredChild): boolean {
    const annotations = observed.metadata.annotations ?? {};
    return (
      (desired.spec.replicas !== undefined && desired.spec.replicas !== observed.spec.replicas) ||
      Object.entries(desired.metadata.annotations ?? {}).some(([k, v]) => annotations[k] !== v)
    );
  }

  private apply(request: SyncRequestBody, response: SyncResponse | FinalizeResponse): void {
    const canary = this.cluster.canary as Canary;
    const namespace = canary.metadata.namespace;
    const observed = request.children[DEPLOYMENT_CHILD_KEY] ?? {};
    const returned = new Map<string, DesiredChild>();
    let failed = false;
    for (const child of response.children) {
      if (child.apiVersion !== 'apps/v1' || child.kind !== 'Deployment') continue;
      returned.set(child.metadata.name, child);
    }
    for (const [name, child] of returned) {
      const key = `${namespace}/${name}`;
      // Metacontroller would try to create it; the API server would refuse it (no selector, no template).
      if (!observed[name]) continue;
      if (this.loseChildUpdates > 0 && this.childChanges(observed[name], child)) {
        this.loseChildUpdates -= 1;
        continue;
      }
      const refusals = this.refuseUpdatesOf.get(name) ?? 0;
      if (refusals > 0 && this.childChanges(observed[name], child)) {
        this.refuseUpdatesOf.set(name, refusals - 1);
        failed = true;
        continue;
      }
      if (child.metadata.annotations !== undefined) {
        this.cluster.setAnnotations(name, child.metadata.annotations);
      }
      if (child.metadata.labels !== undefined) {
        const labels = this.cluster.deployments.get(key)?.object.metadata.labels;
        if (JSON.stringify(labels) !== JSON.stringify(child.metadata.labels)) {
          this.cluster.setLabels(name, child.metadata.labels);
        }
      }
      if (child.spec.replicas !== undefined) this.cluster.scale(name, child.spec.replicas);
    }
    for (const name of Object.keys(observed)) {
      if (!returned.has(name)) this.cluster.deleteDeployment(`${namespace}/${name}`);
    }
    // The API server refuses a status its schema rejects; the Canary keeps the old one.
    if (failed) {
      // A refused child update ends the sync before its status write.
    } else if (this.loseStatusWrites > 0) {
      this.loseStatusWrites -= 1;
    } else if (validateCanaryStatus(response.status).length === 0) {
      // AtomicStatusUpdate: a fresh read of the parent, its status replaced
      // whole, however old the parent the hook was shown.
      const status = { ...clone(response.status), observedGeneration: request.parent.metadata.generation };
      if (JSON.stringify(status) !== JSON.stringify(canary.status)) {
        canary.status = status;
        this.statusHistory.push(clone(status));
      }
    }
    if ('finalized' in response && response.finalized) {
      const meta = canary.metadata as { finalizers?: string[] };
      meta.finalizers = (meta.finalizers ?? []).filter((f) => !f.startsWith(FINALIZER_PREFIX));
      if (meta.finalizers.length === 0) this.cluster.removeCanary();
    }
  }
}
