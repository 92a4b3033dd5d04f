/**
 * Records every version of the Canaries and Deployments of one namespace
 * for the whole of a test: a watch sees each change as it happens, and a poll
 * every second lists both kinds again, so a change the watch missed (it was
 * re-opened, or the API server restarted) still shows, and each poll of the
 * Deployments is one consistent snapshot of all of them for the invariants
 * that span two objects (old + new).
 */
import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { canonicalJson, type CanarySample, type DeploymentSample } from './analysis.js';

const CANARIES = '/apis/canary.k8shuginn.io/v1alpha1/namespaces/NS/canaries';
const DEPLOYMENTS = '/apis/apps/v1/namespaces/NS/deployments';

/** The spec.replicas of every Deployment at one resourceVersion. */
export interface Snapshot {
  at: number;
  replicas: Record<string, number | undefined>;
}

interface KubeObject {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function canarySample(o: KubeObject, at: number): CanarySample {
  const s = o.status ?? {};
  const rollback = (s.rollback ?? null) as { time?: string; reason?: string } | null;
  return {
    rv: Number(o.metadata?.resourceVersion ?? 0),
    at,
    step: num(s.currentStep),
    state: str(s.state),
    oldReplicas: num(s.oldReplicas),
    newReplicas: num(s.newReplicas),
    message: str(s.message),
    lastStepTime: s.lastStepTime === null ? null : str(s.lastStepTime),
    nextStepTime: s.nextStepTime === null ? null : str(s.nextStepTime),
    rollbackTime: rollback ? (rollback.time ?? null) : null,
    rollbackReason: rollback ? (rollback.reason ?? null) : null,
    observedCommand: str(s.observedCommand),
  };
}

function deploymentSample(o: KubeObject, at: number): DeploymentSample {
  return {
    rv: Number(o.metadata?.resourceVersion ?? 0),
    at,
    replicas: num(o.spec?.replicas),
    template: canonicalJson(o.spec?.template ?? null),
    availableReplicas: num(o.status?.availableReplicas) ?? 0,
  };
}

/**
 * GET a path of the API server as raw JSON, with the kubeconfig's CA and
 * token: the same bytes a watch delivers, so a pod template read by the poll
 * compares equal to the one the watch saw.
 */
export async function getJson(kc: k8s.KubeConfig, path: string): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: import('node:https').RequestOptions = {
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    headers: { accept: 'application/json' },
    timeout: 10_000,
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300)
          reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        else {
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(err as Error);
          }
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

export class Recorder {
  readonly canaries = new Map<string, CanarySample[]>();
  readonly deployments = new Map<string, DeploymentSample[]>();
  readonly snapshots: Snapshot[] = [];
  /** Watch and poll failures: a few are expected while the API server restarts. */
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();
  private stopped = false;
  private readonly aborts: AbortController[] = [];
  private poller: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly namespace: string,
    private readonly pollMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.poll();
    this.watch(CANARIES, (o, at) => this.addCanary(o, at));
    this.watch(DEPLOYMENTS, (o, at) => this.addDeployment(o, at));
    this.poller = setInterval(() => {
      this.polling = this.polling.then(() => this.poll());
    }, this.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.polling;
    for (const a of this.aborts) a.abort();
    await this.poll(); // the last word: whatever changed since the last tick
  }

  canary(name: string): CanarySample[] {
    return this.canaries.get(name) ?? [];
  }

  deployment(name: string): DeploymentSample[] {
    return this.deployments.get(name) ?? [];
  }

  private addCanary(o: KubeObject, at: number): void {
    const name = o.metadata?.name;
    if (!name || this.isSeen('Canary', name, o)) return;
    const list = this.canaries.get(name) ?? [];
    list.push(canarySample(o, at));
    this.canaries.set(name, list);
  }

  private addDeployment(o: KubeObject, at: number): void {
    const name = o.metadata?.name;
    if (!name || this.isSeen('Deployment', name, o)) return;
    const list = this.deployments.get(name) ?? [];
    list.push(deploymentSample(o, at));
    this.deployments.set(name, list);
  }

  private isSeen(kind: string, name: string, o: KubeObject): boolean {
    const key = `${kind}/${name}/${o.metadata?.resourceVersion ?? ''}`;
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return false;
  }

  private async list(path: string): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const body = (await getJson(this.kc, path.replace('NS', this.namespace))) as {
      items: KubeObject[];
      metadata: { resourceVersion: string };
    };
    return { items: body.items, resourceVersion: body.metadata.resourceVersion };
  }

  private async poll(): Promise<void> {
    const at = Date.now();
    try {
      const [canaries, deployments] = await Promise.all([this.list(CANARIES), this.list(DEPLOYMENTS)]);
      for (const o of canaries.items) this.addCanary(o, at);
      const replicas: Record<string, number | undefined> = {};
      for (const o of deployments.items) {
        this.addDeployment(o, at);
        if (o.metadata?.name) replicas[o.metadata.name] = num(o.spec?.replicas);
      }
      this.snapshots.push({ at, replicas });
    } catch (err) {
      this.problems.push(`poll: ${(err as Error).message}`);
    }
  }

  /** List-then-watch, re-opened from the last version seen whenever the server ends it. */
  private watch(path: string, add: (o: KubeObject, at: number) => void): void {
    let resourceVersion: string | undefined;
    const open = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        if (!resourceVersion) {
          const listed = await this.list(path);
          for (const o of listed.items) add(o, Date.now());
          resourceVersion = listed.resourceVersion;
        }
        const abort = await new k8s.Watch(this.kc).watch(
          path.replace('NS', this.namespace),
          { resourceVersion, allowWatchBookmarks: true },
          (phase: string, obj: KubeObject & { code?: number }) => {
            if (phase === 'ERROR') {
              // 410 Gone: the version is compacted away; list again.
              if (obj.code === 410) resourceVersion = undefined;
              this.problems.push(`watch ${path}: ${JSON.stringify(obj)}`);
              return;
            }
            if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
            if (phase !== 'BOOKMARK') add(obj, Date.now());
          },
          (err: unknown) => {
            if (err && !this.stopped)
              this.problems.push(`watch ${path} ended: ${(err as Error).message ?? err}`);
            if (!this.stopped) setTimeout(() => void open(), err ? 500 : 0);
          },
        );
        this.aborts.push(abort);
      } catch (err) {
        this.problems.push(`watch ${path}: ${(err as Error).message}`);
        if (!this.stopped) setTimeout(() => void open(), 500);
      }
    };
    void open();
  }
}
