/** Service configuration, read once from the environment by `main.ts`. */

export const DEFAULT_PORT = 8080;
/** Prometheus scrapes here, never on the hooks' port, so the NetworkPolicy can tell the two callers apart. */
export const DEFAULT_METRICS_PORT = 9102;
/**
 * A sync of a 200-pod app weighs 1.8 MB (bench/README.md); with pods read on
 * demand a sync carries none and weighs about 30 KB. 4 MiB leaves room for the
 * largest real request and refuses what no cluster sends.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** What one caller can make the process hold at once (docs/design.md §12). */
export interface RequestLimits {
  bodyLimitBytes: number;
  /** Hook requests being served at once; the next one is answered 503 before its body is read. */
  maxInFlight: number;
  /** The whole request, headers and body, must have arrived within this. */
  requestTimeoutMs: number;
  /** The headers must have arrived within this. */
  headersTimeoutMs: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
  bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
  maxInFlight: 32,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
};

/** Canaries that get per-Canary metric series; more would let forged names grow /metrics without end. */
export const DEFAULT_MAX_CANARY_SERIES = 5000;

/** The routes Metacontroller calls; the CompositeController in manifests/ must point at these. */
export const HOOK_PATHS = {
  sync: '/sync',
  customize: '/customize',
  finalize: '/finalize',
} as const;

export const PROBE_PATHS = {
  healthz: '/healthz',
  readyz: '/readyz',
} as const;

/** Served on the metrics port only. */
export const METRICS_PATH = '/metrics';

export interface ServiceConfig {
  port: number;
  metricsPort: number;
  host: string;
  logLevel: string;
  limits: RequestLimits;
  maxCanarySeries: number;
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
  const port = positiveInteger('PORT', env.PORT, DEFAULT_PORT, 65535);
  const metricsPort = positiveInteger('METRICS_PORT', env.METRICS_PORT, DEFAULT_METRICS_PORT, 65535);
  if (metricsPort === port) throw new Error(`METRICS_PORT must differ from PORT, both are ${port}`);
  const requestTimeoutSeconds = positiveInteger(
    'REQUEST_TIMEOUT_SECONDS',
    env.REQUEST_TIMEOUT_SECONDS,
    DEFAULT_LIMITS.requestTimeoutMs / 1000,
    600,
  );
  const headersTimeoutSeconds = positiveInteger(
    'HEADERS_TIMEOUT_SECONDS',
    env.HEADERS_TIMEOUT_SECONDS,
    Math.min(DEFAULT_LIMITS.headersTimeoutMs / 1000, requestTimeoutSeconds),
    requestTimeoutSeconds,
  );
  return {
    port,
    metricsPort,
    host: '0.0.0.0',
    logLevel,
    limits: {
      // 64 MiB at most: beyond that one request alone could take the pod's memory.
      bodyLimitBytes: positiveInteger(
        'BODY_LIMIT_BYTES',
        env.BODY_LIMIT_BYTES,
        DEFAULT_BODY_LIMIT_BYTES,
        64 * 1024 * 1024,
      ),
      maxInFlight: positiveInteger('MAX_IN_FLIGHT', env.MAX_IN_FLIGHT, DEFAULT_LIMITS.maxInFlight, 10_000),
      requestTimeoutMs: requestTimeoutSeconds * 1000,
      headersTimeoutMs: headersTimeoutSeconds * 1000,
    },
    maxCanarySeries: positiveInteger(
      'MAX_CANARY_SERIES',
      env.MAX_CANARY_SERIES,
      DEFAULT_MAX_CANARY_SERIES,
      1_000_000,
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
