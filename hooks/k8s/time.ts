/**
 * Owns timestamps as Kubernetes writes and accepts them: RFC 3339 in UTC to
 * the second out, and only what the CRD's `format: date-time` takes in.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const MAX_REMEMBERED_TIMESTAMPS = 4096;
const timestampVerdicts = new Map<string, boolean>();
const formatted = new Map<number, string>();

/**
 * An RFC 3339 date-time as the CRD's `format: date-time` accepts it. Anything
 * looser would be echoed back into a status the API server then refuses:
 * Date.parse takes "2026-02-30T00:00:00Z" (rolling it into March) and
 * "2026-11-22T10:00" (in the server's local zone).
 */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  // Every sync re-reads the same few timestamps of each Canary's status, and
  // the checks below cost about a microsecond each: remember the verdicts.
  const known = timestampVerdicts.get(value);
  if (known !== undefined) return known;
  const verdict = checkTimestamp(value);
  // Only timestamp-sized strings are kept, so the cache is bounded in bytes as well as count.
  if (value.length > 64) return verdict;
  if (timestampVerdicts.size >= MAX_REMEMBERED_TIMESTAMPS) timestampVerdicts.clear();
  timestampVerdicts.set(value, verdict);
  return verdict;
}

function checkTimestamp(value: string): boolean {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && !Number.isNaN(Date.parse(value));
}

/** RFC 3339 in UTC to the second, as Kubernetes writes timestamps. */
export function rfc3339(time: Date): string {
  // Each sync formats its now and its Canary's next tick, the same few
  // instants over and over (0.9 µs each): remember them.
  const ms = time.getTime();
  const known = formatted.get(ms);
  if (known !== undefined) return known;
  const text = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (formatted.size >= MAX_REMEMBERED_TIMESTAMPS) formatted.clear();
  formatted.set(ms, text);
  return text;
}
