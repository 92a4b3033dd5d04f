/** How the e2e tests read a `kubectl get canaries -o wide -w` line (test/e2e/lib/rows.ts). */
import t from 'tap';
import { watchRow } from './lib/rows.js';

const HEADER = 'NAME OLDREPLICAS NEWREPLICAS CURRENTSTEP STATE MESSAGE WEIGHT TOTALSTEPS NEXTSTEP AGE'.split(
  ' ',
);

const cases: { name: string; line: string; nextStep: string | undefined; message?: string }[] = [
  {
    name: 'a running row names its next step',
    line: 'my-app   8     2     1     running   Canary is Running   20    5     2026-12-02T05:13:00Z   3m',
    nextStep: '2026-12-02T05:13:00Z',
    message: 'Canary is Running',
  },
  {
    name: 'no step due: the empty NEXTSTEP cell is put back in its place',
    line: 'my-app   0     10    5     complete   Canary is complete   100   5              4m8s',
    nextStep: '',
    message: 'Canary is complete',
  },
  {
    name: 'a line missing more than NEXTSTEP is no row',
    line: 'my-app   0     10    complete   Canary is complete   100   4m8s',
    nextStep: undefined,
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const cells = watchRow(c.line, HEADER);
    t.equal(cells?.NEXTSTEP, c.nextStep);
    if (c.message !== undefined) t.equal(cells?.MESSAGE, c.message);
    if (cells) t.equal(cells.AGE, c.line.trim().split(/\s+/).at(-1));
  });
}
