/**
 * Where the time goes: runs the built server under `node --cpu-prof`, loads
 * POST /sync for a while, stops it and prints the functions with the most
 * self time. `node bench/profile.js [pods] [seconds]` (default 20 pods, 10 s);
 * the .cpuprofile is kept in $TMPDIR/canary-hooks-profiles/ for a closer look
 * in Chrome DevTools. `node bench/profile.js --summarise FILE` prints a
 * summary of an existing profile.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../build/bundle.js';
import { load, startChild, stopChild } from './lib.js';
import { syncRequest } from './payload.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * @typedef {object} ProfileNode
 * @property {number} id
 * @property {{ functionName: string, url: string, lineNumber: number }} callFrame
 * @property {number[]} [children]
 */

/**
 * Self time per function (summed over its nodes), from the samples and their time deltas.
 *
 * @param {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} profile
 * @param {number} top
 */
export function summarise(profile, top = 25) {
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const selfByNode = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + dt);
    total += dt;
  });
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  for (const [id, micros] of selfByNode) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const where = frame.url
      ? `${frame.url.replace(`file://${root}`, '').replace(/^.*node_modules\//, '~/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  }
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: total / 1000,
    rows: rows.map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total })),
  };
}

/** @param {string} file */
function printSummary(file) {
  const { totalMs, rows } = summarise(JSON.parse(readFileSync(file, 'utf8')));
  process.stdout.write(`${file}: ${Math.round(totalMs)} ms sampled; top self time:\n`);
  for (const row of rows) {
    process.stdout.write(
      `  ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(6)} ms  ${row.name}\n`,
    );
  }
}

async function main() {
  if (process.argv[2] === '--summarise') {
    printSummary(process.argv[3] ?? '');
    return;
  }
  const pods = Number(process.argv[2] ?? 20);
  const seconds = Number(process.argv[3] ?? 10);
  const dir = join(tmpdir(), 'canary-hooks-profiles');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.cpuprofile')) rmSync(`${dir}/${f}`);
  const child = await startChild(
    [...NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${dir}`, `${root}dist/server.mjs`],
    { LOG_LEVEL: 'warn', EVENTS_ENABLED: 'false', SHUTDOWN_DELAY_SECONDS: '0' },
    '/healthz',
  );
  try {
    const body = JSON.stringify(syncRequest(pods));
    const result = await load({ url: child.url, path: '/sync', body, duration: seconds });
    process.stdout.write(
      `${pods} pods, ${seconds}s: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(2)} ms\n`,
    );
  } finally {
    await stopChild(child);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error('the server wrote no profile');
  for (const f of files) printSummary(`${dir}/${f}`);
}

await main();
