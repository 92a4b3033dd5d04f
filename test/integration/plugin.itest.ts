/**
 * The kubectl plugin (cli/) as a user runs it: `kubectl canary ...`, found by
 * kubectl on PATH as `kubectl-canary`, against the real API server, while the
 * Metacontroller stand-in runs the real hooks service.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  REPO,
  createCanaryApp,
  createNamespace,
  installAll,
  kubeConfig,
  kubectl,
  type RunResult,
} from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';

const COMMAND = 'canary.k8shuginn.io/command';
const binDir = mkdtempSync(join(tmpdir(), 'canary-plugin-'));
const tsLoader = join(REPO, 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs');
// kubectl runs any `kubectl-NAME` on PATH as `kubectl NAME`: this one runs the
// plugin's TypeScript source, as `npm run build` would ship it in dist/.
writeFileSync(
  join(binDir, 'kubectl-canary'),
  `#!/bin/sh\nTS_NODE_TRANSPILE_ONLY=1 exec node --import=file://${tsLoader} ${join(REPO, 'cli', 'main.ts')} "$@"\n`,
);
chmodSync(join(binDir, 'kubectl-canary'), 0o755);
process.env.PATH = `${binDir}${delimiter}${process.env.PATH}`;

let ns = '';
let hooks: HookServer;
let mc: Metacontroller;
const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);

/** `kubectl canary ...`, in the test namespace. */
function plugin(...args: string[]): Promise<RunResult> {
  return kubectl(['canary', ...args, '-n', ns]);
}

async function annotation(): Promise<string | undefined> {
  return (await mc.getCanary(ns, 'web')).metadata.annotations?.[COMMAND];
}

t.before(async () => {
  await installAll();
  ns = await createNamespace('plugin');
  const start = new Date();
  start.setUTCSeconds(5, 0);
  hooks = await HookServer.start(kubeConfig(), start);
  mc = new Metacontroller(hooks);
  await createCanaryApp(ns, 'web', { totalReplicas: 6, stepReplicas: 3 });
  await mc.sync(ns, 'web');
});

t.teardown(async () => {
  await hooks?.close();
  rmSync(binDir, { recursive: true, force: true });
});

t.test('kubectl finds the plugin', async (t) => {
  const r = await kubectl(['plugin', 'list']);
  t.match(r.stdout, /kubectl-canary/);
  const help = await kubectl(['canary', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: kubectl canary COMMAND/);
});

t.test('list and status read the real objects', async (t) => {
  const list = await plugin('list');
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /web/);
  t.match(list.stdout, /stop/);
  t.match(list.stdout, /0\/2/, 'step 0 of 2');

  const status = await plugin('status', 'web');
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, /Canary is Pending/);
  t.match(status.stdout, /web-v1/);
  t.match(status.stdout, /web-v2/);

  const missing = await plugin('status', 'nope');
  t.equal(missing.code, 2, 'exit 2: not found');
  t.match(missing.stderr, /nope/);
});

t.test('apply, stop, rollback and complete set the command the hooks act on', async (t) => {
  const steps: [string, string, Record<string, unknown>][] = [
    ['apply', 'apply', { state: 'running', currentStep: 1, oldReplicas: 3, newReplicas: 3 }],
    ['stop', 'stop', { state: 'stop', currentStep: 1 }],
    ['rollback', 'rollback', { state: 'stop', currentStep: 0, oldReplicas: 6, newReplicas: 0 }],
    ['complete', 'completion', { state: 'complete', currentStep: 2, oldReplicas: 0, newReplicas: 6 }],
  ];
  for (const [command, value, expected] of steps) {
    const r = await plugin(command, 'web');
    t.equal(r.code, 0, `kubectl canary ${command}: ${r.stderr}`);
    t.equal(await annotation(), value, `${command} sets ${COMMAND}=${value}`);
    const answer = await mc.sync(ns, 'web');
    t.match(answer.status, { ...expected, observedCommand: value }, `${command} acted on`);
  }
  t.equal((await apps.readNamespacedDeployment({ name: 'web-v2', namespace: ns })).spec?.replicas, 6);
});

t.test('re-issuing the command last acted on waits for the hooks to see it removed', async (t) => {
  // rollback after complete, then rollback again: the second needs the annotation
  // removed and the removal recorded before it can be set again.
  t.equal((await plugin('rollback', 'web')).code, 0);
  await mc.sync(ns, 'web');
  const child = spawn('kubectl', ['canary', 'rollback', 'web', '-n', ns, '--timeout', '60'], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  let code: number | undefined;
  void exited.then((c) => (code = c));
  // Play Metacontroller's syncs on every change while the plugin waits.
  const deadline = Date.now() + 60_000;
  while (code === undefined && Date.now() < deadline) {
    await mc.sync(ns, 'web');
    await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(await exited, 0, stderr);
  t.match(stderr, /already acted on/);
  t.equal(await annotation(), 'rollback');
  const answer = await mc.sync(ns, 'web');
  t.match(answer.status, { observedCommand: 'rollback', state: 'stop', currentStep: 0 });
});
