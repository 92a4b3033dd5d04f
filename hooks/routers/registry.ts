/**
 * Owns the registry of routers: every router by its key under
 * spec.trafficRouting, the union of their configs (TrafficRouting) derived
 * from it, and the parse of spec.trafficRouting that picks one. A new router
 * is its file beside this one and one entry in BY_ID (hooks/routers/router.ts
 * says what else).
 */
import { FieldError, type FieldProblem } from '../k8s/fields.js';
import { isPlainObject } from '../k8s/json.js';
import { gatewayApiRouter } from './gateway-api.js';
import { istioRouter } from './istio.js';
import type { RoutingConfig, Router } from './router.js';

/** Each router under its id: the key must be the `router` of its config, or this does not compile. */
function registry<R extends { [Id in keyof R]: Router<RoutingConfig & { router: Id }> }>(routers: R): R {
  return routers;
}

const BY_ID = registry({
  gatewayAPI: gatewayApiRouter,
  istio: istioRouter,
});

type ConfigOf<R> = R extends Router<infer C> ? C : never;

/** spec.trafficRouting as parsed: the config of exactly one router. */
export type TrafficRouting = ConfigOf<(typeof BY_ID)[keyof typeof BY_ID]>;
export type RouterId = TrafficRouting['router'];
/** A router whichever it is: what the hooks, the CLI and the dashboard hold. */
export type AnyRouter = Router<TrafficRouting>;

export const ROUTERS: readonly AnyRouter[] = Object.values(BY_ID);

export function routerFor(routing: TrafficRouting): AnyRouter {
  return BY_ID[routing.router];
}

function routerById(id: string): AnyRouter | undefined {
  return Object.hasOwn(BY_ID, id) ? BY_ID[id as RouterId] : undefined;
}

export type RoutingResult =
  { ok: true; routing: TrafficRouting | undefined } | { ok: false; problem: FieldProblem };

/** spec.trafficRouting: absent, or exactly one router's block, parsed by that router. */
export function parseTrafficRouting(raw: unknown): RoutingResult {
  if (raw === undefined || raw === null) return { ok: true, routing: undefined };
  const ids = ROUTERS.map((r) => r.id).join(' or ');
  if (!isPlainObject(raw)) {
    return problem('trafficRouting', `must be an object with one router: ${ids}`);
  }
  const given = Object.keys(raw).filter((key) => raw[key] !== undefined && raw[key] !== null);
  const unknown = given.filter((key) => routerById(key) === undefined);
  if (unknown.length > 0) {
    return problem('trafficRouting', `has an unknown router ${JSON.stringify(unknown[0])}: use ${ids}`);
  }
  if (given.length !== 1) {
    return problem(
      'trafficRouting',
      given.length === 0
        ? `must name one router: ${ids}`
        : `must name exactly one router, got ${given.join(' and ')}`,
    );
  }
  const router = routerById(given[0] as string) as AnyRouter;
  try {
    const parsed = router.parse(raw[router.id]);
    return parsed.ok ? { ok: true, routing: parsed.config } : parsed;
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, problem: err.problem };
    throw err;
  }
}

function problem(field: string, message: string): RoutingResult {
  return { ok: false, problem: { field, message: `spec.${field} ${message}` } };
}
