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
 * What it does not do: react to watch events by itself (a test calls `sync()`
 * when it wants the sync an edit would trigger), or run the periodic resync
 * alongside a `resyncAfterSeconds`.
 */
import { readYamlDocuments, repoPath, validateCanaryStatus } from '../helpers/crd.js';
import { DEPLOYMENT_CHILD_KEY, POD_RELATED_KEY } from '../../hooks/wire.js';
import type {
  Canary,
  CustomizeResponse,
  Deployment,
  DesiredChild,
  FinalizeResponse,
  Pod,
  SyncResponse,
} from '../../hooks/wire.js';
import { Cluster, rfc3339 } from './cluster.js';
import { childrenComplaints, syncComplaints, untouchedComplaints } from './invariants.js';
import { selectorMatches, type Selector } from './labels.js';

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

  constructor(
    private readonly cluster: Cluster,
    public baseUrl: string,
  ) {}

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

  async buildRequest(): Promise<SyncRequestBody> {
    const canary = this.cluster.canary;
    if (!canary) throw new Error('no Canary to sync');
    const children = this.claimChildren(canary);
    return {
      controller: this.controller,
      parent: clone(canary),
      children: {
        [DEPLOYMENT_CHILD_KEY]: Object.fromEntries([...children].map(([name, d]) => [name, clone(d)])),
      },
      related: await this.related(canary),
      finalizing: Boolean(canary.metadata.deletionTimestamp),
    };
  }

  // ---------------------------------------------------------- syncing

  /**
   * One sync (or finalize) of the Canary at the cluster's current time.
   * Throws only when the server cannot be reached, as a failed webhook call.
   */
  async syncOnce(): Promise<HookCall> {
    const request = await this.buildRequest();
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

  private apply(request: SyncRequestBody, response: SyncResponse | FinalizeResponse): void {
    const canary = this.cluster.canary as Canary;
    const namespace = canary.metadata.namespace;
    const observed = request.children[DEPLOYMENT_CHILD_KEY] ?? {};
    const returned = new Map<string, DesiredChild>();
    for (const child of response.children) {
      if (child.apiVersion !== 'apps/v1' || child.kind !== 'Deployment') continue;
      returned.set(child.metadata.name, child);
    }
    for (const [name, child] of returned) {
      const key = `${namespace}/${name}`;
      // Metacontroller would try to create it; the API server would refuse it (no selector, no template).
      if (!observed[name]) continue;
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
    if (validateCanaryStatus(response.status).length === 0) {
      canary.status = { ...clone(response.status), observedGeneration: request.parent.metadata.generation };
    }
    if ('finalized' in response && response.finalized) {
      const meta = canary.metadata as { finalizers?: string[] };
      meta.finalizers = (meta.finalizers ?? []).filter((f) => !f.startsWith(FINALIZER_PREFIX));
      if (meta.finalizers.length === 0) this.cluster.removeCanary();
    }
  }
}
