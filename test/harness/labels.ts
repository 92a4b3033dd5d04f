/**
 * Label selectors as the API server and Metacontroller evaluate them
 * (k8s.io/apimachinery metav1.LabelSelectorAsSelector). Written here on
 * purpose rather than imported from hooks/: the harness plays the cluster's
 * part and must not borrow the code it is testing. Note the difference from
 * the hooks' own rule: to the API server an empty selector selects everything.
 */
export interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Requirement[];
}

/** Throws where the API server would refuse to build a selector (Metacontroller then never syncs). */
export function selectorMatches(selector: Selector, labels: Record<string, string> | undefined): boolean {
  const actual = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (actual[key] !== value) return false;
  }
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(actual, r.key);
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (values.length === 0) throw new Error(`selector: ${r.key} In needs values`);
        if (!has || !values.includes(actual[r.key] as string)) return false;
        break;
      case 'NotIn':
        if (values.length === 0) throw new Error(`selector: ${r.key} NotIn needs values`);
        if (has && values.includes(actual[r.key] as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`selector: unknown operator ${r.operator}`);
    }
  }
  return true;
}
