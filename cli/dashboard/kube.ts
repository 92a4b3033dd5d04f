/**
 * The three collections the dashboard lists and watches: Canaries,
 * Deployments and the Events about Canaries, in one namespace or all. Each is
 * listed in pages (so a cluster with many Deployments never arrives as one
 * huge body) and then watched from the list's resourceVersion.
 */
import { CoreV1Api, CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { GROUP } from '../../hooks/wire/index.js';
import { PLURAL, VERSION } from '../api.js';
import { fromApiError } from '../errors.js';
import type { Target } from '../kube.js';
import type { Kind } from './model.js';

export interface Page {
  items: unknown[];
  resourceVersion: string;
  /** Set when there is another page. */
  continueToken?: string;
}

export interface Source {
  kind: Kind;
  /** For messages: "canaries in namespace shop". */
  what: string;
  list(continueToken: string | undefined, limit: number): Promise<Page>;
  /** Like client-node's Watch.watch: `done` gets null when the server closed the stream. */
  watch(
    resourceVersion: string,
    onEvent: (type: string, object: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

/** The API server ends a watch after this long; the informer then re-opens it from where it was. */
const WATCH_SECONDS = 300;
/** Only Events about Canaries, filtered by the API server. */
const EVENT_SELECTOR = 'involvedObject.kind=Canary';

type ListBody = { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };

function page(body: ListBody): Page {
  const next = body.metadata?.continue;
  return {
    items: body.items ?? [],
    resourceVersion: body.metadata?.resourceVersion ?? '',
    ...(next ? { continueToken: next } : {}),
  };
}

export function createSources(target: Target, namespace: string | undefined): Record<Kind, Source> {
  const custom = target.config.makeApiClient(CustomObjectsApi);
  const core = target.config.makeApiClient(CoreV1Api);
  const watcher = new Watch(target.config);
  const where = namespace === undefined ? 'in all namespaces' : `in namespace ${namespace}`;
  const prefix = (group: string, version: string) =>
    `/apis/${group}/${version}${namespace === undefined ? '' : `/namespaces/${namespace}`}`;

  const fail = (what: string) => (err: unknown) => {
    throw fromApiError(err, { what, server: target.server });
  };

  // Canaries and Deployments come through the custom objects API on purpose:
  // it hands back the JSON as sent, where the typed API would build a model
  // object of every field of every Deployment only for us to drop most of it.
  const raw = (kind: Kind, group: string, version: string, plural: string, what: string): Source => ({
    kind,
    what,
    async list(continueToken, limit) {
      const common = { group, version, plural, limit, _continue: continueToken };
      const body = (await (
        namespace === undefined
          ? custom.listClusterCustomObject(common)
          : custom.listNamespacedCustomObject({ ...common, namespace })
      ).catch(fail(what))) as ListBody;
      return page(body);
    },
    watch(resourceVersion, onEvent, done) {
      return watcher.watch(
        `${prefix(group, version)}/${plural}`,
        { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
        (type, object) => onEvent(type, object),
        done,
      );
    },
  });

  return {
    canaries: raw('canaries', GROUP, VERSION, PLURAL, `canaries ${where} (is the Canary CRD installed?)`),
    deployments: raw('deployments', 'apps', 'v1', 'deployments', `deployments ${where}`),
    events: {
      kind: 'events',
      what: `events ${where}`,
      async list(continueToken, limit) {
        const common = { fieldSelector: EVENT_SELECTOR, limit, _continue: continueToken };
        const body = await (
          namespace === undefined
            ? core.listEventForAllNamespaces(common)
            : core.listNamespacedEvent({ ...common, namespace })
        ).catch(fail(`events ${where}`));
        return page({
          items: body.items,
          metadata: { resourceVersion: body.metadata?.resourceVersion, continue: body.metadata?._continue },
        });
      },
      watch(resourceVersion, onEvent, done) {
        const path = namespace === undefined ? '/api/v1/events' : `/api/v1/namespaces/${namespace}/events`;
        return watcher.watch(
          path,
          {
            resourceVersion,
            fieldSelector: EVENT_SELECTOR,
            allowWatchBookmarks: true,
            timeoutSeconds: WATCH_SECONDS,
          },
          (type, object) => onEvent(type, object),
          done,
        );
      },
    },
  };
}
