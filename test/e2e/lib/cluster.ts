/**
 * Plumbing for the end-to-end tests: they run only under test/e2e/run.sh,
 * which starts the cluster, Metacontroller and canary-hooks, and exports
 * KUBECONFIG, KUBECTL, E2E_CTL, E2E_SERVICE_LOG (see its header).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the e2e tests with \`npm run test:e2e\` (test/e2e/run.sh)`);
  return value;
}

export const ADMIN_KUBECONFIG = required('KUBECONFIG');
export const KUBECTL = process.env.KUBECTL ?? 'kubectl';
export const CTL = required('E2E_CTL');
export const SERVICE_LOG = required('E2E_SERVICE_LOG');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A namespace of the test's own, and a kubeconfig whose context defaults to it, so commands read as a user types them. */
export interface Workspace {
  namespace: string;
  kubeconfig: string;
  /** Runs `kubectl ARGS` (plugins included) as a user of this namespace would; never throws. */
  kubectl(args: string[], input?: string): Promise<RunResult>;
  /** Same, failing with kubectl's stderr unless it exits 0. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  kc: k8s.KubeConfig;
}

export function suffix(): string {
  return randomBytes(3).toString('hex');
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // No stdin unless there is input: a command that exits before reading it
    // would otherwise fail the write with EPIPE, outside any test.
    const child = spawn(cmd, args, {
      cwd: REPO,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // the exit code and stderr tell what happened
      child.stdin.end(input);
    }
  });
}

export async function workspace(prefix: string): Promise<Workspace> {
  const namespace = `${prefix}-${suffix()}`;
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  copyFileSync(ADMIN_KUBECONFIG, kubeconfig);
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const kubectl = (args: string[], input?: string) => run(KUBECTL, args, env, input);
  const kubectlOk = async (args: string[], input?: string) => {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  await kubectlOk(['create', 'namespace', namespace]);
  await kubectlOk(['config', 'set-context', '--current', `--namespace=${namespace}`]);
  // ServiceAccount admission refuses pods until the namespace's default ServiceAccount exists.
  await waitFor(`the default ServiceAccount of ${namespace}`, async () => {
    const r = await kubectl(['get', 'serviceaccount', 'default']);
    return r.code === 0;
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { namespace, kubeconfig, kubectl, kubectlOk, kc };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
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
      const why = lastError ? `: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** ctl.sh: start, stop, kill, restart a component of the cluster. */
export function ctl(...args: string[]): string {
  const r = spawnSync('bash', [CTL, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ctl.sh ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function serviceLog(): string {
  return readFileSync(SERVICE_LOG, 'utf8');
}

/**
 * A table as kubectl prints it: the header's column starts cut every row, so
 * a MESSAGE with spaces stays one cell.
 */
export function parseTable(text: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const headerLine = lines[0] ?? '';
  const starts: number[] = [];
  const header: string[] = [];
  for (const m of headerLine.matchAll(/\S+/g)) {
    starts.push(m.index);
    header.push(m[0]);
  }
  const rows = lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : undefined;
      row[name] = line.slice(starts[i], end).trim();
    });
    return row;
  });
  return { header, rows };
}

/** Figures a test leaves for repeat.sh and for people: $E2E_REPORT_DIR/<name>.json when set. */
export function report(name: string, figures: unknown): void {
  const dir = process.env.E2E_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}
