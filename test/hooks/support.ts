/**
 * Builders for hook tests: a Canary at a given position, with Deployments
 * consistent with it, as the cluster would show them after the last response
 * was applied.
 */
import type { Test } from 'tap';
import { decideSync, type SyncDecision } from '../../hooks/sync.js';
import type { CanaryState, Condition, ObservedStatus, Pod, RollbackRecord } from '../../hooks/wire/index.js';
import { canary, deployment, pod, syncRequest, type CanaryOptions } from '../fixtures/cluster.js';
import { validateCanaryStatus } from '../helpers/crd.js';

export const T0 = '2026-11-23T09:00:00Z'; // a Monday

export interface Position {
  state: CanaryState;
  step: number;
  total?: number;
  stepSize?: number;
  observedCommand?: string;
  lastStepTime?: string | null;
  runningSince?: string;
  rollback?: RollbackRecord | null;
  message?: string;
  /** The prior status remembers that this step's replicas all became available. */
  stepAvailable?: boolean;
}

export function status(p: Position): ObservedStatus {
  const total = p.total ?? 10;
  const size = p.stepSize ?? 2;
  const newReplicas = Math.min(p.step * size, total);
  const conditions: Condition[] = [
    {
      type: 'Progressing',
      status: p.state === 'running' ? 'True' : 'False',
      reason: p.state === 'running' ? 'StepScheduled' : 'Stopped',
      message: '',
      lastTransitionTime: p.runningSince ?? p.lastStepTime ?? T0,
    },
  ];
  if (p.stepAvailable !== undefined) {
    conditions.push({
      type: 'StepAvailable',
      status: p.stepAvailable ? 'True' : 'False',
      reason: p.stepAvailable ? 'ReplicasAvailable' : 'WaitingForReplicas',
      message: '',
      lastTransitionTime: p.lastStepTime ?? T0,
    });
  }
  return {
    oldReplicas: total - newReplicas,
    newReplicas,
    currentStep: p.step,
    totalSteps: Math.ceil(total / size),
    state: p.state,
    message: p.message ?? '',
    observedCommand: p.observedCommand ?? (p.state === 'running' ? 'apply' : ''),
    lastStepTime: p.lastStepTime === undefined ? (p.step > 0 ? T0 : null) : p.lastStepTime,
    nextStepTime: null,
    rollback: p.rollback ?? null,
    conditions,
    observedGeneration: 1,
  };
}

export interface World {
  position?: Position;
  canary?: CanaryOptions;
  /** Replicas of the new Deployment that are available; all of them by default. */
  newAvailable?: number;
  newImage?: string;
  newObservedGeneration?: number;
  pods?: Pod[];
  extraDeployments?: ReturnType<typeof deployment>[];
  omit?: ('my-app-v1' | 'my-app-v2')[];
  now?: string;
}

export function request(world: World = {}) {
  const p = world.position;
  const spec = world.canary?.spec ?? {};
  const total = typeof spec.totalReplicas === 'number' ? spec.totalReplicas : 10;
  const size = typeof spec.stepReplicas === 'number' ? spec.stepReplicas : 2;
  const newReplicas = p ? Math.min(p.step * size, total) : 0;
  const parent = canary({
    ...world.canary,
    status: p ? status({ total, stepSize: size, ...p }) : world.canary?.status,
  });
  const deployments = [
    deployment({ name: 'my-app-v1', replicas: p ? total - newReplicas : 10 }),
    deployment({
      name: 'my-app-v2',
      replicas: newReplicas,
      available: world.newAvailable,
      image: world.newImage,
      observedGeneration: world.newObservedGeneration,
    }),
    ...(world.extraDeployments ?? []),
  ].filter((d) => !(world.omit ?? []).includes(d.metadata.name as 'my-app-v1'));
  return syncRequest(parent, deployments, world.pods ?? []);
}

export function sync(world: World = {}): SyncDecision {
  return decideSync(request(world), new Date(world.now ?? T0));
}

export const crashingNewPod = (overrides: Partial<Parameters<typeof pod>[0]> = {}) =>
  pod({ deployment: 'my-app-v2', crashLoop: true, ...overrides });

/** Every status the hooks produce must be one the CRD accepts, so the schema and the code cannot drift. */
export function assertStatusFitsCrd(t: Test, decision: SyncDecision): void {
  t.same(validateCanaryStatus(decision.response.status), [], 'status passes the CRD status schema');
}

export function replicasOf(decision: SyncDecision): Record<string, number | undefined> {
  return Object.fromEntries(decision.response.children.map((c) => [c.metadata.name, c.spec.replicas]));
}

export function condition(decision: SyncDecision, type: string): Condition | undefined {
  return decision.response.status.conditions.find((c) => c.type === type);
}
