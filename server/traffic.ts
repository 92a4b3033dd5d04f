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
import type { FastifyBaseLogger } from 'fastify';
import type { SyncDecision } from '../hooks/sync.js';
import { routeWriteFailed } from '../hooks/render/route-failed.js';
import { rfc3339 } from '../hooks/k8s/time.js';
import { readPriorStatus } from '../hooks/observed/prior.js';
import type { Canary, RouteWrite } from '../hooks/wire/index.js';
import type { ClaimChecker, Verdict } from './claims.js';
import { describeApiError } from './kube.js';
import { cut } from './limits.js';

/** Writes a route patch; rejects with the API's error when it is refused. */
export interface RouteWriter {
  patch(write: RouteWrite): Promise<void>;
}

/** The outcome label of canary_route_patch_total. */
export type PatchOutcome =
  | 'success'
  | 'conflict'
  | 'forbidden'
  | 'not_found'
  | 'error'
  /** The request's claim did not hold against the live Canary (docs/design.md §12): nothing sent. */
  | 'refused'
  /** The process runs without a Kubernetes API: nothing sent. */
  | 'no_api';

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
  /** The claim check's verdict when it did not hold: the write was never sent. */
  claim?: Exclude<Verdict, { kind: 'holds' }>;
}

const OUTCOME_OF_VERDICT = { refused: 'refused', unverified: 'error', 'no-api': 'no_api' } as const;

/**
 * Makes the decision's route write, if any, once the request's claim holds
 * against the live Canary, and returns the answer that reflects its outcome.
 */
export async function carryOutRouteWrite(
  writer: RouteWriter,
  decision: SyncDecision,
  canary: Canary,
  now: Date,
  claims: ClaimChecker,
): Promise<RouteWriteResult | undefined> {
  const write = decision.routeWrite;
  if (write === undefined) return undefined;
  const failed = (reason: string) =>
    routeWriteFailed(decision, write, reason, readPriorStatus(canary.status).conditions, rfc3339(now));
  const verdict = await claims.routeWrite(canary, write);
  if (verdict.kind !== 'holds') {
    const reason =
      verdict.kind === 'no-api'
        ? `not written: this service runs without a Kubernetes API (${verdict.why})`
        : `not written: ${verdict.why}`;
    return { decision: failed(reason), outcome: OUTCOME_OF_VERDICT[verdict.kind], reason, claim: verdict };
  }
  try {
    await writer.patch(write);
    return { decision, outcome: 'success' };
  } catch (err) {
    const reason = cut(describeApiError(err));
    return { decision: failed(reason), outcome: outcomeOfError(err), reason };
  }
}

/**
 * One log line for a route write that did not go through: a refused claim
 * once (however often it is sent again), a refused or failed write each
 * time, and nothing when there is no API (the process said so at start).
 */
export function logRouteWrite(
  log: Pick<FastifyBaseLogger, 'warn' | 'debug'>,
  written: RouteWriteResult,
  canary: string,
  refusals: { first(key: string): boolean },
): void {
  const where = { canary, route: cut(written.decision.routeWrite?.route.name ?? '', 253) };
  if (written.claim?.kind === 'refused') {
    if (refusals.first(`route ${canary} ${written.claim.why}`)) {
      log.warn(
        { ...where, why: written.claim.why },
        'refused a route write: the request does not match the live Canary',
      );
    }
  } else if (written.claim?.kind === 'no-api') {
    log.debug(where, 'no Kubernetes API: the route is not written');
  } else if (written.reason !== undefined) {
    log.warn(
      { ...where, why: written.reason },
      'could not set the weight on the route; the next sync retries',
    );
  }
}
