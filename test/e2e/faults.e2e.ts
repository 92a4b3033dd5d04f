/**
 * Faults on the real engine, with the invariant checker of
 * test/e2e/lib/invariants.ts sampling every Canary and Deployment of the
 * namespace (test/e2e/lib/sampler.ts: a poll every second and a watch) from
 * before the first apply to the end:
 *
 *   1. canary-hooks killed with SIGKILL mid-step, started again;
 *   2. kube-apiserver restarted mid-step;
 *   3. every replica of the service down for longer than three ticks: after it
 *      returns, one step at once and then one per tick, no burst;
 *   4. a Canary deleted in the middle of a step: both Deployments stay, with
 *      their replicas and no ownerReference to it;
 *   5. Metacontroller restarted mid-rollout.
 *
 * Every fault hits a component all Canaries share, so the four Canaries run
 * side by side through one timeline and every one of them must keep the
 * invariants through every fault it lives through (capacity, the
 * availability gate, one step per tick), with no regression of currentStep,
 * spec.replicas changes only as the steps need (surge: the old one down as
 * new replicas become available) and each step decided
 * once (the decision record of issue 10). The schedule is every minute, the
 * resolution of cron, so the timeline is ticks T1, T2, ... after the apply:
 *
 *   apply: step 1 of all  -> SIGKILL, restart          (a, d mid-step)
 *   T1:    step 2 of all  -> kube-apiserver restart    (a, d mid-step)
 *   T2:    step 3 of all (b complete) -> service down for 3 ticks and 5 s
 *   back:  step 4 of a, c, d at once, one step only (c complete)
 *          -> delete d (mid-step) -> Metacontroller restart
 *   T6:    step 5 of a: on its tick, not in a burst with step 4
 *
 * "Mid-step" is made certain, not lucky: the v2 Deployments of a and d have
 * minReadySeconds, so their new replicas become available 15 and 30 s after
 * each step, and the faults land in that window. Each fault waits until every
 * Canary has written the step before it, so no decision is in flight when
 * it strikes, and a decision logged twice is a real one.
 *
 *   About 7 minutes (409 and 416 s measured on a loaded 2-core VM): the
 *   ticks are real minutes, and the downtime alone is 3 min 5 s.
 */
import t from 'tap';
import {
  countBy,
  decisionsFromLog,
  expectedReplicaSequences,
  moveLabels,
  replicaSequence,
  sameSequence,
  surgeMisfits,
  stepRegressions,
  type CanarySample,
  type DeploymentSample,
} from './lib/analysis.js';
import { CTL, report, run, serviceLog, sleep, waitFor, workspace } from './lib/cluster.js';
import {
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
  type StepRecord,
  type Violation,
} from './lib/invariants.js';
import { Sampler } from './lib/sampler.js';

const SCHEDULE = '* * * * *';
/** A step never needs more than a tick and its availability wait; beyond this something is stuck. */
const STEP_DEADLINE_MS = 150_000;

interface Case extends CanaryUnderTest {
  minReadySeconds: number;
}

const canary = (name: string, total: number, step: number, minReadySeconds: number): Case => ({
  name,
  oldDeployment: `${name}-v1`,
  newDeployment: `${name}-v2`,
  totalReplicas: total,
  stepReplicas: step,
  cronSchedule: SCHEDULE,
  minReadySeconds,
});

// a: through every fault to the end. b: steps of 2 (twice the room for the
// capacity check), done at T2. c: its last step is the one after the
// downtime. d: deleted mid-step at T2.
const A = canary('a', 5, 1, 15);
const B = canary('b', 6, 2, 0);
const C = canary('c', 4, 1, 0);
const D = canary('d', 5, 1, 30);
const CASES = [A, B, C, D];

function manifests(): string {
  const docs: unknown[] = [];
  for (const c of CASES) {
    for (const [version, replicas] of [
      ['v1', c.totalReplicas],
      ['v2', 0],
    ] as const) {
      const labels = { app: c.name, version };
      docs.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${c.name}-${version}`, labels },
        spec: {
          replicas,
          minReadySeconds: version === 'v2' ? c.minReadySeconds : 0,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: `registry.invalid/${c.name}:${version}` }] },
          },
        },
      });
    }
    docs.push({
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      metadata: { name: c.name },
      spec: {
        oldDeployment: c.oldDeployment,
        newDeployment: c.newDeployment,
        totalReplicas: c.totalReplicas,
        stepReplicas: c.stepReplicas,
        cronSchedule: c.cronSchedule,
        selector: { matchLabels: { app: c.name } },
      },
    });
  }
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

/**
 * ctl.sh without blocking the event loop: a restart of the API server takes
 * tens of seconds, during which the sampler must keep polling and receiving.
 */
async function ctl(...args: string[]): Promise<void> {
  const r = await run('bash', [CTL, ...args], process.env);
  if (r.code !== 0) throw new Error(`ctl.sh ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
}

const ws = await workspace('e2e-faults');
const sampler = new Sampler(ws.kc, ws.namespace);
const testStart = Date.now();
/** Fault windows, for the report and for reading a timeline. */
const faults: { fault: string; from: string; to: string }[] = [];
t.teardown(async () => {
  await sampler.stop();
  // Whatever failed, the next test file needs every component up.
  for (const name of ['kube-apiserver', 'metacontroller', 'canary-hooks']) await ctl('start', name);
  await ws.kubectl(['delete', 'namespace', ws.namespace, '--wait=false']);
});
t.comment(`namespace ${ws.namespace}`);

interface Status {
  currentStep?: number;
  state?: string;
  lastStepTime?: string | null;
}

async function status(name: string): Promise<Status | undefined> {
  const r = await ws.kubectl(['get', 'canary', name, '-o', 'jsonpath={.status}']);
  if (r.code !== 0 || r.stdout.trim() === '') return undefined;
  return JSON.parse(r.stdout) as Status;
}

/** Waits until every Canary named shows step `step` (or later) in its status; returns their lastStepTimes. */
async function atStep(cases: readonly Case[], step: number, timeoutMs = STEP_DEADLINE_MS): Promise<number[]> {
  return waitFor(
    `${cases.map((c) => c.name).join(', ')} at step ${step}`,
    async () => {
      const all = await Promise.all(cases.map((c) => status(c.name)));
      if (!all.every((s) => (s?.currentStep ?? 0) >= step && s?.lastStepTime)) return undefined;
      return all.map((s) => Date.parse(s?.lastStepTime ?? ''));
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** The new Deployment asked for step k and, where it has a minReadySeconds, not all available yet: mid-step. */
async function midStep(c: Case, step: number): Promise<boolean> {
  const d = await deployment(c.newDeployment);
  return (
    d.spec.replicas === newReplicasAt(c, step) && (d.status?.availableReplicas ?? 0) < (d.spec.replicas ?? 0)
  );
}

interface DeploymentJson {
  spec: { replicas?: number };
  status?: { availableReplicas?: number };
  metadata: { ownerReferences?: { kind: string; name: string }[] };
}

async function deployment(name: string): Promise<DeploymentJson> {
  return JSON.parse(await ws.kubectlOk(['get', 'deployment', name, '-o', 'json'])) as DeploymentJson;
}

async function replicasOf(c: Case): Promise<Record<string, number | undefined>> {
  return {
    [c.oldDeployment]: (await deployment(c.oldDeployment)).spec.replicas,
    [c.newDeployment]: (await deployment(c.newDeployment)).spec.replicas,
  };
}

async function canaryOwners(c: Case): Promise<string[][]> {
  return Promise.all(
    [c.oldDeployment, c.newDeployment].map(async (n) =>
      ((await deployment(n)).metadata.ownerReferences ?? [])
        .filter((o) => o.kind === 'Canary')
        .map((o) => o.name),
    ),
  );
}

async function fault(name: string, act: () => Promise<void>): Promise<void> {
  const from = Date.now();
  await act();
  faults.push({ fault: name, from: iso(from), to: iso(Date.now()) });
}

const tick = (after: number) => nextTick(SCHEDULE, undefined, after);

await t.test('four Canaries created, pending, their v1 pods available', async (t) => {
  await sampler.start();
  await ws.kubectlOk(['apply', '-f', '-'], manifests());
  await waitFor(
    'every Canary pending and every v1 available',
    async () => {
      const all = await Promise.all(CASES.map((c) => status(c.name)));
      if (!all.every((s) => s?.state === 'stop' && s.currentStep === 0)) return false;
      const ds = await Promise.all(
        CASES.map((c) =>
          ws.kubectlOk(['get', 'deployment', c.oldDeployment, '-o', 'jsonpath={.status.availableReplicas}']),
        ),
      );
      return ds.every((v, i) => Number(v) === CASES[i]?.totalReplicas);
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  t.pass('ready');
});

let appliedAt = 0;

await t.test('1. canary-hooks killed with SIGKILL mid-step and started again', async (t) => {
  // Early in a minute, so step 1 and the restart are over well before T1.
  await waitFor('a moment early in the minute', async () => new Date().getUTCSeconds() < 15, {
    timeoutMs: 70_000,
    intervalMs: 500,
  });
  appliedAt = Date.now();
  await ws.kubectlOk(['annotate', 'canaries', '--all', 'canary.k8shuginn.io/command=apply']);
  await atStep(CASES, 1, 60_000);
  t.ok(await midStep(A, 1), 'a is mid-step when the service dies: its new replica not yet available');
  await fault('SIGKILL canary-hooks', async () => {
    await ctl('kill', 'canary-hooks', 'KILL');
    await sleep(3000);
    await ctl('start', 'canary-hooks');
  });
  const t1 = tick(appliedAt);
  const times = await atStep(CASES, 2);
  for (const [i, at] of times.entries()) {
    t.ok(
      at >= t1 && at - t1 <= 30_000,
      `${CASES[i]?.name}: step 2 at ${iso(at)}, within 30 s after the tick ${iso(t1)}`,
    );
  }
});

await t.test('2. kube-apiserver restarted mid-step', async (t) => {
  t.ok(await midStep(A, 2), 'a is mid-step when the API server goes');
  t.ok(await midStep(D, 2), 'd is mid-step when the API server goes');
  const before = Date.now();
  await fault('restart kube-apiserver', () => ctl('restart', 'kube-apiserver'));
  t.comment(`kube-apiserver back after ${((Date.now() - before) / 1000).toFixed(1)} s`);
  // Step 3 at T2 for all: the gate (a's and d's step-2 replicas) reopens
  // once the controllers have caught up again, so it may be late, never early.
  await atStep(CASES, 3);
  t.pass('every Canary took step 3 after the API server came back');
});

let downFrom = 0;
let backAt = 0;

await t.test('3. every replica of the service down for longer than three ticks', async (t) => {
  const before = await Promise.all(CASES.map((c) => status(c.name)));
  t.same(
    before.map((s) => `${s?.currentStep}/${s?.state}`),
    ['3/running', '3/complete', '3/running', '3/running'],
    'a, c, d at step 3 and b complete when the service goes',
  );
  await fault('canary-hooks down', async () => {
    downFrom = Date.now();
    await ctl('stop', 'canary-hooks');
    // Longer than three ticks, whatever the moment in the minute.
    await sleep(3 * 60_000 + 5_000);
    await ctl('start', 'canary-hooks');
    backAt = Date.now();
  });
  const missed = [tick(downFrom), tick(tick(downFrom)), tick(tick(tick(downFrom)))];
  t.ok(
    missed.every((m) => m < backAt),
    `ticks ${missed.map(iso).join(', ')} passed while it was down`,
  );
  const moved = sampler.canaries.filter((v) => v.at > downFrom + 2000 && v.at < backAt && v.step !== 3);
  t.same(moved, [], 'no Canary moved while the service was down');

  // Back: one step at once (within Metacontroller's resync of 30 s), one only.
  const times = await atStep([A, C, D], 4, 90_000);
  for (const [i, at] of times.entries()) {
    const c = [A, C, D][i] as Case;
    t.ok(
      at >= backAt - 1000 && at - backAt <= 60_000,
      `${c.name}: step 4 at ${iso(at)}, within a minute of the return (${iso(backAt)})`,
    );
  }
  t.equal((await status(C.name))?.state, 'complete', 'c: its last step, on the return');
});

// Mid-step 4 with surge (the default): d-v2 asked 4 with 3 available, so d-v1
// still holds the replica the fourth would replace: 2, not step 4's 1.
const D_AT = { [D.oldDeployment]: 2, [D.newDeployment]: 4 };

await t.test('4. a Canary deleted in the middle of a step', async (t) => {
  t.ok(await midStep(D, 4), `${D.newDeployment} asked ${newReplicasAt(D, 4)}, not all available: mid-step`);
  t.same(await replicasOf(D), D_AT, 'd at step 4 of 5 when it is deleted');
  await fault('delete canary d', async () => {
    await ws.kubectlOk(['delete', 'canary', D.name, '--wait=true', '--timeout=120s']);
  });
  t.same(await replicasOf(D), D_AT, 'both Deployments stay, with the replicas of step 4');
  // Checked again at the end, minutes later, after the garbage collector has
  // had every chance to delete what still names the Canary.
  t.same(await canaryOwners(D), [[], []], 'no ownerReference to the Canary on either');
});

await t.test(
  '5. Metacontroller restarted mid-rollout; after it, the next step on its tick, no burst',
  async (t) => {
    const a = await status(A.name);
    t.match(a, { currentStep: 4, state: 'running' }, 'a is mid-rollout, at step 4 of 5');
    const aStep4 = Date.parse(a?.lastStepTime ?? '');
    const before = Date.now();
    await fault('restart metacontroller', () => ctl('restart', 'metacontroller'));
    t.comment(`metacontroller back after ${((Date.now() - before) / 1000).toFixed(1)} s`);
    // A fresh Metacontroller syncs every Canary at once: the step after the
    // downtime's one must still wait for its tick.
    const due = tick(aStep4);
    const [a5] = await atStep([A], 5);
    t.ok(
      (a5 ?? 0) >= due && (a5 ?? 0) - due <= 45_000,
      `a: step 5 at ${iso(a5 ?? 0)}, on the tick after step 4 (${iso(due)})`,
    );
    await waitFor(
      'a, b, c complete, their v2 all available',
      async () => {
        const ok = await Promise.all(
          [A, B, C].map(async (c) => {
            const s = await status(c.name);
            const avail = await ws.kubectlOk([
              'get',
              'deployment',
              c.newDeployment,
              '-o',
              'jsonpath={.status.availableReplicas}',
            ]);
            return s?.state === 'complete' && Number(avail) === c.totalReplicas;
          }),
        );
        return ok.every(Boolean);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  },
);

await t.test('the deleted Canary left its Deployments alone', async (t) => {
  t.same(await replicasOf(D), D_AT, 'still at the replicas of step 4');
  t.same(await canaryOwners(D), [[], []], 'still no ownerReference to the Canary');
  const avail = await ws.kubectlOk([
    'get',
    'deployment',
    D.newDeployment,
    '-o',
    'jsonpath={.status.availableReplicas}',
  ]);
  t.equal(Number(avail), 4, `${D.newDeployment}: the step it was in finished, all 4 available`);
});

await t.test('the invariants held at every moment, for every Canary', async (t) => {
  await sleep(2000);
  await sampler.stop();
  const log = serviceLog();
  const violations: Violation[] = [];
  const records: StepRecord[] = [];
  const figures: Record<string, unknown> = {};
  for (const c of CASES) {
    const until = sampler.gone.get(c.name) ?? Infinity;
    // A deleted Canary's Deployments are the user's again: no invariant after.
    const ds = sampler.deployments.filter((v) => v.at < until);
    const cs = sampler.canaries;
    const found = [
      ...capacityViolations(c, ds),
      ...gateViolations(c, ds),
      ...stepJumps(c, cs),
      ...earlySteps(stepRecords(c, cs, ds)),
    ];
    violations.push(...found);
    const steps = stepRecords(c, cs, ds);
    records.push(...steps);
    const show = () => timeline(c, cs, ds);
    t.same(found, [], `${c.name}: capacity, gate and one step per tick held`, {
      timeline: found.length ? show() : '',
    });

    // Issue 10 on faults: no regression, one replica change per step, each step decided once.
    const samples = cs
      .filter((v) => v.name === c.name)
      .map((v): CanarySample => ({
        rv: v.rv,
        at: v.at,
        step: v.step,
        state: v.state,
        oldReplicas: undefined,
        newReplicas: undefined,
        message: v.message,
        lastStepTime: v.lastStepTime,
        nextStepTime: undefined,
        rollbackTime: null,
        rollbackReason: null,
        observedCommand: undefined,
      }));
    const regressions = stepRegressions(samples);
    t.same(regressions, [], `${c.name}: currentStep never went back`, {
      timeline: regressions.length ? show() : '',
    });
    const lastStep = c === D ? 4 : Math.ceil(c.totalReplicas / c.stepReplicas);
    const stepList = Array.from({ length: lastStep + 1 }, (_, k) => k);
    const want = expectedReplicaSequences(c.totalReplicas, c.stepReplicas, stepList, {
      old: c.totalReplicas,
      new: 0,
    });
    for (const [name, expected] of [
      [c.oldDeployment, want.old],
      [c.newDeployment, want.new],
    ] as const) {
      const seen = replicaSequence(
        ds
          .filter((v) => v.name === name)
          .map((v): DeploymentSample => ({
            rv: v.rv,
            at: v.at,
            replicas: v.replicas,
            template: '',
            availableReplicas: v.available,
          })),
      );
      if (name === c.newDeployment) {
        t.same(seen, expected, `${name}: spec.replicas went ${expected.join(' ')}, one change per step`, {
          timeline: sameSequence(seen, expected) ? '' : show(),
        });
      } else {
        // Surge (the default): the old one steps down as new replicas become available, never past a step.
        const misfits = surgeMisfits(seen, expected);
        t.same(misfits, [], `${name}: spec.replicas down through ${expected.join(' ')} as surge allows`, {
          timeline: misfits.length === 0 ? '' : show(),
        });
      }
    }
    const moves = moveLabels(decisionsFromLog(log, `${ws.namespace}/${c.name}`, appliedAt - 1000));
    const total = Math.ceil(c.totalReplicas / c.stepReplicas);
    const expectedMoves = [
      'Started(ApplyCommand)->1',
      ...stepList.slice(2, c === D ? 5 : total).map((k) => `StepAdvanced(Schedule)->${k}`),
      ...(c === D ? [] : [`Completed(AllStepsDone)->${total}`]),
    ];
    t.same(moves, expectedMoves, `${c.name}: each step decided once, in order`, {
      decided: countBy(moves),
    });
    figures[c.name] = { steps, regressions: regressions.length, decisions: countBy(moves) };
  }

  // Lateness: how long after its tick each step happened. The steps taken on
  // the service's return are late by the downtime, by design; they are shown
  // apart so they do not hide what a tick costs otherwise.
  const late = records.filter((r) => r.latenessMs !== undefined);
  const afterDowntime = (r: StepRecord) => r.dueAt !== undefined && r.dueAt > downFrom && r.dueAt < backAt;
  const onTime = late.filter((r) => !afterDowntime(r));
  const lateness = {
    decided: spread(onTime.map((r) => r.latenessMs as number)),
    applied: spread(
      onTime.filter((r) => r.appliedLatenessMs !== undefined).map((r) => r.appliedLatenessMs as number),
    ),
    afterDowntimeDecided: spread(late.filter(afterDowntime).map((r) => r.latenessMs as number)),
  };
  const gap = sampler.longestGap();
  const summary = {
    namespace: ws.namespace,
    runtimeSeconds: Math.round((Date.now() - testStart) / 1000),
    faults,
    stepLatenessMs: lateness,
    violations: violations.length,
    samples: {
      canaryVersions: sampler.canaries.length,
      deploymentVersions: sampler.deployments.length,
      polls: sampler.polls.length,
    },
    longestPollGap: { ms: gap.ms, from: iso(gap.from) },
    samplerProblems: sampler.problems.length,
  };
  report('faults', { ...summary, canaries: figures, samplerProblems: sampler.problems });
  t.comment(JSON.stringify(summary));
  const fmt = (s: { n: number; p50: number; p99: number; max: number }) =>
    `n=${s.n} p50=${s.p50} p99=${s.p99} max=${s.max} ms`;
  t.comment(`step lateness, decided (lastStepTime, whole seconds) - tick: ${fmt(lateness.decided)}`);
  t.comment(`step lateness, applied (new Deployment seen asked) - tick: ${fmt(lateness.applied)}`);
  t.comment(`steps due while the service was down, decided - tick: ${fmt(lateness.afterDowntimeDecided)}`);
  t.ok(records.length >= 12, `the sampler saw the steps (${records.length})`);
  // Only the API server's restart may leave seconds unsampled.
  t.ok(gap.ms < 90_000, `no minute and a half without a sample (longest ${gap.ms} ms from ${iso(gap.from)})`);
});
