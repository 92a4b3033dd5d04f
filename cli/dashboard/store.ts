/**
 * The dashboard's picture of the cluster, fed by one watch per resource kind
 * (informer.ts) and read by every page and stream. It numbers each change to
 * a Canary's row (`seq`), so a page that reconnects gets exactly the rows
 * that changed since the last one it saw, and it remembers what it has seen
 * of each Canary's replicas and weight for the chart.
 */
import type { Canary } from '../../hooks/wire/index.js';
import {
  deploymentNames,
  objectKey,
  weightOf,
  type DeploymentSlim,
  type EventSlim,
  type Kind,
} from './model.js';

export interface Sample {
  /** Epoch milliseconds, by the dashboard's clock. */
  t: number;
  step: number | undefined;
  /** `status.lastStepTime` as the controller wrote it (epoch ms): when this step was taken. */
  stepTime: number | undefined;
  old: number | undefined;
  new: number | undefined;
  weight: number | undefined;
  oldAvailable: number | undefined;
  newAvailable: number | undefined;
}

export interface ConnectionState {
  state: 'connecting' | 'connected' | 'reconnecting';
  /** When it entered this state, epoch ms. */
  since: number;
  error?: string;
}

export type Change =
  { type: 'canary'; key: string } | { type: 'events'; key: string } | { type: 'connection' };

/** What a watch of one kind tells the store (informer.ts calls these). */
export interface Sink<T> {
  /** After a list: the whole set. */
  replace(items: T[]): void;
  upsert(item: T): void;
  remove(item: T): void;
  connection(state: ConnectionState): void;
}

export interface StoreLimits {
  /** Chart points kept per Canary (the oldest go first). */
  samples: number;
  /** Events kept per Canary (the newest stay). */
  events: number;
  /** Deleted Canaries remembered so reconnecting pages remove their rows. */
  tombstones: number;
}

const DEFAULT_LIMITS: StoreLimits = { samples: 360, events: 30, tombstones: 5000 };

type Json = Record<string, unknown>;

export class Store {
  readonly canaries = new Map<string, Canary>();
  readonly deployments = new Map<string, DeploymentSlim>();
  readonly connections: Record<Kind, ConnectionState>;
  /** The last change number; every row change takes the next one. */
  seq = 0;
  private readonly rowSeq = new Map<string, number>();
  private readonly tombstones = new Map<string, number>();
  /** Changes at or below this number may have been forgotten (pruned tombstones). */
  private floor = 0;
  private readonly events = new Map<string, Map<string, EventSlim>>();
  private readonly history = new Map<string, Sample[]>();
  /** Deployment key -> the Canaries that name it, and Canary key -> the Deployment keys it names. */
  private readonly usedBy = new Map<string, Set<string>>();
  private readonly uses = new Map<string, string[]>();
  private readonly listeners = new Set<(change: Change) => void>();
  private readonly limits: StoreLimits;

  constructor(
    private readonly now: () => Date,
    limits: Partial<StoreLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    const since = now().getTime();
    this.connections = {
      canaries: { state: 'connecting', since },
      deployments: { state: 'connecting', since },
      events: { state: 'connecting', since },
    };
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: Change): void {
    for (const l of this.listeners) l(change);
  }

  // ---------------------------------------------------------------- reading

  /** The Deployments a Canary names, as last seen (undefined: not seen, or not named). */
  deploymentsOf(canary: Canary): { old?: DeploymentSlim; new?: DeploymentSlim } {
    const names = deploymentNames(canary);
    const ns = canary.metadata.namespace;
    return {
      old: names.old === undefined ? undefined : this.deployments.get(objectKey(ns, names.old)),
      new: names.new === undefined ? undefined : this.deployments.get(objectKey(ns, names.new)),
    };
  }

  /** The Canary's Events, newest first; those of an earlier Canary of the same name are left out. */
  eventsOf(key: string): EventSlim[] {
    const uid = this.canaries.get(key)?.metadata.uid;
    const all = [...(this.events.get(key)?.values() ?? [])];
    return all
      .filter((e) => uid === undefined || e.involvedUid === undefined || e.involvedUid === uid)
      .sort((a, b) => b.time.localeCompare(a.time));
  }

  /** The number of the last change to this Canary's row; undefined once it is gone. */
  versionOf(key: string): number | undefined {
    return this.rowSeq.get(key);
  }

  historyOf(key: string): readonly Sample[] {
    return this.history.get(key) ?? [];
  }

  /** Rows changed and removed after change `since`, or 'reload' when that is no longer known. */
  changedSince(since: number): { changed: string[]; removed: string[] } | 'reload' {
    if (since < this.floor || since > this.seq) return 'reload';
    const changed = [...this.rowSeq].filter(([, s]) => s > since).map(([k]) => k);
    const removed = [...this.tombstones].filter(([, s]) => s > since).map(([k]) => k);
    return { changed, removed };
  }

  /** The worst state of the three watches, with the error that caused it. */
  connection(): ConnectionState & { kinds: Kind[] } {
    const entries = Object.entries(this.connections) as [Kind, ConnectionState][];
    for (const state of ['reconnecting', 'connecting'] as const) {
      const bad = entries.filter(([, c]) => c.state === state);
      if (bad.length > 0) {
        const first = bad.reduce((a, b) => (a[1].since <= b[1].since ? a : b))[1];
        return { ...first, kinds: bad.map(([k]) => k) };
      }
    }
    const since = Math.max(...entries.map(([, c]) => c.since));
    return { state: 'connected', since, kinds: [] };
  }

  // ---------------------------------------------------------------- writing

  private touch(key: string): void {
    this.seq += 1;
    if (this.canaries.has(key)) {
      this.rowSeq.set(key, this.seq);
      this.tombstones.delete(key);
      this.sample(key);
    } else {
      this.rowSeq.delete(key);
      this.tombstones.set(key, this.seq);
      this.history.delete(key);
      this.events.delete(key);
      if (this.tombstones.size > this.limits.tombstones) {
        const [oldest, seq] = this.tombstones.entries().next().value as [string, number];
        this.tombstones.delete(oldest);
        this.floor = seq;
      }
    }
    this.emit({ type: 'canary', key });
  }

  private sample(key: string): void {
    const canary = this.canaries.get(key);
    if (!canary) return;
    const status = (canary.status ?? {}) as Json;
    const deployments = this.deploymentsOf(canary);
    const n = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const next: Sample = {
      t: this.now().getTime(),
      step: n(status.currentStep),
      stepTime:
        typeof status.lastStepTime === 'string' ? Date.parse(status.lastStepTime) || undefined : undefined,
      old: n(status.oldReplicas),
      new: n(status.newReplicas),
      weight: weightOf(canary)?.value,
      oldAvailable: deployments.old?.available,
      newAvailable: deployments.new?.available,
    };
    let samples = this.history.get(key);
    if (!samples) this.history.set(key, (samples = []));
    const last = samples[samples.length - 1];
    const same =
      last !== undefined &&
      (['step', 'stepTime', 'old', 'new', 'weight', 'oldAvailable', 'newAvailable'] as const).every(
        (f) => last[f] === next[f],
      );
    if (same) return;
    samples.push(next);
    if (samples.length > this.limits.samples) samples.splice(0, samples.length - this.limits.samples);
  }

  private index(key: string, canary: Canary | undefined): void {
    for (const dk of this.uses.get(key) ?? []) {
      const set = this.usedBy.get(dk);
      set?.delete(key);
      if (set?.size === 0) this.usedBy.delete(dk);
    }
    this.uses.delete(key);
    if (!canary) return;
    const names = deploymentNames(canary);
    const keys: string[] = [];
    for (const name of [names.old, names.new]) {
      if (name === undefined) continue;
      const dk = objectKey(canary.metadata.namespace, name);
      keys.push(dk);
      let set = this.usedBy.get(dk);
      if (!set) this.usedBy.set(dk, (set = new Set()));
      set.add(key);
    }
    this.uses.set(key, keys);
  }

  private putCanary(canary: Canary): void {
    const key = objectKey(canary.metadata.namespace, canary.metadata.name);
    const before = this.canaries.get(key);
    if (
      before &&
      before.metadata.resourceVersion === canary.metadata.resourceVersion &&
      before.metadata.uid === canary.metadata.uid
    ) {
      return;
    }
    this.canaries.set(key, canary);
    this.index(key, canary);
    this.touch(key);
  }

  private dropCanary(key: string): void {
    if (!this.canaries.delete(key)) return;
    this.index(key, undefined);
    this.touch(key);
  }

  private deploymentChanged(key: string): void {
    for (const canaryKey of this.usedBy.get(key) ?? []) this.touch(canaryKey);
  }

  private putDeployment(d: DeploymentSlim): void {
    const key = objectKey(d.namespace, d.name);
    if (this.deployments.get(key)?.resourceVersion === d.resourceVersion && d.resourceVersion !== '') return;
    this.deployments.set(key, d);
    this.deploymentChanged(key);
  }

  private putEvent(e: EventSlim): string {
    const key = objectKey(e.namespace, e.name);
    let byUid = this.events.get(key);
    if (!byUid) this.events.set(key, (byUid = new Map()));
    byUid.set(e.uid, e);
    if (byUid.size > this.limits.events) {
      const oldest = [...byUid.values()].sort((a, b) => a.time.localeCompare(b.time));
      for (const old of oldest.slice(0, byUid.size - this.limits.events)) byUid.delete(old.uid);
    }
    return key;
  }

  private setConnection(kind: Kind, state: ConnectionState): void {
    const before = this.connections[kind];
    if (before.state === state.state && before.error === state.error) return;
    this.connections[kind] = state;
    this.emit({ type: 'connection' });
  }

  readonly canarySink: Sink<Canary> = {
    replace: (items) => {
      const keep = new Set(items.map((c) => objectKey(c.metadata.namespace, c.metadata.name)));
      for (const key of [...this.canaries.keys()]) if (!keep.has(key)) this.dropCanary(key);
      for (const c of items) this.putCanary(c);
    },
    upsert: (c) => this.putCanary(c),
    remove: (c) => this.dropCanary(objectKey(c.metadata.namespace, c.metadata.name)),
    connection: (state) => this.setConnection('canaries', state),
  };

  readonly deploymentSink: Sink<DeploymentSlim> = {
    replace: (items) => {
      const keep = new Set(items.map((d) => objectKey(d.namespace, d.name)));
      for (const key of [...this.deployments.keys()]) {
        if (keep.has(key)) continue;
        this.deployments.delete(key);
        this.deploymentChanged(key);
      }
      for (const d of items) this.putDeployment(d);
    },
    upsert: (d) => this.putDeployment(d),
    remove: (d) => {
      const key = objectKey(d.namespace, d.name);
      if (this.deployments.delete(key)) this.deploymentChanged(key);
    },
    connection: (state) => this.setConnection('deployments', state),
  };

  readonly eventSink: Sink<EventSlim> = {
    replace: (items) => {
      const touched = new Set(this.events.keys());
      this.events.clear();
      for (const e of items) touched.add(this.putEvent(e));
      for (const key of touched) this.emit({ type: 'events', key });
    },
    upsert: (e) => this.emit({ type: 'events', key: this.putEvent(e) }),
    remove: (e) => {
      const key = objectKey(e.namespace, e.name);
      if (this.events.get(key)?.delete(e.uid)) this.emit({ type: 'events', key });
    },
    connection: (state) => this.setConnection('events', state),
  };
}
