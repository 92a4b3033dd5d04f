/**
 * The invariant checker of the fault tests on the histories it must catch:
 * a fault on the real engine breaks an invariant only now and then, so what
 * the checker says of each kind of break is proven here.
 */
import t from 'tap';
import {
  byRv,
  capacityViolations,
  earlySteps,
  gateViolations,
  iso,
  newReplicasAt,
  nextTick,
  spread,
  stepJumps,
  stepRecords,
  timeline,
  type CanaryUnderTest,
  type CanaryVersion,
  type DeploymentVersion,
} from './lib/invariants.js';

const C: CanaryUnderTest = {
  name: 'a',
  oldDeployment: 'a-v1',
  newDeployment: 'a-v2',
  totalReplicas: 4,
  stepReplicas: 1,
  cronSchedule: '* * * * *',
};

let rv = 0;
const T0 = Date.parse('2026-12-01T10:00:00Z');

function dep(name: string, replicas: number, available = replicas, more: Partial<DeploymentVersion> = {}) {
  rv += 1;
  return {
    name,
    rv,
    at: T0 + rv * 100,
    replicas,
    generation: 1,
    observedGeneration: 1,
    available,
    canaryOwners: ['a'],
    ...more,
  } satisfies DeploymentVersion;
}

function can(step: number, lastStepTime: string | null, more: Partial<CanaryVersion> = {}): CanaryVersion {
  rv += 1;
  return {
    name: 'a',
    rv,
    at: T0 + rv * 100,
    step,
    state: step === 4 ? 'complete' : 'running',
    lastStepTime,
    message: 'Canary is Running',
    deleting: false,
    ...more,
  };
}

t.test('capacity: one Deployment moved before the other is fine, two steps at once are not', async (t) => {
  const ok = [dep('a-v1', 4), dep('a-v2', 0), dep('a-v2', 1), dep('a-v1', 3), dep('a-v2', 2), dep('a-v1', 2)];
  t.same(capacityViolations(C, ok), []);
  const bad = [dep('a-v1', 4), dep('a-v2', 0), dep('a-v2', 2)];
  const v = capacityViolations(C, bad);
  t.equal(v.length, 1);
  t.match(v[0], { kind: 'capacity', canary: 'a', detail: 'a-v1=4 + a-v2=2 = 6 > 4 + 1' });
  // Replayed in resourceVersion order, not in the order the sampler saw them.
  const late = dep('a-v1', 3);
  const early = dep('a-v2', 1);
  late.rv = early.rv + 1;
  t.same(capacityViolations(C, [dep('a-v1', 4), dep('a-v2', 0), late, early]), []);
  t.same(capacityViolations(C, [dep('other', 100), dep('a-v1', 4)]), [], 'other Deployments do not count');
});

t.test('the gate: a rise from a needs a version at a, observed, with a available', async (t) => {
  t.same(gateViolations(C, [dep('a-v2', 0), dep('a-v2', 1, 0), dep('a-v2', 1, 1), dep('a-v2', 2, 0)]), []);
  const early = gateViolations(C, [dep('a-v2', 1, 0), dep('a-v2', 2, 0)]);
  t.match(early, [
    { kind: 'gate', detail: /a-v2 scaled 1 -> 2 though it never had 1 available \(at most 0/ },
  ]);
  // Available counted before the Deployment controller observed the new generation does not open it.
  const unobserved = gateViolations(C, [
    dep('a-v2', 1, 1, { generation: 2, observedGeneration: 1 }),
    dep('a-v2', 2, 0, { generation: 3, observedGeneration: 1 }),
  ]);
  t.equal(unobserved.length, 1);
  t.same(gateViolations(C, [dep('a-v2', 0), dep('a-v2', 1, 0)]), [], 'step 1 waits for nothing');
  t.same(gateViolations(C, [dep('a-v2', 2, 2), dep('a-v2', 0, 2)]), [], 'a scale-down is no step');
  t.same(gateViolations(C, [dep('a-v2', 1, 1, { generation: undefined }), dep('a-v2', 2)]), []);
  t.same(
    gateViolations(C, [dep('a-v2', 1, 0, { replicas: undefined }), dep('a-v2', 2)]),
    [],
    'no spec.replicas: unknown, skipped',
  );
});

t.test('steps: the tick each was due at, and how late it came', async (t) => {
  const ds = [dep('a-v2', 0), dep('a-v2', 1), dep('a-v2', 2)];
  ds[2]!.at = Date.parse('2026-12-01T10:01:01.500Z');
  const cs = [
    can(0, null),
    can(1, '2026-12-01T10:00:20Z'),
    can(1, '2026-12-01T10:00:20Z'),
    can(2, '2026-12-01T10:01:01Z'),
    can(3, '2026-12-01T10:03:40Z'),
  ];
  const r = stepRecords(C, cs, ds);
  t.same(
    r.map((x) => [x.step, x.dueAt && iso(x.dueAt), x.latenessMs, x.appliedLatenessMs]),
    [
      [1, undefined, undefined, undefined],
      [2, '2026-12-01T10:01:00.000Z', 1000, 1500],
      [3, '2026-12-01T10:02:00.000Z', 100_000, undefined],
    ],
  );
  t.same(earlySteps(r), []);
  // Two steps within one minute: the second came before its tick.
  const burst = stepRecords(C, [can(1, '2026-12-01T10:00:20Z'), can(2, '2026-12-01T10:00:50Z')], []);
  t.match(earlySteps(burst), [
    { kind: 'early-step', detail: /step 2 decided at .*10:00:50.*before its tick .*10:01:00/ },
  ]);
  // A regression and the same step again count once, from its first showing.
  const again = stepRecords(
    C,
    [
      can(1, '2026-12-01T10:00:20Z'),
      can(2, '2026-12-01T10:01:00Z'),
      can(1, '2026-12-01T10:00:20Z'),
      can(2, '2026-12-01T10:01:00Z'),
    ],
    [],
  );
  t.equal(again.length, 3, 'step 1, step 2, and step 2 shown again after going back');
  t.same(stepRecords(C, [can(1, null, { step: undefined })], []), []);
});

t.test('jumps: more than one step in one write', async (t) => {
  t.same(stepJumps(C, [can(1, null), can(2, null), can(2, null), can(3, null)]), []);
  t.match(stepJumps(C, [can(1, null), can(3, null)]), [
    { kind: 'jump', detail: 'currentStep 1 -> 3 in one write' },
  ]);
  t.same(stepJumps(C, [can(1, null, { step: undefined }), can(3, null)]), []);
});

t.test('nextTick follows the schedule and its zone, on whole minutes', async (t) => {
  const at = Date.parse('2026-12-01T10:00:20.500Z');
  t.equal(iso(nextTick('* * * * *', undefined, at)), '2026-12-01T10:01:00.000Z');
  t.equal(iso(nextTick('*/5 * * * *', 'UTC', at)), '2026-12-01T10:05:00.000Z');
  t.equal(iso(nextTick('0 9 * * *', 'Asia/Seoul', at)), '2026-12-02T00:00:00.000Z');
  t.equal(iso(nextTick('@hourly', undefined, at)), '2026-12-01T11:00:00.000Z');
  t.equal(newReplicasAt({ ...C, totalReplicas: 10, stepReplicas: 3 }, 4), 10);
});

t.test('timeline: one line per version, in resourceVersion order, cut in the middle when long', async (t) => {
  const cs = [can(1, '2026-12-01T10:00:20Z', { deleting: true }), can(1, null, { name: 'b' })];
  const ds = [dep('a-v1', 3, 3, { canaryOwners: [] }), dep('a-v2', 1, 0), dep('other', 1)];
  const text = timeline(C, cs, [...ds, ds[0]!]).split('\n');
  t.equal(text.length, 3, 'a version seen twice is one line; other Deployments are left out');
  t.match(text[0], /rv=\d+ canary step=1 running deleting last=2026-12-01T10:00:20Z "Canary is Running"/);
  t.match(text[1], /old a-v1 replicas=3 available=3 gen=1\/1 \(no owner\)$/);
  t.match(text[2], /new a-v2 replicas=1 available=0 gen=1\/1$/);
  const many = Array.from({ length: 30 }, () => dep('a-v2', 1));
  const cut = timeline(C, [], many, { limit: 10 }).split('\n');
  t.equal(cut.length, 11);
  t.match(cut[5], /^\.\.\. 20 more \.\.\.$/);
  t.equal(timeline(C, cs, ds, { from: Infinity }), '');
  t.match(timeline(C, [can(0, null, { message: undefined })], []), /last=- ""$/);
  t.same(byRv([{ rv: 2 }, { rv: 1 }]), [{ rv: 1 }, { rv: 2 }]);
});

t.test('spread', async (t) => {
  t.same(spread([3, 1, 2, 10]), { n: 4, p50: 2, p99: 10, max: 10 });
  const none = spread([]);
  t.equal(none.n, 0);
  t.ok(Number.isNaN(none.p50) && Number.isNaN(none.max));
});
