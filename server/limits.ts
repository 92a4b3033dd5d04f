/**
 * What one caller can make the service spend (docs/design.md §12): the hooks'
 * port is plain HTTP and anything that reaches it can send a request, so
 * memory, time, log lines and text written to the cluster are bounded here,
 * whoever the caller is.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { SyncDecision, Transition } from '../hooks/sync.js';
import type { CanaryStatus, Condition } from '../hooks/wire/index.js';
import type { RequestLimits } from './config.js';

/** Status messages, Event notes and logged text are cut to this many characters. */
export const MAX_MESSAGE_CHARS = 1024;

/** `text` cut to `max` characters, saying how much was left out, so no caller's text is stored or logged whole. */
export function cut(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const note = ` ... (${text.length - max} more characters cut)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

function cutConditions(conditions: readonly Condition[]): Condition[] {
  return conditions.map((c) =>
    c.message.length > MAX_MESSAGE_CHARS ? { ...c, message: cut(c.message) } : c,
  );
}

/** A status whose message and condition messages are bounded; the same object when nothing is long. */
export function boundStatus(status: CanaryStatus): CanaryStatus {
  const long =
    status.message.length > MAX_MESSAGE_CHARS ||
    status.conditions.some((c) => c.message.length > MAX_MESSAGE_CHARS);
  if (!long) return status;
  return { ...status, message: cut(status.message), conditions: cutConditions(status.conditions) };
}

function boundTransition(t: Transition): Transition {
  return t.message.length > MAX_MESSAGE_CHARS ? { ...t, message: cut(t.message) } : t;
}

/**
 * The decision with every message bounded: the status Metacontroller writes,
 * and the transitions that become log lines and Events. A spec error quotes
 * the value it refuses, and that value is the caller's.
 */
export function boundDecision(decision: SyncDecision): SyncDecision {
  const status = boundStatus(decision.response.status);
  const longTransition = decision.transitions.some((t) => t.message.length > MAX_MESSAGE_CHARS);
  if (status === decision.response.status && !longTransition) return decision;
  return {
    ...decision,
    response: { ...decision.response, status },
    transitions: longTransition ? decision.transitions.map(boundTransition) : decision.transitions,
  };
}

/**
 * A node HTTP server with the request and header timeouts. Node checks them
 * only every `connectionsCheckingInterval` (30 s by default), so a stalled
 * upload would outlive its timeout by that much: check every second.
 */
export function serverFactoryFor(limits: RequestLimits) {
  return (handler: RequestListener): Server =>
    createServer(
      {
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      },
      handler,
    );
}

/**
 * Answers 503 to a hook request beyond `maxInFlight`, before its body is read:
 * bodies in memory are then at most `maxInFlight * bodyLimitBytes`.
 * Metacontroller retries a failed hook call with backoff, so a 503 delays a
 * decision and loses nothing. `paths`: the routes counted (probes are not).
 */
export function capInFlight(app: FastifyInstance, maxInFlight: number, paths: ReadonlySet<string>): void {
  let inFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (!paths.has(request.routeOptions.url ?? '')) return;
    if (inFlight >= maxInFlight) {
      // Close the connection: a keep-alive socket would otherwise have its unread body drained.
      reply.header('connection', 'close');
      return reply.code(503).send({
        error: 'Service Unavailable',
        message: `${maxInFlight} hook requests are being served; try again`,
      });
    }
    inFlight += 1;
    // 'close' comes once per response, whether it finished or the caller went away.
    reply.raw.once('close', () => {
      inFlight -= 1;
    });
  });
}

/**
 * Logs a line the first time a key is seen, and then never again for it: a
 * forged or stale request sent a thousand times is one line, not a thousand.
 * Remembers at most `maxKeys` keys; past that, one line in `maxKeys` says how
 * many went unlogged, so the memory stays bounded too.
 */
export function createOnceLog(maxKeys = 1000) {
  const seen = new Set<string>();
  let unlogged = 0;
  return {
    /** True when this key should be logged now. */
    first(key: string): boolean {
      const k = cut(key, 512);
      if (seen.has(k)) return false;
      if (seen.size < maxKeys) {
        seen.add(k);
        return true;
      }
      unlogged += 1;
      return unlogged % maxKeys === 1;
    },
    get unlogged(): number {
      return unlogged;
    },
  };
}
