/**
 * Drives one Canary through consecutive syncs as a cluster would: each
 * response's status becomes the next request's parent status and its
 * replicas (and decision record) the Deployments'. The new Deployment's
 * replicas are all available unless a sync says otherwise.
 */
import type { Test } from 'tap';
import { decideSync, type SyncDecision } from '../../hooks/sync.js';
import { DECISION_ANNOTATION } from '../../hooks/observed/record.js';
import type { ObservedStatus, Pod } from '../../hooks/wire/index.js';
import { canary, deployment, syncRequest } from '../fixtures/cluster.js';
import { validateCanaryStatus } from '../helpers/crd.js';

export interface SyncOptions {
  command?: string;
  /** Available replicas of the new Deployment; default: all it has. */
  available?: number;
  pods?: Pod[];
  /** The new Deployment's image from this sync on (a new pod template). */
  image?: string;
}

export class ListDriver {
  status: ObservedStatus | undefined;
  oldReplicas: number;
  newReplicas = 0;
  record: string | undefined;
  command: string | undefined;
  image: string | undefined;
  last: SyncDecision | undefined;

  constructor(
    readonly spec: Record<string, unknown>,
    readonly t?: Test,
  ) {
    this.oldReplicas = typeof spec.totalReplicas === 'number' ? spec.totalReplicas : 10;
  }

  sync(now: string, options: SyncOptions = {}): SyncDecision {
    if (options.command !== undefined) this.command = options.command;
    if (options.image !== undefined) this.image = options.image;
    const annotations = this.record === undefined ? undefined : { [DECISION_ANNOTATION]: this.record };
    const old = deployment({ name: 'my-app-v1', replicas: this.oldReplicas });
    const fresh = deployment({
      name: 'my-app-v2',
      replicas: this.newReplicas,
      available: options.available,
      image: this.image,
    });
    for (const d of [old, fresh]) {
      if (annotations) d.metadata.annotations = { ...d.metadata.annotations, ...annotations };
    }
    const parent = canary({
      spec: { stepReplicas: undefined, cronSchedule: undefined, timeZone: 'UTC', ...this.spec },
      command: this.command,
      status: this.status,
    });
    const decision = decideSync(syncRequest(parent, [old, fresh], options.pods ?? []), new Date(now));
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

  /** What a row of a journey shows: replicas, step, state, weight, pause kind. */
  get row(): [number, number, number, string, number, string | null] {
    const s = this.status as Required<ObservedStatus>;
    return [this.oldReplicas, this.newReplicas, s.currentStep, s.state, s.weight, s.pause?.kind ?? null];
  }
}

export function kinds(decision: SyncDecision): string[] {
  return decision.transitions.map((t) => `${t.kind}/${t.reason}`);
}
