/**
 * The dashboard's HTTP server (node:http, nothing else to load): the pages,
 * their two assets, the event stream and the command endpoint.
 *
 * Safe by default, because whoever can steer it steers rollouts with the
 * plugin's credentials (docs/design.md §12):
 * - the Host header must name one of the names the dashboard may be reached
 *   by, whatever address it listens on: its loopback names, the address it
 *   was given, or the names the user passed with --allowed-host. A web page
 *   that rebinds its own DNS name to the dashboard's address gets nothing;
 * - the per-run token is never in a page: the URL the dashboard prints
 *   carries it in its fragment (which a browser never sends), the page's
 *   script keeps it for its origin and sends it in a header with each
 *   command. Whoever can merely ask for a page cannot steer anything;
 * - a command is a POST of JSON from the dashboard's own origin: an Origin
 *   naming anything else, or none, is refused, and so is a Sec-Fetch-Site
 *   other than same-origin. A cross-site form cannot send JSON, and a
 *   cross-site fetch with the token header needs a CORS preflight no route
 *   answers;
 * - only the commands the plugin has are run: own properties of its table,
 *   so `constructor` or `__proto__` are unknown commands, not prototype
 *   members;
 * - the Content-Security-Policy allows only the dashboard's own script and
 *   style, no frames and no form posts.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CanaryApi } from '../api.js';
import { EXIT, type ExitCode } from '../errors.js';
import {
  commandButtons,
  commandValues,
  runCommand,
  type ActionClock,
  type ActionOptions,
} from './actions.js';
import { CLIENT_SCRIPT } from './client.js';
import { detailBody, detailLive, missingBody } from './detail.js';
import { connectionNotice, overviewBody, page, rowHtml } from './html.js';
import { objectKey } from './model.js';
import type { Canary } from '../../hooks/wire/index.js';
import type { RouteReader } from './route.js';
import type { Store } from './store.js';
import { Streams, type StreamOptions } from './stream.js';
import { STYLE } from './style.js';
import { rowView } from './views.js';

export interface DashboardDeps {
  store: Store;
  api: CanaryApi;
  readRoute: RouteReader;
  /** The per-run secret a command must carry; never written into a page. */
  token: string;
  /** Names this run, so a page left open from an earlier run reloads. */
  boot: string;
  allNamespaces: boolean;
  /** The namespace watched (without -A) and where namespace-less things go. */
  namespace: string;
  context: string;
  clock: ActionClock;
  commands: ActionOptions;
  /** Host header values accepted (lower case, with the port as a browser sends it). */
  allowedHosts: ReadonlySet<string>;
  stream?: Partial<StreamOptions>;
}

export interface Dashboard {
  server: Server;
  streams: Streams;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const HTTP_OF_EXIT: Record<ExitCode, number> = {
  [EXIT.ok]: 200,
  [EXIT.usage]: 400,
  [EXIT.notFound]: 404,
  [EXIT.forbidden]: 403,
  [EXIT.invalidInput]: 422,
  [EXIT.unreachable]: 502,
  [EXIT.failed]: 500,
};

const MAX_BODY_BYTES = 4096;

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
    ...extra,
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function sameToken(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const OPEN_PRINTED_URL = 'open the URL `kubectl canary dashboard` printed, it carries the token';

/**
 * A browser names the page a state-changing request comes from in Origin; the
 * Host was checked already, so the dashboard's own origin is http://<that Host>.
 * No Origin at all is no page of the dashboard's either.
 */
function fromThisPage(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (site !== undefined && site !== 'same-origin') return false;
  return origin !== undefined && origin.toLowerCase() === `http://${(req.headers.host ?? '').toLowerCase()}`;
}

/** Only the table's own entries: `constructor`, `__proto__`, `toString` are not commands. */
function isCommand(values: Record<string, string>, cmd: string): boolean {
  return Object.hasOwn(values, cmd);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createDashboard(deps: DashboardDeps): Dashboard {
  const { store } = deps;
  const now = () => deps.clock.now();
  const where = deps.allNamespaces ? 'in all namespaces' : `in ${deps.namespace}`;
  const scope = `context ${deps.context} · ${deps.allNamespaces ? 'all namespaces' : `namespace ${deps.namespace}`}`;
  const buttons = commandButtons();
  const values = commandValues();
  // One render of a row per change, whichever pages ask for it.
  const rows = new Map<string, { version: number; html: string }>();
  // One command at a time per Canary: two clicks must not interleave their patches.
  const running = new Map<string, Promise<unknown>>();

  const renderRow = (key: string): string => {
    const version = store.versionOf(key) ?? -1;
    const cached = rows.get(key);
    if (cached?.version === version) return cached.html;
    const canary = store.canaries.get(key);
    if (!canary) return '';
    const html = rowHtml(rowView(canary, store.deploymentsOf(canary)), {
      allNamespaces: deps.allNamespaces,
      now: now(),
    });
    rows.set(key, { version, html });
    return html;
  };
  store.subscribe((change) => {
    if (change.type === 'canary' && !store.canaries.has(change.key)) {
      rows.delete(change.key);
      routes.delete(change.key);
    }
  });

  // The route is read once per version of its Canary, however many pages show it: the
  // service writes a route's weights with a status change, which is a new version.
  const routes = new Map<string, { version: string; view: ReturnType<RouteReader> }>();
  const readRoute = (key: string, canary: Canary) => {
    const version = canary.metadata.resourceVersion ?? '';
    const known = routes.get(key);
    if (known?.version === version) return known.view;
    const view = deps.readRoute(canary);
    routes.set(key, { version, view });
    return view;
  };

  const renderDetail = async (key: string): Promise<string | undefined> => {
    const canary = store.canaries.get(key);
    if (!canary) return undefined;
    const route = await readRoute(key, canary);
    const current = store.canaries.get(key) ?? canary;
    return detailLive({
      canary: current,
      deployments: store.deploymentsOf(current),
      events: store.eventsOf(key),
      history: store.historyOf(key),
      route,
      now: now(),
    });
  };
  const renderConnection = () => connectionNotice(store.connection(), now());

  const streams = new Streams(
    store,
    deps.boot,
    { row: renderRow, detail: renderDetail, connection: renderConnection },
    deps.stream,
  );

  const shell = (view: 'overview' | 'canary' | 'missing', title: string, body: string, canaryKey?: string) =>
    page({
      title,
      view,
      since: `${deps.boot}.${store.seq}`,
      scope,
      connection: renderConnection(),
      body,
      canaryKey,
    });

  const overview = (res: ServerResponse) => {
    const keys = [...store.canaries.keys()].sort();
    const body = overviewBody(keys.map(renderRow), { allNamespaces: deps.allNamespaces, where });
    send(res, 200, 'text/html; charset=utf-8', shell('overview', 'Canaries · canary-hooks', body));
  };

  const canaryPage = async (res: ServerResponse, namespace: string, name: string) => {
    const key = objectKey(namespace, name);
    const live = await renderDetail(key);
    if (live === undefined) {
      send(
        res,
        404,
        'text/html; charset=utf-8',
        shell('missing', `${name} · canary-hooks`, missingBody(namespace, name)),
      );
      return;
    }
    const body = detailBody({ namespace, name }, buttons, live);
    send(
      res,
      200,
      'text/html; charset=utf-8',
      shell('canary', `${name} in ${namespace} · canary-hooks`, body, key),
    );
  };

  const command = async (
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    name: string,
    cmd: string,
  ) => {
    if (!fromThisPage(req)) {
      return json(res, 403, {
        ok: false,
        error: 'error: commands are taken only from the dashboard page itself',
      });
    }
    if (!sameToken(req.headers['x-dashboard-token'], deps.token)) {
      return json(res, 403, {
        ok: false,
        error: `error: missing or wrong dashboard token: ${OPEN_PRINTED_URL}`,
      });
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      return json(res, 415, { ok: false, error: 'error: send the command as application/json' });
    }
    const raw = await readBody(req);
    if (raw === undefined) return json(res, 413, { ok: false, error: 'error: request body too large' });
    try {
      if (raw !== '') JSON.parse(raw);
    } catch {
      return json(res, 400, { ok: false, error: 'error: the body is not JSON' });
    }
    if (!isCommand(values, cmd)) {
      return json(res, 404, {
        ok: false,
        error: `error: kubectl canary ${cmd} does not exist in this version of the plugin`,
      });
    }
    const key = objectKey(namespace, name);
    const before = running.get(key) ?? Promise.resolve();
    const result = before.then(() =>
      runCommand(deps.api, deps.clock, deps.commands, { namespace, name, command: cmd }, values),
    );
    running.set(key, result);
    const answer = await result;
    if (running.get(key) === result) running.delete(key);
    json(res, HTTP_OF_EXIT[answer.exitCode], answer);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const host = req.headers.host ?? '';
    if (!deps.allowedHosts.has(host.toLowerCase())) {
      return send(res, 421, 'text/plain; charset=utf-8', `unexpected Host "${host}"\n`);
    }
    const url = new URL(req.url ?? '/', 'http://dashboard');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'malformed path\n');
    }
    const method = req.method ?? 'GET';
    const get = method === 'GET' || method === 'HEAD';
    if (get && url.pathname === '/') return overview(res);
    if (get && parts[0] === 'canaries' && parts.length === 3) return canaryPage(res, parts[1]!, parts[2]!);
    if (get && url.pathname === '/assets/dashboard.js') {
      return send(res, 200, 'text/javascript; charset=utf-8', CLIENT_SCRIPT, { 'cache-control': 'no-cache' });
    }
    if (get && url.pathname === '/assets/dashboard.css') {
      return send(res, 200, 'text/css; charset=utf-8', STYLE, { 'cache-control': 'no-cache' });
    }
    if (get && url.pathname === '/api/stream') {
      const view = url.searchParams.get('view');
      const key = url.searchParams.get('key') ?? '';
      if (view !== 'overview' && !(view === 'canary' && key.includes('/'))) {
        return json(res, 400, { error: 'view must be overview, or canary with key=<namespace>/<name>' });
      }
      const since = url.searchParams.get('since') ?? undefined;
      return streams.open(req, res, view === 'overview' ? { view } : { view, key }, since);
    }
    if (get && url.pathname === '/healthz')
      return json(res, 200, { status: 'ok', connection: store.connection().state });
    if (parts[0] === 'api' && parts[1] === 'canaries' && parts.length === 5) {
      if (method !== 'POST')
        return send(res, 405, 'text/plain; charset=utf-8', 'POST only\n', { allow: 'POST' });
      return command(req, res, parts[2]!, parts[3]!, parts[4]!);
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      json(res, 500, { ok: false, error: `error: ${(err as Error)?.message ?? String(err)}` });
    });
  });

  return {
    server,
    streams,
    async close() {
      streams.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
