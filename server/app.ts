/**
 * The HTTP body around the pure hooks: validate, decide, act on the few side
 * effects (finalize's API call, a route's weights, logs, metrics, events), serialise. Built
 * without listening so tests run it on an ephemeral port. Every write of its
 * own waits for the request's claim to hold (server/claims.ts), and what a
 * caller can spend is bounded (server/limits.ts). /metrics is served on its
 * own port (server/metrics-server.ts).
 */
import { STATUS_CODES } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { decideCustomize } from '../hooks/customize.js';
import { decideFinalize } from '../hooks/finalize.js';
import { decideSync, type SyncDecision, type Transition } from '../hooks/sync.js';
import {
  CustomizeRequest,
  CustomizeResponse,
  ErrorBody,
  FinalizeResponse,
  SyncRequest,
  SyncResponse,
  type Canary,
} from '../hooks/wire/index.js';
import { parseHookBody } from './body.js';
import { noApiClaims, type ClaimChecker } from './claims.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_POD_READ_TIMEOUT_MS,
  HOOK_PATHS,
  PROBE_PATHS,
  type RequestLimits,
} from './config.js';
import { releaseClaimed } from './finalize.js';
import type { KubeApi } from './kube.js';
import { boundDecision, capInFlight, createOnceLog, cut, serverFactoryFor } from './limits.js';
import { createMetrics, outcomeOf, type Metrics } from './metrics.js';
import { podsForSync, unavailablePodReader, type PodReader } from './pods.js';
import { carryOutRouteWrite, logRouteWrite, unavailableRouteWriter, type RouteWriter } from './traffic.js';

/** Told about every change a sync decided; must not throw or block (see server/events.ts). */
export type TransitionListener = (canary: Canary, transitions: readonly Transition[]) => void;

/** Told about every sync's decision (per-Canary gauges); must not throw or block. */
export type SyncListener = (canary: Canary, decision: SyncDecision) => void;

/** Told about every finalize answer (dropping a deleted Canary's gauges); must not throw or block. */
export type FinalizeListener = (canary: Canary, response: FinalizeResponse) => void;

export interface Lifecycle {
  /** Set on SIGTERM: /readyz answers 503 so no new work is routed here while in-flight requests finish. */
  draining: boolean;
}

export interface AppDeps {
  kube: KubeApi;
  /** Writes the weights of spec.trafficRouting on routes (server/traffic.ts); without it every write fails. */
  routes?: RouteWriter;
  /** Checks a request's claim before each write of the service's own; without it nothing is written. */
  claims?: ClaimChecker;
  /** Lists a new Deployment's pods when a sync needs them (server/pods.ts); without it every read fails as "no API". */
  pods?: PodReader;
  podReadTimeoutMs?: number;
  clock?: () => Date;
  metrics?: Metrics;
  logger?: FastifyServerOptions['logger'];
  /** Any left out take their default (server/config.ts DEFAULT_LIMITS). */
  limits?: Partial<RequestLimits>;
  lifecycle?: Lifecycle;
  onTransitions?: TransitionListener;
  onSynced?: SyncListener;
  onFinalized?: FinalizeListener;
}

const HOOK_BY_PATH = new Map<string, string>(Object.entries(HOOK_PATHS).map(([hook, path]) => [path, hook]));

/** The Canary's name for a log line, bounded: both parts come from the caller. */
export function canaryKey(canary: Canary): string {
  return cut(`${canary.metadata.namespace ?? 'default'}/${canary.metadata.name}`, 320);
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const clock = deps.clock ?? (() => new Date());
  const metrics = deps.metrics ?? createMetrics();
  const lifecycle = deps.lifecycle ?? { draining: false };
  const routes = deps.routes ?? unavailableRouteWriter('no route writer configured');
  const claims = deps.claims ?? noApiClaims('no claim checker configured');
  const limits: RequestLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  // A false claim is logged once per Canary and kind, not once per request.
  const refusals = createOnceLog();
  const pods = deps.pods ?? unavailablePodReader('no Kubernetes API configured');
  const podReadTimeoutMs = deps.podReadTimeoutMs ?? DEFAULT_POD_READ_TIMEOUT_MS;

  const app = Fastify({
    logger: deps.logger ?? false,
    // At a thousand syncs a second a line per request drowns the lines that
    // matter: each decision that changed something, and each failure.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: serverFactoryFor(limits),
    bodyLimit: limits.bodyLimitBytes,
    ajv: {
      // Metacontroller sends JSON as the API server stores it: coercing or
      // filling defaults would hide a malformed request instead of naming it.
      customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false },
    },
  });

  // Hooks speak JSON only; a text body would otherwise reach validation and fail with a puzzling message.
  app.removeContentTypeParser('text/plain');
  // fastify's JSON parser, minus the managedFields no hook reads (server/body.ts).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseHookBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: 'Bad Request', message: err.message });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      request.log.error(
        { err: { type: err.name, message: cut(err.message), stack: cut(err.stack ?? '') } },
        'hook failed',
      );
      // A 500 makes Metacontroller apply nothing and retry, which is the safe answer to a bug.
      return reply.code(500).send({
        error: 'Internal Server Error',
        message: cut(`${cut(request.url, 200)} failed: ${err.message}`),
      });
    }
    const message =
      status === 415
        ? `content-type ${cut(request.headers['content-type'] ?? '(none)', 200)} is not supported: send application/json`
        : cut(err.message);
    return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'Not Found', message: `no route ${request.method} ${cut(request.url, 200)}` }),
  );

  capInFlight(app, limits.maxInFlight, new Set(Object.values(HOOK_PATHS)));

  app.addHook('onResponse', async (request, reply) => {
    const hook = HOOK_BY_PATH.get(request.routeOptions.url ?? '');
    if (hook) metrics.observeRequest(hook, outcomeOf(reply.statusCode), reply.elapsedTime / 1000);
  });

  const errors = { 400: ErrorBody, 413: ErrorBody, 500: ErrorBody, 503: ErrorBody };

  app.post<{ Body: SyncRequest }>(
    HOOK_PATHS.sync,
    { schema: { body: SyncRequest, response: { 200: SyncResponse, ...errors } } },
    async (request) => {
      // Pods only when the rollback rule could use them (docs/design.md §11).
      const read = await podsForSync(request.body, pods, podReadTimeoutMs);
      if (read.outcome !== undefined) metrics.observePodRead(read.outcome);
      let decision = boundDecision(decideSync(read.request, clock(), read.failure));
      // The route's weights are written before Metacontroller hears the answer (docs/design.md §9).
      const written = await carryOutRouteWrite(routes, decision, request.body.parent, clock(), claims);
      if (written) {
        decision = boundDecision(written.decision);
        metrics.observeRoutePatch(decision.routeWrite?.router ?? '', written.outcome);
        logRouteWrite(request.log, written, canaryKey(request.body.parent), refusals);
      }
      if (decision.transitions.length > 0) {
        const canary = request.body.parent;
        for (const t of decision.transitions) {
          request.log.info(
            { canary: canaryKey(canary), transition: t.kind, from: t.from, to: t.to, why: t.reason },
            t.message,
          );
        }
        metrics.observeTransitions(decision.transitions);
        deps.onTransitions?.(canary, decision.transitions);
      }
      deps.onSynced?.(request.body.parent, decision);
      return decision.response;
    },
  );

  app.post<{ Body: CustomizeRequest }>(
    HOOK_PATHS.customize,
    { schema: { body: CustomizeRequest, response: { 200: CustomizeResponse, ...errors } } },
    async (request) => decideCustomize(request.body),
  );

  app.post<{ Body: SyncRequest }>(
    HOOK_PATHS.finalize,
    { schema: { body: SyncRequest, response: { 200: FinalizeResponse, ...errors } } },
    async (request) => {
      const response = await releaseClaimed(decideFinalize(request.body), request.body.parent, {
        kube: deps.kube,
        claims,
        log: request.log,
        refusals,
      });
      deps.onFinalized?.(request.body.parent, response);
      return response;
    },
  );

  app.get(PROBE_PATHS.healthz, async () => ({ status: 'ok' }));

  app.get(PROBE_PATHS.readyz, async (_request, reply) =>
    lifecycle.draining ? reply.code(503).send({ status: 'draining' }) : { status: 'ready' },
  );

  return app;
}
