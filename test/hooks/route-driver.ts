/**
 * Drives one routed Canary through consecutive syncs as a cluster would:
 * each response's status and replicas become the next request's, and the
 * route write, when the server would make it, is applied to the route the
 * next sync sees (through the RFC 6902 rules of the API server). Available
 * replicas of the new Deployment: all it has, unless a sync says otherwise.
 */
import type { Test } from 'tap';
import { decideSync, type SyncDecision } from '../../hooks/sync.js';
import { DECISION_ANNOTATION } from '../../hooks/observed/record.js';
import { readRoute, shownWeight } from '../../hooks/routers/rules.js';
import { routerFor } from '../../hooks/routers/registry.js';
import { parseSpec } from '../../hooks/spec/parse.js';
import { routeWriteFailed } from '../../hooks/render/route-failed.js';
import type { ObservedStatus, Pod, SyncRequest } from '../../hooks/wire/index.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { validateCanaryStatus } from '../helpers/crd.js';
import { applyJsonPatch } from '../harness/json-patch.js';

export interface RouteSyncOptions {
  command?: string;
  /** Available replicas of the new Deployment; default: all it has. */
  available?: number;
  pods?: Pod[];
  /** The API server refuses the write with this message. */
  refuse?: string;
}

type Route = { metadata: { name: string }; [field: string]: unknown };

export class RouteDriver {
  status: ObservedStatus | undefined;
  oldReplicas: number;
  newReplicas = 0;
  record: string | undefined;
  command: string | undefined;
  last: SyncDecision | undefined;
  writes = 0;

  constructor(
    readonly spec: Record<string, unknown>,
    public route: Route | undefined,
    readonly routeKey: string,
    readonly t?: Test,
  ) {
    this.oldReplicas = typeof spec.totalReplicas === 'number' ? spec.totalReplicas : 10;
  }

  private parent() {
    return canary({
      spec: { stepReplicas: undefined, cronSchedule: undefined, timeZone: 'UTC', ...this.spec },
      command: this.command,
      status: this.status,
    });
  }

  /** The sync request Metacontroller would send now. */
  request(options: Pick<RouteSyncOptions, 'available' | 'pods'> = {}): SyncRequest {
    const annotations = this.record === undefined ? undefined : { [DECISION_ANNOTATION]: this.record };
    const old = deployment({ name: 'my-app-v1', replicas: this.oldReplicas });
    const fresh = deployment({ name: 'my-app-v2', replicas: this.newReplicas, available: options.available });
    for (const d of [old, fresh]) {
      if (annotations) d.metadata.annotations = { ...d.metadata.annotations, ...annotations };
    }
    const request = syncRequest(this.parent(), [old, fresh], options.pods ?? []);
    if (this.route) {
      request.related = { ...request.related, [this.routeKey]: { [this.route.metadata.name]: this.route } };
    }
    return request;
  }

  sync(now: string, options: RouteSyncOptions = {}): SyncDecision {
    if (options.command !== undefined) this.command = options.command;
    const request = this.request(options);
    let decision = decideSync(request, new Date(now));
    const write = decision.routeWrite;
    if (write && this.route) {
      if (options.refuse !== undefined) {
        const prior = this.status?.conditions ?? [];
        decision = routeWriteFailed(decision, write, options.refuse, prior, now.replace('.000', ''));
      } else {
        this.route = applyJsonPatch(this.route, write.patch);
        this.writes += 1;
      }
    }
    this.t?.same(validateCanaryStatus(decision.response.status), [], `${now}: status fits the CRD`);
    this.status = { ...decision.response.status, observedGeneration: 1 };
    for (const child of decision.response.children) {
      if (child.metadata.name === 'my-app-v1') this.oldReplicas = child.spec.replicas ?? this.oldReplicas;
      if (child.metadata.name === 'my-app-v2') this.newReplicas = child.spec.replicas ?? this.newReplicas;
      this.record = child.metadata.annotations?.[DECISION_ANNOTATION] ?? this.record;
    }
    this.last = decision;
    return decision;
  }

  /** The weight every rule naming both versions shows now, or undefined. */
  get shown(): number | undefined {
    const parsed = parseSpec(this.parent().spec);
    if (!parsed.ok || !parsed.spec.trafficRouting || !this.route) return undefined;
    const routing = parsed.spec.trafficRouting;
    const reading = readRoute(routerFor(routing), routing, this.route);
    return reading.ok ? shownWeight(reading.rules) : undefined;
  }

  /** old, new, step, state, weight asked, weight the route shows. */
  get row(): [number, number, number, string, number, number | undefined] {
    const s = this.status as Required<ObservedStatus>;
    return [this.oldReplicas, this.newReplicas, s.currentStep, s.state, s.weight, this.shown];
  }
}
