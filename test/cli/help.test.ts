/** --help for the whole plugin and for each command, and --version. */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { EXIT } from '../../cli/errors.js';
import { COMMAND_HELP, USAGE } from '../../cli/help.js';
import { runCli } from './helpers.js';

const COMMANDS = ['list', 'status', 'apply', 'stop', 'rollback', 'complete', 'promote', 'plan', 'dashboard'];

t.test('--version prints the version in package.json', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = await runCli(['--version']);
  t.same(r, { code: EXIT.ok, stdout: `kubectl-canary ${pkg.version}\n`, stderr: '' });
  const after = await runCli(['list', '--version']);
  t.equal(after.stdout, `kubectl-canary ${pkg.version}\n`, 'also after a command');
});

t.test('every command has a help page of its own, and the whole page lists every command', async (t) => {
  t.same(Object.keys(COMMAND_HELP).sort(), [...COMMANDS].sort());
  for (const command of COMMANDS) {
    t.match(USAGE, new RegExp(`^  ${command}\\b`, 'm'), `the whole page lists ${command}`);
  }
});

t.test('COMMAND --help and help COMMAND print that command only', async (t) => {
  for (const command of COMMANDS) {
    for (const args of [
      [command, '--help'],
      [command, '-h'],
      ['help', command],
      ['--help', command],
    ]) {
      const r = await runCli(args);
      t.equal(r.code, EXIT.ok, args.join(' '));
      t.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
      t.match(r.stdout, new RegExp(`^Usage: kubectl canary ${command}\\b`), `${args.join(' ')}: its usage`);
      t.notMatch(r.stdout, /^Commands:$/m, `${args.join(' ')}: not the whole page`);
    }
  }
  const plan = await runCli(['plan', '--help']);
  t.match(plan.stdout, /--from TIME/, "plan's own flags");
  t.notMatch(plan.stdout, /--kubeconfig/, 'plan needs no cluster, so no cluster flags');
  t.notMatch(plan.stdout, /dashboard|promote/, "no other command's text");
  const complete = await runCli(['complete', '--help']);
  t.match(complete.stdout, /canary\.k8shuginn\.io\/command=completion/, 'the annotation value it sets');
});

t.test('--help with no command, or one the plugin does not have, prints the whole page', async (t) => {
  for (const args of [['--help'], ['help'], ['frobnicate', '--help'], ['help', 'frobnicate']]) {
    const r = await runCli(args);
    t.same(r, { code: EXIT.ok, stdout: USAGE, stderr: '' }, args.join(' '));
  }
});
