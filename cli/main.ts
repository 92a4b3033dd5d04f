#!/usr/bin/env node
/** The `kubectl-canary` executable: wires `run` to the process. */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './run.js';

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
process.once('SIGTERM', () => interrupt.abort());

const code = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  now: () => new Date(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
  signal: interrupt.signal,
  tty: process.stdout.isTTY === true,
  env: process.env,
  stdin: () => readFileSync(0, 'utf8'),
});
process.exitCode = code;
// A watch or keep-alive socket must not hold the process open after the answer.
process.stdout.write('', () => process.exit(code));
