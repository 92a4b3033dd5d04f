/** Service configuration, read once from the environment by `main.ts`. */

export const DEFAULT_PORT = 8080;
export const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** The routes Metacontroller calls; the CompositeController in manifests/ must point at these. */
export const HOOK_PATHS = {
  sync: '/sync',
  customize: '/customize',
  finalize: '/finalize',
} as const;

export const PROBE_PATHS = {
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
} as const;

export interface ServiceConfig {
  port: number;
  host: string;
  logLevel: string;
  bodyLimitBytes: number;
  /** Kubernetes Events on Canary transitions; off with EVENTS_ENABLED=false. */
  eventsEnabled: boolean;
  /** After SIGTERM, how long /readyz says 503 while still serving, so endpoints drop this pod first. */
  shutdownDelaySeconds: number;
  /** The bound on one read of a new Deployment's pods; a third of the sync hook's timeout bounds it too. */
  podReadTimeoutMs: number;
}

/** A read that takes longer is given up; the sync answers without pods and says why. */
export const DEFAULT_POD_READ_TIMEOUT_MS = 3000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function positiveInteger(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name} must be an integer between 1 and ${max}, got "${raw}"`);
  }
  return value;
}

function wholeSeconds(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} must be a whole number of seconds between 0 and ${max}, got "${raw}"`);
  }
  return value;
}

function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** Fails with a message naming the variable, so a bad Deployment env crashes loudly at start. */
export function readConfig(env: NodeJS.ProcessEnv): ServiceConfig {
  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  return {
    port: positiveInteger('PORT', env.PORT, DEFAULT_PORT, 65535),
    host: '0.0.0.0',
    logLevel,
    bodyLimitBytes: positiveInteger(
      'BODY_LIMIT_BYTES',
      env.BODY_LIMIT_BYTES,
      DEFAULT_BODY_LIMIT_BYTES,
      2 ** 31 - 1,
    ),
    eventsEnabled: flag('EVENTS_ENABLED', env.EVENTS_ENABLED, true),
    shutdownDelaySeconds: wholeSeconds('SHUTDOWN_DELAY_SECONDS', env.SHUTDOWN_DELAY_SECONDS, 5, 300),
    podReadTimeoutMs: positiveInteger(
      'POD_READ_TIMEOUT_MS',
      env.POD_READ_TIMEOUT_MS,
      DEFAULT_POD_READ_TIMEOUT_MS,
      60_000,
    ),
  };
}
