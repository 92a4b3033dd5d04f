/**
 * `kubectl canary plan`: offline timelines from the hooks' own schedule
 * functions, across a weekend and a daylight-saving change, and its errors.
 */
import t from 'tap';
import { planRollout } from '../../hooks/plan.js';
import { EXIT } from '../../cli/errors.js';
import { runCli } from './helpers.js';

const manifest = (spec: Record<string, unknown>, name = 'web') => `apiVersion: canary.k8shuginn.io/v1alpha1
kind: Canary
metadata:
  name: ${name}
spec:
${Object.entries({
  oldDeployment: 'web-v1',
  newDeployment: 'web-v2',
  totalReplicas: 10,
  stepReplicas: 2,
  selector: { matchLabels: { app: 'web' } },
  ...spec,
})
  .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
  .join('\n')}
`;

/** The table's data rows as cells. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => /^\d+\s/.test(l))
    .map((l) => l.split(/\s{3,}/));
}

t.test('weekdays at 09:00 in Seoul: a Friday apply waits over the weekend', async (t) => {
  const dir = t.testdir({ 'canary.yaml': manifest({ cronSchedule: '0 9 * * 1-5', timeZone: 'Asia/Seoul' }) });
  // Friday 2026-11-20, 19:00 in Seoul.
  const r = await runCli(['plan', '-f', `${dir}/canary.yaml`, '--from', '2026-11-20T10:00:00Z']);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.equal(r.stderr, '');
  t.match(r.stdout, /Canary web: web-v1 -> web-v2, 10 replicas, 2 per step, 5 steps/);
  t.match(r.stdout, /Schedule "0 9 \* \* 1-5" in Asia\/Seoul; applied 2026-11-20T10:00:00Z/);
  t.match(r.stdout, /STEP\s+OLD\s+NEW\s+TIME \(Asia\/Seoul\)\s+UTC\s+AFTER APPLY/);
  t.same(rows(r.stdout), [
    ['0', '10', '0', 'before apply'],
    ['1', '8', '2', 'Fri 2026-11-20 19:00 +09:00', '2026-11-20T10:00:00Z', 'at apply'],
    ['2', '6', '4', 'Mon 2026-11-23 09:00 +09:00', '2026-11-23T00:00:00Z', '+2d 14h'],
    ['3', '4', '6', 'Tue 2026-11-24 09:00 +09:00', '2026-11-24T00:00:00Z', '+3d 14h'],
    ['4', '2', '8', 'Wed 2026-11-25 09:00 +09:00', '2026-11-25T00:00:00Z', '+4d 14h'],
    ['5', '0', '10', 'Thu 2026-11-26 09:00 +09:00', '2026-11-26T00:00:00Z', '+5d 14h'],
  ]);
  t.match(
    r.stdout,
    /Complete at step 5: Thu 2026-11-26 09:00 \+09:00 \(2026-11-26T00:00:00Z\), 5d 14h after apply\./,
  );
});

t.test('a Saturday apply in Seoul: step 1 at once, the rest from Monday', async (t) => {
  const dir = t.testdir({
    'canary.yaml': manifest({
      cronSchedule: '0 9 * * 1-5',
      timeZone: 'Asia/Seoul',
      totalReplicas: 3,
      stepReplicas: 1,
    }),
  });
  // --from without an offset is wall-clock time in the Canary's zone: Saturday 10:00 in Seoul.
  const r = await runCli(['plan', '-f', `${dir}/canary.yaml`, '--from', '2026-11-21T10:00']);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.same(
    rows(r.stdout).map((row) => row[3]),
    [
      'before apply',
      'Sat 2026-11-21 10:00 +09:00',
      'Mon 2026-11-23 09:00 +09:00',
      'Tue 2026-11-24 09:00 +09:00',
    ],
  );
});

t.test(
  'hourly in New York across the 2027-03-14 spring-forward: no 02:00, steps stay an hour apart',
  async (t) => {
    const dir = t.testdir({
      'canary.yaml': manifest({
        cronSchedule: '0 * * * *',
        timeZone: 'America/New_York',
        totalReplicas: 5,
        stepReplicas: 1,
      }),
    });
    const r = await runCli(['plan', '-f', `${dir}/canary.yaml`, '--from', '2027-03-14T00:30']);
    t.equal(r.code, EXIT.ok, r.stderr);
    t.match(r.stdout, /applied 2027-03-14T05:30:00Z/, '00:30 EST is 05:30 UTC');
    t.same(rows(r.stdout).slice(1), [
      ['1', '4', '1', 'Sun 2027-03-14 00:30 -05:00', '2027-03-14T05:30:00Z', 'at apply'],
      ['2', '3', '2', 'Sun 2027-03-14 01:00 -05:00', '2027-03-14T06:00:00Z', '+30m'],
      ['3', '2', '3', 'Sun 2027-03-14 03:00 -04:00', '2027-03-14T07:00:00Z', '+1h 30m'],
      ['4', '1', '4', 'Sun 2027-03-14 04:00 -04:00', '2027-03-14T08:00:00Z', '+2h 30m'],
      ['5', '0', '5', 'Sun 2027-03-14 05:00 -04:00', '2027-03-14T09:00:00Z', '+3h 30m'],
    ]);
  },
);

t.test('the plan is the hooks’ own arithmetic: a step size that does not divide the total', async (t) => {
  const plan = planRollout(
    { totalReplicas: 10, stepReplicas: 3, cronSchedule: '@daily', timeZone: 'UTC' },
    new Date('2026-11-22T12:00:00Z'),
  );
  t.equal(plan.totalSteps, 4);
  t.same(
    plan.steps.map((s) => [s.step, s.oldReplicas, s.newReplicas, s.time.toISOString()]),
    [
      [1, 7, 3, '2026-11-22T12:00:00.000Z'],
      [2, 4, 6, '2026-11-23T00:00:00.000Z'],
      [3, 1, 9, '2026-11-24T00:00:00.000Z'],
      [4, 0, 10, '2026-11-25T00:00:00.000Z'],
    ],
  );
  const onTick = planRollout(
    { totalReplicas: 2, stepReplicas: 1, cronSchedule: '0 * * * *', timeZone: 'UTC' },
    new Date('2026-11-22T12:00:00Z'),
  );
  t.equal(onTick.steps[1]?.time.toISOString(), '2026-11-22T13:00:00.000Z', 'applied on a tick: the next one');
});

t.test('a UTC schedule prints one time column; --from defaults to now; stdin works', async (t) => {
  const r = await runCli(['plan', '-f', '-'], {
    stdin: manifest({ cronSchedule: '*/10 * * * *', totalReplicas: 2, stepReplicas: 1 }),
    now: () => new Date('2026-11-22T05:03:00Z'),
  });
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /STEP\s+OLD\s+NEW\s+TIME \(UTC\)\s+AFTER APPLY\n/);
  t.same(rows(r.stdout).slice(1), [
    ['1', '1', '1', 'Sun 2026-11-22 05:03 +00:00', 'at apply'],
    ['2', '0', '2', 'Sun 2026-11-22 05:10 +00:00', '+7m'],
  ]);
});

t.test('several Canaries in one file (and other kinds) are each planned', async (t) => {
  const dir = t.testdir({
    'all.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-v1}\n---\n${manifest({ cronSchedule: '@hourly' }, 'a')}---\n${manifest({ cronSchedule: '@daily' }, 'b')}`,
  });
  const r = await runCli(['plan', '-f', `${dir}/all.yaml`, '--from', '2026-11-22T00:30:00Z']);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /Canary a:[^]*@hourly[^]*Canary b:[^]*@daily/);
});

t.test('plan errors: one line each, exit 4 for bad input, 1 for bad usage', async (t) => {
  const dir = t.testdir({
    'broken.yaml': 'kind: Canary\nspec:\n  totalReplicas: [1, 2\n',
    'bad-cron.yaml': manifest({ cronSchedule: 'every day' }),
    'bad-zone.yaml': manifest({ cronSchedule: '@daily', timeZone: 'Mars/Olympus' }),
    'too-big.yaml': manifest({ cronSchedule: '@daily', stepReplicas: 11 }),
    'deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n',
    'scalar.yaml': 'just text\n',
    'ok.yaml': manifest({ cronSchedule: '@daily' }),
  });
  const cases: [string[], number, RegExp][] = [
    [
      ['plan', '-f', `${dir}/broken.yaml`],
      EXIT.invalidInput,
      /^error: invalid YAML in .*broken\.yaml \(line \d+\): /,
    ],
    [
      ['plan', '-f', `${dir}/bad-cron.yaml`],
      EXIT.invalidInput,
      /^error: canary web: invalid spec: spec\.cronSchedule "every day"/,
    ],
    [
      ['plan', '-f', `${dir}/bad-zone.yaml`],
      EXIT.invalidInput,
      /^error: canary web: invalid spec: spec\.timeZone "Mars\/Olympus"/,
    ],
    [['plan', '-f', `${dir}/too-big.yaml`], EXIT.invalidInput, /spec\.stepReplicas \(11\) must not exceed/],
    [['plan', '-f', `${dir}/deployment.yaml`], EXIT.invalidInput, /no object of kind Canary found/],
    [['plan', '-f', `${dir}/scalar.yaml`], EXIT.invalidInput, /expected a Kubernetes object/],
    [
      ['plan', '-f', `${dir}/missing.yaml`],
      EXIT.invalidInput,
      /^error: cannot read .*missing\.yaml: no such file/,
    ],
    [
      ['plan', '-f', `${dir}/ok.yaml`, '--from', 'tomorrow'],
      EXIT.invalidInput,
      /^error: --from "tomorrow" is not a time/,
    ],
    [['plan', '-f', `${dir}/ok.yaml`, '--from', '2026-02-30T10:00'], EXIT.invalidInput, /is not a time/],
    [['plan'], EXIT.usage, /^error: plan needs -f FILE/],
    [['plan', '-f', `${dir}/ok.yaml`, 'extra'], EXIT.usage, /unexpected argument "extra"/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(args);
    t.equal(r.code, code, args.join(' '));
    t.match(r.stderr, message, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, `one line: ${args.join(' ')}`);
    t.equal(r.stdout, '');
  }
});

t.test('plan needs no cluster: no kubeconfig anywhere is fine', async (t) => {
  const dir = t.testdir({ 'c.yaml': manifest({ cronSchedule: '@daily' }) });
  const r = await runCli(['plan', '-f', `${dir}/c.yaml`], { env: { HOME: dir, KUBECONFIG: '' } });
  t.equal(r.code, EXIT.ok, r.stderr);
});
