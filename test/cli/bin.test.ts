/** The executable itself: shebang, exit codes seen by a shell, output on the real streams. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { EXIT } from '../../cli/errors.js';

// Each case starts the CLI from its TypeScript source (a few seconds each on a
// loaded 2-core machine), so the file as a whole needs more than tap's 120 s.
t.setTimeout(300_000);

async function kubectlCanary(args: string[], env: NodeJS.ProcessEnv, stdin?: string) {
  const child = spawn(process.execPath, ['--import', '@tapjs/typescript/import', 'cli/main.ts', ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  child.stdin.end(stdin ?? '');
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

t.test('package.json names the built entry point, which starts with a node shebang', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin?: Record<string, string> };
  t.same(pkg.bin, { 'kubectl-canary': 'dist/cli/main.js' });
  t.equal(readFileSync('cli/main.ts', 'utf8').split('\n')[0], '#!/usr/bin/env node');
});

t.test('exit codes and streams as a shell sees them', async (t) => {
  const home = t.testdir({});
  const env = { PATH: process.env.PATH, HOME: home, TS_NODE_TRANSPILE_ONLY: '1' };
  const help = await kubectlCanary(['--help'], env);
  t.equal(help.code, EXIT.ok);
  t.match(help.stdout, /^Usage: kubectl canary COMMAND/);

  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const version = await kubectlCanary(['--version'], env);
  t.same(version, { code: EXIT.ok, stdout: `kubectl-canary ${pkg.version}\n`, stderr: '' }, '--version');
  const planHelp = await kubectlCanary(['plan', '--help'], env);
  t.equal(planHelp.code, EXIT.ok);
  t.match(planHelp.stdout, /^Usage: kubectl canary plan -f FILE/, 'plan --help: plan only');

  const noConfig = await kubectlCanary(['list'], env);
  t.equal(noConfig.code, EXIT.unreachable);
  t.equal(noConfig.stdout, '');
  t.match(noConfig.stderr, /^error: no kubeconfig: /);

  const plan = await kubectlCanary(
    ['plan', '-f', '-', '--from', '2026-11-22T00:00:00Z'],
    env,
    'kind: Canary\nmetadata: {name: web}\nspec: {oldDeployment: a, newDeployment: b, totalReplicas: 2, stepReplicas: 1, cronSchedule: "@daily", selector: {matchLabels: {app: web}}}\n',
  );
  t.equal(plan.code, EXIT.ok, plan.stderr);
  t.match(plan.stdout, /^2\s+0\s+2\s+Mon 2026-11-23 00:00 \+00:00\s+\+1d$/m);
});
