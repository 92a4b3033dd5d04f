/**
 * The Kubernetes API calls finalize makes, behind a small interface that
 * tests replace. Sync calls the API only to write a route's weights
 * (server/traffic.ts); customize answers from the request alone.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';

export type ReleaseResult = 'released' | 'not-owned';

export interface KubeApi {
  /** Removes the ownerReference with `ownerUid` from a Deployment, leaving every other field alone. */
  releaseDeployment(namespace: string, name: string, ownerUid: string): Promise<ReleaseResult>;
}

/** In-cluster config when running in a pod, else $KUBECONFIG or ~/.kube/config, as kubectl does. */
export function loadKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

/** Where an in-cluster pod finds its ServiceAccount token. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type KubeConnection =
  { config: KubeConfig; problem?: undefined } | { config?: undefined; problem: string };

/**
 * The kubeconfig to use, or why there is none. client-node falls back to
 * http://localhost:8080 when it finds nothing, and every call would then fail
 * one by one, later; finding nothing is said here, once, instead.
 */
export function connectToApi(
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): KubeConnection {
  const inCluster =
    Boolean(env.KUBERNETES_SERVICE_HOST) &&
    Boolean(env.KUBERNETES_SERVICE_PORT) &&
    exists(SERVICE_ACCOUNT_TOKEN);
  const files = env.KUBECONFIG
    ? env.KUBECONFIG.split(delimiter).filter((f) => f !== '' && exists(f))
    : [join(env.HOME ?? homedir(), '.kube', 'config')].filter(exists);
  if (!inCluster && files.length === 0) {
    const where = env.KUBECONFIG ? `$KUBECONFIG (${env.KUBECONFIG}) names no file` : 'no ~/.kube/config';
    return { problem: `no in-cluster ServiceAccount and ${where}` };
  }
  try {
    const config = loadKubeConfig();
    if (!config.getCurrentCluster()) return { problem: 'the kubeconfig has no current cluster' };
    return { config };
  } catch (err) {
    return { problem: `the kubeconfig cannot be used: ${(err as Error).message}` };
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

export function createKubeApi(config: KubeConfig): KubeApi {
  const apps = config.makeApiClient(AppsV1Api);
  return {
    async releaseDeployment(namespace, name, ownerUid) {
      let deployment: V1Deployment;
      try {
        deployment = await apps.readNamespacedDeployment({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return 'not-owned';
        throw err;
      }
      const index = (deployment.metadata?.ownerReferences ?? []).findIndex((ref) => ref.uid === ownerUid);
      if (index < 0) return 'not-owned';
      // The test op makes the removal conditional on the reference still being
      // at that index, so a concurrent change to the list fails the patch
      // (and finalize retries) instead of removing someone else's reference.
      const body = [
        { op: 'test', path: `/metadata/ownerReferences/${index}/uid`, value: ownerUid },
        { op: 'remove', path: `/metadata/ownerReferences/${index}` },
      ];
      await apps.patchNamespacedDeployment(
        { name, namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      return 'released';
    },
  };
}

/** The reason an API call failed, in one line for the log. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body);
    let detail = body;
    try {
      detail = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON: keep the raw body
    }
    return `HTTP ${err.code}: ${detail}`;
  }
  return err instanceof Error ? err.message : String(err);
}
