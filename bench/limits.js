/**
 * `npm run bench:limits`: what a stranger on the hooks' port can make the
 * built server hold, under its body and concurrency limits (docs/security.md).
 * The bundled server (dist/server.mjs, the image's flags) runs as a child
 * process on loopback; bounded in count and time, it sends:
 *
 *   1. 16 bodies of 30 MiB at once (the attack that peaked at 804 MB before the limits);
 *   2. 64 sync requests just under the body limit at once, twice the cap in flight;
 *   3. 10 uploads under the limit that stall after their first kilobyte;
 *
 * and prints the answers, how long the stalled ones were held, and the peak
 * RSS (VmHWM) after each, with the date and the machine's load. It never
 * fails on a slow machine: the figures are the output.
 *
 * Environment: BODY_LIMIT_BYTES, MAX_IN_FLIGHT, REQUEST_TIMEOUT_SECONDS (the
 * server's own; defaults 4 MiB, 32, and 5 here instead of 30 to keep the run short).
 */
/* global fetch, console -- Node's own */
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { connect } from 'node:net';
import os from 'node:os';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../build/bundle.js';
import { HOST, memoryOf, round, startChild, stopChild } from './lib.js';
import { syncRequest } from './payload.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = {
  LOG_LEVEL: 'warn',
  EVENTS_ENABLED: 'false',
  SHUTDOWN_DELAY_SECONDS: '0',
  BODY_LIMIT_BYTES: process.env.BODY_LIMIT_BYTES ?? String(4 * 1024 * 1024),
  MAX_IN_FLIGHT: process.env.MAX_IN_FLIGHT ?? '32',
  REQUEST_TIMEOUT_SECONDS: process.env.REQUEST_TIMEOUT_SECONDS ?? '5',
  HEADERS_TIMEOUT_SECONDS: '5',
};
const limit = Number(env.BODY_LIMIT_BYTES);

/** A real sync request grown with pods to just under the body limit. */
function bodyUnderLimit() {
  let pods = 200;
  let body = JSON.stringify(syncRequest(pods));
  while (Buffer.byteLength(body) < limit * 0.9) {
    pods += 20;
    body = JSON.stringify(syncRequest(pods));
  }
  while (Buffer.byteLength(body) > limit) {
    pods -= 5;
    body = JSON.stringify(syncRequest(pods));
  }
  return { body, pods };
}

/** Sends `body` with `count` requests at once; returns the answers' status codes, counted. */
async function burst(url, body, count) {
  const statuses = await Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${url}/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 'reset',
      ),
    ),
  );
  const counted = {};
  for (const s of statuses) counted[s] = (counted[s] ?? 0) + 1;
  return counted;
}

/** `count` uploads of `length` bytes that stall after 1 KB; resolves with how long each was held, in s. */
async function stalled(port, length, count) {
  const started = Date.now();
  const held = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = connect(port, HOST);
      await once(socket, 'connect');
      socket.write(
        `POST /sync HTTP/1.1\r\nhost: ${HOST}\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(1024, 0x20));
      socket.resume();
      // Bounded: never wait past a minute whatever the server does.
      const cap = setTimeout(() => socket.destroy(), 60_000);
      await once(socket, 'close');
      clearTimeout(cap);
      return (Date.now() - started) / 1000;
    }),
  );
  return { maxSeconds: round(Math.max(...held), 1), minSeconds: round(Math.min(...held), 1) };
}

/** Runs `work` against a fresh server, so each peak RSS is that scenario's alone. */
async function scenario(work) {
  const server = await startChild([...NODE_FLAGS, `${root}dist/server.mjs`], env, '/healthz');
  try {
    const idle = round(memoryOf(server.pid).rssMB, 1);
    const result = await work(server);
    return { ...result, idleMB: idle, peakMB: round(memoryOf(server.pid).peakMB, 1) };
  } finally {
    await stopChild(server);
  }
}

const figures = { date: new Date().toISOString(), load: os.loadavg().map((l) => round(l, 2)), env };
const huge = JSON.stringify({ padding: 'x'.repeat(30 * 1024 * 1024) });
figures.huge = await scenario(async (server) => ({ answers: await burst(server.url, huge, 16) }));
const { body, pods } = bodyUnderLimit();
const cap = Number(env.MAX_IN_FLIGHT);
figures.underLimit = await scenario(async (server) => ({
  pods,
  bytes: Buffer.byteLength(body),
  requests: cap * 2,
  answers: await burst(server.url, body, cap * 2),
}));
const length = Math.floor(limit * 0.75);
figures.stalled = await scenario(async (server) => ({
  uploads: 10,
  length,
  ...(await stalled(server.port, length, 10)),
}));
figures.loadAfter = os.loadavg().map((l) => round(l, 2));

console.log(`bench/limits ${figures.date}, load ${figures.load.join(' ')}, ${os.cpus().length} cores`);
console.log(
  `limits: body ${env.BODY_LIMIT_BYTES} bytes, ${env.MAX_IN_FLIGHT} in flight, request timeout ${env.REQUEST_TIMEOUT_SECONDS} s`,
);
console.log(
  `16 x 30 MiB at once: answers ${JSON.stringify(figures.huge.answers)}, peak RSS ${figures.huge.peakMB} MB`,
);
const u = figures.underLimit;
console.log(
  `${u.requests} x ${round(u.bytes / 2 ** 20, 2)} MiB syncs (${u.pods} pods) at once: answers ${JSON.stringify(u.answers)}, peak RSS ${u.peakMB} MB`,
);
const s = figures.stalled;
console.log(
  `${s.uploads} uploads of ${round(s.length / 2 ** 20, 2)} MiB stalled after 1 KB: closed after ${s.minSeconds}-${s.maxSeconds} s, peak RSS ${s.peakMB} MB`,
);
console.log(
  `idle RSS before each ${figures.huge.idleMB} / ${u.idleMB} / ${s.idleMB} MB; load after ${figures.loadAfter.join(' ')}`,
);
