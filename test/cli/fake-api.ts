/**
 * A local stand-in for the Kubernetes API server: a node:http server on
 * 127.0.0.1, port 0, that serves Canaries and Deployments from memory,
 * applies merge patches, streams watches, answers with Status objects as the
 * real one does, and records every request. `kubeconfig()` writes a file
 * pointing at it.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Obj = Record<string, unknown> & {
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

interface Watcher {
  resource: 'canaries' | 'deployments' | 'events';
  /** undefined: every namespace. */
  namespace: string | undefined;
  name: string | undefined;
  res: ServerResponse;
}

export const TOKEN = 'stand-in-token';

const CANARY_PREFIX = '/apis/canary.k8shuginn.io/v1alpha1';

function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  readonly canaries = new Map<string, Obj>();
  readonly deployments = new Map<string, Obj>();
  readonly events = new Map<string, Obj>();
  /** Any other namespaced object, by API path (`/apis/<group>/<version>/namespaces/<ns>/<plural>/<name>`). */
  readonly objects = new Map<string, Obj>();
  /** Paths (prefix match, method optional) answered 403. */
  readonly forbidden: { method?: string; prefix: string }[] = [];
  crdInstalled = true;
  /** Called after a canary was patched: stands in for canary-hooks acting on the annotation. */
  onCanaryPatched: ((canary: Obj) => void) | undefined;
  private readonly watchers: Watcher[] = [];
  private watchWaiters: { count: number; resolve: () => void }[] = [];
  private resourceVersion = 1000;
  private server: Server | undefined;
  port = 0;

  /** `port`: a fixed one, to come back on the same address after `stop()`, as a restarted API server does. */
  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.length = 0;
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Writes a kubeconfig for this server into `dir` and returns its path. */
  kubeconfig(dir: string, options: { namespace?: string; token?: string; file?: string } = {}): string {
    const path = join(dir, options.file ?? 'kubeconfig');
    const context = options.namespace ? `    namespace: ${options.namespace}\n` : '';
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster:
    server: ${this.url}
    insecure-skip-tls-verify: true
- name: nowhere
  cluster:
    server: http://127.0.0.1:1
    insecure-skip-tls-verify: true
users:
- name: tester
  user:
    token: ${options.token ?? TOKEN}
contexts:
- name: stand-in
  context:
    cluster: stand-in
    user: tester
${context}- name: other
  context:
    cluster: stand-in
    user: tester
    namespace: shop
- name: unreachable
  context:
    cluster: nowhere
    user: tester
current-context: stand-in
`,
    );
    return path;
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  putCanary(canary: Obj): Obj {
    const ns = canary.metadata.namespace ?? 'default';
    const stored = {
      ...canary,
      metadata: { ...canary.metadata, namespace: ns, resourceVersion: this.nextVersion() },
    } as Obj;
    const key = `${ns}/${canary.metadata.name}`;
    const type = this.canaries.has(key) ? 'MODIFIED' : 'ADDED';
    this.canaries.set(key, stored);
    this.emit('canaries', type, stored);
    return stored;
  }

  deleteCanary(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const c = this.canaries.get(key);
    this.canaries.delete(key);
    if (c) this.emit('canaries', 'DELETED', c);
  }

  putDeployment(deployment: Obj): Obj {
    const ns = deployment.metadata.namespace ?? 'default';
    const stored = {
      ...deployment,
      metadata: { ...deployment.metadata, namespace: ns, resourceVersion: this.nextVersion() },
    } as Obj;
    const key = `${ns}/${deployment.metadata.name}`;
    const type = this.deployments.has(key) ? 'MODIFIED' : 'ADDED';
    this.deployments.set(key, stored);
    this.emit('deployments', type, stored);
    return stored;
  }

  putEvent(event: Obj): Obj {
    const ns = event.metadata.namespace ?? 'default';
    const stored = {
      ...event,
      metadata: { ...event.metadata, namespace: ns, resourceVersion: this.nextVersion() },
    } as Obj;
    const key = `${ns}/${event.metadata.name}`;
    const type = this.events.has(key) ? 'MODIFIED' : 'ADDED';
    this.events.set(key, stored);
    this.emit('events', type, stored);
    return stored;
  }

  deleteDeployment(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const d = this.deployments.get(key);
    this.deployments.delete(key);
    if (d) this.emit('deployments', 'DELETED', d);
  }

  /** Sends a watch ERROR (410 Gone, by default) on every open watch of `resource`, and ends them, as the API server does. */
  expireWatches(resource: Watcher['resource'], code = 410): void {
    for (const w of [...this.watchers]) {
      if (w.resource !== resource) continue;
      w.res.end(
        `${JSON.stringify({ type: 'ERROR', object: statusBody(code, code === 410 ? 'Expired' : 'InternalError', 'too old resource version') })}\n`,
      );
      this.watchers.splice(this.watchers.indexOf(w), 1);
    }
  }

  /** Sends a BOOKMARK with the current resourceVersion on every open watch. */
  bookmark(): void {
    for (const w of this.watchers) {
      w.res.write(
        `${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.resourceVersion) } } })}\n`,
      );
    }
  }

  /** Open watches of one resource. */
  watchesOf(resource: Watcher['resource']): number {
    return this.watchers.filter((w) => w.resource === resource).length;
  }

  /** Resolves once `count` watches are open. */
  watching(count: number): Promise<void> {
    if (this.watchers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchWaiters.push({ count, resolve }));
  }

  get openWatches(): number {
    return this.watchers.length;
  }

  /** Closes every open watch, as the API server does after its timeout. */
  closeWatches(): void {
    for (const w of this.watchers.splice(0)) w.res.end();
  }

  private emit(resource: Watcher['resource'], type: string, object: Obj): void {
    for (const w of this.watchers) {
      if (w.resource !== resource) continue;
      if (w.namespace !== undefined && w.namespace !== object.metadata.namespace) continue;
      if (w.name !== undefined && w.name !== object.metadata.name) continue;
      w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  /** A list as the API server sends it: its resourceVersion, and pages when `limit` is given. */
  private sendList(res: ServerResponse, query: URLSearchParams, kind: string, items: Obj[]): void {
    const limit = Number(query.get('limit') ?? 0);
    const start = Number(query.get('continue') ?? 0);
    const page = limit > 0 ? items.slice(start, start + limit) : items;
    const next = limit > 0 && start + limit < items.length ? String(start + limit) : undefined;
    return this.send(res, 200, {
      apiVersion:
        kind === 'CanaryList' ? 'canary.k8shuginn.io/v1alpha1' : kind === 'DeploymentList' ? 'apps/v1' : 'v1',
      kind,
      metadata: { resourceVersion: String(this.resourceVersion), ...(next ? { continue: next } : {}) },
      items: page,
    });
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      // keep the raw text
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body });

    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return this.send(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
    }
    const denied = this.forbidden.find(
      (f) => url.pathname.startsWith(f.prefix) && (f.method === undefined || f.method === method),
    );
    if (denied) {
      return this.send(
        res,
        403,
        statusBody(
          403,
          'Forbidden',
          `${url.pathname} is forbidden: User "tester" cannot ${method.toLowerCase()} this resource`,
        ),
      );
    }
    const watch = url.searchParams.get('watch') === 'true';
    const fieldName = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];

    let m: RegExpExecArray | null;
    if (url.pathname.startsWith(CANARY_PREFIX) && !this.crdInstalled) {
      return this.send(
        res,
        404,
        statusBody(404, 'NotFound', 'the server could not find the requested resource'),
      );
    }
    if (method === 'GET' && url.pathname === `${CANARY_PREFIX}/canaries`) {
      if (watch) return this.openWatch(res, 'canaries', undefined, fieldName);
      return this.sendList(res, url.searchParams, 'CanaryList', [...this.canaries.values()]);
    }
    if (
      (m = new RegExp(`^${CANARY_PREFIX}/namespaces/([^/]+)/canaries$`).exec(url.pathname)) &&
      method === 'GET'
    ) {
      const ns = m[1] ?? '';
      if (watch) return this.openWatch(res, 'canaries', ns, fieldName);
      const items = [...this.canaries.values()].filter((c) => c.metadata.namespace === ns);
      return this.sendList(res, url.searchParams, 'CanaryList', items);
    }
    if ((m = new RegExp(`^${CANARY_PREFIX}/namespaces/([^/]+)/canaries/([^/]+)$`).exec(url.pathname))) {
      const key = `${m[1]}/${m[2]}`;
      const canary = this.canaries.get(key);
      if (!canary) {
        return this.send(
          res,
          404,
          statusBody(404, 'NotFound', `canaries.canary.k8shuginn.io "${m[2]}" not found`),
        );
      }
      if (method === 'GET') return this.send(res, 200, canary);
      if (method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json') {
          return this.send(
            res,
            415,
            statusBody(415, 'UnsupportedMediaType', `unsupported ${req.headers['content-type']}`),
          );
        }
        const patched = this.putCanary(mergePatch(canary, body) as Obj);
        this.onCanaryPatched?.(patched);
        return this.send(res, 200, this.canaries.get(key));
      }
    }
    if (
      (m = /^\/apis\/apps\/v1(?:\/namespaces\/([^/]+))?\/deployments$/.exec(url.pathname)) &&
      method === 'GET'
    ) {
      const ns = m[1];
      if (watch) return this.openWatch(res, 'deployments', ns, fieldName);
      const items = [...this.deployments.values()].filter(
        (d) => ns === undefined || d.metadata.namespace === ns,
      );
      return this.sendList(res, url.searchParams, 'DeploymentList', items);
    }
    if ((m = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/events$/.exec(url.pathname)) && method === 'GET') {
      const ns = m[1];
      if (watch) return this.openWatch(res, 'events', ns, undefined);
      const kind = /^involvedObject\.kind=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const items = [...this.events.values()].filter(
        (e) =>
          (ns === undefined || e.metadata.namespace === ns) &&
          (kind === undefined || (e.involvedObject as { kind?: string } | undefined)?.kind === kind),
      );
      return this.sendList(res, url.searchParams, 'EventList', items);
    }
    if (method === 'GET' && /^\/apis\/[^/]+\/[^/]+\/namespaces\/[^/]+\/[^/]+$/.test(url.pathname)) {
      // A list of `objects` (the HPAs of a namespace, say), unless a test forbade it above.
      const items = [...this.objects.entries()]
        .filter(([p]) => p.startsWith(`${url.pathname}/`))
        .map(([, o]) => o);
      return this.sendList(res, url.searchParams, 'List', items);
    }
    if (method === 'GET' && /^\/apis\/[^/]+\/[^/]+\/namespaces\/[^/]+\/[^/]+\/[^/]+$/.test(url.pathname)) {
      const o = this.objects.get(url.pathname);
      if (o) return this.send(res, 200, o);
    }
    if (
      (m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(url.pathname)) &&
      method === 'GET'
    ) {
      const d = this.deployments.get(`${m[1]}/${m[2]}`);
      if (!d) return this.send(res, 404, statusBody(404, 'NotFound', `deployments.apps "${m[2]}" not found`));
      return this.send(res, 200, d);
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname)) && method === 'POST') {
      return this.send(res, 201, body);
    }
    return this.send(res, 404, statusBody(404, 'NotFound', `no route ${method} ${url.pathname}`));
  }

  private openWatch(
    res: ServerResponse,
    resource: Watcher['resource'],
    namespace: string | undefined,
    name: string | undefined,
  ) {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { resource, namespace, name, res };
    this.watchers.push(watcher);
    res.on('close', () => {
      const i = this.watchers.indexOf(watcher);
      if (i >= 0) this.watchers.splice(i, 1);
    });
    const ready = this.watchWaiters.filter((w) => this.watchers.length >= w.count);
    this.watchWaiters = this.watchWaiters.filter((w) => this.watchers.length < w.count);
    for (const w of ready) w.resolve();
  }
}
