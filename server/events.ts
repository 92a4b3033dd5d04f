/**
 * Kubernetes Events on the Canary for every transition a sync decided, so
 * `kubectl describe canary` tells the story: started, each step, stops,
 * rollbacks (Warning, with their reason), completion, invalid specs.
 *
 * Fire-and-forget: the listener only builds the Event and queues it; a small
 * pool of workers sends the queue in the background. A failed, slow or
 * refused Event is logged and dropped, never retried in the request path, and
 * when the queue is full the newest Events are dropped rather than memory
 * growing without bound. A sync is never failed or delayed by an Event.
 *
 * With `claims`, an Event is sent only about a Canary that exists with the
 * request's uid (docs/design.md §12): one read per sync that announced
 * transitions, in the background like the send. A false claim is logged once.
 */
import { hostname } from 'node:os';
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Transition } from '../hooks/sync.js';
import type { Canary } from '../hooks/wire/index.js';
import type { TransitionListener } from './app.js';
import type { ClaimChecker, Verdict } from './claims.js';
import { describeApiError } from './kube.js';
import { createOnceLog, cut } from './limits.js';

export const SOURCE_COMPONENT = 'canary-hooks';
export const REPORTING_CONTROLLER = 'canary.k8shuginn.io/canary-hooks';
/** The API server rejects longer notes. */
const MAX_MESSAGE = 1024;
const MAX_NAME_PREFIX = 200;

export interface EventSink {
  create(event: CoreV1Event): Promise<void>;
}

/** Sends core/v1 Events (what `kubectl describe` and `kubectl get events` show). */
export function kubeEventSink(config: KubeConfig): EventSink {
  const core = config.makeApiClient(CoreV1Api);
  return {
    async create(event) {
      await core.createNamespacedEvent({ namespace: event.metadata.namespace ?? 'default', body: event });
    },
  };
}

export interface EventLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/**
 * The Event for one transition. `uniqueSuffix` keeps names unique, as
 * client-go's recorder does with a timestamp: `<canary>.<hex>`.
 */
export function canaryEvent(
  canary: Canary,
  transition: Transition,
  time: Date,
  instance: string,
  uniqueSuffix: string,
): CoreV1Event {
  const namespace = canary.metadata.namespace ?? 'default';
  const message =
    transition.message.length > MAX_MESSAGE
      ? `${transition.message.slice(0, MAX_MESSAGE - 3)}...`
      : transition.message;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${canary.metadata.name.slice(0, MAX_NAME_PREFIX)}.${uniqueSuffix}`, namespace },
    involvedObject: {
      apiVersion: canary.apiVersion,
      kind: canary.kind,
      name: canary.metadata.name,
      namespace,
      ...(canary.metadata.uid ? { uid: canary.metadata.uid } : {}),
      ...(canary.metadata.resourceVersion ? { resourceVersion: canary.metadata.resourceVersion } : {}),
    },
    reason: transition.reason,
    message,
    type: transition.warning ? 'Warning' : 'Normal',
    action: transition.kind,
    source: { component: SOURCE_COMPONENT, host: instance },
    reportingComponent: REPORTING_CONTROLLER,
    reportingInstance: instance.slice(0, 128),
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

export interface EventRecorderOptions {
  sink: EventSink;
  clock?: () => Date;
  /** The pod name, for `reportingInstance` and `source.host`. */
  instance?: string;
  /** Events waiting to be sent beyond this are dropped. */
  maxQueue?: number;
  /** Sends in flight at once. */
  concurrency?: number;
  /** A send that takes longer is given up on (and logged), freeing its worker. */
  timeoutMs?: number;
  log?: EventLogger;
  /** Checks that the Canary exists before its Events are sent; without it every Event is sent. */
  claims?: ClaimChecker;
}

export interface EventRecorder {
  /** For `buildApp({ onTransitions })`: queues and returns at once, never throws. */
  readonly listener: TransitionListener;
  /** Resolves when the queue is empty and nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
  /** `duplicates`: Events the API server already had, from the same decision announced again. */
  readonly stats: { sent: number; failed: number; dropped: number; duplicates: number; refused: number };
}

function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 409;
}

const silent: EventLogger = { warn: () => undefined, debug: () => undefined };

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const clock = options.clock ?? (() => new Date());
  const instance = options.instance ?? hostname();
  const maxQueue = options.maxQueue ?? 256;
  const concurrency = options.concurrency ?? 4;
  const timeoutMs = options.timeoutMs ?? 5000;
  const log = options.log ?? silent;
  /** Each Event with the check of the claim of the sync that announced it (shared by that sync's Events). */
  const queue: { event: CoreV1Event; claim: () => Promise<Verdict> }[] = [];
  const stats = { sent: 0, failed: 0, dropped: 0, duplicates: 0, refused: 0 };
  const refusals = createOnceLog();
  const holds: Verdict = { kind: 'holds' };
  let inFlight = 0;
  let sequence = 0;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (queue.length > 0 || inFlight > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const withTimeout = <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };

  const pump = () => {
    while (inFlight < concurrency && queue.length > 0) {
      const { event, claim } = queue.shift()!;
      inFlight += 1;
      const about = {
        canary: cut(`${event.involvedObject.namespace}/${event.involvedObject.name}`, 320),
        reason: event.reason,
      };
      const send = async (): Promise<Verdict> => {
        const verdict = await claim();
        if (verdict.kind !== 'holds') return verdict;
        await options.sink.create(event);
        return verdict;
      };
      withTimeout(send())
        .then(
          (verdict) => {
            if (verdict.kind === 'holds') {
              stats.sent += 1;
              log.debug(about, 'recorded Event');
              return;
            }
            stats.refused += 1;
            if (verdict.kind === 'unverified')
              log.warn({ ...about, why: verdict.why }, 'could not check the Canary; Event dropped');
            else if (verdict.kind === 'refused' && refusals.first(verdict.why)) {
              log.warn(
                { ...about, why: verdict.why },
                'refused an Event: the request does not match a live Canary',
              );
            }
          },
          (err: unknown) => {
            if (isAlreadyExists(err)) {
              stats.duplicates += 1;
              log.debug(about, 'Event already recorded for this decision');
              return;
            }
            stats.failed += 1;
            log.warn({ ...about, why: describeApiError(err) }, 'could not record Event; dropped');
          },
        )
        .finally(() => {
          inFlight -= 1;
          pump();
          settleIdle();
        });
    }
  };

  /**
   * Named after the decision when it is numbered: a decision announced again
   * (by another replica, or a sync racing a status write) makes the same
   * name, and the API server's AlreadyExists keeps it one Event.
   */
  const suffixFor = (canary: Canary, t: Transition, index: number): string => {
    const uid = canary.metadata.uid?.replace(/[^a-z0-9]/g, '').slice(0, 8);
    if (uid && t.sequence !== undefined) return `${uid}.${t.sequence}.${t.eventKey ?? index}`;
    sequence = (sequence + 1) % 0x10000;
    return `${clock().getTime().toString(16)}${sequence.toString(16).padStart(4, '0')}`;
  };

  const listener: TransitionListener = (canary, transitions) => {
    try {
      const time = clock();
      let checked: Promise<Verdict> | undefined;
      const claim = options.claims
        ? () => (checked ??= options.claims!.exists(canary))
        : () => Promise.resolve(holds);
      for (const t of transitions) {
        if (queue.length >= maxQueue) {
          stats.dropped += 1;
          if (stats.dropped === 1 || stats.dropped % 100 === 0) {
            log.warn({ dropped: stats.dropped, maxQueue }, 'Event queue full; dropping Events');
          }
          continue;
        }
        queue.push({
          event: canaryEvent(canary, t, time, instance, suffixFor(canary, t, transitions.indexOf(t))),
          claim,
        });
      }
      // Sending starts after the response is on its way, not inside the request.
      setImmediate(pump);
    } catch (err) {
      log.warn({ why: (err as Error).message }, 'could not build Event; dropped');
    }
  };

  return {
    listener,
    stats,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        setImmediate(settleIdle);
      }),
  };
}
