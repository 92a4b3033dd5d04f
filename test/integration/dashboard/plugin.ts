/**
 * `kubectl canary dashboard` as a user runs it: kubectl finds
 * `kubectl-canary` on PATH (a shim that runs the plugin's TypeScript
 * source), the dashboard prints its URL, and Ctrl-C (SIGINT) ends it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KUBECTL, REPO } from '../helpers.js';

const tsLoader = join(REPO, 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs');

/** A folder with the shim, for PATH. */
export function pluginBin(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'canary-dashboard-bin-'));
  writeFileSync(
    join(dir, 'kubectl-canary'),
    `#!/bin/sh\nTS_NODE_TRANSPILE_ONLY=1 exec node --import=file://${tsLoader} ${join(REPO, 'cli', 'main.ts')} "$@"\n`,
  );
  chmodSync(join(dir, 'kubectl-canary'), 0o755);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningDashboard {
  /** As printed: the page's address and the run's token (`#token=…`). */
  url: string;
  /** The token alone, to look for where it must not be. */
  token: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Ctrl-C, and the exit code. */
  stop(): Promise<number>;
}

export async function startDashboard(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningDashboard> {
  const child = spawn(KUBECTL, ['canary', 'dashboard', ...args], {
    env: { ...env, PATH: `${bin}${delimiter}${env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
  );
  const url = await new Promise<string>((resolve, reject) => {
    // Loading the TypeScript source takes a while on a busy machine.
    const timer = setTimeout(() => reject(new Error(`no URL after 120s; stderr: ${stderr}`)), 120_000);
    const look = () => {
      const m = /Dashboard: (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the dashboard exited ${code} before serving; stderr: ${stderr}`));
    });
  });
  let stopping: Promise<number> | undefined;
  return {
    url,
    token: new URL(url).hash.replace(/^#token=/, ''),
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stop() {
      if (!stopping) {
        child.kill('SIGINT');
        stopping = exited;
      }
      return stopping;
    },
  };
}
