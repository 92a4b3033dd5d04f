/** The few Kubernetes API calls the plugin makes, with errors turned into CliErrors. */
import {
  AppsV1Api,
  AutoscalingV2Api,
  CustomObjectsApi,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { COMMAND_ANNOTATION, GROUP, type Canary } from '../hooks/wire/index.js';
import { CliError, EXIT, fromApiError } from './errors.js';
import type { Target } from './kube.js';
import { createRouteReader, type RouteReader } from './dashboard/route.js';
import type { AutoscalerView } from './scale.js';

export const VERSION = 'v1alpha1';
export const PLURAL = 'canaries';

export type WatchEvent = { type: string; object: unknown };

export interface CanaryApi {
  readonly target: Target;
  listCanaries(namespace: string | undefined): Promise<Canary[]>;
  getCanary(namespace: string, name: string): Promise<Canary>;
  /** A merge patch of the command annotation; `null` removes it. */
  setCommand(namespace: string, name: string, value: string | null): Promise<Canary>;
  getDeployment(namespace: string, name: string): Promise<V1Deployment>;
  /** The route of spec.trafficRouting with its weights, or why it cannot be read; undefined without routing. */
  readRoute: RouteReader;
  /** The namespace's autoscaling/v2 HorizontalPodAutoscalers: one may scale a Canary (docs/design.md §10). */
  listAutoscalers(namespace: string): Promise<AutoscalerView[]>;
  /** Watches one object by name; `done` gets the CliError that ended it, or null when the server closed it. */
  watchOne(
    kind: 'canary' | 'deployment',
    namespace: string,
    name: string,
    resourceVersion: string | undefined,
    onEvent: (event: WatchEvent) => void,
    done: (err: CliError | null) => void,
  ): Promise<AbortController>;
}

function canaryWhat(namespace: string, name: string): string {
  return `canary "${name}" in namespace "${namespace}"`;
}

export function createCanaryApi(target: Target): CanaryApi {
  const custom = target.config.makeApiClient(CustomObjectsApi);
  const apps = target.config.makeApiClient(AppsV1Api);
  const autoscaling = target.config.makeApiClient(AutoscalingV2Api);
  const watcher = new Watch(target.config);
  const fail = (what: string) => (err: unknown) => {
    throw fromApiError(err, { what, server: target.server });
  };
  return {
    target,
    readRoute: createRouteReader(target),
    async listCanaries(namespace) {
      const what = `the Canary resource (${PLURAL}.${GROUP}; is the CRD installed?)`;
      const list = (await (
        namespace === undefined
          ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
          : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })
      ).catch(fail(what))) as { items?: Canary[] };
      return list.items ?? [];
    },
    async getCanary(namespace, name) {
      return (await custom
        .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })
        .catch(fail(canaryWhat(namespace, name)))) as Canary;
    },
    async setCommand(namespace, name, value) {
      const body = { metadata: { annotations: { [COMMAND_ANNOTATION]: value } } };
      return (await custom
        .patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        )
        .catch(fail(canaryWhat(namespace, name)))) as Canary;
    },
    async getDeployment(namespace, name) {
      return apps
        .readNamespacedDeployment({ namespace, name })
        .catch(fail(`deployment "${name}" in namespace "${namespace}"`));
    },
    async listAutoscalers(namespace) {
      const list = await autoscaling
        .listNamespacedHorizontalPodAutoscaler({ namespace })
        .catch(fail(`horizontalpodautoscalers in namespace "${namespace}"`));
      return list.items as AutoscalerView[];
    },
    async watchOne(kind, namespace, name, resourceVersion, onEvent, done) {
      const path =
        kind === 'canary'
          ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
          : `/apis/apps/v1/namespaces/${namespace}/deployments`;
      const what = kind === 'canary' ? canaryWhat(namespace, name) : `deployment "${name}"`;
      return watcher.watch(
        path,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: false },
        (type, object) => onEvent({ type, object }),
        (err: unknown) => {
          if (err === null || err === undefined) return done(null);
          if ((err as { name?: string }).name === 'AbortError') return done(null);
          done(fromApiError(err, { what, server: target.server }));
        },
      );
    },
  };
}

/** A 404 as a value rather than a throw, for the Deployments the status page only shows. */
export async function maybe<T>(promise: Promise<T>): Promise<T | CliError> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof CliError) return err;
    return new CliError((err as Error).message, EXIT.failed);
  }
}
