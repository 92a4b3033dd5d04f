import t from 'tap';
import { isKnownTimeZone, nextTickAfter, scheduleError } from '../../../hooks/k8s/cron.js';

const iso = (d: Date) => d.toISOString().replace('.000', '');

t.test('the next tick is strictly after the given time, in the given zone', async (t) => {
  const cases = [
    { cron: '* * * * *', tz: 'UTC', after: '2026-11-23T09:00:00Z', next: '2026-11-23T09:01:00Z' },
    { cron: '* * * * *', tz: 'UTC', after: '2026-11-23T09:00:59Z', next: '2026-11-23T09:01:00Z' },
    { cron: '*/15 * * * *', tz: 'UTC', after: '2026-11-23T09:07:00Z', next: '2026-11-23T09:15:00Z' },
    { cron: '0 9 * * *', tz: 'Asia/Seoul', after: '2026-11-23T00:00:00Z', next: '2026-11-24T00:00:00Z' },
    { cron: '0 9 * * 1-5', tz: 'Asia/Seoul', after: '2026-11-27T00:00:00Z', next: '2026-11-30T00:00:00Z' },
    { cron: '@hourly', tz: 'UTC', after: '2026-11-23T09:30:00Z', next: '2026-11-23T10:00:00Z' },
    { cron: '@daily', tz: 'Europe/Berlin', after: '2026-11-23T12:00:00Z', next: '2026-11-23T23:00:00Z' },
    { cron: '@midnight', tz: 'UTC', after: '2026-11-23T12:00:00Z', next: '2026-11-24T00:00:00Z' },
    { cron: '@weekly', tz: 'UTC', after: '2026-11-23T12:00:00Z', next: '2026-11-29T00:00:00Z' },
    // 02:00 does not exist in New York on 2027-03-14: the hourly tick after 01:00 EST is 03:00 EDT.
    {
      cron: '0 * * * *',
      tz: 'America/New_York',
      after: '2027-03-14T06:00:00Z',
      next: '2027-03-14T07:00:00Z',
    },
  ];
  for (const c of cases) {
    t.equal(
      iso(nextTickAfter(c.cron, c.tz, new Date(c.after))),
      c.next,
      `${c.cron} in ${c.tz} after ${c.after}`,
    );
  }
});

t.test('ticks across the daylight-saving change are an hour apart in real time', async (t) => {
  const ticks: string[] = [];
  let cursor = new Date('2027-03-14T05:30:00Z');
  for (let i = 0; i < 4; i++) {
    cursor = nextTickAfter('0 * * * *', 'America/New_York', cursor);
    ticks.push(iso(cursor));
  }
  t.same(ticks, [
    '2027-03-14T06:00:00Z',
    '2027-03-14T07:00:00Z',
    '2027-03-14T08:00:00Z',
    '2027-03-14T09:00:00Z',
  ]);
});

t.test('schedules are validated with a reason', async (t) => {
  t.equal(scheduleError('* * * * *', 'UTC'), undefined);
  t.equal(scheduleError('@daily', 'UTC'), undefined);
  t.match(scheduleError('* * * *', 'UTC'), /expected 5 fields/);
  t.match(scheduleError('0 0 * * * *', 'UTC'), /expected 5 fields .*got 6/);
  t.match(scheduleError('@secondly', 'UTC'), /unknown macro/);
  t.match(scheduleError('99 * * * *', 'UTC'), /.+/);
  t.match(scheduleError('0 0 31 2 *', 'UTC'), /.+/, 'a date that never comes');
  t.throws(() => nextTickAfter('bad', 'UTC', new Date()), /invalid schedule "bad"/);
});

t.test('time zones are IANA names', async (t) => {
  t.ok(isKnownTimeZone('UTC'));
  t.ok(isKnownTimeZone('Asia/Seoul'));
  t.notOk(isKnownTimeZone('Mars/Olympus_Mons'));
  t.notOk(isKnownTimeZone(''));
  t.notOk(isKnownTimeZone('Mars/Olympus_Mons'), 'the cached answer is the same');
});
