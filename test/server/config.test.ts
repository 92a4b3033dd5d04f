import t from 'tap';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_PORT, readConfig } from '../../server/config.js';

t.test('defaults', async (t) => {
  t.same(readConfig({}), {
    port: DEFAULT_PORT,
    host: '0.0.0.0',
    logLevel: 'info',
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
    eventsEnabled: true,
    shutdownDelaySeconds: 5,
    podReadTimeoutMs: 3000,
  });
  t.equal(DEFAULT_PORT, 8080);
  t.equal(DEFAULT_BODY_LIMIT_BYTES, 32 * 1024 * 1024);
});

t.test('values from the environment', async (t) => {
  t.match(
    readConfig({
      PORT: '9090',
      LOG_LEVEL: 'DEBUG',
      BODY_LIMIT_BYTES: '1048576',
      EVENTS_ENABLED: 'false',
      SHUTDOWN_DELAY_SECONDS: '0',
      POD_READ_TIMEOUT_MS: '1500',
    }),
    {
      port: 9090,
      logLevel: 'debug',
      bodyLimitBytes: 1048576,
      eventsEnabled: false,
      shutdownDelaySeconds: 0,
      podReadTimeoutMs: 1500,
    },
  );
});

t.test('bad values name the variable', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: '0' }, /^PORT must be an integer between 1 and 65535, got "0"$/],
    [{ PORT: '8080.5' }, /^PORT must be/],
    [
      { LOG_LEVEL: 'loud' },
      /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/,
    ],
    [{ BODY_LIMIT_BYTES: '-1' }, /^BODY_LIMIT_BYTES must be an integer/],
    [{ EVENTS_ENABLED: 'maybe' }, /^EVENTS_ENABLED must be true or false, got "maybe"$/],
    [
      { SHUTDOWN_DELAY_SECONDS: '900' },
      /^SHUTDOWN_DELAY_SECONDS must be a whole number of seconds between 0 and 300/,
    ],
    [{ POD_READ_TIMEOUT_MS: '0' }, /^POD_READ_TIMEOUT_MS must be an integer between 1 and 60000, got "0"$/],
  ];
  for (const [env, message] of cases) t.throws(() => readConfig(env), message, JSON.stringify(env));
});
