/**
 * The floor: a bare fastify server that parses the same JSON body as /sync
 * (same body limit) and answers a fixed small JSON. No schema, no decision,
 * no metrics: what any fastify service pays for the request alone.
 */
import process from 'node:process';
import Fastify from 'fastify';

const app = Fastify({ logger: false, disableRequestLogging: true, bodyLimit: 32 * 1024 * 1024 });
const answer = { status: 'ok' };

app.post('/sync', async () => answer);
app.get('/healthz', async () => answer);

for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.once(signal, () => void app.close());
}

await app.listen({ port: Number(process.env.PORT ?? 8090), host: '127.0.0.1' });
