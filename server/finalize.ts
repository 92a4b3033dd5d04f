/**
 * Carrying out finalize's decision: releasing the Deployments that still
 * carry the Canary's ownerReference, once the request's claim holds
 * (docs/design.md §12): the live Canary has that uid and is being deleted,
 * and only Deployments of its own namespace are touched. server/kube.ts then
 * removes an ownerReference only where the live Deployment carries that uid.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { FinalizeDecision } from '../hooks/finalize.js';
import type { Canary, FinalizeResponse } from '../hooks/wire/index.js';
import type { ClaimChecker } from './claims.js';
import { describeApiError, type KubeApi } from './kube.js';
import { boundStatus, cut } from './limits.js';

export interface FinalizeDeps {
  kube: KubeApi;
  claims: ClaimChecker;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug'>;
  /** Logs a false claim once (server/limits.ts createOnceLog). */
  refusals: { first(key: string): boolean };
}

function key(canary: Canary): string {
  return cut(`${canary.metadata.namespace ?? 'default'}/${canary.metadata.name}`, 320);
}

/** The answer to a claim that does not hold: as if the Canary owned nothing, so nothing is left to wait for. */
function asIfAbsent(response: FinalizeResponse): FinalizeResponse {
  return {
    ...response,
    status: { ...response.status, message: 'Canary is being deleted: nothing of it to release' },
    finalized: true,
    resyncAfterSeconds: 0,
  };
}

/** Releases what the decision names, when the claim holds, and returns the answer for Metacontroller. */
export async function releaseClaimed(
  decision: FinalizeDecision,
  parent: Canary,
  deps: FinalizeDeps,
): Promise<FinalizeResponse> {
  const response = { ...decision.response, status: boundStatus(decision.response.status) };
  // Nothing owned: no write, so no read either (a Canary at rest costs nothing).
  if (decision.owned.length === 0) return response;
  const canary = key(parent);
  const verdict = await deps.claims.finalizing(parent);
  if (verdict.kind === 'no-api') {
    deps.log.debug({ canary }, 'no Kubernetes API: Deployments not released');
    return {
      ...response,
      status: {
        ...response.status,
        message: cut(
          `Canary is being deleted, but this service runs without a Kubernetes API (${verdict.why}): ` +
            `its Deployments cannot be released`,
        ),
      },
    };
  }
  if (verdict.kind === 'refused') {
    if (deps.refusals.first(`finalize ${canary} ${verdict.why}`)) {
      deps.log.warn(
        { canary, why: verdict.why },
        'refused a finalize: the request does not match the live Canary',
      );
    }
    return asIfAbsent(response);
  }
  if (verdict.kind === 'unverified') {
    // Not finalized: Metacontroller calls again and the check is made again then.
    deps.log.warn({ canary, why: verdict.why }, 'could not check the Canary; finalize will retry');
    return response;
  }
  const namespace = parent.metadata.namespace ?? 'default';
  for (const child of decision.owned) {
    const deployment = cut(child.name, 253);
    if (child.namespace !== namespace) {
      if (deps.refusals.first(`finalize-namespace ${canary} ${cut(child.namespace, 63)}`)) {
        deps.log.warn(
          { canary, deployment, namespace: cut(child.namespace, 63) },
          "refused to release a Deployment outside the Canary's namespace",
        );
      }
      continue;
    }
    try {
      const result = await deps.kube.releaseDeployment(child.namespace, child.name, decision.ownerUid);
      deps.log.info({ canary, deployment, result }, 'released Deployment from the Canary');
    } catch (err) {
      // Not finalized yet: Metacontroller calls again and we retry then.
      deps.log.warn(
        { canary, deployment, reason: cut(describeApiError(err)) },
        'could not release Deployment; finalize will retry',
      );
    }
  }
  return response;
}
