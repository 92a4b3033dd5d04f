/**
 * Server-sent events to the open pages. Every page has one stream; all
 * streams are fed from the one store (and so from the one watch per kind).
 * Changes are gathered for a few milliseconds and sent as one message, so a
 * re-list of a thousand Canaries is one message per page, not a thousand.
 *
 * Messages: `rows` (overview: rows re-rendered and keys removed),
 * `detail` (one Canary's live panel, or `gone`), `connection` (the notice
 * under the header), `reload` (the page is from another run of the
 * dashboard, or missed more than the server remembers). Each carries the
 * id `<boot>.<seq>`, which the browser sends back as Last-Event-ID when it
 * reconnects, so it gets exactly what it missed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Change, Store } from './store.js';

export type StreamView = { view: 'overview' } | { view: 'canary'; key: string };

export interface StreamRenderers {
  row(key: string): string;
  /** undefined: the Canary is gone. */
  detail(key: string): Promise<string | undefined>;
  connection(): string;
}

export interface StreamOptions {
  /** How long changes are gathered before they are sent. */
  flushMs: number;
  heartbeatMs: number;
  /** A page that reads slower than this much unsent data is cut off; its browser reconnects and catches up. */
  maxBufferBytes: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  flushMs: 20,
  heartbeatMs: 15_000,
  maxBufferBytes: 8 * 1024 * 1024,
};

interface Client {
  res: ServerResponse;
  view: StreamView;
  rows: Set<string>;
  detail: boolean;
  connection: boolean;
  timer: NodeJS.Timeout | undefined;
  rendering: boolean;
}

/** Reads `<boot>.<seq>` from Last-Event-ID (a reconnect) or the page's `since`. */
export function parseSince(text: string | undefined, boot: string): number | undefined {
  const m = /^([^.]+)\.(\d+)$/.exec(text ?? '');
  if (!m || m[1] !== boot) return undefined;
  return Number(m[2]);
}

export class Streams {
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly options: StreamOptions;

  constructor(
    private readonly store: Store,
    private readonly boot: string,
    private readonly render: StreamRenderers,
    options: Partial<StreamOptions> = {},
  ) {
    this.options = { ...DEFAULT_STREAM_OPTIONS, ...options };
    this.unsubscribe = store.subscribe((change) => this.onChange(change));
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) this.write(c, ': ping\n\n');
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  open(req: IncomingMessage, res: ServerResponse, view: StreamView, since: string | undefined): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const client: Client = {
      res,
      view,
      rows: new Set(),
      detail: view.view === 'canary',
      connection: true,
      timer: undefined,
      rendering: false,
    };
    this.clients.add(client);
    req.on('close', () => this.drop(client));

    const header = req.headers['last-event-id'];
    const seq = parseSince(typeof header === 'string' ? header : since, this.boot);
    if (view.view === 'overview') {
      const missed = seq === undefined ? 'reload' : this.store.changedSince(seq);
      if (missed === 'reload') {
        this.send(client, 'reload', {});
        return;
      }
      for (const key of [...missed.changed, ...missed.removed]) client.rows.add(key);
    } else if (seq === undefined) {
      this.send(client, 'reload', {});
      return;
    }
    void this.flush(client);
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    for (const c of [...this.clients]) {
      c.res.end();
      this.drop(c);
    }
  }

  private drop(client: Client): void {
    clearTimeout(client.timer);
    this.clients.delete(client);
  }

  private onChange(change: Change): void {
    for (const c of this.clients) {
      if (change.type === 'connection') c.connection = true;
      else if (c.view.view === 'overview') {
        if (change.type !== 'canary') continue;
        c.rows.add(change.key);
      } else if (c.view.key === change.key) c.detail = true;
      else continue;
      this.schedule(c);
    }
  }

  private schedule(client: Client): void {
    if (client.timer !== undefined || client.rendering) return;
    client.timer = setTimeout(() => {
      client.timer = undefined;
      void this.flush(client);
    }, this.options.flushMs);
  }

  private id(): string {
    return `${this.boot}.${this.store.seq}`;
  }

  private write(client: Client, text: string): void {
    if (!this.clients.has(client)) return;
    client.res.write(text);
    if (client.res.writableLength > this.options.maxBufferBytes) {
      client.res.destroy();
      this.drop(client);
    }
  }

  private send(client: Client, event: string, data: unknown): void {
    this.write(client, `id: ${this.id()}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private async flush(client: Client): Promise<void> {
    if (!this.clients.has(client)) return;
    if (client.rows.size > 0) {
      const rows: [string, string][] = [];
      const removed: string[] = [];
      for (const key of client.rows) {
        if (this.store.canaries.has(key)) rows.push([key, this.render.row(key)]);
        else removed.push(key);
      }
      client.rows.clear();
      this.send(client, 'rows', { rows, removed });
    }
    // After the rows: the id it carries must not claim rows not yet sent.
    if (client.connection) {
      client.connection = false;
      this.send(client, 'connection', { html: this.render.connection() });
    }
    if (client.detail && client.view.view === 'canary') {
      client.detail = false;
      client.rendering = true;
      let html: string | undefined;
      try {
        html = await this.render.detail(client.view.key);
      } finally {
        client.rendering = false;
      }
      this.send(client, 'detail', html === undefined ? { gone: true } : { html });
      // Changes that came while it rendered.
      if (client.detail || client.connection) this.schedule(client);
    }
  }
}
