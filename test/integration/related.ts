/**
 * The `related` map of a sync request, built from the customize hook's rules
 * as Metacontroller v4.17 builds it for a namespaced parent and hooks
 * version v1 (pkg/controller/common/customize/manager.go, GetRelatedObjects,
 * then UniformObjectMap.Convert in pkg/controller/common/api/v2):
 *
 * - a rule selects by `labelSelector` (in the parent's namespace), by
 *   `names` (listed in `namespace` if given, else in every namespace), or by
 *   `namespace` and `labelSelector`; `names` with a selector, `namespace` with
 *   `namespaceSelector`, and `namespaceSelector` at all (for a namespaced
 *   parent under v1) are errors, and so is a `namespace` other than the
 *   parent's: the sync fails, as Metacontroller's does;
 * - objects of another namespace are then dropped and the rest keyed by name
 *   under `Kind.group/version` (`Kind.version` for the core group); a rule
 *   that matches nothing still yields its key with an empty map;
 * - an unknown resource (its CRD not installed) fails the sync, as
 *   Metacontroller's informer for it cannot be made.
 *
 * The stand-in lists from the API server where Metacontroller reads an
 * informer's cache: the same objects, only never stale.
 */
import * as k8s from '@kubernetes/client-node';
import { kubectlOk } from './helpers.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface RelatedRule {
  apiVersion: string;
  resource: string;
  labelSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  namespace?: string;
  names?: string[] | null;
}

type Obj = k8s.KubernetesObject & Record<string, unknown>;
export type RelatedMap = Record<string, Record<string, Obj>>;

/** A label selector as the API's `labelSelector` query parameter. */
export function selectorString(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else throw new Error(`unsupported operator ${e.operator}`);
  }
  return parts.join(',');
}

interface Resource {
  kind: string;
  namespaced: boolean;
}

/** Map key as Metacontroller's GroupVersionKind.MarshalText writes it. */
export function groupKey(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return group ? `${kind}.${group}/${version}` : `${kind}.${version}`;
}

export class RelatedObjects {
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly discovered = new Map<string, Promise<Map<string, Resource>>>();

  constructor(kc: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  }

  /** The kind of a resource from discovery, as Metacontroller's dynamic client resolves it. */
  private async resource(apiVersion: string, resource: string): Promise<Resource> {
    let list = this.discovered.get(apiVersion);
    if (!list) {
      list = (async () => {
        const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const doc = JSON.parse(await kubectlOk(['get', '--raw', path])) as {
          resources: { name: string; kind: string; namespaced: boolean }[];
        };
        return new Map(doc.resources.map((r) => [r.name, { kind: r.kind, namespaced: r.namespaced }]));
      })();
      // A failed discovery (the CRD not there yet) is asked again next sync.
      list.catch(() => this.discovered.delete(apiVersion));
      this.discovered.set(apiVersion, list);
    }
    const found = (await list).get(resource);
    if (!found)
      throw new Error(`can't create informer for related resource: ${resource} in ${apiVersion} unknown`);
    return found;
  }

  private async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string | undefined,
  ): Promise<Obj[]> {
    const list = await this.objects.list<Obj>(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );
    // List items of built-in kinds come without apiVersion and kind; an
    // informer's objects carry both.
    return list.items.map((o) => ({ ...o, apiVersion, kind }));
  }

  async build(parentNamespace: string, rules: RelatedRule[]): Promise<RelatedMap> {
    const related: RelatedMap = {};
    for (const rule of rules) {
      const { kind, namespaced } = await this.resource(rule.apiVersion, rule.resource);
      const names = rule.names ?? [];
      const hasSelector = rule.labelSelector != null;
      if (names.length > 0 && (hasSelector || rule.namespaceSelector != null))
        throw new Error(`related rule cannot have both names and labelSelector/namespaceSelector specified`);
      if (rule.namespace && rule.namespaceSelector != null)
        throw new Error('related rule cannot have both namespace and namespaceSelector specified');
      if (rule.namespaceSelector != null)
        throw new Error('namespaceSelector is not supported for namespaced parent in v1 hook version');
      if (namespaced && rule.namespace && rule.namespace !== parentNamespace)
        throw new Error(
          `requested related object namespace ${rule.namespace} differs from parent object namespace ${parentNamespace}`,
        );
      let found: Obj[];
      if (names.length > 0 || (rule.namespace && !hasSelector)) {
        // By names: Metacontroller lists every object of the resource (in the
        // rule's namespace, or in all of them) and keeps those named.
        const all = await this.list(
          rule.apiVersion,
          kind,
          namespaced ? rule.namespace || undefined : undefined,
          undefined,
        );
        found = names.length > 0 ? all.filter((o) => names.includes(o.metadata?.name ?? '')) : all;
      } else {
        const ns = namespaced ? (rule.namespace ?? parentNamespace) : undefined;
        found = await this.list(
          rule.apiVersion,
          kind,
          ns,
          hasSelector ? selectorString(rule.labelSelector!) : undefined,
        );
      }
      const group = (related[groupKey(rule.apiVersion, kind)] ??= {});
      // Convert: a namespaced parent sees only objects of its own namespace.
      for (const o of found) if (o.metadata?.namespace === parentNamespace) group[o.metadata.name!] = o;
    }
    return related;
  }
}
