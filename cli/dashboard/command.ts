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

/** On loopback only these Host headers are served: anything else is a rebound DNS name. */
function loopbackHosts(address: string, port: number): Set<string> {
  return new Set([hostPort(address, port), `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
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

  const allowedHosts = isLoopback(address) ? new Set<string>() : undefined;
  const dashboard = createDashboard({
    store,
    api,
    readRoute: hooks.readRoute ?? createRouteReader(target),
    token: randomBytes(32).toString('base64url'),
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
  if (allowedHosts) for (const h of loopbackHosts(address, port)) allowedHosts.add(h);

  const where = options.allNamespaces ? 'all namespaces' : `namespace ${target.namespace}`;
  io.out(
    `Dashboard: http://${hostPort(address, port)}/ (context ${target.context}, ${where}); Ctrl-C stops it\n`,
  );
  if (!allowedHosts) {
    io.err(
      `warning: listening on ${address}, not loopback: anyone who can reach port ${port} can see every Canary ` +
        `and steer rollouts with the credentials of context ${target.context}\n`,
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
