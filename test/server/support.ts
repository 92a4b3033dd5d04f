/** Real servers on ephemeral loopback ports, and a stand-in for the Kubernetes API that records what it gets. */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { createClaimChecker, type ClaimChecker } from '../../server/claims.js';
import type { Metrics } from '../../server/metrics.js';
import { buildMetricsApp } from '../../server/metrics-server.js';

export interface Recorded {
  method: string;
  url: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

export type StandInHandler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface KubeStandIn {
  url: string;
  requests: Recorded[];
  server: Server;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function kubeStatus(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export async function startKubeStandIn(handler: StandInHandler): Promise<KubeStandIn> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: await readBody(req),
      };
      requests.push(recorded);
      await handler(recorded, res);
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const STAND_IN_TOKEN = 'stand-in-token';

/** A kubeconfig document for the stand-in, as a user would have one. */
export function kubeconfigYaml(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: stand-in',
    '  cluster:',
    `    server: ${server}`,
    // client-node refuses plain HTTP unless TLS checks are explicitly off; the stand-in speaks HTTP.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: tester',
    '  user:',
    `    token: ${STAND_IN_TOKEN}`,
    'contexts:',
    '- name: stand-in',
    '  context: {cluster: stand-in, user: tester, namespace: default}',
    'current-context: stand-in',
    '',
  ].join('\n');
}

export function kubeConfigFor(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml(server));
  return config;
}

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json as Record<string, unknown>, headers: response.headers };
}

/** A loopback port nothing listens on, for a child process that must be told its port. */
export async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Claims checked by the real checker (server/claims.ts) against an API server
 * that agrees with every request: the live Canary is the request's parent,
 * being deleted when finalize asks. For tests of what follows a claim that
 * holds; test/server/claims.test.ts and test/integration/claims.itest.ts test
 * the claims that do not.
 */
export const claimsThatHold: ClaimChecker = {
  exists: (canary) => createClaimChecker(async () => canary).exists(canary),
  routeWrite: (canary, write) => createClaimChecker(async () => canary).routeWrite(canary, write),
  finalizing: (canary) =>
    createClaimChecker(async () => ({
      ...canary,
      metadata: { ...canary.metadata, deletionTimestamp: '2026-11-23T09:00:00Z' },
    })).finalizing(canary),
};

/** /metrics on its own port, as main.ts serves it. */
export async function listenMetrics(metrics: Metrics): Promise<{ url: string; close: () => Promise<void> }> {
  const app = buildMetricsApp(metrics);
  const base = await listen(app);
  return { url: `${base}/metrics`, close: () => app.close() };
}
