/**
 * The routers, by their key under spec.trafficRouting. A new router is one
 * more entry here (and its file beside this one).
 */
import type { SpecProblem } from '../spec.js';
import { gatewayApiRouter } from './gateway-api.js';
import { istioRouter } from './istio.js';
import { RoutingSpecError } from './fields.js';
import { isPlainObject, type Router, type RouterId, type TrafficRouting } from './router.js';

export const ROUTERS: readonly Router[] = [gatewayApiRouter, istioRouter] as unknown as Router[];

export function routerFor(routing: TrafficRouting): Router {
  return ROUTERS.find((r) => r.id === routing.router) as Router;
}

export function routerById(id: string): Router | undefined {
  return ROUTERS.find((r) => r.id === id);
}

export type RoutingResult =
  { ok: true; routing: TrafficRouting | undefined } | { ok: false; problem: SpecProblem };

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
  const router = routerById(given[0] as RouterId) as Router;
  try {
    const parsed = router.parse(raw[router.id]);
    return parsed.ok ? { ok: true, routing: parsed.config } : parsed;
  } catch (err) {
    if (err instanceof RoutingSpecError) return { ok: false, problem: err.problem };
    throw err;
  }
}

function problem(field: string, message: string): RoutingResult {
  return { ok: false, problem: { field, message: `spec.${field} ${message}` } };
}
