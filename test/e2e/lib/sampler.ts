/**
 * Samples the Canaries and Deployments of one namespace for the whole of a
 * fault test, for the invariants of test/e2e/lib/invariants.ts: a list of
 * both kinds every second (each list is one consistent resourceVersion), and
 * a watch of each collection, re-opened from the last version it delivered,
 * so every write shows even when it lasted less than a second. While the API
 * server is down the polls fail; the gaps are kept and reported, so a
 * reader knows which moments no sample covers (the watch, resumed from its
 * last version, still delivers the writes made around them).
 *
 * It keeps more of a Deployment than lib/recorder.ts (generation,
 * observedGeneration, ownerReferences), which the availability gate and the
 * delete case need.
 */
import * as k8s from '@kubernetes/client-node';
import type { CanaryVersion, DeploymentVersion } from './invariants.js';
import { getJson } from './recorder.js';

interface Obj {
  metadata?: {
    name?: string;
    resourceVersion?: string;
    generation?: number;
    deletionTimestamp?: string;
    ownerReferences?: { kind?: string; name?: string }[];
  };
  spec?: { replicas?: number };
  status?: Record<string, unknown>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function deploymentVersion(o: Obj, at: number): DeploymentVersion {
  return {
    name: o.metadata?.name ?? '',
    rv: Number(o.metadata?.resourceVersion ?? 0),
    at,
    replicas: num(o.spec?.replicas),
    generation: num(o.metadata?.generation),
    observedGeneration: num(o.status?.observedGeneration),
    available: num(o.status?.availableReplicas) ?? 0,
    canaryOwners: (o.metadata?.ownerReferences ?? [])
      .filter((r) => r.kind === 'Canary')
      .map((r) => r.name ?? ''),
  };
}

function canaryVersion(o: Obj, at: number): CanaryVersion {
  const s = o.status ?? {};
  return {
    name: o.metadata?.name ?? '',
    rv: Number(o.metadata?.resourceVersion ?? 0),
    at,
    step: num(s.currentStep),
    state: str(s.state),
    lastStepTime: s.lastStepTime === null ? null : str(s.lastStepTime),
    message: str(s.message),
    deleting: Boolean(o.metadata?.deletionTimestamp),
  };
}

export class Sampler {
  readonly canaries: CanaryVersion[] = [];
  readonly deployments: DeploymentVersion[] = [];
  /** When each Canary's DELETED event (or first absence from a list) was seen. */
  readonly gone = new Map<string, number>();
  /** Times of the polls that answered, to find the moments no sample covers. */
  readonly polls: number[] = [];
  readonly problems: string[] = [];
  private readonly seen = new Set<string>();
  private readonly aborts: AbortController[] = [];
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  startedAt = 0;
  stoppedAt = 0;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly namespace: string,
    private readonly intervalMs = 1000,
  ) {}

  private get canaryPath(): string {
    return `/apis/canary.k8shuginn.io/v1alpha1/namespaces/${this.namespace}/canaries`;
  }

  private get deploymentPath(): string {
    return `/apis/apps/v1/namespaces/${this.namespace}/deployments`;
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    await this.poll();
    this.watch(this.canaryPath, 'Canary');
    this.watch(this.deploymentPath, 'Deployment');
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll());
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    for (const a of this.aborts) a.abort();
    await this.poll();
    this.stoppedAt = Date.now();
  }

  /** The longest stretch between two answered polls, and when it began. */
  longestGap(): { ms: number; from: number } {
    let best = { ms: 0, from: this.startedAt };
    for (let i = 1; i < this.polls.length; i++) {
      const ms = (this.polls[i] as number) - (this.polls[i - 1] as number);
      if (ms > best.ms) best = { ms, from: this.polls[i - 1] as number };
    }
    return best;
  }

  private add(kind: 'Canary' | 'Deployment', o: Obj, at: number): void {
    const key = `${kind}/${o.metadata?.name}/${o.metadata?.resourceVersion}`;
    if (!o.metadata?.name || this.seen.has(key)) return;
    this.seen.add(key);
    if (kind === 'Canary') this.canaries.push(canaryVersion(o, at));
    else this.deployments.push(deploymentVersion(o, at));
  }

  private async poll(): Promise<void> {
    const at = Date.now();
    try {
      const [cs, ds] = (await Promise.all([
        getJson(this.kc, this.canaryPath),
        getJson(this.kc, this.deploymentPath),
      ])) as { items: Obj[] }[];
      const names = new Set<string>();
      for (const o of cs?.items ?? []) {
        this.add('Canary', o, at);
        names.add(o.metadata?.name ?? '');
      }
      for (const o of ds?.items ?? []) this.add('Deployment', o, at);
      for (const c of this.canaries)
        if (!names.has(c.name) && !this.gone.has(c.name)) this.gone.set(c.name, at);
      this.polls.push(at);
    } catch (err) {
      this.problems.push(`${new Date(at).toISOString()} poll: ${(err as Error).message}`);
    }
  }

  private watch(path: string, kind: 'Canary' | 'Deployment'): void {
    let rv: string | undefined;
    const open = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        if (!rv) {
          const listed = (await getJson(this.kc, path)) as {
            items: Obj[];
            metadata: { resourceVersion: string };
          };
          const at = Date.now();
          for (const o of listed.items) this.add(kind, o, at);
          rv = listed.metadata.resourceVersion;
        }
        const abort = await new k8s.Watch(this.kc).watch(
          path,
          { resourceVersion: rv, allowWatchBookmarks: true },
          (phase: string, o: Obj & { code?: number }) => {
            const at = Date.now();
            if (phase === 'ERROR') {
              if (o.code === 410) rv = undefined; // compacted: list again
              this.problems.push(`${new Date(at).toISOString()} watch ${kind}: ${JSON.stringify(o)}`);
              return;
            }
            if (o.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
            if (phase === 'BOOKMARK') return;
            if (phase === 'DELETED' && kind === 'Canary') {
              const name = o.metadata?.name ?? '';
              if (!this.gone.has(name)) this.gone.set(name, at);
              return;
            }
            this.add(kind, o, at);
          },
          (err: unknown) => {
            if (this.stopped) return;
            if (err) this.problems.push(`${new Date().toISOString()} watch ${kind} ended: ${String(err)}`);
            setTimeout(() => void open(), err ? 500 : 0);
          },
        );
        this.aborts.push(abort);
      } catch (err) {
        this.problems.push(`${new Date().toISOString()} watch ${kind}: ${(err as Error).message}`);
        if (!this.stopped) setTimeout(() => void open(), 500);
      }
    };
    void open();
  }
}
