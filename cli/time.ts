/** Pure time helpers for the plugin's output: zones, offsets, durations. No I/O, no clock. */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function zonedParts(time: Date, timeZone: string): ZonedParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(time)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's offset from UTC at `time`, in minutes (Seoul: +540). */
export function zoneOffsetMinutes(time: Date, timeZone: string): number {
  const p = zonedParts(time, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const whole = Math.floor(time.getTime() / 1000) * 1000;
  return Math.round((asUtc - whole) / 60000);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "Mon 2026-11-23 09:00 +09:00": the wall clock in `timeZone`, with the weekday and offset. */
export function formatZoned(time: Date, timeZone: string): string {
  const p = zonedParts(time, timeZone);
  const weekday = WEEKDAYS[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()];
  const clock = `${pad(p.hour)}:${pad(p.minute)}${p.second === 0 ? '' : `:${pad(p.second)}`}`;
  return `${weekday} ${p.year}-${pad(p.month)}-${pad(p.day)} ${clock} ${formatOffset(zoneOffsetMinutes(time, timeZone))}`;
}

/** RFC 3339 in UTC without fractions, as the Canary status writes times. */
export function formatUtc(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "3d 4h", "4m 29s", "12s": the two largest units, for countdowns and ages. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const units: [string, number][] = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const out: string[] = [];
  for (const [unit, size] of units) {
    const n = Math.floor(seconds / size);
    seconds -= n * size;
    if (n > 0 || (out.length > 0 && out.length < 2)) out.push(`${n}${unit}`);
    if (out.length === 2) break;
  }
  // Drop a trailing zero unit ("3d 0h" reads as "3d").
  if (out.length === 2 && /^0/.test(out[1] ?? '')) out.pop();
  return out.length === 0 ? '0s' : out.join(' ');
}

/** "in 4m 29s" before `time`, "5m ago" after it, "now" within the second. */
export function relativeTo(time: Date, now: Date): string {
  const delta = time.getTime() - now.getTime();
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A time given on the command line: RFC 3339 with an offset or Z is taken as
 * written; a date or date and time without one is wall-clock time in
 * `timeZone` (the Canary's), as the schedule is. Undefined when unreadable.
 */
export function parseTimeIn(text: string, timeZone: string): Date | undefined {
  const trimmed = text.trim();
  if (WITH_OFFSET.test(trimmed)) {
    const t = Date.parse(trimmed.replace(' ', 'T'));
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  const m = LOCAL_TIME.exec(trimmed);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as number[];
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day! || hour! > 23 || minute! > 59) {
    return undefined;
  }
  // Two passes settle the offset next to a daylight-saving change. A wall time
  // the change skips (02:30 on a spring-forward night) reads neither way; it is
  // taken with the offset before the change, which lands after the gap (03:30).
  const before = wall - zoneOffsetMinutes(new Date(wall), timeZone) * 60000;
  const after = wall - zoneOffsetMinutes(new Date(before), timeZone) * 60000;
  const readsAsWall = (t: number) => t + zoneOffsetMinutes(new Date(t), timeZone) * 60000 === wall;
  if (readsAsWall(after)) return new Date(after);
  if (readsAsWall(before)) return new Date(before);
  return new Date(Math.max(before, after));
}
