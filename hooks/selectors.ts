/** Kubernetes label selector semantics (metav1.LabelSelector). */
import type { LabelSelector, LabelSelectorRequirement, StringMap } from './wire/index.js';

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
