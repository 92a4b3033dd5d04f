/**
 * The route lines of `kubectl canary status` for a Canary with
 * `spec.trafficRouting`: the weight the Canary asks and the weight the route
 * has, read by the plugin itself (with the user's credentials), so a patch
 * the service could not make shows as a difference here.
 */
import { weightOf } from '../hooks/steps/weights.js';
import type { RouteRule, RouteView } from './dashboard/route.js';

/** The new version's share of one rule, in percent; undefined when its weights are not both known. */
export function ruleWeight(rule: RouteRule): number | undefined {
  if (rule.old === undefined || rule.new === undefined) return undefined;
  const sum = rule.old + rule.new;
  // Both at 0: no request goes to either through this rule, so none to the new version.
  return sum === 0 ? 0 : weightOf(rule.new, sum);
}

/** "50%", or each rule's weight when they differ. */
function routeHas(route: RouteView): string {
  const weights = route.rules.map(ruleWeight);
  const text = (w: number | undefined) => (w === undefined ? '?' : `${w}%`);
  if (weights.every((w) => w === weights[0])) return text(weights[0]);
  return route.rules.map((r, i) => `${text(weights[i])} in ${r.label}`).join(', ');
}

const num = (w: number | undefined) => (w === undefined ? '-' : String(w));

/** Lines after the `Route:` label, the first one beside it. */
export function routeLines(route: RouteView, asked: number | undefined): string[] {
  // A spec the hook refuses names no backends to show.
  const backends = route.oldBackend === '' ? '' : ` (${route.oldBackend} -> ${route.newBackend})`;
  const head = `${route.kind} ${route.name}${backends}`;
  const askedText = asked === undefined ? '-' : `${asked}%`;
  if (route.error) return [head, `weight asked ${askedText}; the route cannot be read: ${route.error}`];
  if (route.problem) return [head, `weight asked ${askedText}; no weight can be set: ${route.problem}`];
  return [
    head,
    `weight asked ${askedText}, the route has ${routeHas(route)}`,
    ...route.rules.map(
      (r) => `${r.label}: ${route.oldBackend} ${num(r.old)}, ${route.newBackend} ${num(r.new)}`,
    ),
  ];
}
