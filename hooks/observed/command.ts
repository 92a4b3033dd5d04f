/**
 * Owns the command annotation, read. Metacontroller lets us write status only, so a
 * command cannot be cleared once read; it acts when its value differs from
 * the one recorded in `status.observedCommand`.
 */
import { COMMAND_ANNOTATION, type Canary } from '../wire/index.js';

const COMMANDS = ['apply', 'stop', 'rollback', 'completion', 'promote'] as const;
export type Command = (typeof COMMANDS)[number];

export type CommandReading =
  | { kind: 'none' } // no annotation: forget the last one, so setting it again acts
  | { kind: 'seen'; value: string } // already acted on
  | { kind: 'new'; command: Command }
  | { kind: 'unknown'; value: string };

function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

export function commandAnnotation(canary: Canary): string {
  const value = canary.metadata.annotations?.[COMMAND_ANNOTATION];
  return typeof value === 'string' ? value.trim() : '';
}

export function readCommand(canary: Canary, observedCommand: string): CommandReading {
  const value = commandAnnotation(canary);
  if (value === '') return { kind: 'none' };
  if (value === observedCommand) return { kind: 'seen', value };
  if (isCommand(value)) return { kind: 'new', command: value };
  return { kind: 'unknown', value };
}

export function unknownCommandMessage(value: string): string {
  return `Unknown command "${value}" in annotation ${COMMAND_ANNOTATION}: valid values are ${COMMANDS.join(', ')}`;
}
