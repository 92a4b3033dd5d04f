/**
 * `kubectl canary dashboard`: start the three watches, serve the pages, print
 * the URL, and run until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { isIP, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CanaryApi } from '../api.js';
import type { Io } from '../commands.js';
import { CliError, EXIT } from '../errors.js';
import { Informer, type InformerOptions } from './informer.js';
import { createSources, type Source } from './kube.js';
import { slimCanary, slimDeployment, slimEvent, type Kind } from './model.js';
import { createRouteReader, type RouteReader } from './route.js';
import { createDashboard } from './server.js';
import { Store } from './store.js';

export interface DashboardOptions {
  allNamespaces: boolean;
  port: number;
  address: string;
  /** --allowed-host: the names beyond the address itself it may be reached by (a name, or name:port). */
  allowedHosts: readonly string[];
  /** The commands' wait for canary-hooks (--timeout). */
  timeoutMs: number;
  pollMs: number;
}

/** What tests swap: where the lists and watches come from, and how fast a failed one is retried. */
export interface DashboardHooks {
  sources?: Record<Kind, Source>;
  readRoute?: RouteReader;
  informer?: Partial<InformerOptions>;
}

export const DEFAULT_PORT = 3100;
export const DEFAULT_ADDRESS = '127.0.0.1';

export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The names a loopback listener is reached by. */
function loopbackNames(): string[] {
  return ['localhost', '127.0.0.1', '[::1]'];
}

/** 0.0.0.0 and :: answer on every interface, so no name follows from the address. */
function isUnspecified(address: string): boolean {
  return isIP(address) !== 0 && /^[0:.]+$/.test(address);
}

const HOST_NAME =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** --allowed-host values, each checked: a DNS name or IP address, with or without a port; no wildcards. */
export function parseAllowedHosts(values: readonly string[]): string[] {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase());
  for (const name of names) {
    const bare = isIP(name) === 6 ? `[${name}]` : name;
    const port = HOST_NAME.exec(bare)?.[1];
    if (!HOST_NAME.test(bare) || (port !== undefined && Number(port) > 65535)) {
      throw new CliError(
        `--allowed-host takes a host name or IP address, optionally with :PORT, got "${name}"`,
        EXIT.usage,
      );
    }
  }
  return names.map((n) => (isIP(n) === 6 ? `[${n}]` : n));
}

/**
 * The Host headers served: a name given with a port exactly so (a proxy in
 * front keeps the browser's Host); a name without, with the dashboard's port
 * or none (what a browser sends for port 80, or for 443 through a TLS proxy).
 * The port adds nothing against rebinding, the name does: any other name is
 * someone else's DNS pointed at this address.
 */
function hostHeaders(names: readonly string[], port: number): string[] {
  return names.flatMap((name) => (/:\d+$/.test(name) ? [name] : [`${name}:${port}`, name]));
}

export async function dashboardCommand(
  api: CanaryApi,
  io: Io,
  options: DashboardOptions,
  hooks: DashboardHooks = {},
): Promise<number> {
  const { address } = options;
  if (address !== 'localhost' && isIP(address) === 0) {
    throw new CliError(`--address must be an IP address or localhost, got "${address}"`, EXIT.usage);
  }
  const named = parseAllowedHosts(options.allowedHosts);
  if (isUnspecified(address) && named.length === 0) {
    throw new CliError(
      `--address ${address} listens on every interface: name the host names it may be reached by ` +
        `with --allowed-host NAME (repeatable or comma-separated)`,
      EXIT.usage,
    );
  }
  const target = api.target;
  const namespace = options.allNamespaces ? undefined : target.namespace;
  const store = new Store(io.now);
  const sources = hooks.sources ?? createSources(target, namespace);
  // The watches wait in real time whatever the commands' clock does.
  const clock = {
    now: io.now,
    sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }),
  };
  const informerOptions = { server: target.server, ...hooks.informer };
  const canaries = new Informer(sources.canaries, slimCanary, store.canarySink, clock, informerOptions, true);
  const informers = [
    canaries,
    new Informer(sources.deployments, slimDeployment, store.deploymentSink, clock, informerOptions),
    new Informer(sources.events, slimEvent, store.eventSink, clock, informerOptions),
  ];
  const stopAll = () => informers.forEach((i) => i.stop());
  informers.forEach((i) => i.start());
  try {
    // As `list` would: a missing CRD, a refusal or no cluster is an error now, not a page that waits.
    await canaries.firstSync;
  } catch (err) {
    stopAll();
    throw err;
  }

  const token = randomBytes(32).toString('base64url');
  // Filled once the port is known (--port 0 picks one).
  const allowedHosts = new Set<string>();
  const dashboard = createDashboard({
    store,
    api,
    readRoute: hooks.readRoute ?? createRouteReader(target),
    token,
    boot: randomBytes(6).toString('hex'),
    allNamespaces: options.allNamespaces,
    namespace: target.namespace,
    context: target.context,
    clock: { now: io.now, sleep: io.sleep, signal: io.signal },
    commands: { timeoutMs: options.timeoutMs, pollMs: options.pollMs },
    allowedHosts,
  });
  try {
    dashboard.server.listen(options.port, address);
    await Promise.race([
      once(dashboard.server, 'listening'),
      once(dashboard.server, 'error').then(([err]) => {
        throw err;
      }),
    ]);
  } catch (err) {
    stopAll();
    await dashboard.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (pass --port)' : (err as Error).message;
    throw new CliError(`cannot listen on ${hostPort(address, options.port)}: ${why}`, EXIT.failed);
  }
  const port = (dashboard.server.address() as AddressInfo).port;
  const own = isUnspecified(address) ? [] : [isIP(address) === 6 ? `[${address}]` : address];
  // Listening on every interface includes loopback.
  const loopback = isLoopback(address) || isUnspecified(address) ? loopbackNames() : [];
  for (const h of hostHeaders([...own, ...named, ...loopback], port)) allowedHosts.add(h);

  const where = options.allNamespaces ? 'all namespaces' : `namespace ${target.namespace}`;
  // The fragment carries the token: a browser never sends it, so it stays out of logs and Referer.
  const shown = isUnspecified(address) ? hostHeaders([named[0]!], port)[0]! : hostPort(address, port);
  io.out(
    `Dashboard: http://${shown}/#token=${token} (context ${target.context}, ${where}); Ctrl-C stops it\n`,
  );
  if (!isLoopback(address)) {
    io.err(
      `warning: listening on ${address}, not loopback: anyone who can reach port ${port} by ` +
        `${[...own, ...named].join(', ')} can see every Canary; the commands need the token in the URL above, ` +
        `which steers rollouts with the credentials of context ${target.context}\n`,
    );
  }

  if (!io.signal?.aborted) {
    await new Promise<void>((resolve) =>
      io.signal?.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
  stopAll();
  await dashboard.close();
  return EXIT.ok;
}
