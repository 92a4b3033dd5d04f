/**
 * Helpers for the benchmark: servers under test as child processes on
 * loopback, their memory read from /proc, and autocannon runs with latencies
 * recorded to the microsecond.
 */
/* global fetch -- Node's own, since 18 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

export const HOST = '127.0.0.1';

/** @returns {Promise<number>} a port free on loopback right now */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} Child
 * @property {import('node:child_process').ChildProcess} process
 * @property {number} pid
 * @property {number} port
 * @property {string} url
 * @property {() => string} output what it printed, for when it fails
 */

/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();

/** Nothing started here outlives the benchmark, even when it fails. */
function killAll() {
  for (const child of running) child.kill('SIGKILL');
}
process.once('exit', killAll);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `node <args>` with PORT set and waits until `readyPath` answers.
 *
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @param {string} readyPath
 * @returns {Promise<Child>}
 */
export async function startChild(args, env, readyPath) {
  const port = await freePort();
  // The service serves /metrics on a port of its own: a free one too, so runs never collide.
  const metricsPort = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, METRICS_PORT: String(metricsPort), ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.once('exit', () => running.delete(child));
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited early:\n${output}`);
    try {
      const res = await fetch(`${url}${readyPath}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not become ready:\n${output}`);
    }
    await sleep(50);
  }
  return { process: child, pid: /** @type {number} */ (child.pid), port, url, output: () => output };
}

/**
 * Stops a child with SIGTERM (so `--cpu-prof` can write its profile), SIGKILL after a grace period.
 *
 * @param {Child} child
 * @param {number} [graceMs]
 */
export async function stopChild(child, graceMs = 10_000) {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Resident memory of a process, from /proc: now (VmRSS) and its peak so far (VmHWM), in MB.
 *
 * @param {number} pid
 * @returns {{ rssMB: number, peakMB: number }}
 */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (/** @type {string} */ field) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/**
 * CPU time a process has used so far, user and system, in seconds, from
 * /proc/<pid>/stat (in clock ticks of 1/100 s, Linux's USER_HZ). On a shared
 * machine CPU per request is steadier than requests per second, which also
 * counts the time other work took the cores away.
 *
 * @param {number} pid
 */
export function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * @param {number[]} sorted ascending
 * @param {number} p 0..100
 */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/**
 * @typedef {object} LoadResult
 * @property {number} requests completed with a 2xx
 * @property {number} errors non-2xx answers, timeouts and socket errors
 * @property {number} rps 2xx per second over the run
 * @property {number} p50 latency in ms
 * @property {number} p99
 * @property {number} max
 * @property {number} autocannonP99 autocannon's own p99 (whole ms, corrected for coordinated omission at a fixed rate)
 */

/**
 * Drives `POST path` with autocannon. Latencies are taken from each response
 * to the microsecond, as autocannon's own histogram keeps whole milliseconds.
 *
 * @param {object} options
 * @param {string} options.url
 * @param {string} options.path
 * @param {string} options.body
 * @param {string[]} [options.bodies] several bodies, sent in turn on each connection (instead of `body`)
 * @param {number} options.duration seconds
 * @param {number} [options.connections]
 * @param {number} [options.overallRate] requests per second across all connections
 * @returns {Promise<LoadResult>}
 */
export async function load({ url, path, body, bodies, duration, connections = 10, overallRate }) {
  /** @type {number[]} */
  const latencies = [];
  let non2xx = 0;
  const instance = autocannon({
    url: `${url}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining: 1,
    duration,
    timeout: 10,
    ...(overallRate ? { overallRate } : {}),
    ...(bodies ? { requests: bodies.map((b) => ({ method: 'POST', path, body: b })) } : {}),
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    else non2xx++;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors: non2xx + result.errors + result.timeouts,
    rps: latencies.length / (result.duration || duration),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    autocannonP99: result.latency.p99,
  };
}

/**
 * @param {number} value
 * @param {number} [digits]
 */
export function round(value, digits = 2) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
