/**
 * Owns the Gateway API as a router: the weights of two backendRefs in the rules of an HTTPRoute
 * (`spec.rules[].backendRefs[]`). A backendRef names a backend when it is a
 * core Service (no group or "", no kind or "Service") of that name in the
 * route's namespace; its weight defaults to 1 (the Gateway API's default).
 */
import type { JsonPatchOperation } from '../wire/index.js';
import { isPlainObject, pointerSegment } from '../k8s/json.js';
import { block, objectName } from './fields.js';
import type { Router } from './router.js';

/** spec.trafficRouting.gatewayAPI: weights on the backendRefs of a Gateway API HTTPRoute. */
export interface GatewayApiRouting {
  router: 'gatewayAPI';
  httpRoute: string;
  oldBackend: string;
  newBackend: string;
}

const AT = 'trafficRouting.gatewayAPI';

function isCoreService(ref: Record<string, unknown>): boolean {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  return group === '' && kind === 'Service';
}

export const gatewayApiRouter: Router<GatewayApiRouting> = {
  id: 'gatewayAPI',
  kind: 'HTTPRoute',
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  resource: 'httproutes',
  routeField: 'httpRoute',
  defaultWeight: 1,

  parse(raw) {
    const b = block(raw, AT);
    const config: GatewayApiRouting = {
      router: 'gatewayAPI',
      httpRoute: objectName(b, AT, 'httpRoute', 'an HTTPRoute in the Canary namespace'),
      oldBackend: objectName(b, AT, 'oldBackend', 'the Service of the old version'),
      newBackend: objectName(b, AT, 'newBackend', 'the Service of the new version'),
    };
    return { ok: true, config };
  },

  routeName: (config) => config.httpRoute,

  describe: (config, which) =>
    which === 'old'
      ? { field: `spec.${AT}.oldBackend`, name: `backend ${config.oldBackend}` }
      : { field: `spec.${AT}.newBackend`, name: `backend ${config.newBackend}` },

  backendName: (config, which) => (which === 'old' ? config.oldBackend : config.newBackend),

  lists(route) {
    const rules = isPlainObject(route.spec) && Array.isArray(route.spec.rules) ? route.spec.rules : [];
    return {
      ok: true,
      named: false,
      lists: rules.map((rule: unknown, i) => ({
        label: `rule ${i}`,
        ref: `rules[${i}]`,
        index: i,
        pointer: `/spec/rules/${i}/backendRefs`,
        backends: isPlainObject(rule) && Array.isArray(rule.backendRefs) ? rule.backendRefs : [],
      })),
    };
  },

  names(entry, config, which, route) {
    if (!isPlainObject(entry) || !isCoreService(entry)) return false;
    const namespace = entry.namespace;
    if (namespace !== undefined && namespace !== '' && namespace !== route.metadata?.namespace) return false;
    return entry.name === (which === 'old' ? config.oldBackend : config.newBackend);
  },

  pins(pointer, config, which): JsonPatchOperation[] {
    const name = which === 'old' ? config.oldBackend : config.newBackend;
    return [{ op: 'test', path: `${pointer}/${pointerSegment('name')}`, value: name }];
  },
};
