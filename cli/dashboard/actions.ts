/**
 * The buttons' commands, run through `setCommand` of commands.ts, the very
 * function behind `kubectl canary apply|stop|rollback|complete`: the same
 * merge patch, the same "already acted on" change in between and wait, the
 * same notes. What it would print is collected and sent back to the page.
 */
import type { CanaryApi } from '../api.js';
import { COMMAND_VALUES, setCommand, type Io } from '../commands.js';
import { CliError, EXIT, firstLine, type ExitCode } from '../errors.js';
import type { CommandButton } from './detail.js';

export interface CommandResult {
  ok: boolean;
  exitCode: ExitCode;
  /** What the plugin prints on stdout, line by line. */
  output: string[];
  /** What it prints on stderr besides the error: notes, "already acted on". */
  notes: string[];
  error?: string;
}

export interface ActionClock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  signal?: AbortSignal;
}

export interface ActionOptions {
  timeoutMs: number;
  pollMs: number;
}

/** The plugin's commands, and the annotation value each sets. `promote` appears once commands.ts has it. */
export function commandValues(): Record<string, string> {
  return { ...COMMAND_VALUES };
}

const ORDER = ['apply', 'stop', 'promote', 'rollback', 'complete'];

/** The page's buttons: every command the plugin has, and promote shown disabled until it has that too. */
export function commandButtons(values: Record<string, string> = commandValues()): CommandButton[] {
  const names = [
    ...new Set([...ORDER.filter((c) => Object.hasOwn(values, c) || c === 'promote'), ...Object.keys(values)]),
  ];
  return names.map((command) =>
    Object.hasOwn(values, command)
      ? { command, value: values[command] }
      : {
          command,
          value: undefined,
          unavailable: `kubectl canary ${command} does not exist in this version of the plugin`,
        },
  );
}

/** The same CanaryApi, aimed at another namespace (-A shows Canaries of every namespace). */
function inNamespace(api: CanaryApi, namespace: string): CanaryApi {
  return { ...api, target: { ...api.target, namespace } };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

export async function runCommand(
  api: CanaryApi,
  clock: ActionClock,
  options: ActionOptions,
  target: { namespace: string; name: string; command: string },
  values: Record<string, string> = commandValues(),
): Promise<CommandResult> {
  // Own entries only: `constructor` would otherwise find Object's, and be sent as a value.
  const value = Object.hasOwn(values, target.command) ? values[target.command] : undefined;
  if (value === undefined) {
    return {
      ok: false,
      exitCode: EXIT.usage,
      output: [],
      notes: [],
      error: `unknown command "${target.command}"`,
    };
  }
  let out = '';
  let err = '';
  const io: Io = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    now: clock.now,
    sleep: clock.sleep,
    signal: clock.signal,
    tty: false,
  };
  try {
    const exitCode = (await setCommand(
      inNamespace(api, target.namespace),
      io,
      target.name,
      value,
      options,
    )) as ExitCode;
    return { ok: exitCode === EXIT.ok, exitCode, output: lines(out), notes: lines(err) };
  } catch (caught) {
    const error =
      caught instanceof CliError
        ? caught
        : new CliError(firstLine((caught as Error)?.message ?? String(caught)), EXIT.failed);
    return {
      ok: false,
      exitCode: error.exitCode,
      output: lines(out),
      notes: lines(err),
      error: `error: ${firstLine(error.message)}`,
    };
  }
}
