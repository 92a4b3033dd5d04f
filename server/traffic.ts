/**
 * Carrying out the route write a sync decided (hooks/routers/router.ts):
 * a JSON patch on the HTTPRoute or VirtualService through the Kubernetes
 * API, before the sync answers. A refused write changes the answer in one
 * place only, through the pure hooks/render/route-failed.ts `routeWriteFailed`.
 */
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { SyncDecision } from '../hooks/sync.js';
import { routeWriteFailed } from '../hooks/render/route-failed.js';
import { rfc3339 } from '../hooks/k8s/time.js';
import { readPriorStatus } from '../hooks/observed/prior.js';
import type { Canary, RouteWrite } from '../hooks/wire/index.js';
import { describeApiError } from './kube.js';

/** Writes a route patch; rejects with the API's error when it is refused. */
export interface RouteWriter {
  patch(write: RouteWrite): Promise<void>;
}

/** The outcome label of canary_route_patch_total. */
export type PatchOutcome = 'success' | 'conflict' | 'forbidden' | 'not_found' | 'error';

export function createRouteWriter(config: KubeConfig): RouteWriter {
  const api = config.makeApiClient(CustomObjectsApi);
  return {
    async patch(write) {
      const { group, version, namespace, resource, name } = write.route;
      await api.patchNamespacedCustomObject(
        { group, version, namespace, plural: resource, name, body: write.patch },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    },
  };
}

/** A writer for a process without a usable kubeconfig: every write fails, saying why. */
export function unavailableRouteWriter(problem: string): RouteWriter {
  return {
    patch: async () => {
      throw new Error(problem);
    },
  };
}

/**
 * 422 is what the API server answers a JSON patch whose `test` failed: the
 * route changed under the read (or is invalid); 409 a conflicting write.
 */
export function outcomeOfError(err: unknown): PatchOutcome {
  if (!(err instanceof ApiException)) return 'error';
  if (err.code === 422 || err.code === 409) return 'conflict';
  if (err.code === 403 || err.code === 401) return 'forbidden';
  if (err.code === 404) return 'not_found';
  return 'error';
}

export interface RouteWriteResult {
  decision: SyncDecision;
  outcome: PatchOutcome;
  /** The API's reason, when refused. */
  reason?: string;
}

/** Makes the decision's route write, if any, and returns the answer that reflects its outcome. */
export async function carryOutRouteWrite(
  writer: RouteWriter,
  decision: SyncDecision,
  canary: Canary,
  now: Date,
): Promise<RouteWriteResult | undefined> {
  const write = decision.routeWrite;
  if (write === undefined) return undefined;
  try {
    await writer.patch(write);
    return { decision, outcome: 'success' };
  } catch (err) {
    const reason = describeApiError(err);
    const prior = readPriorStatus(canary.status).conditions;
    return {
      decision: routeWriteFailed(decision, write, reason, prior, rfc3339(now)),
      outcome: outcomeOfError(err),
      reason,
    };
  }
}
