/**
 * Owns Kubernetes label selector semantics (metav1.LabelSelector): matching,
 * and the two ways of writing one out (for messages, and as the API server's
 * selector string).
 */
import type { LabelSelector, LabelSelectorRequirement, StringMap } from '../wire/index.js';
import { isPlainObject as isRecord } from './json.js';
import { isLabelKey, isLabelValue } from './names.js';

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

function requirementMatches(labels: StringMap, requirement: LabelSelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return has && values.includes(labels[requirement.key] as string);
    case 'NotIn':
      return !has || !values.includes(labels[requirement.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      // An operator we do not know selects nothing, rather than everything.
      return false;
  }
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  );
}

/**
 * An empty selector matches nothing here, unlike in the API server: for a
 * Deployment or a Canary it can only mean a mistake, and matching every pod
 * would let any crash in the namespace roll back a canary.
 */
export function matchesSelector(labels: StringMap | undefined, selector: LabelSelector | undefined): boolean {
  if (isEmptySelector(selector)) return false;
  const actual = labels ?? {};
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (actual[key] !== value) return false;
  }
  return (selector?.matchExpressions ?? []).every((requirement) => requirementMatches(actual, requirement));
}

/** `app=my-app,tier in (web)` as kubectl prints it, for messages. */
export function describeSelector(selector: LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector?.matchExpressions ?? []) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator.toLowerCase()} (${(r.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

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
