/**
 * What the dashboard keeps of each object it watches. A cluster can hold
 * thousands of Deployments and Events the dashboard never shows; keeping only
 * these few fields (and never `managedFields`, which is half of every object)
 * is what keeps its memory flat as the cluster grows.
 */
import { isPlainObject as isObject } from '../../hooks/k8s/json.js';
import { weightOf as replicaWeight } from '../../hooks/steps/weights.js';
import type { Canary } from '../../hooks/wire/index.js';

export type Kind = 'canaries' | 'deployments' | 'events';

export interface DeploymentSlim {
  namespace: string;
  name: string;
  resourceVersion: string;
  /** `spec.replicas`; undefined when unset. */
  replicas: number | undefined;
  available: number;
  ready: number;
  updated: number;
  images: string[];
}

export interface EventSlim {
  uid: string;
  namespace: string;
  /** The Canary it is about. */
  name: string;
  involvedUid: string | undefined;
  type: string;
  reason: string;
  message: string;
  count: number;
  /** The last time it happened, RFC 3339; '' when the Event carries none. */
  time: string;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** The list API of client-node turns times into Dates, the watch leaves them strings. */
function isoTime(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Annotations no page shows and that can be large: kubectl apply's copy of the whole object. */
const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

export function slimCanary(raw: unknown): Canary | undefined {
  if (!isObject(raw) || !isObject(raw.metadata)) return undefined;
  const m = raw.metadata;
  const name = str(m.name);
  if (!name) return undefined;
  let annotations: Record<string, string> | undefined;
  if (isObject(m.annotations)) {
    annotations = {};
    for (const [k, v] of Object.entries(m.annotations)) {
      if (typeof v === 'string' && !DROPPED_ANNOTATIONS.includes(k)) annotations[k] = v;
    }
  }
  const metadata: Canary['metadata'] = { name };
  for (const field of ['namespace', 'uid', 'resourceVersion'] as const) {
    const value = str(m[field]);
    if (value !== undefined) metadata[field] = value;
  }
  if (annotations) metadata.annotations = annotations;
  return {
    apiVersion: str(raw.apiVersion) ?? '',
    kind: str(raw.kind) ?? 'Canary',
    metadata,
    spec: isObject(raw.spec) ? raw.spec : {},
    ...(isObject(raw.status) ? { status: raw.status } : {}),
  };
}

export function slimDeployment(raw: unknown): DeploymentSlim | undefined {
  if (!isObject(raw) || !isObject(raw.metadata)) return undefined;
  const name = str(raw.metadata.name);
  if (!name) return undefined;
  const spec = isObject(raw.spec) ? raw.spec : {};
  const status = isObject(raw.status) ? raw.status : {};
  const podSpec = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : {};
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  return {
    namespace: str(raw.metadata.namespace) ?? '',
    name,
    resourceVersion: str(raw.metadata.resourceVersion) ?? '',
    replicas: num(spec.replicas),
    available: num(status.availableReplicas) ?? 0,
    ready: num(status.readyReplicas) ?? 0,
    updated: num(status.updatedReplicas) ?? 0,
    images: containers.map((c) => (isObject(c) ? (str(c.image) ?? '') : '')).filter((i) => i !== ''),
  };
}

export function slimEvent(raw: unknown): EventSlim | undefined {
  if (!isObject(raw) || !isObject(raw.metadata) || !isObject(raw.involvedObject)) return undefined;
  const uid = str(raw.metadata.uid) ?? str(raw.metadata.name);
  const name = str(raw.involvedObject.name);
  if (!uid || !name) return undefined;
  return {
    uid,
    namespace: str(raw.involvedObject.namespace) ?? str(raw.metadata.namespace) ?? '',
    name,
    involvedUid: str(raw.involvedObject.uid),
    type: str(raw.type) ?? 'Normal',
    reason: str(raw.reason) ?? '',
    message: str(raw.message) ?? '',
    count: num(raw.count) ?? 1,
    time:
      isoTime(raw.lastTimestamp) ??
      isoTime(raw.eventTime) ??
      isoTime(raw.firstTimestamp) ??
      isoTime(raw.metadata.creationTimestamp) ??
      '',
  };
}

/** The two Deployments a Canary names, when it names them. */
export function deploymentNames(canary: Canary): { old?: string; new?: string } {
  const spec = canary.spec as Json;
  const name = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return { old: name(spec.oldDeployment), new: name(spec.newDeployment) };
}

/**
 * The percent of the app asked of the new version: `status.weight` when the
 * service reports it (step lists, traffic routing), else what the replicas
 * give, as docs/design.md §8 defines the weight of a replica split.
 */
export function weightOf(canary: Canary): { value: number; reported: boolean } | undefined {
  const status = (canary.status ?? {}) as Json;
  const reported = num(status.weight);
  if (reported !== undefined) return { value: reported, reported: true };
  const total = num((canary.spec as Json).totalReplicas);
  const asked = num(status.newReplicas);
  if (total === undefined || total <= 0 || asked === undefined) return undefined;
  return { value: replicaWeight(asked, total), reported: false };
}
