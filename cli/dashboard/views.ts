/**
 * What a row of the overview and the head of a Canary's page say, as plain
 * data computed from the Canary, its two Deployments and the time. Pure: the
 * HTML in html.ts only lays this out.
 *
 * Round 2 fields (docs/design.md §8: `spec.steps`, `status.pause`,
 * `status.weight`) are read when present, so a Canary that has them shows
 * them and one that has not still reads as before.
 */
import type { Canary, ObservedStatus } from '../../hooks/wire/index.js';
import { totalSteps } from '../../hooks/steps/rollout.js';
import { deploymentNames, objectKey, weightOf, type DeploymentSlim } from './model.js';

export type Phase =
  | 'no status'
  | 'pending'
  | 'running'
  | 'waiting'
  | 'paused'
  | 'stopped'
  | 'rolled back'
  | 'complete'
  | 'error';

export interface Segment {
  step: number;
  state: 'done' | 'current' | 'todo';
  /** A pause step of a step list. */
  pause: boolean;
}

export interface ReplicaView {
  deployment: string | undefined;
  asked: number | undefined;
  /** undefined: the Deployment has not been seen. */
  available: number | undefined;
}

export interface PauseView {
  kind: string;
  since: Date | undefined;
  until: Date | undefined;
}

export interface RowView {
  key: string;
  namespace: string;
  name: string;
  /** `status.state`, '' before the service wrote one. */
  state: string;
  phase: Phase;
  message: string;
  step: number | undefined;
  totalSteps: number | undefined;
  segments: Segment[];
  old: ReplicaView;
  new: ReplicaView;
  weight: { value: number; reported: boolean } | undefined;
  next: Date | undefined;
  pause: PauseView | undefined;
  rollback: { reason: string; time: Date | undefined } | undefined;
}

type Json = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function parseTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function isTrue(status: ObservedStatus, type: string): boolean {
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.some((c) => c?.type === type && c.status === 'True');
}

export function pauseOf(status: ObservedStatus): PauseView | undefined {
  const pause = (status as Json).pause;
  if (!pause || typeof pause !== 'object') return undefined;
  const p = pause as Json;
  return {
    kind: typeof p.kind === 'string' ? p.kind : 'Manual',
    since: parseTime(p.since),
    until: parseTime(p.until),
  };
}

export function phaseOf(status: ObservedStatus): Phase {
  const step = num(status.currentStep) ?? 0;
  switch (status.state) {
    case 'error':
      return 'error';
    case 'complete':
      return 'complete';
    case 'running':
      if (pauseOf(status)) return 'paused';
      return typeof status.message === 'string' && status.message.includes('waiting for')
        ? 'waiting'
        : 'running';
    case 'stop':
      if (step === 0 && (isTrue(status, 'RolledBack') || status.rollback)) return 'rolled back';
      return step === 0 ? 'pending' : 'stopped';
    default:
      return 'no status';
  }
}

/** The steps of the rollout: from `spec.steps` when it is a list, else from the replica counts. */
function stepCount(canary: Canary): { count: number | undefined; pauses: Set<number> } {
  const spec = canary.spec as Json;
  const pauses = new Set<number>();
  if (Array.isArray(spec.steps)) {
    spec.steps.forEach((s, i) => {
      if (s && typeof s === 'object' && 'pause' in s) pauses.add(i + 1);
    });
    return { count: spec.steps.length, pauses };
  }
  const reported = num(canary.status?.totalSteps);
  if (reported !== undefined) return { count: reported, pauses };
  const total = num(spec.totalReplicas);
  const step = num(spec.stepReplicas);
  if (total !== undefined && step !== undefined && total > 0 && step > 0) {
    return { count: totalSteps({ totalReplicas: total, stepReplicas: step }), pauses };
  }
  return { count: undefined, pauses };
}

/** Upper bound on segments drawn, whatever a spec says: a bar of a thousand cells helps nobody. */
const MAX_SEGMENTS = 100;

export function segmentsOf(canary: Canary): Segment[] {
  const { count, pauses } = stepCount(canary);
  if (count === undefined || count <= 0) return [];
  const status = canary.status ?? {};
  const current = num(status.currentStep) ?? 0;
  const complete = status.state === 'complete';
  const segments: Segment[] = [];
  for (let step = 1; step <= Math.min(count, MAX_SEGMENTS); step++) {
    const state = complete || step < current ? 'done' : step === current ? 'current' : 'todo';
    segments.push({ step, state, pause: pauses.has(step) });
  }
  return segments;
}

export function rowView(
  canary: Canary,
  deployments: { old?: DeploymentSlim; new?: DeploymentSlim },
): RowView {
  const status = canary.status ?? {};
  const names = deploymentNames(canary);
  const rollback = status.rollback && typeof status.rollback === 'object' ? status.rollback : undefined;
  const { count } = stepCount(canary);
  return {
    key: objectKey(canary.metadata.namespace, canary.metadata.name),
    namespace: canary.metadata.namespace ?? '',
    name: canary.metadata.name,
    state: typeof status.state === 'string' ? status.state : '',
    phase: phaseOf(status),
    message: typeof status.message === 'string' ? status.message : '',
    step: num(status.currentStep),
    totalSteps: count,
    segments: segmentsOf(canary),
    old: { deployment: names.old, asked: num(status.oldReplicas), available: deployments.old?.available },
    new: { deployment: names.new, asked: num(status.newReplicas), available: deployments.new?.available },
    weight: weightOf(canary),
    next: parseTime(status.nextStepTime),
    pause: pauseOf(status),
    rollback: rollback
      ? { reason: typeof rollback.reason === 'string' ? rollback.reason : '', time: parseTime(rollback.time) }
      : undefined,
  };
}
