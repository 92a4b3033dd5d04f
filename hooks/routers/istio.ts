/**
 * Owns Istio as a router: the weights of two destinations in the http routes of a
 * VirtualService (`spec.http[].route[]`). A route entry names a destination
 * when its `destination.host` is the same string (no short-name or FQDN
 * folding: write the host as the VirtualService does) and its subset is the
 * same, or both have none. `routes` limits the change to the http routes of
 * those names; each must exist. A destination without `weight` has none to
 * rely on (Istio gives a lone destination 100, several none), so it is
 * always written.
 */
import type { JsonPatchOperation } from '../wire/index.js';
import { failField } from '../k8s/fields.js';
import { isPlainObject } from '../k8s/json.js';
import { block, nonEmptyString, objectName } from './fields.js';
import type { BackendList, Router } from './router.js';

/** A VirtualService destination; without `subset`, only a destination without one matches. */
export interface IstioDestination {
  host: string;
  subset?: string;
}

/** spec.trafficRouting.istio: weights on the http routes of an Istio VirtualService. */
export interface IstioRouting {
  router: 'istio';
  virtualService: string;
  /** Names of spec.http[] routes to set; undefined: every http route that has both destinations. */
  routes: string[] | undefined;
  oldDestination: IstioDestination;
  newDestination: IstioDestination;
}

const AT = 'trafficRouting.istio';

function destination(raw: unknown, field: string): IstioDestination {
  if (!isPlainObject(raw)) failField(field, 'is required: {host, subset?}');
  const host = nonEmptyString(raw.host, `${field}.host`);
  if (raw.subset === undefined || raw.subset === null || raw.subset === '') return { host };
  return { host, subset: nonEmptyString(raw.subset, `${field}.subset`) };
}

function routeNames(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    failField(`${AT}.routes`, 'must list at least one name of a spec.http[] route, or be left out');
  }
  return raw.map((name: unknown, i) => nonEmptyString(name, `${AT}.routes[${i}]`));
}

const describeDestination = (d: IstioDestination) =>
  d.subset === undefined ? `destination ${d.host}` : `destination ${d.host} subset ${d.subset}`;

const sameDestination = (a: IstioDestination, b: IstioDestination) =>
  a.host === b.host && a.subset === b.subset;

export const istioRouter: Router<IstioRouting> = {
  id: 'istio',
  kind: 'VirtualService',
  group: 'networking.istio.io',
  version: 'v1',
  resource: 'virtualservices',
  routeField: 'virtualService',
  defaultWeight: undefined,

  parse(raw) {
    const b = block(raw, AT);
    const config: IstioRouting = {
      router: 'istio',
      virtualService: objectName(b, AT, 'virtualService', 'a VirtualService in the Canary namespace'),
      routes: routeNames(b.routes),
      oldDestination: destination(b.oldDestination, `${AT}.oldDestination`),
      newDestination: destination(b.newDestination, `${AT}.newDestination`),
    };
    if (sameDestination(config.oldDestination, config.newDestination)) {
      failField(`${AT}.newDestination`, 'must differ from spec.trafficRouting.istio.oldDestination');
    }
    return { ok: true, config };
  },

  routeName: (config) => config.virtualService,

  describe: (config, which) =>
    which === 'old'
      ? { field: `spec.${AT}.oldDestination`, name: describeDestination(config.oldDestination) }
      : { field: `spec.${AT}.newDestination`, name: describeDestination(config.newDestination) },

  backendName(config, which) {
    const d = which === 'old' ? config.oldDestination : config.newDestination;
    return d.subset ? `${d.host}/${d.subset}` : d.host;
  },

  lists(route, config) {
    const http = isPlainObject(route.spec) && Array.isArray(route.spec.http) ? route.spec.http : [];
    const all: (BackendList & { name: unknown })[] = http.map((entry: unknown, i) => {
      const name = isPlainObject(entry) ? entry.name : undefined;
      return {
        name,
        label: typeof name === 'string' ? `http route "${name}" (${i})` : `http route ${i}`,
        ref: typeof name === 'string' && name !== '' ? name : `http[${i}]`,
        index: i,
        pointer: `/spec/http/${i}/route`,
        backends: isPlainObject(entry) && Array.isArray(entry.route) ? entry.route : [],
      };
    });
    if (config.routes === undefined) return { ok: true, lists: all, named: false };
    const missing = config.routes.filter((name) => !all.some((l) => l.name === name));
    if (missing.length > 0) {
      return {
        ok: false,
        message: `has no http route named ${missing.map((m) => JSON.stringify(m)).join(', ')} (spec.${AT}.routes)`,
      };
    }
    return { ok: true, named: true, lists: all.filter((l) => config.routes?.includes(l.name as string)) };
  },

  names(entry, config, which) {
    if (!isPlainObject(entry) || !isPlainObject(entry.destination)) return false;
    const want = which === 'old' ? config.oldDestination : config.newDestination;
    const d = entry.destination;
    const subset = d.subset === '' || d.subset === null ? undefined : d.subset;
    return d.host === want.host && subset === want.subset;
  },

  pins(pointer, config, which): JsonPatchOperation[] {
    const want = which === 'old' ? config.oldDestination : config.newDestination;
    const ops: JsonPatchOperation[] = [{ op: 'test', path: `${pointer}/destination/host`, value: want.host }];
    if (want.subset !== undefined) {
      ops.push({ op: 'test', path: `${pointer}/destination/subset`, value: want.subset });
    }
    return ops;
  },
};
