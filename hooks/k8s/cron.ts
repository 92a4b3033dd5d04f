/**
 * Owns cron: schedules as Kubernetes CronJobs write them, evaluated in a time
 * zone, and which time zones exist.
 *
 * Parsed expressions are cached: the same few schedules come back on every
 * sync, and parsing is the costly part. A cached expression is reset to the
 * wanted start before each use, which is safe because a sync runs to the end
 * without yielding.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';

/** The macros Kubernetes CronJobs accept, mapped onto five-field forms. */
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export const DEFAULT_TIME_ZONE = 'UTC';
const CACHE_LIMIT = 1024;
/**
 * Caches are bounded in bytes too (docs/design.md §12): a schedule or zone
 * longer than this is worked out on every use and never kept, so no caller
 * can fill a cache with megabyte strings. Real ones are a few dozen characters.
 */
export const MAX_CACHED_TEXT = 128;
const cacheable = (...texts: string[]) => texts.every((text) => text.length <= MAX_CACHED_TEXT);
const expressionCache = new Map<string, CronExpression>();
const zoneCache = new Map<string, boolean>();
/**
 * Ticks already worked out, by schedule, zone and start. Walking a cron
 * expression through a time zone is the costliest part of a sync (tens of
 * microseconds, in luxon), and a Canary's anchor (its last step) stays the
 * same across its syncs, so the same question comes back every resync and
 * several times within one sync. Sized for 10,000 Canaries; the oldest entry
 * makes room for a new one.
 */
const TICK_CACHE_LIMIT = 16384;
const tickCache = new Map<string, number>();

/** What the caches hold: entries, and characters of their keys (for tests of the byte bound). */
export function scheduleCacheSize(): { entries: number; keyChars: number } {
  let entries = 0;
  let keyChars = 0;
  for (const cache of [expressionCache, zoneCache, tickCache] as Map<string, unknown>[]) {
    entries += cache.size;
    for (const key of cache.keys()) keyChars += key.length;
  }
  return { entries, keyChars };
}

export function isKnownTimeZone(timeZone: string): boolean {
  const known = zoneCache.get(timeZone);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    ok = timeZone.length > 0;
  } catch {
    ok = false;
  }
  if (!cacheable(timeZone)) return ok;
  if (zoneCache.size >= CACHE_LIMIT) zoneCache.clear();
  zoneCache.set(timeZone, ok);
  return ok;
}

function fiveFieldForm(schedule: string): string | { error: string } {
  const trimmed = schedule.trim();
  if (trimmed.startsWith('@')) {
    const macro = MACROS[trimmed.toLowerCase()];
    return macro ?? { error: `unknown macro ${trimmed}; use one of ${Object.keys(MACROS).join(', ')}` };
  }
  const fields = trimmed.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return {
      error: `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
    };
  }
  return fields.join(' ');
}

function compile(schedule: string, timeZone: string): CronExpression | { error: string } {
  const key = `${timeZone}\u0000${schedule}`;
  const cached = expressionCache.get(key);
  if (cached) return cached;
  const form = fiveFieldForm(schedule);
  if (typeof form !== 'string') return form;
  let expression: CronExpression;
  try {
    // The seconds field is pinned to 0: steps happen on whole minutes, as in crontab.
    expression = CronExpressionParser.parse(`0 ${form}`, { tz: timeZone, currentDate: new Date(0) });
    expression.next();
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (!cacheable(schedule, timeZone)) return expression;
  if (expressionCache.size >= CACHE_LIMIT) expressionCache.clear();
  expressionCache.set(key, expression);
  return expression;
}

/** Why a schedule cannot be used, or undefined when it can. Check the time zone first. */
export function scheduleError(schedule: string, timeZone: string): string | undefined {
  const compiled = compile(schedule, timeZone);
  return 'error' in compiled ? compiled.error : undefined;
}

/** The first tick strictly after `after`. Throws on a schedule that `scheduleError` rejects. */
export function nextTickAfter(schedule: string, timeZone: string, after: Date): Date {
  const key = `${timeZone}\u0000${schedule}\u0000${after.getTime()}`;
  const known = tickCache.get(key);
  if (known !== undefined) return new Date(known);
  const compiled = compile(schedule, timeZone);
  if ('error' in compiled) throw new Error(`invalid schedule "${schedule}": ${compiled.error}`);
  compiled.reset(after);
  const tick = compiled.next().toDate();
  if (!cacheable(schedule, timeZone)) return tick;
  if (tickCache.size >= TICK_CACHE_LIMIT) tickCache.delete(tickCache.keys().next().value as string);
  tickCache.set(key, tick.getTime());
  return tick;
}
