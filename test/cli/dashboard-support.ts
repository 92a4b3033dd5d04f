/**
 * Runs `kubectl canary dashboard` in-process against the stand-in API, on
 * a free loopback port, and talks to it over real HTTP: plain requests and
 * an event-stream reader.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import type { Test } from 'tap';
import { FakeApi } from './fake-api.js';
import { runCli, type CliResult } from './helpers.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request; `headers.host` may be set to anything, as a rebinding attacker's browser would. */
export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // No keep-alive: each request on a fresh connection, so a closed server is refused, not hung up on.
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits for a condition, polling: for things that happen on their own time (a socket closing). */
export async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a text/event-stream as EventSource does, keeping every message. */
export class SseReader {
  readonly events: SseEvent[] = [];
  status = 0;
  private buffer = '';
  private close: () => void = () => undefined;
  private waiters: (() => void)[] = [];

  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        reader.status = res.statusCode ?? 0;
        reader.close = () => res.destroy();
        res.setEncoding('utf8').on('data', (d: string) => reader.feed(d));
        res.on('error', () => undefined);
        resolve(reader);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private feed(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0) continue;
        const field = line.slice(0, colon);
        const value = line.slice(colon + 2);
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') {
          event.data += value;
          hasData = true;
        }
      }
      if (hasData) this.events.push(event);
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** The first message from index `from` on that matches, waiting for it. */
  async next(match: (e: SseEvent) => boolean, from = 0, ms = 10_000): Promise<SseEvent & { index: number }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.events.findIndex((e, i) => i >= from && match(e));
      if (index >= 0) return { ...this.events[index]!, index };
      if (Date.now() > deadline) {
        throw new Error(`no matching event; got ${JSON.stringify(this.events.map((e) => e.event))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  end(): void {
    this.close();
  }
}

export interface Running {
  api: FakeApi;
  kubeconfig: string;
  url: string;
  port: number;
  /** The run's token, from the URL it printed (`#token=…`). */
  token: string;
  stdout: () => string;
  stop(): Promise<CliResult>;
}

/** Starts the stand-in API (with `setup` applied) and the dashboard on port 0. */
export async function startDashboard(
  t: Test,
  args: string[] = [],
  setup: (api: FakeApi) => void = () => undefined,
  now: () => Date = () => new Date('2026-11-22T05:00:00Z'),
): Promise<Running> {
  const api = new FakeApi();
  await api.start();
  t.teardown(() => api.stop());
  setup(api);
  const kubeconfig = api.kubeconfig(t.testdir({}));
  const interrupt = new AbortController();
  let stdout = '';
  let stderr = '';
  const done = runCli(['dashboard', '--kubeconfig', kubeconfig, '--port', '0', ...args], {
    signal: interrupt.signal,
    now,
    onOut: (text) => (stdout += text),
  });
  const deadline = Date.now() + 10_000;
  let url: string | undefined;
  while (!(url = /http:\/\/\S+\//.exec(stdout)?.[0])) {
    const early = await Promise.race([done, new Promise((r) => setTimeout(r, 20, undefined))]);
    if (early) throw new Error(`dashboard exited: ${JSON.stringify(early)}`);
    if (Date.now() > deadline) throw new Error(`no URL printed; stderr ${stderr}`);
  }
  const token = /#token=([\w-]+)/.exec(stdout)?.[1] ?? '';
  const loopbackUrl = `http://127.0.0.1:${new URL(url).port}/`;
  let stopped: Promise<CliResult> | undefined;
  const stop = () => {
    interrupt.abort();
    stopped ??= done;
    return stopped;
  };
  t.teardown(async () => {
    await stop();
  });
  void done.then((r) => (stderr = r.stderr));
  return {
    api,
    kubeconfig,
    url: loopbackUrl,
    port: Number(new URL(loopbackUrl).port),
    token,
    stdout: () => stdout,
    stop,
  };
}
