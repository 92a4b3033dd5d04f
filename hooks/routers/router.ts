/**
 * Owns the one interface every traffic router (docs/design.md §9) stands
 * behind, as Argo Rollouts keeps one traffic router per folder and Flagger
 * one per file. A router knows one kind of route and nothing else: how its
 * block of `spec.trafficRouting` is written, where the route keeps its rules
 * and their backends, which backend is the old or the new version, and which
 * fields pin a backend's identity. What weight to ask, when, and with which
 * replicas is decided once for every router (hooks/steps/placement.ts and
 * hooks/traffic/); the state machine (hooks/machine/) knows nothing of routes.
 *
 * Adding a router:
 * 1. a file here with its config type (`router: '<id>'` and the fields of
 *    its block) and a `Router<ThatConfig>`;
 * 2. one entry in hooks/routers/registry.ts: the union TrafficRouting, the
 *    spec parse, customize, the CLI and the dashboard all follow from it;
 * 3. its block under spec.trafficRouting in the CRD (manifests/), and a rule
 *    for its route in the ClusterRole (test/manifests/rbac-routers.test.ts
 *    checks that one).
 *
 * How a weight gets onto the route, and how its outcome reaches the status:
 *
 * 1. customize (hooks/customize.ts) asks Metacontroller for the route as a
 *    related resource by name, in the Canary's namespace (`namespace` and
 *    `names`, no label selector; Metacontroller v4.17 lists names across all
 *    namespaces unless the rule names one). The sync request then carries it
 *    in `related["HTTPRoute.gateway.networking.k8s.io/v1"][<name>]` or
 *    `related["VirtualService.networking.istio.io/v1"][<name>]`, and
 *    Metacontroller calls sync again whenever the route changes. The route
 *    is never a child: Metacontroller would delete it with the Canary, or
 *    when a response left it out, and its list merge could mix two
 *    backendRefs on one port.
 * 2. sync (pure) reads the route, decides the weight and the replicas under
 *    the order rules, and returns, beside the response for Metacontroller,
 *    `SyncDecision.routeWrite` (hooks/wire/payloads.ts `RouteWrite`): the route's
 *    coordinates and a JSON patch that first `test`s each backend's identity
 *    at its index and then sets only the two `weight` fields of every rule
 *    that names both. No write when the route already shows the weight.
 * 3. The server (server/traffic.ts) sends that patch through the Kubernetes
 *    API (`application/json-patch+json`) before it answers Metacontroller.
 *    - Success: the answer goes out as the hook made it. Its condition
 *      `TrafficRouted` is already True, reason `WeightSet` (the API has
 *      confirmed that every touched rule now has the weight).
 *    - Failure (RBAC, an admission webhook, a `test` that failed because
 *      someone edited the route meanwhile, the API unreachable): the server
 *      rewrites that one condition to False, reason `PatchFailed`, with the
 *      API's message (hooks/render/route-failed.ts `routeWriteFailed`), asks for
 *      a resync in ROUTE_RETRY_SECONDS, records a Warning Event, and
 *      counts `canary_route_patch_total{router, outcome}`. Nothing else of
 *      the answer changes.
 *    The replicas are safe either way because the hook never moves them on
 *    the strength of a write: it decides them from the route as observed,
 *    before the write. The new Deployment is scaled down only once the route
 *    read back on a later sync shows the lower weight, and the old one only
 *    once it shows 100, so a refused patch leaves the replicas where they
 *    are. The next sync sees the route unchanged and writes again.
 *
 * Status: `weight` is the weight asked; what the route shows is in the route
 * itself (every touched rule's two weights). `TrafficRouted` reasons:
 * `WeightSet` (True), `WaitingForReplicas` (False: the asked weight is held
 * below the step's until its new replicas are available), `PatchFailed`
 * (False, set by the server), `RouteNotFound` and `BackendNotFound` (False,
 * with `state: error`: the route is absent, or a backend or destination is
 * in no rule).
 */
import type { FieldProblem } from '../k8s/fields.js';
import type { JsonPatchOperation } from '../wire/index.js';

/** A router's block of spec.trafficRouting as parsed: `router` is its key there. */
export interface RoutingConfig {
  readonly router: string;
}

/** One list of weighted backends in the route: an HTTPRoute rule's backendRefs, a VirtualService http route's route. */
export interface BackendList {
  /** For messages: `rule 0`, `http route "primary" (1)`. */
  label: string;
  /** For a table, as the route's YAML would point at it: `rules[0]`, `primary`, `http[1]`. */
  ref: string;
  /** Its place in the route's own list (`spec.rules`, `spec.http`). */
  index: number;
  /** JSON pointer to the list: `/spec/rules/0/backendRefs`. */
  pointer: string;
  backends: readonly unknown[];
}

export type ParseResult<C> = { ok: true; config: C } | { ok: false; problem: FieldProblem };

/**
 * `named`: the user chose these lists by name (Istio's `routes`), so each of
 * them must name both versions; otherwise the lists that name only one are
 * left alone.
 */
export type ListsResult = { ok: true; lists: BackendList[]; named: boolean } | { ok: false; message: string };

export interface Router<C extends RoutingConfig> {
  /** The key under spec.trafficRouting, and the `router` label of canary_route_patch_total. */
  readonly id: C['router'];
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  /** Plural, as in RBAC and the API path. */
  readonly resource: string;
  /** The field of its block that names the route (customize reads it before the spec is parsed). */
  readonly routeField: string;
  /** Parses `spec.trafficRouting.<id>`; a problem names its field from `trafficRouting.`. */
  parse(raw: unknown): ParseResult<C>;
  routeName(config: C): string;
  /** The spec field and a human name of each backend, for messages. */
  describe(config: C, which: 'old' | 'new'): { field: string; name: string };
  /** Each backend as briefly as a table column can show it: `web-v2`, `reviews/v2`. */
  backendName(config: C, which: 'old' | 'new'): string;
  /** The backend lists to consider, or why the route cannot be read (a named http route absent). */
  lists(route: RouteObject, config: C): ListsResult;
  /** Does this entry of a list name the old or the new version? */
  names(entry: unknown, config: C, which: 'old' | 'new', route: RouteObject): boolean;
  /** `test` operations pinning the identity of the entry at `pointer`. */
  pins(pointer: string, config: C, which: 'old' | 'new'): JsonPatchOperation[];
  /** The weight an entry without `weight` has (Gateway API: 1); undefined: none to rely on. */
  readonly defaultWeight: number | undefined;
}

/** A route object as the related map holds it: read defensively, it is the user's. */
export interface RouteObject {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; [field: string]: unknown };
  spec?: unknown;
  [field: string]: unknown;
}

/** The related map's key for a router's route, as Metacontroller v4 builds it: Kind.group/version. */
export function relatedKey(router: Pick<Router<RoutingConfig>, 'kind' | 'group' | 'version'>): string {
  return `${router.kind}.${router.group}/${router.version}`;
}
