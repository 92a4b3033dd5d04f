/**
 * Owns the payloads of the Metacontroller v4 hooks (hooks version v1): the
 * requests and responses of sync, customize and finalize, and the route write
 * a sync hands the server. The objects inside them (the Canary, Deployments,
 * pods) are in hooks/wire/objects.ts; hooks/wire/index.ts is the one import
 * for every wire type.
 *
 * As there, each shape is one TypeBox schema with its type derived from it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  Canary,
  CanaryStatus,
  Deployment,
  LabelSelector,
  Nullable,
  Open,
  Pod,
  StringMap,
} from './objects.js';

export const DEPLOYMENT_CHILD_KEY = 'Deployment.apps/v1';
export const POD_RELATED_KEY = 'Pod.v1';

/**
 * Metacontroller keys children by "Kind.group/version", then by object name.
 * Only the keys we asked for are typed; anything else a cluster sends passes
 * through unread.
 */
const ObjectsByName = <T extends TSchema>(item: T) => Nullable(Type.Record(Type.String(), item));

export const ObservedChildren = Type.Object(
  { [DEPLOYMENT_CHILD_KEY]: Type.Optional(ObjectsByName(Deployment)) },
  Open,
);
export type ObservedChildren = Static<typeof ObservedChildren>;

export const ObservedRelated = Type.Object({ [POD_RELATED_KEY]: Type.Optional(ObjectsByName(Pod)) }, Open);
export type ObservedRelated = Static<typeof ObservedRelated>;

// ------------------------------------------------------------ the requests

export const ControllerRef = Type.Object({}, Open);

export const SyncRequest = Type.Object(
  {
    controller: Type.Optional(ControllerRef),
    parent: Canary,
    children: Type.Optional(Nullable(ObservedChildren)),
    related: Type.Optional(Nullable(ObservedRelated)),
    finalizing: Type.Optional(Type.Boolean()),
  },
  Open,
);
export type SyncRequest = Omit<Static<typeof SyncRequest>, 'parent'> & { parent: Canary };

export const CustomizeRequest = Type.Object(
  {
    controller: Type.Optional(ControllerRef),
    parent: Canary,
  },
  Open,
);
export type CustomizeRequest = Omit<Static<typeof CustomizeRequest>, 'parent'> & { parent: Canary };

// ----------------------------------------------------------- the responses

/** A child as returned: only what we own, so the user's pod template is never touched. */
export const DesiredChild = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: Type.Object({
    name: Type.String(),
    labels: Type.Optional(StringMap),
    /** Only the decision record (hooks/observed/record.ts); Metacontroller keeps every other annotation. */
    annotations: Type.Optional(StringMap),
  }),
  spec: Type.Object({
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
});
export type DesiredChild = Static<typeof DesiredChild>;

export const SyncResponse = Type.Object({
  status: CanaryStatus,
  children: Type.Array(DesiredChild),
  resyncAfterSeconds: Type.Number({ minimum: 0 }),
});
export type SyncResponse = Static<typeof SyncResponse>;

export const FinalizeResponse = Type.Object({
  status: CanaryStatus,
  children: Type.Array(DesiredChild),
  finalized: Type.Boolean(),
  /** Released Deployments are no longer our children, so nothing else would wake the next finalize soon. */
  resyncAfterSeconds: Type.Number({ minimum: 0 }),
});
export type FinalizeResponse = Static<typeof FinalizeResponse>;

/**
 * One related resource Metacontroller should hand the sync hook: by label
 * selector (the pods), or by name in a namespace (a traffic router's route,
 * hooks/routers/). Metacontroller refuses names together with a selector.
 */
export const RelatedResourceRule = Type.Object({
  apiVersion: Type.String(),
  resource: Type.String(),
  labelSelector: Type.Optional(LabelSelector),
  /** Without it, names match in every namespace: always the Canary's own. */
  namespace: Type.Optional(Type.String()),
  names: Type.Optional(Type.Array(Type.String())),
});
export type RelatedResourceRule = Static<typeof RelatedResourceRule>;
export const CustomizeResponse = Type.Object({
  relatedResources: Type.Array(RelatedResourceRule),
});
export type CustomizeResponse = Static<typeof CustomizeResponse>;

export const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;

// ------------------------------------------------------- traffic routing

/** One RFC 6902 operation, as the server sends it with content type application/json-patch+json. */
export type JsonPatchOperation =
  { op: 'test'; path: string; value: unknown } | { op: 'replace' | 'add'; path: string; value: unknown };

/** The route a router writes: the API coordinates of one namespaced custom object. */
export interface RouteRef {
  group: string;
  version: string;
  /** The plural resource name, as in RBAC and the API path (`httproutes`). */
  resource: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The write a sync wants on its route, carried out by the server through the
 * Kubernetes API before it answers Metacontroller (hooks/routers/router.ts).
 */
export interface RouteWrite {
  /** The router's key under spec.trafficRouting: `gatewayAPI` or `istio` (a metric label). */
  router: string;
  route: RouteRef;
  /** `test` operations pinning each backend at its index, then the weights. */
  patch: JsonPatchOperation[];
  /** The weight asked of the new version, 0..100. */
  weight: number;
}
