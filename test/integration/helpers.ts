/**
 * Shared plumbing for the integration tests: they run only under
 * test/integration/run.sh, which starts etcd and kube-apiserver and sets
 * KUBECONFIG (admin) and KUBECTL (a kubectl of the same release).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(REPO, 'test', 'integration', 'fixtures');
export const CANARY_GROUP = 'canary.k8shuginn.io';
export const CANARY_VERSION = 'v1alpha1';
export const CANARY_PLURAL = 'canaries';
export const CANARY_API_VERSION = `${CANARY_GROUP}/${CANARY_VERSION}`;

if (!process.env.KUBECONFIG) {
  throw new Error('KUBECONFIG is not set: run these tests with `npm run test:integration`');
}

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; never throws, so a test can look at a refusal's message. */
export function kubectl(args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { cwd: REPO, env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs kubectl and fails with its stderr unless it succeeds. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export function suffix(): string {
  return randomBytes(3).toString('hex');
}

/** A fresh namespace for one test file, so files never see each other's objects. */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${suffix()}`;
  await kubectlOk(['create', 'namespace', name]);
  return name;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

let installed: Promise<void> | undefined;

/**
 * Installs Metacontroller's CRDs (a copy of v4.17.2's, in fixtures/) and then
 * everything in manifests/, as the README tells a user to. Idempotent: every
 * test file calls it, whichever runs first does the work.
 */
export function installAll(): Promise<void> {
  installed ??= (async () => {
    // Server-side: the CRDs are too big for client-side apply's annotation.
    await kubectlOk([
      'apply',
      '--server-side',
      '--field-manager=canary-itest',
      '-f',
      join(FIXTURES, 'metacontroller-crds-v1.yaml'),
    ]);
    await kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/compositecontrollers.metacontroller.k8s.io',
    ]);
    await kubectlOk(['apply', '-k', join(REPO, 'manifests')]);
    await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/canaries.${CANARY_GROUP}`]);
    // The API server needs a moment after Established before it serves the
    // new kind from discovery and accepts objects of it.
    await waitFor('the Canary API to be served', async () => {
      const r = await kubectl(['get', 'canaries', '-A', '-o', 'name']);
      return r.code === 0;
    });
  })();
  return installed;
}

export interface CanarySpecInput {
  oldDeployment?: unknown;
  newDeployment?: unknown;
  totalReplicas?: unknown;
  stepReplicas?: unknown;
  cronSchedule?: unknown;
  timeZone?: unknown;
  enableRollback?: unknown;
  progressDeadlineSeconds?: unknown;
  selector?: unknown;
  [key: string]: unknown;
}

export function canaryObject(
  name: string,
  namespace: string,
  spec: CanarySpecInput,
): Record<string, unknown> {
  return { apiVersion: CANARY_API_VERSION, kind: 'Canary', metadata: { name, namespace }, spec };
}

export function validSpec(overrides: CanarySpecInput = {}): CanarySpecInput {
  return {
    oldDeployment: 'app-v1',
    newDeployment: 'app-v2',
    totalReplicas: 10,
    stepReplicas: 2,
    cronSchedule: '* * * * *',
    selector: { matchLabels: { app: 'app' } },
    ...overrides,
  };
}

export interface DeploymentInput {
  name: string;
  namespace: string;
  version: string;
  app: string;
  replicas: number;
  image?: string;
}

/** A Deployment as a user would write it; nothing runs it here (no controller-manager). */
export function deploymentObject(d: DeploymentInput): k8s.V1Deployment {
  const labels = { app: d.app, version: d.version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: d.name, namespace: d.namespace, labels },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: d.image ?? `registry.example/${d.app}:${d.version}` }] },
      },
    },
  };
}

/**
 * An app of two versions and the Canary between them, as a user creates them:
 * `<app>-v1` with every replica, `<app>-v2` with none, both labelled `app: <app>`.
 */
export async function createCanaryApp(
  namespace: string,
  app: string,
  sizing: { totalReplicas: number; stepReplicas: number },
): Promise<void> {
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  for (const [version, replicas] of [
    ['v1', sizing.totalReplicas],
    ['v2', 0],
  ] as const) {
    await apps.createNamespacedDeployment({
      namespace,
      body: deploymentObject({ name: `${app}-${version}`, namespace, app, version, replicas }),
    });
  }
  const spec = validSpec({
    oldDeployment: `${app}-v1`,
    newDeployment: `${app}-v2`,
    ...sizing,
    selector: { matchLabels: { app } },
    // These tests step the stand-in Metacontroller sync by sync and read each
    // answer's split, as round 1 took it; surge first (the default, docs/design.md §7a)
    // runs on the real engine in test/e2e.
    surge: false,
  });
  await kubectlOk(['create', '-f', '-'], JSON.stringify(canaryObject(app, namespace, spec)));
}

/**
 * A kubeconfig for the service as it runs in the cluster: a token of the
 * ServiceAccount that manifests/ creates, so every call it makes (finalize,
 * Events) gets exactly that account's RBAC.
 */
export async function serviceAccountConfig(): Promise<k8s.KubeConfig> {
  const token = (
    await kubectlOk(['create', 'token', 'canary-hooks', '-n', 'canary-system', '--duration=1h'])
  ).trim();
  const cluster = kubeConfig().getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'itest', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'canary-hooks', token }],
    contexts: [{ name: 'itest', cluster: 'itest', user: 'canary-hooks' }],
    currentContext: 'itest',
  });
  return kc;
}

/** Splits kubectl's table by the header's column starts (a MESSAGE has spaces in it). */
export function parseTable(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trimEnd().split('\n');
  const starts: { name: string; at: number }[] = [];
  for (const m of header!.matchAll(/\S+/g)) starts.push({ name: m[0], at: m.index });
  return rows.map((row) => {
    const out: Record<string, string> = {};
    starts.forEach((c, i) => {
      const end = i + 1 < starts.length ? starts[i + 1]!.at : row.length;
      out[c.name] = row.slice(c.at, end).trim();
    });
    return out;
  });
}
