/**
 * A whole rollout over simulated time: the cluster, Metacontroller's part,
 * and the real canary-hooks server (`buildApp(...).listen`) on an ephemeral
 * port with the simulated clock injected. Tests script what people do
 * (annotate, edit, set an image, delete) and let time pass; every sync leaves
 * a row of what `kubectl get canaries` and the Deployments would show.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import type { KubeApi, ReleaseResult } from '../../server/kube.js';
import { createClaimChecker } from '../../server/claims.js';
import { createMetrics } from '../../server/metrics.js';
import type { PodReader } from '../../server/pods.js';
import type { Transition } from '../../hooks/sync.js';
import type { FinalizeResponse, ObservedStatus, Pod } from '../../hooks/wire/index.js';
import { Cluster, HEALTHY, rfc3339, type DeploymentSetup, type PodBehaviour } from './cluster.js';
import { selectorMatches, type Selector } from './labels.js';
import { Metacontroller, type CacheLag, type HookCall } from './metacontroller.js';
import { RouteStore, type RouteObject } from './routes.js';

/** (time, old replicas, new replicas, step, state, message), as observed after the sync was applied. */
export type Row = [
  time: string,
  old: number | null,
  new: number | null,
  step: number,
  state: string,
  message: string,
];

export interface SimulationOptions {
  /** When the story starts (RFC 3339). */
  start: string;
  /** Merged over the fixture Canary's spec (my-app-v1 -> my-app-v2, 10 by 2, every minute). */
  spec?: Record<string, unknown>;
  command?: string;
  /** Replaces the default pair: my-app-v1 at totalReplicas, my-app-v2 at 0, both owned. */
  deployments?: DeploymentSetup[];
  /** Extra Deployments beside the default pair. */
  extraDeployments?: DeploymentSetup[];
  /** Row times in this zone (with its UTC offset) instead of UTC. */
  rowTimeZone?: string;
  deploymentControllerDelaySeconds?: number;
  newPods?: PodBehaviour;
  /**
   * After every sync, one more at the same instant, served by caches this far
   * behind: the sync a child's watch event sets off before the parent's own
   * status write has reached the parent's cache (issue 10).
   */
  staleEcho?: CacheLag | ((syncIndex: number) => CacheLag);
  /** HTTPRoutes and VirtualServices in the cluster (docs/design.md §9), patched by the server's route writer. */
  routes?: RouteObject[];
  /**
   * The parent informer's periodic resync, every `resyncPeriodSeconds` from
   * the start, alongside whatever `resyncAfterSeconds` asked (the real
   * engine's safety net). Off by default: the schedule is then the answer's
   * `resyncAfterSeconds`, else the resync period after that sync.
   */
  informerResync?: boolean;
  /**
   * Syncs on watch events (on unless false). A journey that scripts its own
   * echoes (`staleEcho`) or serves lagging caches (`metacontroller.lag`) has
   * none: a cache that stays behind for every sync is not a watch's view.
   */
  watchEvents?: boolean;
}

/** Why Metacontroller syncs: a test asked (an edit), its clock (resyncAfterSeconds, the period), a watch event. */
type Cause = 'asked' | 'clock' | 'event';

function offsetTime(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The KubeApi finalize uses, acting on the simulated cluster; it can be told to fail. */
export class FakeKube implements KubeApi {
  failuresLeft = 0;
  readonly calls: string[] = [];

  constructor(private readonly cluster: Cluster) {}

  async releaseDeployment(namespace: string, name: string, ownerUid: string): Promise<ReleaseResult> {
    this.calls.push(`release ${namespace}/${name}`);
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('the server is currently unable to handle the request (patch deployments.apps)');
    }
    const key = `${namespace}/${name}`;
    const d = this.cluster.deployments.get(key);
    if (!d) return 'not-owned';
    const refs = d.object.metadata.ownerReferences ?? [];
    if (!refs.some((ref) => ref.uid === ownerUid)) return 'not-owned';
    this.cluster.setOwnerReferences(
      key,
      refs.filter((ref) => ref.uid !== ownerUid),
    );
    return 'released';
  }
}

export class Simulation {
  readonly cluster: Cluster;
  readonly metacontroller: Metacontroller;
  readonly kube: FakeKube;
  /** The routes: Metacontroller reads them, the server writes their weights. */
  readonly routes = new RouteStore();
  readonly rows: Row[] = [];
  /** Every change the server announced (its Events, log lines and counters), in order. */
  readonly transitions: Transition[] = [];
  /** Syncs that could not reach the server, by time. */
  readonly unreachable: string[] = [];
  /** When Metacontroller will sync next by itself. */
  nextSyncAtMs: number;
  /** When the parent informer resyncs next (`informerResync`), else never. */
  private nextInformerResyncMs = Infinity;
  /** The next this many watch events are lost: Metacontroller does not sync for them. */
  loseEvents = 0;
  /** When an event was lost, and when a watch event brought a sync. */
  readonly lostEvents: string[] = [];
  readonly eventSyncs: string[] = [];
  /** Called after every sync's row, whatever brought the sync (a journey's own trace). */
  afterSync: ((row: Row) => void) | undefined;
  /** What the informers held when the last sync read them (Metacontroller.watched). */
  private seen = '';
  private app: FastifyInstance | undefined;
  private readonly oldName: string;
  private readonly newName: string;

  private constructor(private readonly options: SimulationOptions) {
    this.cluster = new Cluster(options.start);
    this.cluster.deploymentControllerDelaySeconds = options.deploymentControllerDelaySeconds ?? 0;
    const canary = this.cluster.createCanary(options.spec ?? {}, options.command);
    this.oldName = String(canary.spec.oldDeployment);
    this.newName = String(canary.spec.newDeployment);
    const total = Number(canary.spec.totalReplicas);
    const deployments = options.deployments ?? [
      { name: this.oldName, replicas: total },
      { name: this.newName, replicas: 0, behaviour: options.newPods ?? HEALTHY },
    ];
    for (const d of [...deployments, ...(options.extraDeployments ?? [])]) this.cluster.addDeployment(d);
    this.kube = new FakeKube(this.cluster);
    this.metacontroller = new Metacontroller(this.cluster, 'http://127.0.0.1:1');
    this.metacontroller.routes = this.routes;
    for (const route of options.routes ?? []) this.routes.put(route);
    this.nextSyncAtMs = this.cluster.nowMs;
    if (options.informerResync) {
      this.nextInformerResyncMs = this.cluster.nowMs + this.metacontroller.resyncPeriodSeconds * 1000;
    }
  }

  static async start(options: SimulationOptions): Promise<Simulation> {
    const sim = new Simulation(options);
    await sim.startServer();
    return sim;
  }

  get now(): Date {
    return this.cluster.now;
  }

  get time(): string {
    return rfc3339(this.cluster.nowMs);
  }

  get status(): ObservedStatus | undefined {
    return this.cluster.canary?.status ?? undefined;
  }

  get violations(): string[] {
    return this.metacontroller.violations;
  }

  get calls(): HookCall[] {
    return this.metacontroller.calls;
  }

  // ---------------------------------------------------------- the server

  /** What each list of pods the server took returned, as the API server would serve it (docs/design.md §11). */
  readonly podReads: Pod[][] = [];

  /** The API server's pod list: the cluster's pods in a namespace that match a label selector. */
  private readonly podReader: PodReader = {
    list: async (plan) => {
      const pods = [...this.cluster.pods.values()]
        .map((p) => p.object)
        .filter(
          (p) =>
            p.metadata.namespace === plan.namespace &&
            selectorMatches(plan.selector as Selector, p.metadata.labels),
        )
        .map((p) => structuredClone(p));
      this.podReads.push(pods);
      return pods;
    },
  };

  /** A fresh server instance: nothing carried over but the cluster. */
  async startServer(): Promise<void> {
    if (this.app) throw new Error('server already running');
    const app = buildApp({
      kube: this.kube,
      routes: this.routes,
      // Claims are checked against the simulated cluster's Canary, as the service checks the API server's.
      claims: createClaimChecker(async (namespace, name) => {
        const live = this.cluster.canary;
        const here =
          live && live.metadata.name === name && (live.metadata.namespace ?? 'default') === namespace;
        return here ? live : undefined;
      }),
      pods: this.podReader,
      clock: () => this.cluster.now,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: false,
      onTransitions: (_canary, transitions) => this.transitions.push(...transitions),
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    this.app = app;
    this.metacontroller.baseUrl = address;
  }

  async stopServer(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }

  async restartServer(): Promise<void> {
    await this.stopServer();
    await this.startServer();
  }

  async close(): Promise<void> {
    await this.stopServer();
  }

  // --------------------------------------------------- what people do

  annotate(command: string | undefined): void {
    this.cluster.annotate(command);
  }

  editSpec(patch: Record<string, unknown>): void {
    this.cluster.editCanarySpec(patch);
  }

  setImage(deployment: string, image: string, behaviour?: PodBehaviour): void {
    if (behaviour) this.cluster.setPodBehaviour(deployment, behaviour);
    this.cluster.setImage(deployment, image);
  }

  setPodBehaviour(deployment: string, behaviour: PodBehaviour): void {
    this.cluster.setPodBehaviour(deployment, behaviour);
  }

  /** One pod of the Deployment goes away and is replaced; returns the evicted pod's name. */
  evictPod(deployment: string): string {
    return this.cluster.evictPod(deployment);
  }

  deleteCanary(): void {
    this.cluster.deleteCanary();
  }

  // ------------------------------------------------------------- time

  /** Moves the clock without a sync (Metacontroller idle, or down). */
  advanceTo(time: string | number): void {
    const ms = typeof time === 'number' ? time : Date.parse(time);
    this.cluster.advanceTo(ms);
  }

  advanceBy(seconds: number): void {
    this.cluster.advanceTo(this.cluster.nowMs + seconds * 1000);
  }

  private row(): Row {
    const status = this.cluster.canary?.status ?? {};
    const zone = this.options.rowTimeZone;
    return [
      zone ? offsetTime(this.cluster.nowMs, zone) : rfc3339(this.cluster.nowMs),
      this.cluster.replicas(this.oldName) ?? null,
      this.cluster.replicas(this.newName) ?? null,
      status.currentStep ?? 0,
      status.state ?? '',
      status.message ?? '',
    ];
  }

  /**
   * One sync now, as the watch event of an edit the test made would trigger.
   * Returns its row; schedules the next sync as Metacontroller would.
   */
  async sync(): Promise<Row | undefined> {
    return this.syncFor('asked');
  }

  /**
   * The next sync at the earliest of what is queued: a watch event's sync
   * leaves an earlier delayed one in place, as Metacontroller's delaying
   * queue keeps the earliest time for a key; a clock's or a test's sync sets it.
   */
  private schedule(cause: Cause, atMs: number): void {
    const pending = this.nextSyncAtMs;
    this.nextSyncAtMs = cause === 'event' && pending > this.cluster.nowMs ? Math.min(pending, atMs) : atMs;
  }

  /**
   * A row per sync asked or brought by the clock; a watch event's sync (and
   * the informer's periodic resync) leaves one only when it changed what the
   * row shows, so the rows stay what `kubectl get` would have shown.
   */
  private pushRow(cause: Cause, row: Row): void {
    const last = this.rows.at(-1);
    if (cause === 'event' && last && JSON.stringify(last.slice(1)) === JSON.stringify(row.slice(1))) return;
    this.rows.push(row);
  }

  private async syncFor(cause: Cause): Promise<Row | undefined> {
    if (!this.cluster.canary) throw new Error('the Canary is gone');
    this.seen = this.metacontroller.watched();
    let call: HookCall;
    try {
      call = await this.metacontroller.syncOnce();
    } catch {
      // The webhook is unreachable: Metacontroller retries with backoff, and the
      // periodic resync brings it back within the resync period at the latest.
      this.unreachable.push(this.time);
      const failures = this.unreachable.length;
      const backoff = Math.min(0.005 * 2 ** failures, this.metacontroller.resyncPeriodSeconds);
      this.schedule(cause, this.cluster.nowMs + Math.max(1, backoff) * 1000);
      return undefined;
    }
    if (call.httpStatus !== 200 || !call.response) {
      this.metacontroller.violations.push(
        `${call.hook} at ${call.time} answered ${call.httpStatus}: ${call.error}`,
      );
      this.schedule(cause, this.cluster.nowMs + this.metacontroller.resyncPeriodSeconds * 1000);
      return undefined;
    }
    const after = call.response.resyncAfterSeconds;
    this.schedule(
      cause,
      this.cluster.nowMs + (after > 0 ? after : this.metacontroller.resyncPeriodSeconds) * 1000,
    );
    const row = this.row();
    if (call.hook === 'sync') this.pushRow(cause, row);
    if (call.hook === 'sync') this.afterSync?.(row);
    const echo = this.options.staleEcho;
    if (echo && call.hook === 'sync' && this.cluster.canary) {
      const lag = typeof echo === 'function' ? echo(this.rows.length) : echo;
      this.seen = this.metacontroller.watched();
      await this.metacontroller.syncOnce(lag).catch(() => undefined);
      if (!this.cluster.canary.metadata.deletionTimestamp) this.rows.push(this.row());
    }
    return row;
  }

  /** Last finalize's answer, if the last call was a finalize. */
  get lastFinalize(): FinalizeResponse | undefined {
    const last = this.calls.at(-1);
    return last?.hook === 'finalize' ? (last.response as FinalizeResponse | undefined) : undefined;
  }

  /** A watch event is on its way: what the informers hold is not what the last sync read. */
  get eventPending(): boolean {
    const lag = this.metacontroller.lag;
    const scripted =
      this.options.watchEvents === false ||
      this.options.staleEcho !== undefined ||
      (lag.parentStatusWrites ?? 0) > 0 ||
      (lag.childSyncs ?? 0) > 0;
    return !scripted && this.cluster.canary !== undefined && this.metacontroller.watched() !== this.seen;
  }

  /**
   * Whatever Metacontroller does next, no later than `endMs`: a sync its
   * clock has made due, a sync a watch event brings (or the event lost),
   * after moving the clock to the next change in the cluster or the next sync
   * due. `moved` false when nothing happens by `endMs`; `synced` false for a
   * lost event.
   */
  private async step(endMs: number): Promise<{ moved: boolean; synced: boolean }> {
    for (;;) {
      const now = this.cluster.nowMs;
      if (this.nextSyncAtMs <= now) {
        await this.syncFor('clock');
        return { moved: true, synced: true };
      }
      if (this.nextInformerResyncMs <= now) {
        const period = this.metacontroller.resyncPeriodSeconds * 1000;
        while (this.nextInformerResyncMs <= now) this.nextInformerResyncMs += period;
        await this.syncFor('event');
        return { moved: true, synced: true };
      }
      if (this.eventPending) {
        if (this.loseEvents > 0) {
          this.loseEvents -= 1;
          this.lostEvents.push(this.time);
          this.seen = this.metacontroller.watched();
          return { moved: true, synced: false };
        }
        this.eventSyncs.push(this.time);
        await this.syncFor('event');
        return { moved: true, synced: true };
      }
      const change = this.cluster.nextChangeAfter(now) ?? Infinity;
      const next = Math.min(this.nextSyncAtMs, this.nextInformerResyncMs, change);
      if (next > endMs) return { moved: false, synced: false };
      this.cluster.advanceTo(next);
    }
  }

  /**
   * Lets Metacontroller sync on its own schedule and on the watch events the
   * cluster's changes bring until `until` (inclusive), then leaves the clock
   * at `until`. `maxSyncs` guards against a busy loop.
   */
  async runUntil(until: string, maxSyncs = 500): Promise<void> {
    const end = Date.parse(until);
    let syncs = 0;
    while (this.cluster.canary) {
      const { moved, synced } = await this.step(end);
      if (!moved) break;
      if (synced && ++syncs > maxSyncs) throw new Error(`more than ${maxSyncs} syncs before ${until}`);
    }
    if (end > this.cluster.nowMs) this.cluster.advanceTo(end);
  }

  /** Syncs on Metacontroller's schedule and on watch events until `condition` no longer holds after a sync. */
  async runWhile(condition: () => boolean, maxSyncs = 500): Promise<void> {
    let syncs = 0;
    while (this.cluster.canary && condition()) {
      const { moved, synced } = await this.step(Infinity);
      if (!moved) throw new Error('nothing left to happen, and the condition still holds');
      if (synced && ++syncs > maxSyncs) throw new Error(`still going after ${maxSyncs} syncs`);
    }
  }
}

export { HEALTHY };
export type { PodBehaviour };
