/**
 * The API server's side of traffic routing for the harness: HTTPRoutes and
 * VirtualServices by name, which Metacontroller hands to the sync hook as
 * related objects when customize asks for them by name, and which the
 * server's route writer (a RouteWriter, as server/traffic.ts defines it)
 * patches with the API server's JSON-patch rules. The writer can be told to
 * refuse, as RBAC or an admission webhook would; a route's resourceVersion
 * goes up on every write, as Metacontroller's watch would see.
 */
import type { RouteWrite } from '../../hooks/wire/index.js';
import type { RouteWriter } from '../../server/traffic.js';
import { applyJsonPatch, PatchRefused } from './json-patch.js';

export interface RouteObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** The plural resource of each route kind the routers know. */
const RESOURCES: Record<string, string> = { HTTPRoute: 'httproutes', VirtualService: 'virtualservices' };

const keyOf = (apiVersion: string, resource: string, namespace: string, name: string) =>
  `${apiVersion} ${resource} ${namespace}/${name}`;

/** An error shaped as client-node's ApiException is for the code and body the server reads. */
export class RouteApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class RouteStore implements RouteWriter {
  private readonly objects = new Map<string, RouteObject>();
  /** While set, every write is refused with this message (RBAC, a webhook). */
  refuse: string | undefined;
  /** Every write asked, with its outcome. */
  readonly writes: { write: RouteWrite; outcome: 'applied' | 'refused' | 'conflict' }[] = [];
  private version = 70000;

  put(route: RouteObject): void {
    const resource = RESOURCES[route.kind];
    if (!resource) throw new Error(`no resource for kind ${route.kind}`);
    const object = structuredClone(route);
    object.metadata.resourceVersion = String(++this.version);
    this.objects.set(
      keyOf(route.apiVersion, resource, route.metadata.namespace ?? 'default', route.metadata.name),
      object,
    );
  }

  /** Every route as it is now: what a watch on them would compare. */
  snapshot(): string {
    return JSON.stringify([...this.objects.entries()]);
  }

  get(apiVersion: string, resource: string, namespace: string, name: string): RouteObject | undefined {
    const found = this.objects.get(keyOf(apiVersion, resource, namespace, name));
    return found && structuredClone(found);
  }

  /** A user's edit (kubectl edit) of a stored route. */
  edit(
    apiVersion: string,
    resource: string,
    namespace: string,
    name: string,
    change: (r: RouteObject) => void,
  ) {
    const route = this.get(apiVersion, resource, namespace, name);
    if (!route) throw new Error(`no route ${name}`);
    change(route);
    this.put(route);
  }

  async patch(write: RouteWrite): Promise<void> {
    const { group, version, resource, namespace, name } = write.route;
    const route = this.get(`${group}/${version}`, resource, namespace, name);
    if (this.refuse !== undefined) {
      this.writes.push({ write, outcome: 'refused' });
      throw new RouteApiError(403, this.refuse);
    }
    if (!route) throw new RouteApiError(404, `${resource}.${group} "${name}" not found`);
    try {
      this.put(applyJsonPatch(route, write.patch));
      this.writes.push({ write, outcome: 'applied' });
    } catch (err) {
      if (!(err instanceof PatchRefused)) throw err;
      this.writes.push({ write, outcome: 'conflict' });
      throw new RouteApiError(
        422,
        `the server rejected our request due to an error in our request: ${err.message}`,
      );
    }
  }
}
