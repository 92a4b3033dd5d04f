/** The process: read the environment, listen, drain on SIGTERM. */
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp, type Lifecycle } from './app.js';
import { readConfig } from './config.js';
import { createEventRecorder, kubeEventSink, type EventRecorder } from './events.js';
import { createKubeApi, loadKubeConfig, type KubeApi } from './kube.js';
import { createMetrics } from './metrics.js';
import { createPodReader, unavailablePodReader, type PodReader } from './pods.js';
import { createRouteWriter, unavailableRouteWriter, type RouteWriter } from './traffic.js';

/** Sync (without traffic routing) and customize never call the API, so a missing kubeconfig must not stop them being served. */
function kubeApiOrExplanation(): { kube: KubeApi; problem?: string } {
  try {
    return { kube: createKubeApi(loadKubeConfig()) };
  } catch (err) {
    const problem = `no usable Kubernetes config (in-cluster, $KUBECONFIG or ~/.kube/config): ${(err as Error).message}`;
    return {
      problem,
      kube: {
        releaseDeployment: async () => {
          throw new Error(problem);
        },
      },
    };
  }
}

/** Route writes (spec.trafficRouting) go through the same kubeconfig; without one they fail, saying why. */
function routeWriterOrExplanation(problem: string | undefined): RouteWriter {
  if (problem) return unavailableRouteWriter(problem);
  try {
    return createRouteWriter(loadKubeConfig());
  } catch (err) {
    return unavailableRouteWriter(`no usable Kubernetes config: ${(err as Error).message}`);
  }
}

/** Pod reads (docs/design.md §11) go through the same kubeconfig; without one each says there is no API. */
function podReaderOrExplanation(problem: string | undefined): PodReader {
  if (problem) return unavailablePodReader(problem);
  try {
    return createPodReader(loadKubeConfig());
  } catch (err) {
    return unavailablePodReader(`no usable Kubernetes config: ${(err as Error).message}`);
  }
}

/** Events go through the same kubeconfig; without one, or when switched off, there are none. */
function eventRecorderOrNone(enabled: boolean, log: () => FastifyBaseLogger): EventRecorder | undefined {
  if (!enabled) return undefined;
  try {
    const sink = kubeEventSink(loadKubeConfig());
    return createEventRecorder({
      sink,
      log: { warn: (o, m) => log().warn(o, m), debug: (o, m) => log().debug(o, m) },
    });
  } catch {
    return undefined; // kubeApiOrExplanation already warns about the missing config
  }
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const lifecycle: Lifecycle = { draining: false };
  const { kube, problem } = kubeApiOrExplanation();
  const metrics = createMetrics();
  const events = eventRecorderOrNone(config.eventsEnabled, () => app.log);
  const app = buildApp({
    kube,
    routes: routeWriterOrExplanation(problem),
    pods: podReaderOrExplanation(problem),
    podReadTimeoutMs: config.podReadTimeoutMs,
    lifecycle,
    metrics,
    logger: { level: config.logLevel },
    bodyLimitBytes: config.bodyLimitBytes,
    onTransitions: events?.listener,
    onSynced: metrics.observeSync,
    onFinalized: metrics.observeFinalize,
  });
  if (problem) app.log.warn(problem);
  app.log.info({ eventsEnabled: events !== undefined }, 'Kubernetes Events on Canary transitions');

  // In-flight requests get the shutdown delay plus this long to finish before the process gives up.
  const drainSeconds = config.shutdownDelaySeconds + 20;
  closeWithGrace({ delay: drainSeconds * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal, delaySeconds: config.shutdownDelaySeconds }, 'draining before shutdown');
    lifecycle.draining = true;
    await sleep(config.shutdownDelaySeconds * 1000);
    await app.close();
    // Give queued Events a moment to go out; never hold the shutdown for them.
    if (events) await Promise.race([events.idle(), sleep(2000, undefined, { ref: false })]);
    app.log.info('stopped');
  });

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => {
  console.error(`canary-hooks failed to start: ${(err as Error).message}`);
  process.exit(1);
});
