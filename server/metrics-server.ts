/**
 * /metrics on a port of its own (docs/design.md §12), so the NetworkPolicy
 * admits Prometheus there and Metacontroller alone on the hooks' port.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { METRICS_PATH } from './config.js';
import type { Metrics } from './metrics.js';

export function buildMetricsApp(metrics: Metrics): FastifyInstance {
  // No body is ever read here: a GET, and a small limit for anything else.
  const app = Fastify({ logger: false, bodyLimit: 1024, requestTimeout: 10_000 });
  app.get(METRICS_PATH, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(body);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'Not Found', message: `only GET ${METRICS_PATH} is served on this port` }),
  );
  return app;
}
