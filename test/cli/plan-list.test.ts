/** `kubectl canary plan` for step lists: splits and weights, pauses and when they end, promote. */
import t from 'tap';
import { planRollout } from '../../hooks/plan.js';
import { EXIT } from '../../cli/errors.js';
import { runCli } from './helpers.js';

const manifest = (spec: Record<string, unknown>) => `apiVersion: canary.k8shuginn.io/v1alpha1
kind: Canary
metadata:
  name: web
spec:
${Object.entries({
  oldDeployment: 'web-v1',
  newDeployment: 'web-v2',
  totalReplicas: 10,
  timeZone: 'Asia/Seoul',
  selector: { matchLabels: { app: 'web' } },
  ...spec,
})
  .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
  .join('\n')}
`;

const rows = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^\d+\s/.test(l))
    .map((l) => l.split(/\s{3,}/));

t.test('a list with every pause kind, applied on a Friday evening in Seoul', async (t) => {
  const steps = [
    { setWeight: 20 },
    { pause: { duration: '10m' } },
    { setWeight: 50 },
    { pause: { untilSchedule: '0 9 * * 1-5' } },
    { setWeight: 80 },
    { pause: {} },
    { setReplicas: 9 },
    { pause: { duration: '20s' } },
  ];
  const dir = t.testdir({ 'canary.yaml': manifest({ steps }) });
  const r = await runCli(['plan', '-f', `${dir}/canary.yaml`, '--from', '2026-11-27T19:00']);
  t.equal(r.code, EXIT.ok, r.stderr);
  t.match(r.stdout, /^Canary web: web-v1 -> web-v2, 10 replicas, a list of 8 steps\n/);
  t.match(r.stdout, /No cronSchedule: each step follows once the one before is done/);
  t.same(rows(r.stdout), [
    ['0', '10', '0', '0%', 'before apply'],
    ['1', '8', '2', '20%', 'setWeight 20', 'Fri 2026-11-27 19:00 +09:00', '2026-11-27T10:00:00Z', 'at apply'],
    [
      '2',
      '8',
      '2',
      '20%',
      'pause',
      'Fri 2026-11-27 19:00 +09:00',
      '2026-11-27T10:00:00Z',
      'at apply',
      'for 10m: ends Fri 2026-11-27 19:10 +09:00 (2026-11-27T10:10:00Z), +10m',
    ],
    ['3', '5', '5', '50%', 'setWeight 50', 'Fri 2026-11-27 19:10 +09:00', '2026-11-27T10:10:00Z', '+10m'],
    [
      '4',
      '5',
      '5',
      '50%',
      'pause',
      'Fri 2026-11-27 19:10 +09:00',
      '2026-11-27T10:10:00Z',
      '+10m',
      'until the next tick of "0 9 * * 1-5": ends Mon 2026-11-30 09:00 +09:00 (2026-11-30T00:00:00Z), +2d 14h',
    ],
    ['5', '2', '8', '80%', 'setWeight 80', 'Mon 2026-11-30 09:00 +09:00', '2026-11-30T00:00:00Z', '+2d 14h'],
    [
      '6',
      '2',
      '8',
      '80%',
      'pause',
      'Mon 2026-11-30 09:00 +09:00',
      '2026-11-30T00:00:00Z',
      '+2d 14h',
      'until promote',
    ],
    // After a pause until promote only the time since the promote is known.
    ['7', '1', '9', '90%', 'setReplicas 9', '-', '-', 'promote +0s'],
    ['8', '1', '9', '90%', 'pause', '-', '-', 'promote +0s', 'for 20s: ends promote +20s'],
  ]);
  t.match(r.stdout, /\nComplete: promote \+20s \(the last promote\)\.\n/);
  t.match(r.stdout, /A pause until promote holds the rollout for as long as it takes/);
});

t.test('a cron gate: each set-step after the first waits for a tick, pauses do not', async (t) => {
  const plan = planRollout(
    {
      totalReplicas: 10,
      stepReplicas: undefined,
      cronSchedule: '0 * * * *',
      timeZone: 'UTC',
      steps: [
        { setWeight: 10 },
        { pause: { kind: 'Duration', seconds: 90, text: '90s' } },
        { setWeight: 50 },
      ],
    },
    new Date('2026-11-23T10:20:00Z'),
  );
  t.same(
    plan.steps.map((s) => [
      s.step,
      s.kind,
      s.newReplicas,
      s.weight,
      s.time.toISOString(),
      s.pause?.until?.toISOString(),
    ]),
    [
      [1, 'set', 1, 10, '2026-11-23T10:20:00.000Z', undefined],
      [2, 'pause', 1, 10, '2026-11-23T10:20:00.000Z', '2026-11-23T10:21:30.000Z'],
      [3, 'set', 5, 50, '2026-11-23T11:00:00.000Z', undefined],
    ],
  );
  t.equal(
    plan.completeAt.toISOString(),
    '2026-11-23T12:00:00.000Z',
    'completion after the last step waits for a tick too',
  );
  t.equal(plan.completeAfterPromote, false);
});

t.test('a list whose last step asks for every replica completes with it', async (t) => {
  const plan = planRollout(
    {
      totalReplicas: 4,
      stepReplicas: undefined,
      timeZone: 'UTC',
      steps: [{ setWeight: 50 }, { setReplicas: 4 }],
    },
    new Date('2026-11-23T10:00:00Z'),
  );
  t.equal(plan.completeAt.toISOString(), '2026-11-23T10:00:00.000Z');
  t.same(
    plan.steps.map((s) => [s.oldReplicas, s.newReplicas]),
    [
      [2, 2],
      [0, 4],
    ],
  );
});

t.test("an invalid list is reported with the controller's message", async (t) => {
  const dir = t.testdir({ 'canary.yaml': manifest({ steps: [{ pause: { untilSchedule: '0 25 * * *' } }] }) });
  const r = await runCli(['plan', '-f', `${dir}/canary.yaml`]);
  t.equal(r.code, EXIT.invalidInput);
  t.match(
    r.stderr,
    /^error: canary web: invalid spec: spec\.steps\[0\]\.pause\.untilSchedule "0 25 \* \* \*" is not a valid cron schedule/,
  );
});
