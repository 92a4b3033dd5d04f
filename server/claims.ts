/**
 * A hook request is a claim, not an order (docs/design.md §12). The hooks'
 * port is plain HTTP and Metacontroller cannot authenticate itself to it, so
 * before each write the service makes on its own, with its own rights, the
 * request's claim is checked against the API server:
 *
 * - route patch: the Canary exists with that uid, and its live
 *   spec.trafficRouting names that route, in its own namespace, with those
 *   backends;
 * - finalize: the Canary exists with that uid and is being deleted, and only
 *   Deployments of its namespace are touched (server/kube.ts then removes an
 *   ownerReference only when it carries that uid);
 * - Event: the Canary exists with that uid (the Event goes to its namespace).
 *
 * One GET of the Canary per write, and writes are rare (a weight change, a
 * deletion, a transition): a Canary at rest costs no read.
 */
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parseTrafficRouting, routerFor } from '../hooks/routers/registry.js';
import type { Canary, RouteWrite } from '../hooks/wire/index.js';
import { describeApiError } from './kube.js';
import { cut } from './limits.js';

export const CANARY_GROUP = 'canary.k8shuginn.io';
export const CANARY_VERSION = 'v1alpha1';
export const CANARY_PLURAL = 'canaries';

/** The Canary as the API server has it now: only what the checks read. */
export interface LiveCanary {
  metadata?: { uid?: string; namespace?: string; deletionTimestamp?: string | Date };
  spec?: { trafficRouting?: unknown };
}

/** Reads a Canary; undefined when there is none of that name. */
export type CanaryReader = (namespace: string, name: string) => Promise<LiveCanary | undefined>;

/**
 * `holds`: write. `refused`: the claim is false (forged or stale): write
 * nothing, answer as if the object were absent, log once. `unverified`: the
 * API could not be asked (a failed write, retried on the next call).
 * `no-api`: the process runs without a Kubernetes API at all.
 */
export type Verdict =
  | { kind: 'holds' }
  | { kind: 'refused'; why: string }
  | { kind: 'unverified'; why: string }
  | { kind: 'no-api'; why: string };

export interface ClaimChecker {
  /** The Canary exists with the request's uid. Before an Event. */
  exists(canary: Canary): Promise<Verdict>;
  /** The live Canary names this route and these backends. Before a route patch. */
  routeWrite(canary: Canary, write: RouteWrite): Promise<Verdict>;
  /** The live Canary is being deleted. Before finalize releases Deployments. */
  finalizing(canary: Canary): Promise<Verdict>;
}

const HOLDS: Verdict = { kind: 'holds' };

function about(canary: Canary): string {
  return cut(`Canary ${canary.metadata.namespace ?? 'default'}/${canary.metadata.name}`, 600);
}

/** JSON with sorted keys: two parses of the same routing compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Why the live Canary does not name the route the write is for, or undefined when it does. */
export function routeMismatch(canary: Canary, live: LiveCanary, write: RouteWrite): string | undefined {
  const namespace = canary.metadata.namespace ?? 'default';
  if (write.route.namespace !== namespace) {
    return `the route ${write.route.namespace}/${write.route.name} is not in the Canary's namespace ${namespace}`;
  }
  const liveRouting = parseTrafficRouting(live.spec?.trafficRouting);
  if (!liveRouting.ok || liveRouting.routing === undefined) {
    return 'the live Canary has no usable spec.trafficRouting';
  }
  const router = routerFor(liveRouting.routing);
  const same =
    router.id === write.router &&
    router.group === write.route.group &&
    router.resource === write.route.resource &&
    router.routeName(liveRouting.routing) === write.route.name;
  if (!same)
    return `the live Canary's spec.trafficRouting does not name ${write.route.kind} ${write.route.name}`;
  // The patch pins each backend by the request's spec: it must be the live spec's.
  const claimed = parseTrafficRouting(canary.spec.trafficRouting);
  if (!claimed.ok || canonical(claimed.routing) !== canonical(liveRouting.routing)) {
    return "the request's spec.trafficRouting (route or backends) is not the live Canary's";
  }
  return undefined;
}

/** Checks claims with `read`; a read that fails leaves the claim unverified. */
export function createClaimChecker(read: CanaryReader): ClaimChecker {
  const live = async (
    canary: Canary,
  ): Promise<{ verdict: Verdict; canary?: undefined } | { verdict?: undefined; canary: LiveCanary }> => {
    const uid = canary.metadata.uid;
    if (!uid) return { verdict: { kind: 'refused', why: `${about(canary)}: the request carries no uid` } };
    let found: LiveCanary | undefined;
    try {
      found = await read(canary.metadata.namespace ?? 'default', canary.metadata.name);
    } catch (err) {
      return {
        verdict: {
          kind: 'unverified',
          why: `could not read ${about(canary)}: ${cut(describeApiError(err))}`,
        },
      };
    }
    if (found === undefined) return { verdict: { kind: 'refused', why: `${about(canary)} does not exist` } };
    if (found.metadata?.uid !== uid) {
      return {
        verdict: { kind: 'refused', why: `${about(canary)} exists with another uid than ${cut(uid, 64)}` },
      };
    }
    return { canary: found };
  };

  return {
    async exists(canary) {
      const r = await live(canary);
      return r.verdict ?? HOLDS;
    },
    async routeWrite(canary, write) {
      const r = await live(canary);
      if (r.verdict) return r.verdict;
      const why = routeMismatch(canary, r.canary, write);
      return why === undefined ? HOLDS : { kind: 'refused', why: `${about(canary)}: ${why}` };
    },
    async finalizing(canary) {
      const r = await live(canary);
      if (r.verdict) return r.verdict;
      if (!r.canary.metadata?.deletionTimestamp) {
        return { kind: 'refused', why: `${about(canary)} is not being deleted` };
      }
      return HOLDS;
    },
  };
}

/** Reads Canaries through the API server (RBAC: get canaries). */
export function kubeCanaryReader(config: KubeConfig): CanaryReader {
  const api = config.makeApiClient(CustomObjectsApi);
  return async (namespace, name) => {
    try {
      return (await api.getNamespacedCustomObject({
        group: CANARY_GROUP,
        version: CANARY_VERSION,
        plural: CANARY_PLURAL,
        namespace,
        name,
      })) as LiveCanary;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  };
}

/** For a process without a Kubernetes API: nothing can be checked, so nothing is written. */
export function noApiClaims(problem: string): ClaimChecker {
  const verdict: Verdict = { kind: 'no-api', why: problem };
  return {
    exists: async () => verdict,
    routeWrite: async () => verdict,
    finalizing: async () => verdict,
  };
}
