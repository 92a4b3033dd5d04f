import t from 'tap';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_LIMITS,
  DEFAULT_MAX_CANARY_SERIES,
  DEFAULT_METRICS_PORT,
  DEFAULT_PORT,
  readConfig,
} from '../../server/config.js';

t.test('defaults', async (t) => {
  t.same(readConfig({}), {
    port: DEFAULT_PORT,
    metricsPort: DEFAULT_METRICS_PORT,
    host: '0.0.0.0',
    logLevel: 'info',
    limits: DEFAULT_LIMITS,
    maxCanarySeries: DEFAULT_MAX_CANARY_SERIES,
    eventsEnabled: true,
    shutdownDelaySeconds: 5,
    podReadTimeoutMs: 3000,
  });
  t.equal(DEFAULT_PORT, 8080);
  t.equal(DEFAULT_METRICS_PORT, 9102);
  // Sized to real syncs: 1.8 MB for a 200-pod app (bench/README.md), well under the pod's 512Mi per request.
  t.equal(DEFAULT_BODY_LIMIT_BYTES, 4 * 1024 * 1024);
  t.same(DEFAULT_LIMITS, {
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
    maxInFlight: 32,
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
  });
});

t.test('values from the environment', async (t) => {
  t.match(
    readConfig({
      PORT: '9090',
      METRICS_PORT: '9091',
      LOG_LEVEL: 'DEBUG',
      BODY_LIMIT_BYTES: '1048576',
      MAX_IN_FLIGHT: '4',
      REQUEST_TIMEOUT_SECONDS: '5',
      HEADERS_TIMEOUT_SECONDS: '2',
      MAX_CANARY_SERIES: '100',
      EVENTS_ENABLED: 'false',
      SHUTDOWN_DELAY_SECONDS: '0',
      POD_READ_TIMEOUT_MS: '1500',
    }),
    {
      port: 9090,
      metricsPort: 9091,
      logLevel: 'debug',
      limits: { bodyLimitBytes: 1048576, maxInFlight: 4, requestTimeoutMs: 5000, headersTimeoutMs: 2000 },
      maxCanarySeries: 100,
      eventsEnabled: false,
      shutdownDelaySeconds: 0,
      podReadTimeoutMs: 1500,
    },
  );
  t.match(readConfig({ REQUEST_TIMEOUT_SECONDS: '5' }), { limits: { headersTimeoutMs: 5000 } });
});

t.test('bad values name the variable', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: '0' }, /^PORT must be an integer between 1 and 65535, got "0"$/],
    [{ PORT: '8080.5' }, /^PORT must be/],
    [{ METRICS_PORT: '8080' }, /^METRICS_PORT must differ from PORT, both are 8080$/],
    [
      { LOG_LEVEL: 'loud' },
      /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/,
    ],
    [{ BODY_LIMIT_BYTES: '-1' }, /^BODY_LIMIT_BYTES must be an integer/],
    [
      { BODY_LIMIT_BYTES: String(128 * 1024 * 1024) },
      /^BODY_LIMIT_BYTES must be an integer between 1 and 67108864/,
    ],
    [{ MAX_IN_FLIGHT: '0' }, /^MAX_IN_FLIGHT must be an integer/],
    [
      { REQUEST_TIMEOUT_SECONDS: '5', HEADERS_TIMEOUT_SECONDS: '6' },
      /^HEADERS_TIMEOUT_SECONDS must be an integer between 1 and 5/,
    ],
    [{ MAX_CANARY_SERIES: 'lots' }, /^MAX_CANARY_SERIES must be an integer/],
    [{ EVENTS_ENABLED: 'maybe' }, /^EVENTS_ENABLED must be true or false, got "maybe"$/],
    [
      { SHUTDOWN_DELAY_SECONDS: '900' },
      /^SHUTDOWN_DELAY_SECONDS must be a whole number of seconds between 0 and 300/,
    ],
    [{ POD_READ_TIMEOUT_MS: '0' }, /^POD_READ_TIMEOUT_MS must be an integer between 1 and 60000, got "0"$/],
  ];
  for (const [env, message] of cases) t.throws(() => readConfig(env), message, JSON.stringify(env));
});
