/** The process: read the environment, listen, drain on SIGTERM. */
import { setTimeout as sleep } from 'node:timers/promises';
import closeWithGrace from 'close-with-grace';
import { buildApp, type Lifecycle } from './app.js';
import { readConfig } from './config.js';
import { createKubeApi, loadKubeConfig, type KubeApi } from './kube.js';
import { createMetrics } from './metrics.js';

/** Sync and customize never call the API, so a missing kubeconfig must not stop them being served. */
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

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const lifecycle: Lifecycle = { draining: false };
  const { kube, problem } = kubeApiOrExplanation();
  const app = buildApp({
    kube,
    lifecycle,
    metrics: createMetrics(),
    logger: { level: config.logLevel },
    bodyLimitBytes: config.bodyLimitBytes,
  });
  if (problem) app.log.warn(problem);

  // In-flight requests get the shutdown delay plus this long to finish before the process gives up.
  const drainSeconds = config.shutdownDelaySeconds + 20;
  closeWithGrace({ delay: drainSeconds * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error');
    else app.log.info({ signal, delaySeconds: config.shutdownDelaySeconds }, 'draining before shutdown');
    lifecycle.draining = true;
    await sleep(config.shutdownDelaySeconds * 1000);
    await app.close();
    app.log.info('stopped');
  });

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => {
  console.error(`canary-hooks failed to start: ${(err as Error).message}`);
  process.exit(1);
});
