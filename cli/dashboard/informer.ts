/**
 * List, then watch from the list's resourceVersion, for one kind: the one
 * watch of that kind the whole dashboard holds, however many pages are open.
 *
 * - The API server ends a watch now and then (timeoutSeconds, restarts): it
 *   is re-opened from the last resourceVersion seen, nothing is re-listed.
 * - A resourceVersion too old to watch from (410 Gone) is re-listed.
 * - Any failure (server down, refused, forbidden) marks the kind
 *   `reconnecting` with the reason, and the list is tried again after a
 *   growing pause, until it works: the pages show the notice meanwhile.
 */
import { CliError, fromApiError } from '../errors.js';
import type { Source } from './kube.js';
import type { Sink } from './store.js';

export interface InformerClock {
  now(): Date;
  /** Rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface InformerOptions {
  /** Items asked for per list page. */
  pageSize: number;
  /** Pauses after the 1st, 2nd, ... failure in a row; the last repeats. */
  backoffMs: readonly number[];
  /** A watch that ends this soon without an event waits this long before the next, so a server closing at once is not hammered. */
  minRewatchMs: number;
  /** No byte (event or bookmark) for this long: the connection is taken for dead and re-listed. */
  idleMs: number;
  /** The server address, for messages. */
  server: string;
}

export const DEFAULT_INFORMER_OPTIONS: Omit<InformerOptions, 'server'> = {
  pageSize: 500,
  backoffMs: [500, 1000, 2000, 4000],
  minRewatchMs: 1000,
  // The watches ask the server to end them after 300 s and bookmarks come every minute or so.
  idleMs: 330_000,
};

type WatchEnd = { kind: 'closed'; sawEvent: boolean } | { kind: 'gone' } | { kind: 'failed'; error: unknown };

type Json = Record<string, unknown>;

function resourceVersionOf(object: unknown): string | undefined {
  const rv = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

export class Informer<T> {
  private stopped = false;
  private readonly stopping = new AbortController();
  private current: AbortController | undefined;
  private readonly options: InformerOptions;
  private resolveFirst!: () => void;
  private rejectFirst!: (err: CliError) => void;
  /** Settles after the first list: resolves, or rejects with why it failed (only with `failFirst`). */
  readonly firstSync: Promise<void>;

  constructor(
    private readonly source: Source,
    private readonly slim: (raw: unknown) => T | undefined,
    private readonly sink: Sink<T>,
    private readonly clock: InformerClock,
    options: Partial<InformerOptions> & { server: string },
    /** A first list that fails ends the informer (and rejects firstSync) instead of retrying. */
    private readonly failFirst = false,
  ) {
    this.options = { ...DEFAULT_INFORMER_OPTIONS, ...options };
    this.firstSync = new Promise<void>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    // Nobody may be waiting for it; an unhandled rejection would end the process.
    this.firstSync.catch(() => undefined);
  }

  start(): this {
    void this.run();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    this.current?.abort();
  }

  private error(err: unknown): CliError {
    return fromApiError(err, { what: this.source.what, server: this.options.server });
  }

  private async pause(ms: number): Promise<void> {
    try {
      await this.clock.sleep(ms, this.stopping.signal);
    } catch {
      // stopped
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    let first = true;
    while (!this.stopped) {
      let resourceVersion: string;
      try {
        resourceVersion = await this.listAll();
      } catch (err) {
        if (this.stopped) return;
        const error = this.error(err);
        if (first && this.failFirst) {
          this.stopped = true;
          this.rejectFirst(error);
          return;
        }
        failures += 1;
        this.sink.connection({
          state: 'reconnecting',
          since: this.clock.now().getTime(),
          error: error.message,
        });
        await this.pause(this.backoff(failures));
        continue;
      }
      if (this.stopped) return;
      if (first) {
        first = false;
        this.resolveFirst();
      }
      failures = 0;
      this.sink.connection({ state: 'connected', since: this.clock.now().getTime() });
      const end = await this.watchFrom(resourceVersion);
      if (this.stopped) return;
      if (end.kind === 'failed') {
        failures += 1;
        this.sink.connection({
          state: 'reconnecting',
          since: this.clock.now().getTime(),
          error: this.error(end.error).message,
        });
        await this.pause(this.backoff(failures));
      }
      // 'gone': list again at once.
    }
  }

  private backoff(failures: number): number {
    const steps = this.options.backoffMs;
    return steps[Math.min(failures, steps.length) - 1] ?? 1000;
  }

  private async listAll(): Promise<string> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.source.list(token, this.options.pageSize);
      for (const raw of page.items) {
        const item = this.slim(raw);
        if (item !== undefined) items.push(item);
      }
      resourceVersion = page.resourceVersion;
      token = page.continueToken;
    } while (token !== undefined && !this.stopped);
    if (!this.stopped) this.sink.replace(items);
    return resourceVersion;
  }

  /** Watches, re-opening closed watches, until one fails or its resourceVersion is gone. */
  private async watchFrom(start: string): Promise<Exclude<WatchEnd, { kind: 'closed' }>> {
    let resourceVersion = start;
    for (;;) {
      const started = this.clock.now().getTime();
      const end = await this.watchOnce(resourceVersion, (rv) => (resourceVersion = rv));
      if (this.stopped || end.kind !== 'closed') return end.kind === 'closed' ? { kind: 'gone' } : end;
      if (!end.sawEvent && this.clock.now().getTime() - started < this.options.minRewatchMs) {
        await this.pause(this.options.minRewatchMs);
      }
    }
  }

  private watchOnce(resourceVersion: string, seen: (rv: string) => void): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let sawEvent = false;
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (end: WatchEnd) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        this.current?.abort();
        resolve(end);
      };
      const alive = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => finish({ kind: 'failed', error: new Error(`no data for ${this.options.idleMs / 1000}s`) }),
          this.options.idleMs,
        );
      };
      alive();
      const onEvent = (type: string, object: unknown) => {
        if (settled) return;
        alive();
        if (type === 'ERROR') {
          const status = (object ?? {}) as Json;
          if (status.code === 410) return finish({ kind: 'gone' });
          return finish({
            kind: 'failed',
            error: Object.assign(new Error(String(status.message ?? 'watch error')), {
              statusCode: typeof status.code === 'number' ? status.code : undefined,
            }),
          });
        }
        const rv = resourceVersionOf(object);
        if (rv !== undefined) seen(rv);
        if (type === 'BOOKMARK') return;
        const item = this.slim(object);
        if (item === undefined) return;
        sawEvent = true;
        if (type === 'DELETED') this.sink.remove(item);
        else if (type === 'ADDED' || type === 'MODIFIED') this.sink.upsert(item);
      };
      const done = (err: unknown) => {
        if (err === null || err === undefined || (err as { name?: string }).name === 'AbortError') {
          return finish({ kind: 'closed', sawEvent });
        }
        if ((err as { statusCode?: unknown }).statusCode === 410) return finish({ kind: 'gone' });
        finish({ kind: 'failed', error: err });
      };
      this.source.watch(resourceVersion, onEvent, done).then(
        (controller) => {
          this.current = controller;
          if (settled || this.stopped) controller.abort();
        },
        (err: unknown) => finish({ kind: 'failed', error: err }),
      );
    });
  }
}
