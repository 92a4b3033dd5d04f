/**
 * Owns what every router shares once it has said where its backend lists are:
 * which lists name both versions, the weights they show, and the JSON patch
 * that sets only those two weights.
 */
import type { JsonPatchOperation } from '../wire/index.js';
import { isPlainObject } from '../k8s/json.js';
import type { RouteObject, Router, RoutingConfig } from './router.js';

/** A list of backends that names both versions: the one kind of rule a Canary writes. */
export interface TouchedRule {
  label: string;
  /** BackendList.ref: `rules[0]`, `primary`. */
  ref: string;
  /** Its place in the route's own list of rules (BackendList.index). */
  index: number;
  oldPointer: string;
  newPointer: string;
  /** The weight as written, or the router's default, or undefined when there is none. */
  oldWeight: number | undefined;
  newWeight: number | undefined;
  /** Whether the entry has a `weight` field to replace (else it is added). */
  oldWritten: boolean;
  newWritten: boolean;
}

export type RouteReading =
  { ok: true; rules: TouchedRule[] } | { ok: false; reason: 'BackendNotFound'; message: string };

function entryWeight<C extends RoutingConfig>(
  entry: unknown,
  router: Router<C>,
): { weight: number | undefined; written: boolean } {
  const value = isPlainObject(entry) ? entry.weight : undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return { weight: value, written: true };
  return { weight: router.defaultWeight, written: value !== undefined };
}

/**
 * The rules that name both versions, or why the route cannot carry the
 * Canary: a version named in no rule, a rule naming one twice, no rule
 * naming both, or (with Istio's `routes`) a chosen route lacking one.
 */
export function readRoute<C extends RoutingConfig>(
  router: Router<C>,
  routing: C,
  route: RouteObject,
): RouteReading {
  const routeText = `${router.kind} ${router.routeName(routing)}`;
  const fail = (message: string): RouteReading => ({
    ok: false,
    reason: 'BackendNotFound',
    message: `${routeText} ${message}`,
  });
  const listed = router.lists(route, routing);
  if (!listed.ok) return fail(listed.message);
  const oldName = router.describe(routing, 'old');
  const newName = router.describe(routing, 'new');
  const rules: TouchedRule[] = [];
  const seen = { old: false, new: false };
  for (const list of listed.lists) {
    const at = (which: 'old' | 'new') =>
      list.backends.flatMap((b, i) => (router.names(b, routing, which, route) ? [i] : []));
    const olds = at('old');
    const news = at('new');
    seen.old ||= olds.length > 0;
    seen.new ||= news.length > 0;
    for (const [found, name] of [
      [olds, oldName],
      [news, newName],
    ] as const) {
      if (found.length > 1) return fail(`names ${name.name} ${found.length} times in ${list.label}`);
    }
    const [o, n] = [olds[0], news[0]];
    if (o === undefined || n === undefined) {
      if (listed.named) {
        const lacking = o === undefined ? oldName : newName;
        return fail(`${list.label} does not name ${lacking.name} (${lacking.field})`);
      }
      continue; // names one of them, or neither: left alone
    }
    const oldW = entryWeight(list.backends[o], router);
    const newW = entryWeight(list.backends[n], router);
    rules.push({
      label: list.label,
      ref: list.ref,
      index: list.index,
      oldPointer: `${list.pointer}/${o}`,
      newPointer: `${list.pointer}/${n}`,
      oldWeight: oldW.weight,
      newWeight: newW.weight,
      oldWritten: oldW.written,
      newWritten: newW.written,
    });
  }
  for (const [which, name] of [
    ['old', oldName],
    ['new', newName],
  ] as const) {
    if (!seen[which]) return fail(`has no rule that names ${name.name} (${name.field})`);
  }
  if (rules.length === 0) {
    return fail(`has no rule that names both ${oldName.name} and ${newName.name}, so no weight can be set`);
  }
  return { ok: true, rules };
}

/** The weight every touched rule shows (old 100 - w, new w), or undefined when they disagree or split otherwise. */
export function shownWeight(rules: readonly TouchedRule[]): number | undefined {
  const first = rules[0];
  if (first === undefined || first.newWeight === undefined) return undefined;
  const w = first.newWeight;
  const shows = (r: TouchedRule) => r.newWeight === w && r.oldWeight === 100 - w;
  return w >= 0 && w <= 100 && rules.every(shows) ? w : undefined;
}

/**
 * The largest share of requests (percent, rounded up) any touched rule sends
 * to the new version: what its replicas must carry now, whatever the rules
 * say. A rule whose two weights are both 0 or unknown counts as all new, to
 * be safe.
 */
export function exposure(rules: readonly TouchedRule[]): number {
  let most = 0;
  for (const r of rules) {
    const o = r.oldWeight;
    const n = r.newWeight;
    if (n === 0) continue;
    if (o === undefined || n === undefined || o < 0 || n < 0 || o + n === 0) return 100;
    most = Math.max(most, Math.ceil((100 * n) / (o + n)));
  }
  return Math.min(most, 100);
}

function setWeight(pointer: string, written: boolean, value: number): JsonPatchOperation {
  return { op: written ? 'replace' : 'add', path: `${pointer}/weight`, value };
}

/**
 * The patch that makes every touched rule show `weight`: for each rule whose
 * weights differ, the `test`s that pin both backends at their indexes, then
 * the two weights. Empty when the route shows it already.
 */
export function routePatch<C extends RoutingConfig>(
  router: Router<C>,
  routing: C,
  rules: readonly TouchedRule[],
  weight: number,
): JsonPatchOperation[] {
  return rules.flatMap((r) => {
    if (r.oldWeight === 100 - weight && r.newWeight === weight) return [];
    return [
      ...router.pins(r.oldPointer, routing, 'old'),
      ...router.pins(r.newPointer, routing, 'new'),
      setWeight(r.oldPointer, r.oldWritten, 100 - weight),
      setWeight(r.newPointer, r.newWritten, weight),
    ];
  });
}
