/**
 * The Canary's scale subresource (SPEC 10): `kubectl scale` and a
 * HorizontalPodAutoscaler read `status.replicas` and `status.labelSelector`
 * through it and write `spec.totalReplicas`. Metacontroller replaces the
 * whole status on every sync, so both are part of every status the hooks
 * answer with, in every state.
 *
 * The re-split itself needs no code of its own: every sync builds the list of
 * steps from the spec as it is now (hooks/rollout.ts), so a new total is
 * split at the current position like any other edit of the spec.
 */
import { wasComplete, type Progress } from './progress.js';
import { stepCount, type Rollout } from './rollout.js';
import type { CanarySpec, SpecProblem } from './spec.js';
import type { PriorStatus } from './status.js';
import { position, transition, type Transition } from './transitions.js';

/** What the scale subresource reads. */
export interface ScaleStatus {
  /** Replicas asked of the two Deployments together (old + new, as in the status). */
  replicas: number;
  /** `spec.selector` as a selector string, or "" when it is not a usable one. */
  labelSelector: string;
}

// k8s.io/apimachinery/pkg/util/validation: IsQualifiedName and IsValidLabelValue.
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelKey(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && NAME.test(name);
}

function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && (value === '' || (value.length <= 63 && NAME.test(value)));
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

class Unusable extends Error {}

function requirement(raw: unknown): { key: string; text: string } {
  if (!isRecord(raw) || !isLabelKey(raw.key)) throw new Unusable();
  const key = raw.key;
  const values = raw.values === undefined || raw.values === null ? [] : raw.values;
  if (!Array.isArray(values) || !values.every(isLabelValue)) throw new Unusable();
  // As labels.NewRequirement: In/NotIn need values, Exists/DoesNotExist take none.
  const needsValues = raw.operator === 'In' || raw.operator === 'NotIn';
  if (needsValues !== values.length > 0) throw new Unusable();
  // Requirement.String() prints the values sorted (byte order, as Go sorts strings).
  const list = [...(values as string[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',');
  switch (raw.operator) {
    case 'In':
      return { key, text: `${key} in (${list})` };
    case 'NotIn':
      return { key, text: `${key} notin (${list})` };
    case 'Exists':
      return { key, text: key };
    case 'DoesNotExist':
      return { key, text: `!${key}` };
    default:
      throw new Unusable();
  }
}

/**
 * `spec.selector` as metav1.LabelSelectorAsSelector(...).String() renders it
 * (what a Deployment's own scale subresource shows): matchLabels as
 * `key=value`, then matchExpressions as `key in (a,b)`, `key notin (a)`,
 * `key`, `!key`, all sorted by key (stably: for equal keys matchLabels first,
 * then the expressions in their order), joined by commas.
 *
 * *Choice*: a selector that is empty or that the API server could not parse
 * (a bad label key or value, an operator without the values it needs) gives
 * "". An HPA refuses to act on an empty selector ("selector is required"),
 * whereas an empty selector parsed as a selector would select every pod in
 * the namespace and feed their metrics into the Canary's.
 */
export function selectorString(selector: unknown): string {
  if (!isRecord(selector)) return '';
  const labels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  if (!isRecord(labels) || !Array.isArray(expressions)) return '';
  try {
    const parts = Object.entries(labels).map(([key, value]) => {
      if (!isLabelKey(key) || !isLabelValue(value)) throw new Unusable();
      return { key, text: `${key}=${value}` };
    });
    parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const all = [...parts, ...expressions.map(requirement)];
    all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return all.map((p) => p.text).join(',');
  } catch (err) {
    if (err instanceof Unusable) return '';
    throw err;
  }
}

/** The two fields the scale subresource reads, for a status that asks `split` of the Deployments. */
export function scaleStatus(
  selector: unknown,
  split: { oldReplicas: number; newReplicas: number },
): ScaleStatus {
  return { replicas: split.oldReplicas + split.newReplicas, labelSelector: selectorString(selector) };
}

/**
 * Counts above the total, which the CRD refuses when stepReplicas or steps
 * are written (a typo, most likely) but lets stand when only the total moved
 * below them since. The sync hook clamps them; `kubectl canary plan`, which
 * plans a manifest about to be applied, refuses them as the API server would.
 */
export function countAboveTotal(
  spec: Pick<CanarySpec, 'totalReplicas' | 'stepReplicas' | 'steps'>,
): SpecProblem | undefined {
  const total = spec.totalReplicas;
  if (spec.stepReplicas !== undefined && spec.stepReplicas > total) {
    const message = `spec.stepReplicas (${spec.stepReplicas}) must not exceed spec.totalReplicas (${total})`;
    return { field: 'stepReplicas', message };
  }
  const i = (spec.steps ?? []).findIndex((s) => 'setReplicas' in s && s.setReplicas > total);
  if (i === -1) return undefined;
  const asked = (spec.steps?.[i] as { setReplicas: number }).setReplicas;
  const message = `spec.steps[${i}].setReplicas (${asked}) must not exceed spec.totalReplicas (${total})`;
  return { field: `steps[${i}].setReplicas`, message };
}

/**
 * A Canary running or stopped part-way whose rollout got shorter under it (a
 * total scaled down, or an edit) so that its step is now the last or past it:
 * it completes in this sync (hooks/progress.ts settles it), and that is
 * announced like any completion, for the Event and canary_completions_total.
 * A Canary in `error` counts too unless it was complete before the error: the
 * edit that makes the spec valid again is often the one that shortened it.
 */
export function completedByShorterRollout(
  prior: PriorStatus,
  settled: Progress,
  rollout: Rollout,
): Transition | undefined {
  if (settled.state !== 'complete' || wasComplete(prior)) return undefined;
  if (prior.state !== 'running' && prior.state !== 'stop' && prior.state !== 'error') return undefined;
  const from = { state: prior.state, step: prior.currentStep };
  const message = `Completed: step ${prior.currentStep} is the last of ${stepCount(rollout)} steps or past it at ${rollout.totalReplicas} replicas`;
  return transition('Completed', 'StepsReduced', message, from, position(settled));
}
