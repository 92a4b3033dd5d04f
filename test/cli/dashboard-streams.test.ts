/** The stream plumbing on its own, over a real socket: heartbeats, and a page too slow to read is cut off. */
import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slimCanary } from '../../cli/dashboard/model.js';
import { Store } from '../../cli/dashboard/store.js';
import { Streams } from '../../cli/dashboard/stream.js';
import { canaryObject, runningStatus } from './helpers.js';

async function serve(t: Test, streams: Streams) {
  const server = createServer((req, res) => streams.open(req, res, { view: 'overview' }, `boot.${0}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    streams.close();
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

t.test('a heartbeat comment keeps quiet streams open', async (t) => {
  const store = new Store(() => new Date());
  const streams = new Streams(
    store,
    'boot',
    { row: () => '', detail: async () => '', connection: () => '' },
    { heartbeatMs: 20 },
  );
  const url = await serve(t, streams);
  const text = await new Promise<string>((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
        if (body.includes(': ping')) {
          res.destroy();
          resolve(body);
        }
      });
    })
      .on('error', reject)
      .end();
  });
  t.match(text, /^retry: 2000\n\n/);
  t.match(text, /: ping\n\n/);
  t.equal(streams.size, 1);
});

t.test('a page that stops reading is cut off instead of filling the memory', async (t) => {
  const store = new Store(() => new Date());
  const big = 'x'.repeat(100_000);
  const streams = new Streams(
    store,
    'boot',
    { row: () => `<tr>${big}</tr>`, detail: async () => '', connection: () => '' },
    { flushMs: 1, maxBufferBytes: 256 * 1024 },
  );
  const url = await serve(t, streams);
  let reader: IncomingMessage | undefined;
  request(url, (res) => {
    reader = res;
    res.pause(); // read nothing more
  }).end();
  while (streams.size === 0) await new Promise((r) => setTimeout(r, 5));
  // Each change is a 100 kB message; the kernel's socket buffers take a few MB before the server's own fill.
  for (let i = 0; i < 2000 && streams.size !== 0; i++) {
    store.canarySink.upsert(slimCanary(canaryObject(`c${i}`, { status: runningStatus() }))!);
    await new Promise((r) => setTimeout(r, 2));
  }
  t.equal(streams.size, 0, 'dropped');
  // Reading again, the page finds the stream ended: its EventSource would reconnect and catch up.
  const ended = new Promise((resolve) => reader?.on('close', resolve));
  reader?.on('error', () => undefined).resume();
  await ended;
});
