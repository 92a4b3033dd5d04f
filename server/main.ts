/** The process: read the environment, listen, drain on SIGTERM. */
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp, type Lifecycle } from './app.js';
import { createClaimChecker, kubeCanaryReader, noApiClaims, type ClaimChecker } from './claims.js';
import { readConfig } from './config.js';
import { createEventRecorder, kubeEventSink, type EventRecorder } from './events.js';
import { connectToApi, createKubeApi, type KubeApi } from './kube.js';
import { createMetrics } from './metrics.js';
import { buildMetricsApp } from './metrics-server.js';
import { createPodReader, unavailablePodReader, type PodReader } from './pods.js';
import { createRouteWriter, unavailableRouteWriter, type RouteWriter } from './traffic.js';

interface ApiParts {
  kube: KubeApi;
  routes: RouteWriter;
  claims: ClaimChecker;
  pods: PodReader;
  events: EventRecorder | undefined;
  /** Why there is no API, when there is none. */
  problem?: string;
}

/**
 * Everything that reads or writes through the API, or, without a usable
 * kubeconfig or in-cluster account, parts that never try: each decision that
 * needs the API says so in its answer (server/claims.ts noApiClaims).
 */
function apiParts(eventsEnabled: boolean, log: () => FastifyBaseLogger): ApiParts {
  const connection = connectToApi();
  if (connection.problem !== undefined) {
    const problem = connection.problem;
    return {
      problem,
      kube: {
        releaseDeployment: async () => {
          throw new Error(problem);
        },
      },
      routes: unavailableRouteWriter(problem),
      claims: noApiClaims(problem),
      pods: unavailablePodReader(problem),
      events: undefined,
    };
  }
  const { config } = connection;
  const claims = createClaimChecker(kubeCanaryReader(config));
  return {
    kube: createKubeApi(config),
    routes: createRouteWriter(config),
    claims,
    pods: createPodReader(config),
    events: eventsEnabled
      ? createEventRecorder({
          sink: kubeEventSink(config),
          claims,
          log: { warn: (o, m) => log().warn(o, m), debug: (o, m) => log().debug(o, m) },
        })
      : undefined,
  };
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const lifecycle: Lifecycle = { draining: false };
  const metrics = createMetrics({ maxCanaries: config.maxCanarySeries });
  const api = apiParts(config.eventsEnabled, () => app.log);
  const app = buildApp({
    kube: api.kube,
    routes: api.routes,
    claims: api.claims,
    pods: api.pods,
    podReadTimeoutMs: config.podReadTimeoutMs,
    lifecycle,
    metrics,
    logger: { level: config.logLevel },
    limits: config.limits,
    onTransitions: api.events?.listener,
    onSynced: metrics.observeSync,
    onFinalized: metrics.observeFinalize,
  });
  const metricsApp = buildMetricsApp(metrics);
  if (api.problem !== undefined) {
    app.log.warn(
      `no Kubernetes API (${api.problem}): every hook is answered; pod reads, route writes, finalize releases and Events are off, and each decision that needs them says so`,
    );
  } else {
    app.log.info({ eventsEnabled: api.events !== undefined }, 'Kubernetes Events on Canary transitions');
  }

  // In-flight requests get the shutdown delay plus this long to finish before the process gives up.
  const drainSeconds = config.shutdownDelaySeconds + 20;
  closeWithGrace({ delay: drainSeconds * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal, delaySeconds: config.shutdownDelaySeconds }, 'draining before shutdown');
    lifecycle.draining = true;
    await sleep(config.shutdownDelaySeconds * 1000);
    await app.close();
    await metricsApp.close();
    // Give queued Events a moment to go out; never hold the shutdown for them.
    if (api.events) await Promise.race([api.events.idle(), sleep(2000, undefined, { ref: false })]);
    app.log.info('stopped');
  });

  await app.listen({ port: config.port, host: config.host });
  await metricsApp.listen({ port: config.metricsPort, host: config.host });
}

main().catch((err: unknown) => {
  console.error(`canary-hooks failed to start: ${(err as Error).message}`);
  process.exit(1);
});
