/**
 * Helpers for tests that type what the README tells a user to type, in a
 * Workspace, and read back what kubectl prints.
 */
import { spawn } from 'node:child_process';
import { KUBECTL, REPO, parseTable, waitFor, type Workspace } from './cluster.js';
import { watchRow } from './rows.js';

export { watchRow };

export const WIDE_COLUMNS = [
  'NAME',
  'OLDREPLICAS',
  'NEWREPLICAS',
  'CURRENTSTEP',
  'STATE',
  'MESSAGE',
  'WEIGHT',
  'TOTALSTEPS',
  'NEXTSTEP',
  'AGE',
];
export const COLUMNS = ['NAME', 'OLDREPLICAS', 'NEWREPLICAS', 'CURRENTSTEP', 'STATE', 'MESSAGE', 'AGE'];

/** What a README table row shows, without AGE (which is whatever it is). */
export interface Row {
  old: string;
  new: string;
  step: string;
  state: string;
  message: string;
  weight?: string;
  totalSteps?: string;
  nextStep?: string;
}

export function rowOf(cells: Record<string, string>): Row {
  const row: Row = {
    old: cells.OLDREPLICAS ?? '',
    new: cells.NEWREPLICAS ?? '',
    step: cells.CURRENTSTEP ?? '',
    state: cells.STATE ?? '',
    message: cells.MESSAGE ?? '',
  };
  if ('WEIGHT' in cells) row.weight = cells.WEIGHT;
  if ('TOTALSTEPS' in cells) row.totalSteps = cells.TOTALSTEPS;
  if ('NEXTSTEP' in cells) row.nextStep = cells.NEXTSTEP;
  return row;
}

export interface CanaryStatus {
  currentStep?: number;
  totalSteps?: number;
  state?: string;
  message?: string;
  oldReplicas?: number;
  newReplicas?: number;
  observedCommand?: string;
  lastStepTime?: string | null;
  nextStepTime?: string | null;
  rollback?: { time: string; reason: string; revision: string } | null;
  weight?: number;
  pause?: { kind: string; since: string; until: string | null } | null;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

export interface CanaryObject {
  metadata: { name: string; resourceVersion: string; uid: string; annotations?: Record<string, string> };
  status?: CanaryStatus;
}

export interface DeploymentObject {
  metadata: {
    name: string;
    generation: number;
    ownerReferences?: { kind: string; name: string; apiVersion: string }[];
  };
  spec: { replicas?: number; template: unknown };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
  };
}

export async function getCanary(ws: Workspace, name: string): Promise<CanaryObject> {
  return JSON.parse(await ws.kubectlOk(['get', 'canary', name, '-o', 'json'])) as CanaryObject;
}

export function waitStatus(
  ws: Workspace,
  name: string,
  what: string,
  pred: (s: CanaryStatus) => boolean,
  timeoutMs = 60_000,
): Promise<CanaryObject> {
  return waitFor(
    `Canary ${name}: ${what}`,
    async () => {
      const c = await getCanary(ws, name);
      return pred(c.status ?? {}) ? c : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

export async function getDeployment(ws: Workspace, name: string): Promise<DeploymentObject> {
  return JSON.parse(await ws.kubectlOk(['get', 'deployment', name, '-o', 'json'])) as DeploymentObject;
}

/** The Deployment controller, the scheduler and KWOK have done their part: `replicas` pods of the current template, all available. */
export function settled(d: DeploymentObject, replicas: number): boolean {
  const s = d.status ?? {};
  return (
    d.spec.replicas === replicas &&
    s.observedGeneration === d.metadata.generation &&
    (s.replicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas &&
    (s.updatedReplicas ?? 0) === replicas
  );
}

export async function waitSettled(
  ws: Workspace,
  want: Record<string, number>,
  timeoutMs = 60_000,
): Promise<DeploymentObject[]> {
  const names = Object.keys(want);
  return waitFor(
    `Deployments at ${names.map((n) => `${n}=${want[n]}`).join(', ')}`,
    async () => {
      const ds = await Promise.all(names.map((n) => getDeployment(ws, n)));
      return ds.every((d) => settled(d, want[d.metadata.name] as number)) ? ds : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** `kubectl get deployments -l ...` as a table keyed by NAME. */
export async function deploymentTable(
  ws: Workspace,
  selector: string,
): Promise<Record<string, Record<string, string>>> {
  const { rows } = parseTable(await ws.kubectlOk(['get', 'deployments', '-l', selector]));
  return Object.fromEntries(rows.map((r) => [r.NAME ?? '', r]));
}

const running = new Set<{ stop(): Promise<string[]> }>();

/** Stops every background kubectl still running: a test that failed half-way must not leave one holding the process open. */
export async function stopBackground(): Promise<void> {
  await Promise.all([...running].map((b) => b.stop()));
}

/** A long-running kubectl (`get -w`) whose output is collected until stopped. */
export function background(ws: Workspace, args: string[]): { lines(): string[]; stop(): Promise<string[]> } {
  const child = spawn(KUBECTL, args, {
    cwd: REPO,
    env: { ...process.env, KUBECONFIG: ws.kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  const lines = () => out.split('\n').filter((l) => l.trim() !== '');
  const handle = {
    lines,
    async stop() {
      running.delete(handle);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await closed;
      return lines();
    },
  };
  running.add(handle);
  return handle;
}

/** The distinct rows a `kubectl get canaries -o wide -w` printed, in order, without AGE. */
export function distinctWatchRows(lines: readonly string[]): Row[] {
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const out: Row[] = [];
  let last = '';
  for (const line of lines.slice(1)) {
    const cells = watchRow(line, header);
    if (!cells) continue;
    const row = rowOf(cells);
    const key = JSON.stringify(row);
    if (key !== last) out.push(row);
    last = key;
  }
  return out;
}

export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const ON_THE_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/;
