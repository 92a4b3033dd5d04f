/**
 * `kubectl canary`: the command line, parsed with node:util, dispatched to
 * the commands, every failure turned into one line on stderr and an exit
 * code (see EXIT in errors.ts). `run` does no process-level I/O itself, so
 * tests call it directly.
 */
import { parseArgs } from 'node:util';
import { createCanaryApi, type CanaryApi } from './api.js';
import { COMMAND_VALUES, listCommand, planCommand, setCommand, statusCommand, type Io } from './commands.js';
import { DEFAULT_ADDRESS, DEFAULT_PORT, dashboardCommand } from './dashboard/command.js';
import { CliError, EXIT, firstLine } from './errors.js';
import { helpFor, USAGE } from './help.js';
import { readInput, resolveTarget, type Target } from './kube.js';
import { version } from './version.js';

export interface RunEnv extends Io {
  env: NodeJS.ProcessEnv;
  stdin(): string;
  /** Tests shorten the wait between reads while a command waits for the controller. */
  pollMs?: number;
}

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  watch: { type: 'boolean', short: 'w' },
  filename: { type: 'string', short: 'f' },
  from: { type: 'string' },
  timeout: { type: 'string' },
  port: { type: 'string' },
  address: { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const NEEDS_NAME = new Set(['status', 'apply', 'stop', 'rollback', 'complete', 'promote']);

function usage(message: string): CliError {
  return new CliError(`${message} (see kubectl canary --help)`, EXIT.usage);
}

async function dispatch(argv: readonly string[], io: RunEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usage((err as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`kubectl-canary ${version()}\n`);
    return EXIT.ok;
  }
  if (values.help) {
    io.out(helpFor(positionals[0]));
    return EXIT.ok;
  }
  if (positionals.length === 0) {
    io.err(USAGE);
    return EXIT.usage;
  }
  const [command = '', ...rest] = positionals;
  if (command === 'help') {
    io.out(helpFor(rest[0]));
    return EXIT.ok;
  }
  if (command !== 'list' && command !== 'plan' && command !== 'dashboard' && !NEEDS_NAME.has(command)) {
    throw usage(`unknown command "${command}"`);
  }
  const expected = NEEDS_NAME.has(command) ? 1 : 0;
  if (rest.length < expected) throw usage(`${command} needs the Canary's NAME`);
  if (rest.length > expected) throw usage(`unexpected argument "${rest[expected]}" for ${command}`);
  if (values.watch && command !== 'status') throw usage('--watch goes with status');
  if (values['all-namespaces'] && command !== 'list' && command !== 'dashboard') {
    throw usage('-A/--all-namespaces goes with list and dashboard');
  }
  if (
    (values.port !== undefined || values.address !== undefined || values['allowed-host'] !== undefined) &&
    command !== 'dashboard'
  ) {
    throw usage('--port, --address and --allowed-host go with dashboard');
  }
  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      throw usage(`--port must be a port number, got "${values.port}"`);
  }
  if ((values.filename !== undefined || values.from !== undefined) && command !== 'plan') {
    throw usage('-f and --from go with plan');
  }

  if (command === 'plan') {
    if (values.filename === undefined) throw usage('plan needs -f FILE (the Canary manifest)');
    const text = readInput(values.filename, io.stdin);
    return planCommand(io, text, values.filename === '-' ? 'stdin' : values.filename, values.from);
  }

  let timeoutMs = 60_000;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw usage(`--timeout must be a number of seconds, got "${values.timeout}"`);
    timeoutMs = seconds * 1000;
  }
  const target: Target = resolveTarget({
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values.namespace,
    env: io.env,
  });
  const api: CanaryApi = createCanaryApi(target);
  const name = rest[0] ?? '';
  switch (command) {
    case 'list':
      return listCommand(api, io, values['all-namespaces'] ?? false);
    case 'status':
      return statusCommand(api, io, name, values.watch ?? false);
    case 'dashboard':
      return dashboardCommand(api, io, {
        allNamespaces: values['all-namespaces'] ?? false,
        port,
        address: values.address ?? DEFAULT_ADDRESS,
        allowedHosts: values['allowed-host'] ?? [],
        timeoutMs,
        pollMs: io.pollMs ?? 1000,
      });
    default: {
      const value = COMMAND_VALUES[command as keyof typeof COMMAND_VALUES];
      return setCommand(api, io, name, value, { timeoutMs, pollMs: io.pollMs ?? 1000 });
    }
  }
}

/** Runs one invocation and returns its exit code; errors become one line on stderr. */
export async function run(argv: readonly string[], io: RunEnv): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof CliError) {
      // One line, always: scripts read it and people grep for it.
      io.err(`error: ${firstLine(err.message)}\n`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}
