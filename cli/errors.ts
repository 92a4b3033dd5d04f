/**
 * Exit codes scripts can rely on, and the one-line messages that go with
 * them. Every failure the plugin knows about becomes a `CliError`; anything
 * else is a bug and exits with `EXIT.failed` too, but prints its stack.
 */
import { ApiException } from '@kubernetes/client-node';

export const EXIT = {
  /** Done. */
  ok: 0,
  /** Bad command line: unknown command or flag, missing NAME, unknown --context. */
  usage: 1,
  /** The Canary (or the Canary CRD) does not exist. */
  notFound: 2,
  /** The API server refused: 401 Unauthorized or 403 Forbidden. */
  forbidden: 3,
  /** A file or value could not be used: unreadable or invalid YAML, invalid Canary spec, bad --from. */
  invalidInput: 4,
  /** No usable kubeconfig, or the API server could not be reached. */
  unreachable: 5,
  /** Anything else: another API error, or the controller did not answer in time. */
  failed: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** The API server's own message, from a Status body when there is one. */
export function apiMessage(err: ApiException<unknown>): string {
  const body: unknown = err.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() || err.message;
    }
  }
  if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
    return (parsed as { message: string }).message;
  }
  // Without a Status body client-node's message is "HTTP-Code: ...\nMessage: ...\nBody: ...\nHeaders: ...".
  return /^Message: (.*)$/m.exec(err.message)?.[1] ?? firstLine(err.message);
}

export function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if ((e as { type?: unknown }).type === 'system' && typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface ApiErrorContext {
  /** What was asked for, as the not-found message should name it: `canary "web" in namespace "shop"`. */
  what: string;
  /** The API server's address, for the unreachable message. */
  server: string;
}

/** Turns whatever an API call threw into a CliError with the right exit code. */
export function fromApiError(err: unknown, context: ApiErrorContext): CliError {
  if (err instanceof CliError) return err;
  const status =
    err instanceof ApiException
      ? err.code
      : typeof (err as { statusCode?: unknown })?.statusCode === 'number'
        ? (err as { statusCode: number }).statusCode
        : undefined;
  if (status !== undefined) {
    const detail = err instanceof ApiException ? apiMessage(err) : (err as Error).message;
    if (status === 404) return new CliError(`${context.what} not found`, EXIT.notFound);
    if (status === 401) {
      return new CliError(
        `unauthorized: the credentials in the kubeconfig were refused (${detail})`,
        EXIT.forbidden,
      );
    }
    if (status === 403) return new CliError(`forbidden: ${detail}`, EXIT.forbidden);
    if (status === 400 || status === 422)
      return new CliError(`rejected by the API server: ${detail}`, EXIT.invalidInput);
    return new CliError(`API server error (HTTP ${status}): ${detail}`, EXIT.failed);
  }
  const code = networkCode(err);
  if (code !== undefined) {
    return new CliError(`cannot reach the Kubernetes API at ${context.server}: ${code}`, EXIT.unreachable);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`request to ${context.server} failed: ${message}`, EXIT.failed);
}
