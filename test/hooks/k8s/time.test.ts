import t from 'tap';
import { isTimestamp, rfc3339 } from '../../../hooks/k8s/time.js';

const TIMESTAMPS: [unknown, boolean][] = [
  ['2026-11-22T10:00:00Z', true],
  ['2026-11-22T10:00:00.123456Z', true],
  ['2026-11-22T10:00:00+09:00', true],
  ['2024-02-29T00:00:00Z', true],
  ['2026-02-29T00:00:00Z', false], // not a leap year: Date.parse would roll it into March
  ['2026-02-30T00:00:00Z', false],
  ['2026-11-22T10:00', false], // no zone: Date.parse would read it as local time
  ['2026-11-22 10:00:00Z', false],
  ['2026-11-22T24:00:00Z', false],
  ['2026-11-22T10:00:00+24:00', false],
  ['', false],
  [1764000000, false],
  [null, false],
  [undefined, false],
];

t.test('isTimestamp takes RFC 3339 as the CRD does, the same the second time it is asked', async (t) => {
  for (const round of ['first', 'remembered']) {
    for (const [value, expected] of TIMESTAMPS) {
      t.equal(isTimestamp(value), expected, `${round}: ${JSON.stringify(value)}`);
    }
  }
});

t.test('isTimestamp keeps its verdicts right past the number it remembers', async (t) => {
  // Fill the memory well past its bound with valid and invalid strings alike.
  let wrong = 0;
  for (let i = 0; i < 10_000; i++) {
    const second = String(i % 60).padStart(2, '0');
    const day = (i % 31) + 1;
    const text = `2026-02-${String(day).padStart(2, '0')}T10:00:${second}Z`;
    if (isTimestamp(text) !== day <= 28) wrong++;
  }
  t.equal(wrong, 0, 'days past 28 of February 2026 refused, the others taken');
  for (const [value, expected] of TIMESTAMPS) t.equal(isTimestamp(value), expected, JSON.stringify(value));
});

t.test('rfc3339 writes seconds in UTC, whatever it formatted before', async (t) => {
  const cases: [string, string][] = [
    ['2026-11-22T10:00:00.999Z', '2026-11-22T10:00:00Z'],
    ['2026-11-22T10:00:00.999Z', '2026-11-22T10:00:00Z'],
    ['2026-11-22T19:00:01+09:00', '2026-11-22T10:00:01Z'],
    ['2026-11-22T10:00:00.999Z', '2026-11-22T10:00:00Z'],
  ];
  for (const [input, expected] of cases) t.equal(rfc3339(new Date(input)), expected, input);
  t.throws(() => rfc3339(new Date(Number.NaN)), RangeError, 'an invalid date is an error, not a string');
  let wrong = 0;
  const start = Date.parse('2026-11-22T10:00:00Z');
  for (let i = 0; i < 10_000; i++) {
    const ms = start + i * 1_234;
    if (rfc3339(new Date(ms)) !== new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'))
      wrong++;
  }
  t.equal(wrong, 0, 'right past the number of instants it remembers');
});
