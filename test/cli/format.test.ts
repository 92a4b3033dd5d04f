/** The plugin's pure formatting: tables, the progress bar, durations, zoned times, --from parsing. */
import t from 'tap';
import { nextStepText, progressBar, stepText } from '../../cli/format.js';
import { table } from '../../cli/table.js';
import { formatDuration, formatZoned, parseTimeIn, relativeTo, zoneOffsetMinutes } from '../../cli/time.js';

t.test('table: columns padded to the widest cell, three spaces apart, no trailing blanks', async (t) => {
  t.equal(
    table(
      ['NAME', 'STATE', 'X'],
      [
        ['a', 'running', ''],
        ['longer-name', 'stop', 'z'],
      ],
    ),
    'NAME          STATE     X\na             running\nlonger-name   stop      z\n',
  );
});

t.test('progressBar: one block per step, filled to the current one', async (t) => {
  t.equal(progressBar(2, 5, 24), '[####|####|....|....|....] 2/5 (40%)');
  t.equal(progressBar(0, 4, 11), '[..|..|..|..] 0/4 (0%)');
  t.equal(progressBar(4, 4, 11), '[##|##|##|##] 4/4 (100%)');
  t.equal(progressBar(9, 3, 5), '[#|#|#] 3/3 (100%)', 'a step past the end is shown as the end');
  t.equal(progressBar(1, 100, 40).length, '[] 1/100 (1%)'.length + 100 + 99, 'at least one cell per step');
  t.equal(progressBar(0, 0), '[] 0/0');
});

t.test('durations and countdowns', async (t) => {
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(12_000), '12s');
  t.equal(formatDuration(269_000), '4m 29s');
  t.equal(formatDuration(3_600_000), '1h');
  t.equal(formatDuration(3_630_000), '1h', 'only the two largest units; a zero second unit is dropped');
  t.equal(formatDuration(90_061_000), '1d 1h');
  t.equal(formatDuration(-5), '0s');
  const now = new Date('2026-11-22T05:00:00Z');
  t.equal(relativeTo(new Date('2026-11-22T05:04:29Z'), now), 'in 4m 29s');
  t.equal(relativeTo(new Date('2026-11-22T04:58:00Z'), now), '2m ago');
  t.equal(relativeTo(new Date('2026-11-22T05:00:00.400Z'), now), 'now');
});

t.test('status fields before and after the service wrote a status', async (t) => {
  const now = new Date('2026-11-22T05:00:00Z');
  t.equal(stepText({}), '-');
  t.equal(stepText({ currentStep: 2, totalSteps: 5 }), '2/5');
  t.equal(nextStepText({}, now), '-');
  t.equal(nextStepText({ nextStepTime: null }, now), '-');
  t.equal(nextStepText({ nextStepTime: '2026-11-22T05:01:00Z' }, now), '2026-11-22T05:01:00Z (in 1m)');
  t.equal(
    nextStepText({ nextStepTime: '2026-11-22T04:59:30Z' }, now),
    '2026-11-22T04:59:30Z (due 30s ago)',
    'a due step waiting for availability',
  );
});

t.test('zoned times with weekday and offset, across daylight saving', async (t) => {
  t.equal(formatZoned(new Date('2026-11-23T00:00:00Z'), 'Asia/Seoul'), 'Mon 2026-11-23 09:00 +09:00');
  t.equal(formatZoned(new Date('2027-03-14T06:00:00Z'), 'America/New_York'), 'Sun 2027-03-14 01:00 -05:00');
  t.equal(formatZoned(new Date('2027-03-14T07:00:00Z'), 'America/New_York'), 'Sun 2027-03-14 03:00 -04:00');
  t.equal(formatZoned(new Date('2026-11-22T05:03:07Z'), 'UTC'), 'Sun 2026-11-22 05:03:07 +00:00');
  t.equal(formatZoned(new Date('2026-11-22T05:00:00Z'), 'Asia/Kolkata'), 'Sun 2026-11-22 10:30 +05:30');
  t.equal(zoneOffsetMinutes(new Date('2026-07-01T00:00:00Z'), 'America/St_Johns'), -150);
});

t.test('--from: RFC 3339 as written, wall-clock time in the Canary zone otherwise', async (t) => {
  const iso = (d: Date | undefined) => d?.toISOString();
  t.equal(iso(parseTimeIn('2027-03-14T00:30:00Z', 'Asia/Seoul')), '2027-03-14T00:30:00.000Z');
  t.equal(iso(parseTimeIn('2027-03-14T09:00+09:00', 'UTC')), '2027-03-14T00:00:00.000Z');
  t.equal(iso(parseTimeIn('2027-03-14T09:00', 'Asia/Seoul')), '2027-03-14T00:00:00.000Z');
  t.equal(iso(parseTimeIn('2027-03-14', 'Asia/Seoul')), '2027-03-13T15:00:00.000Z', 'a date is its midnight');
  t.equal(iso(parseTimeIn('2027-03-14T01:30', 'America/New_York')), '2027-03-14T06:30:00.000Z', 'EST');
  t.equal(iso(parseTimeIn('2027-03-14T03:30', 'America/New_York')), '2027-03-14T07:30:00.000Z', 'EDT');
  t.equal(
    iso(parseTimeIn('2027-03-14T02:30', 'America/New_York')),
    '2027-03-14T07:30:00.000Z',
    'a wall time the change skips lands after the gap',
  );
  t.equal(
    iso(parseTimeIn('2026-11-01T01:30', 'America/New_York')),
    '2026-11-01T05:30:00.000Z',
    'fall back: a valid reading',
  );
  t.equal(parseTimeIn('soon', 'UTC'), undefined);
  t.equal(parseTimeIn('2026-13-01T00:00', 'UTC'), undefined);
  t.equal(parseTimeIn('2026-11-01T25:00', 'UTC'), undefined);
});
