/**
 * Pods on demand (docs/design.md §11): when hooks/pod-read.ts says a sync
 * needs the new Deployment's pods and the request did not bring them, one
 * `list` with that Deployment's selector, from the API server's cache
 * (`resourceVersion=0`), bounded by a timeout well inside Metacontroller's
 * hook timeout. The pods go to the pure hook in the shape Metacontroller
 * used to send; a failure goes to it as such, with its cause.
 */
import { ApiException, CoreV1Api, Observable, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import {
  podReadPlan,
  podReadTimeoutMs,
  type PodReadCause,
  type PodReadFailure,
  type PodReadPlan,
} from '../hooks/pod-read.js';
import { POD_RELATED_KEY, type Pod, type SyncRequest } from '../hooks/wire/index.js';
import { describeApiError } from './kube.js';

/** Lists pods; rejects with the API's error. `signal` aborts the request at the timeout. */
export interface PodReader {
  list(plan: PodReadPlan, signal: AbortSignal): Promise<Pod[]>;
}

/** The outcome label of canary_pod_reads_total. */
export type PodReadOutcome = 'success' | 'timeout' | 'forbidden' | 'unreachable' | 'no_api' | 'error';

const OUTCOME_OF: Record<PodReadCause, PodReadOutcome> = {
  Timeout: 'timeout',
  Forbidden: 'forbidden',
  Unreachable: 'unreachable',
  NoApi: 'no_api',
  Error: 'error',
};

function isoOrUndefined(time: Date | undefined): string | undefined {
  return time === undefined ? undefined : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Only what section 5 reads: who owns the pod, its labels, whether it is
 * going away, and its containers' states. The client hands dates as Date
 * objects; the hook reads the wire's strings.
 */
export function wirePod(pod: V1Pod): Pod {
  const meta = pod.metadata ?? {};
  const deletion = isoOrUndefined(meta.deletionTimestamp);
  const statuses = (list: NonNullable<V1Pod['status']>['containerStatuses']) =>
    list?.map((c) => ({
      name: c.name,
      ready: c.ready,
      restartCount: c.restartCount,
      ...(c.state ? { state: JSON.parse(JSON.stringify(c.state)) as object } : {}),
    }));
  const status = pod.status;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: meta.name ?? '',
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      ...(meta.uid ? { uid: meta.uid } : {}),
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(meta.ownerReferences
        ? {
            ownerReferences: meta.ownerReferences.map((r) => ({
              apiVersion: r.apiVersion,
              kind: r.kind,
              name: r.name,
              uid: r.uid,
              ...(r.controller === undefined ? {} : { controller: r.controller }),
            })),
          }
        : {}),
      ...(deletion ? { deletionTimestamp: deletion } : {}),
    },
    status: {
      ...(status?.phase ? { phase: status.phase } : {}),
      ...(status?.containerStatuses ? { containerStatuses: statuses(status.containerStatuses) } : {}),
      ...(status?.initContainerStatuses
        ? { initContainerStatuses: statuses(status.initContainerStatuses) }
        : {}),
    },
  } as Pod;
}

export function createPodReader(config: KubeConfig): PodReader {
  const core = config.makeApiClient(CoreV1Api);
  return {
    async list(plan, signal) {
      const list = await core.listNamespacedPod(
        // resourceVersion=0: any recent state from the API server's watch
        // cache, so a read costs etcd nothing.
        { namespace: plan.namespace, labelSelector: plan.labelSelector, resourceVersion: '0' },
        {
          middleware: [
            {
              pre: (context) => {
                context.setSignal(signal);
                return new Observable(Promise.resolve(context));
              },
              post: (response) => new Observable(Promise.resolve(response)),
            },
          ],
          middlewareMergeStrategy: 'append',
        },
      );
      return list.items.map(wirePod);
    },
  };
}

/** Thrown by the reader of a process with no usable kubeconfig. */
export class NoApiError extends Error {}

/** A reader for a process without the API: every read fails at once, saying so, and tries no address. */
export function unavailablePodReader(problem: string): PodReader {
  return {
    list: async () => {
      throw new NoApiError(problem);
    },
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 3; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The cause, in words that do not change from one sync to the next for the
 * same cause (no request ids, no timings), so the status is written once.
 */
export function failureOf(err: unknown, timedOut: number | undefined): PodReadFailure {
  if (timedOut !== undefined) return { cause: 'Timeout', detail: `no answer within ${timedOut}ms` };
  if (err instanceof NoApiError) return { cause: 'NoApi', detail: err.message };
  if (err instanceof ApiException && (err.code === 401 || err.code === 403)) {
    return { cause: 'Forbidden', detail: describeApiError(err) };
  }
  const code = networkCode(err);
  if (code !== undefined) {
    const message = err instanceof Error ? err.message : String(err);
    // node-fetch: "request to <url> failed, reason: connect ECONNREFUSED 10.0.0.1:443"
    const reason = /reason: (.*)$/.exec(message)?.[1] ?? code;
    return { cause: 'Unreachable', detail: reason };
  }
  return { cause: 'Error', detail: describeApiError(err) };
}

export interface PodsForSync {
  /** The request the hook decides: with `related["Pod.v1"]` filled when the pods were read. */
  request: SyncRequest;
  /** Set when the pods were needed and could not be read. */
  failure?: PodReadFailure;
  /** Set when a read was made. */
  outcome?: PodReadOutcome;
}

/**
 * Reads the pods the sync needs, if any. Never throws: a failed read is an
 * answer the hook acts on, not a failed sync (a 500 would hold commands too).
 */
export async function podsForSync(
  request: SyncRequest,
  reader: PodReader,
  configuredTimeoutMs: number,
): Promise<PodsForSync> {
  const plan = podReadPlan(request);
  if (plan === undefined) return { request };
  const timeoutMs = podReadTimeoutMs(configuredTimeoutMs, request.controller);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new TimedOut());
    }, timeoutMs);
  });
  try {
    const pods = await Promise.race([reader.list(plan, abort.signal), timeout]);
    const byName = Object.fromEntries(pods.map((pod) => [pod.metadata.name, pod]));
    return {
      request: { ...request, related: { ...request.related, [POD_RELATED_KEY]: byName } },
      outcome: 'success',
    };
  } catch (err) {
    const failure = failureOf(err, err instanceof TimedOut || abort.signal.aborted ? timeoutMs : undefined);
    return { request, failure, outcome: OUTCOME_OF[failure.cause] };
  } finally {
    clearTimeout(timer);
  }
}

class TimedOut extends Error {}
