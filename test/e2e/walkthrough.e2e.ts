/**
 * The walkthrough of docs/getting-started.md, command by command as a user
 * types them (read from the page, so the page stays true), on the real engine: Metacontroller v4.17,
 * the Deployment and ReplicaSet controllers, the scheduler, KWOK for kubelets
 * and canary-hooks from the bundle the image runs. Each step checks what the
 * README prints, and the replicas the Deployment controller really reaches.
 *
 * Two things differ from a cluster with real kubelets, on purpose:
 * - KWOK runs no image, so busybox does not crash by itself. The crash
 *   Stage (test/e2e/cluster/crash-loop-stage.yaml) puts pods labelled
 *   canary-e2e/crash=true into CrashLoopBackOff, so step 4 adds that label to
 *   v2's pod template with the busybox image, and the fix takes both away in
 *   one change of the template, as `kubectl set image` is one change.
 * - The commands run in a namespace of the test's own (the kubeconfig's
 *   context namespace), so runs never see each other.
 *
 * For the whole run a Recorder keeps every version of the Canary and both
 * Deployments (a watch, and a poll every second), and the last subtest counts
 * what issue 10 is about: regressions of currentStep, replica changes beyond
 * what the steps need (one per step for v2; for v1, with surge, down replica
 * by replica as v2's become available, never past the step), steps decided
 * more than once (from the service's log), and a rolled-back v2 started again
 * without a new template.
 * The figures go to $E2E_REPORT_DIR/walkthrough.json for repeat.sh.
 */
import t, { type Test } from 'tap';
import {
  canonicalJson,
  changes,
  expectedReplicaSequences,
  countBy,
  decisionsFromLog,
  extraChanges,
  moveLabels,
  percentile,
  replicaSequence,
  rolledBackRestarts,
  split,
  stepLateness,
  surgeMisfits,
  stepRegressions,
  stepSequence,
} from './lib/analysis.js';
import { parseTable, report, serviceLog, sleep, waitFor, workspace } from './lib/cluster.js';
import { argv, readPage, stepCommands } from './lib/page.js';
import { Recorder } from './lib/recorder.js';
import {
  COLUMNS,
  ON_THE_MINUTE,
  RFC3339,
  WIDE_COLUMNS,
  background,
  deploymentTable,
  distinctWatchRows,
  getCanary,
  getDeployment,
  rowOf,
  stopBackground,
  waitSettled,
  waitStatus,
  type Row,
} from './lib/walk.js';

const NAME = 'my-app';
const OLD = 'my-app-v1';
const NEW = 'my-app-v2';
const TOTAL = 10;
const STEP = 2;
const STEPS = 5;
const ANNOTATED = 'canary.canary.k8shuginn.io/my-app annotated';
const CRASH_LABEL = 'canary-e2e/crash';
/** NEXTSTEP when no step is due: the status leaves nextStepTime out, and kubectl prints the column empty. */
const NO_VALUE = '';
const PAGE = readPage('docs/getting-started.md');
/** The commands the page shows, step by step: what this test types. */
const TYPED: Record<number, string[]> = {
  1: ['kubectl apply -k manifests/examples/', 'kubectl get canaries -o wide'],
  2: [
    'kubectl annotate canary my-app canary.k8shuginn.io/command=apply --overwrite',
    'kubectl get canaries -o wide -w',
  ],
  3: [
    'kubectl annotate canary my-app canary.k8shuginn.io/command=rollback --overwrite',
    'kubectl get canary my-app -o wide',
  ],
  4: [
    'kubectl set image deployment/my-app-v2 my-app=busybox:1.36',
    'kubectl annotate canary my-app canary.k8shuginn.io/command=apply --overwrite',
    'kubectl get canaries -o wide -w',
    `kubectl get canary my-app -o jsonpath='{.status.rollback}{"\\n"}'`,
    'kubectl set image deployment/my-app-v2 my-app=containersol/k8s-deployment-strategies',
    'kubectl get canary my-app -o wide',
  ],
  5: [
    'kubectl annotate canary my-app canary.k8shuginn.io/command=completion --overwrite',
    'kubectl get canary my-app -o wide',
  ],
  6: [
    `kubectl get canary my-app -o jsonpath='{.status.observedCommand}{"\\n"}'`,
    'kubectl annotate canary my-app canary.k8shuginn.io/command-',
    'kubectl annotate canary my-app canary.k8shuginn.io/command=rollback',
  ],
  7: ['kubectl delete canary my-app', 'kubectl get deployments -l app=my-app'],
};

/** The `kubectl` arguments of command `i` of step `step`, as the page shows it. */
function typed(step: number, i: number): string[] {
  const [kubectl, ...args] = argv(stepCommands(PAGE, step)[i] ?? '');
  if (kubectl !== 'kubectl')
    throw new Error(`docs/getting-started.md step ${step}: command ${i} is not kubectl`);
  return args;
}

/** `kubectl get ... -w` in the background, once it has printed the header and its first row. */
async function watching(args: string[]): Promise<ReturnType<typeof background>> {
  const watch = background(ws, args);
  await waitFor('the watch to print its first row', async () => watch.lines().length >= 2, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  return watch;
}

const ws = await workspace('e2e-walk');
const canaryKey = `${ws.namespace}/${NAME}`;
const startedAt = Date.now();
const recorder = new Recorder(ws.kc, ws.namespace);
await recorder.start();
t.teardown(async () => {
  await stopBackground();
  await recorder.stop();
  await ws.kubectl(['delete', 'namespace', ws.namespace, '--wait=false']);
});
t.comment(`namespace ${ws.namespace}`);

/** The my-app row of `kubectl get canaries -o wide` (or other args), with the header. */
async function table(args: string[]): Promise<{ header: string[]; row: Row; age: string }> {
  const { header, rows } = parseTable(await ws.kubectlOk(args));
  const cells = rows.find((r) => r.NAME === NAME);
  if (!cells) throw new Error(`kubectl ${args.join(' ')} lists no ${NAME}`);
  return { header, row: rowOf(cells), age: cells.AGE ?? '' };
}

function wide(
  old: number,
  now: number,
  step: number,
  state: string,
  message: string,
  nextStep: string,
): Record<string, string> {
  return {
    old: String(old),
    new: String(now),
    step: String(step),
    state,
    message,
    // The percent of the app on v2, as the README shows it.
    weight: String((100 * now) / TOTAL),
    totalSteps: String(STEPS),
    nextStep,
  };
}

/** Both Deployments reach the split of `step`, and `kubectl get deployments` shows it. */
async function reaches(tt: Test, step: number): Promise<void> {
  const want = split(TOTAL, STEP, step);
  await waitSettled(ws, { [OLD]: want.old, [NEW]: want.new }, 90_000);
  const shown = await deploymentTable(ws, 'app=my-app');
  tt.match(
    shown[OLD],
    { READY: `${want.old}/${want.old}`, 'UP-TO-DATE': String(want.old), AVAILABLE: String(want.old) },
    `${OLD} runs ${want.old} at step ${step}`,
  );
  tt.match(
    shown[NEW],
    { READY: `${want.new}/${want.new}`, 'UP-TO-DATE': String(want.new), AVAILABLE: String(want.new) },
    `${NEW} runs ${want.new} at step ${step}`,
  );
}

// The README names the waiting message: one text for the whole wait of a
// step, so the status is not rewritten per replica started.
const waitingOrRunning = /^Canary is Running(: waiting for my-app-v2 to have \d+ replicas? available)?$/;

await t.test('0. docs/getting-started.md shows the commands this test types', async (t) => {
  for (const [step, commands] of Object.entries(TYPED)) {
    t.same(stepCommands(PAGE, Number(step)), commands, `step ${step}`);
  }
});

await t.test('1. deploy the app and the Canary: it waits at step 0', async (t) => {
  const out = await ws.kubectlOk(typed(1, 0));
  t.same(
    out.trim().split('\n'),
    [
      'service/my-app created',
      'deployment.apps/my-app-v1 created',
      'deployment.apps/my-app-v2 created',
      'canary.canary.k8shuginn.io/my-app created',
    ],
    'kubectl apply -k prints what it created',
  );
  await waitStatus(ws, NAME, 'a status', (s) => s.state !== undefined);
  const shown = await table(typed(1, 1));
  t.same(shown.header, WIDE_COLUMNS, '-o wide columns');
  t.same(shown.row, wide(10, 0, 0, 'stop', 'Canary is Pending', NO_VALUE), 'pending at step 0');
  t.match(shown.age, /^\d+s$/, 'AGE in seconds');
  for (const args of [
    ['get', 'can'],
    ['get', 'canary', NAME],
  ]) {
    const plain = await table(args);
    t.same(plain.header, COLUMNS, `kubectl ${args.join(' ')} leaves TOTALSTEPS and NEXTSTEP out`);
    t.same(
      plain.row,
      { old: '10', new: '0', step: '0', state: 'stop', message: 'Canary is Pending' },
      `kubectl ${args.join(' ')}`,
    );
  }
  await reaches(t, 0);
});

const stepTimes: Record<number, string> = {};

await t.test('2. apply: step 1 at once, then one step on every tick', async (t) => {
  // Room before the next tick for the v1-crash check below (about 10 s); costs at most 20 s.
  await waitFor('a moment early in the minute', async () => new Date().getUTCSeconds() < 40, {
    timeoutMs: 70_000,
    intervalMs: 500,
  });
  // The watch first, and running, then the apply: step 1's first row (v1 still
  // at 10) lasts only until v2's new replicas are available, a second or two on
  // KWOK, and a watch started after the apply can miss it.
  const watch = await watching(typed(2, 1));
  t.equal((await ws.kubectlOk(typed(2, 0))).trim(), ANNOTATED);
  const first = await waitStatus(
    ws,
    NAME,
    'step 1',
    (s) => s.currentStep === 1 && s.state === 'running',
    30_000,
  );
  stepTimes[1] = first.status?.lastStepTime ?? '';
  await reaches(t, 1);

  const status = await ws.kubectlOk(['canary', 'status', NAME]);
  t.match(status, /^State:\s+running$/m, 'kubectl canary status: state');
  t.match(
    status,
    /^Progress:\s+\[#+\|\.+\|\.+\|\.+\|\.+\] 1\/5 \(20%\)$/m,
    'kubectl canary status: progress bar',
  );
  t.match(
    status,
    /old\s+my-app-v1: asked 8, spec 8, available 8, ready 8/,
    'kubectl canary status: old replicas',
  );
  t.match(
    status,
    /new\s+my-app-v2: asked 2, spec 2, available 2, ready 2/,
    'kubectl canary status: new replicas',
  );
  t.match(status, /^Schedule:\s+\* \* \* \* \* \(UTC\)$/m, 'kubectl canary status: schedule');
  t.match(status, /^Next step:\s+\d{4}-\d\d-\d\dT\d\d:\d\d:00Z \(in /m, 'kubectl canary status: next step');
  t.match(status, /^Command:\s+apply \(acted on: apply\)$/m, 'kubectl canary status: command');

  await t.test("a crashing v1 pod never rolls back: it is not one of v2's", async (t) => {
    const pods = JSON.parse(
      await ws.kubectlOk(['get', 'pods', '-l', 'app=my-app,version=v1.0.0', '-o', 'json']),
    ) as {
      items: { metadata: { name: string }; status: { phase: string } }[];
    };
    const pod = pods.items.find((p) => p.status.phase === 'Running')?.metadata.name;
    if (!pod) throw new Error('no running v1 pod');
    await ws.kubectlOk(['label', 'pod', pod, `${CRASH_LABEL}=true`]);
    await waitFor(`${pod} in CrashLoopBackOff`, async () => {
      const { rows } = parseTable(await ws.kubectlOk(['get', 'pod', pod]));
      return rows[0]?.STATUS === 'CrashLoopBackOff';
    });
    // Metacontroller syncs on every change of a related pod; give it time to.
    await sleep(5000);
    const c = await getCanary(ws, NAME);
    t.equal(c.status?.state, 'running', 'still running');
    t.equal(c.status?.rollback ?? null, null, 'no rollback');
  });

  for (let step = 2; step <= STEPS; step++) {
    const c = await waitStatus(ws, NAME, `step ${step}`, (s) => (s.currentStep ?? 0) >= step, 100_000);
    stepTimes[step] = c.status?.lastStepTime ?? '';
    await reaches(t, step);
  }
  // Complete as the last step is taken; the message says what is left until v1 is down to 0.
  const done = await waitStatus(ws, NAME, 'complete', (s) => s.state === 'complete' && s.oldReplicas === 0);
  t.equal(done.status?.message, 'Canary is complete');
  await sleep(1000);
  const lines = await watch.stop();
  // What -w printed, as the README shows it.
  for (const line of lines) t.comment(line);

  t.same(lines[0]?.trim().split(/\s+/), WIDE_COLUMNS, '-w prints the -o wide header');
  const rows = distinctWatchRows(lines).filter((r) => r.state !== 'stop');
  const milestones = changes(rows.map((r) => `${r.old}/${r.new}/${r.step}/${r.state}`));
  t.comment(`-w rows: ${milestones.join(' ')}`);
  t.same(
    changes(rows.map((r) => r.step)),
    ['1', '2', '3', '4', '5'],
    'the rows -w prints go step by step, as in the README',
  );
  // Surge (docs/design.md §7a), as the README shows it: each step asks v2's new replicas
  // first with v1 where it was, then v1 steps down as they become available.
  for (let step = 1; step <= STEPS; step++) {
    const at = rows.filter((r) => r.step === String(step));
    const olds = changes(at.map((r) => Number(r.old)));
    t.same(
      changes(at.map((r) => Number(r.new))),
      [split(TOTAL, STEP, step).new],
      `step ${step}: v2 asked its replicas at once`,
    );
    t.equal(olds[0], split(TOTAL, STEP, step - 1).old, `step ${step}: v1 held where it was first`);
    t.equal(olds[olds.length - 1], split(TOTAL, STEP, step).old, `step ${step}: v1 down to the step's split`);
    t.ok(
      olds.every((o, i) => i === 0 || o < (olds[i - 1] as number)),
      `step ${step}: v1 only goes down (${olds.join(' ')})`,
    );
  }
  for (const r of rows.filter((r) => r.state === 'running')) {
    t.match(r.message, waitingOrRunning, `step ${r.step}: message`);
    t.match(r.nextStep ?? '', ON_THE_MINUTE, `step ${r.step}: NEXTSTEP is the next tick`);
    t.equal(r.weight, String(20 * Number(r.step)), `step ${r.step}: WEIGHT`);
  }
  for (const r of rows.filter((r) => r.state === 'complete' && r.old !== '0')) {
    t.match(
      r.message,
      /^Canary is complete: my-app-v1 keeps \d+ replicas until 10 replicas of my-app-v2 are available \(\d+ now\)$/,
      `complete with v1 at ${r.old}: the message says what is left`,
    );
  }
  const last = rows[rows.length - 1];
  t.same(last, wide(0, 10, 5, 'complete', 'Canary is complete', NO_VALUE), 'the last row');

  // One step per tick: step k (k >= 2) is taken in the minute after step k-1.
  for (let step = 2; step <= STEPS; step++) {
    const prev = Date.parse(stepTimes[step - 1] ?? '');
    const now = Date.parse(stepTimes[step] ?? '');
    const tick = (Math.floor(prev / 60_000) + 1) * 60_000;
    t.ok(
      now >= tick && now < tick + 15_000,
      `step ${step} at ${stepTimes[step]}, within 15 s of the tick after step ${step - 1}`,
    );
  }
});

await t.test('3. rollback by hand: every replica back on v1 at once', async (t) => {
  t.equal((await ws.kubectlOk(typed(3, 0))).trim(), ANNOTATED);
  const c = await waitStatus(ws, NAME, 'rolled back', (s) => s.state === 'stop' && s.currentStep === 0);
  const shown = await table(typed(3, 1));
  t.same(shown.header, WIDE_COLUMNS);
  t.same(shown.row, wide(10, 0, 0, 'stop', `[${c.status?.rollback?.time}] Canary is rollbacked`, NO_VALUE));
  t.match(c.status?.rollback, { time: RFC3339, reason: /^RollbackCommand: / }, 'status.rollback');
  await reaches(t, 0);
});

let brokenTemplate = '';

await t.test('4. an automatic rollback on a crashing v2, and the restart on a fix', async (t) => {
  t.equal((await ws.kubectlOk(typed(4, 0))).trim(), 'deployment.apps/my-app-v2 image updated');
  // What busybox does on a kubelet, KWOK does to pods with this label.
  await ws.kubectlOk([
    'patch',
    'deployment',
    NEW,
    '-p',
    JSON.stringify({ spec: { template: { metadata: { labels: { [CRASH_LABEL]: 'true' } } } } }),
  ]);
  brokenTemplate = canonicalJson((await getDeployment(ws, NEW)).spec.template);
  const watch = await watching(typed(4, 2));
  const appliedAt = Date.now();
  t.equal((await ws.kubectlOk(typed(4, 1))).trim(), ANNOTATED);
  const c = await waitStatus(
    ws,
    NAME,
    'rolled back on CrashLoopBackOff',
    (s) => /^CrashLoopBackOff: /.test(s.rollback?.reason ?? ''),
    60_000,
  );
  // The pods are read by the service now, only once v2 shows them unavailable (docs/design.md §11).
  t.comment(`apply to automatic rollback: ${((Date.now() - appliedAt) / 1000).toFixed(1)} s`);
  await sleep(1000);
  const printed = await watch.stop();
  for (const line of printed) t.comment(line);
  const rows = distinctWatchRows(printed);
  const milestones = changes(rows.map((r) => `${r.old}/${r.new}/${r.step}/${r.state}`));
  t.comment(`-w rows: ${milestones.join(' ')}`);
  // Surge: v2's 2 first with v1 at 10; v1 gives up only what v2 had available before
  // its pods crashed (KWOK's crash comes after they were Ready), and gets it back at once.
  const tail = milestones.slice(milestones.lastIndexOf('10/2/1/running'));
  t.match(
    tail.join(' '),
    /^10\/2\/1\/running( 9\/2\/1\/running)?( 8\/2\/1\/running)? 10\/0\/0\/stop$/,
    '-w: step 1 (v2 first), then rolled back',
  );
  t.same(
    rows[rows.length - 1],
    wide(10, 0, 0, 'stop', `[${c.status?.rollback?.time}] Canary is rollbacked`, NO_VALUE),
  );

  const rollback = JSON.parse(await ws.kubectlOk(typed(4, 3))) as Record<string, string>;
  t.same(
    Object.keys(rollback).sort(),
    ['reason', 'revision', 'time'],
    'status.rollback has reason, revision, time',
  );
  t.match(
    rollback.reason,
    /^CrashLoopBackOff: container my-app of pod my-app-v2-[a-z0-9]+-[a-z0-9]+ is in CrashLoopBackOff$/,
    "the reason names v2's crashing pod",
  );
  t.match(rollback.revision, /^[0-9a-f]{10}$/, 'revision: a hash of the pod template');
  t.match(rollback.time, RFC3339);
  await reaches(t, 0);

  // `apply` is still annotated, but the same broken template stays stopped.
  await sleep(5000);
  const still = await getCanary(ws, NAME);
  t.match(still.status, { state: 'stop', currentStep: 0 }, 'stays stopped on the broken template');

  // The fix: the image back and the crash gone, in one change of the template.
  await ws.kubectlOk([
    'patch',
    'deployment',
    NEW,
    '-p',
    JSON.stringify({
      spec: {
        template: {
          metadata: { labels: { [CRASH_LABEL]: null } },
          spec: { containers: [{ name: 'my-app', image: 'containersol/k8s-deployment-strategies' }] },
        },
      },
    }),
  ]);
  await waitStatus(ws, NAME, 'restarted at step 1', (s) => s.currentStep === 1 && s.state === 'running');
  // Surge: v1 steps down once v2's two replicas are available.
  await waitStatus(ws, NAME, 'v1 down to 8', (s) => s.currentStep === 1 && s.oldReplicas === 8);
  const shown = await table(typed(4, 5));
  t.match(shown.row, {
    old: '8',
    new: '2',
    step: '1',
    state: 'running',
    weight: '20',
    totalSteps: '5',
    nextStep: ON_THE_MINUTE,
  });
  t.match(shown.row.message, waitingOrRunning);
  await reaches(t, 1);
});

await t.test('5. completion: the remaining steps at once', async (t) => {
  t.equal((await ws.kubectlOk(typed(5, 0))).trim(), ANNOTATED);
  await waitStatus(ws, NAME, 'complete', (s) => s.state === 'complete');
  // Complete as it is decided; with surge v1 reaches 0 once v2's 10 are available.
  await waitStatus(ws, NAME, 'v1 down to 0', (s) => s.state === 'complete' && s.oldReplicas === 0);
  const shown = await table(typed(5, 1));
  t.same(shown.row, wide(0, 10, 5, 'complete', 'Canary is complete', NO_VALUE));
  await reaches(t, STEPS);
  const status = await ws.kubectlOk(['canary', 'status', NAME]);
  t.match(status, /^State:\s+complete$/m, 'kubectl canary status: state');
  t.match(status, /\] 5\/5 \(100%\)$/m, 'kubectl canary status: progress');
  t.match(status, /old\s+my-app-v1: asked 0, spec 0, available 0, ready 0/);
  t.match(status, /new\s+my-app-v2: asked 10, spec 10, available 10, ready 10/);
  t.match(status, /^Command:\s+completion \(acted on: completion\)$/m);
});

await t.test('6. the same command again changes nothing; removing it first does', async (t) => {
  t.equal(await ws.kubectlOk(typed(6, 0)), 'completion\n');
  const before = await getCanary(ws, NAME);
  await ws.kubectlOk(['annotate', 'canary', NAME, 'canary.k8shuginn.io/command=completion', '--overwrite']);
  await sleep(3000);
  const after = await getCanary(ws, NAME);
  t.same(after.status, before.status, 'annotating completion again changes nothing');

  t.equal((await ws.kubectlOk(typed(6, 1))).trim(), ANNOTATED);
  await waitStatus(ws, NAME, 'observedCommand cleared', (s) => s.observedCommand === '');
  t.equal((await ws.kubectlOk(typed(6, 2))).trim(), ANNOTATED);
  await waitStatus(ws, NAME, 'rolled back', (s) => s.state === 'stop' && s.currentStep === 0);
  await reaches(t, 0);

  await ws.kubectlOk(['annotate', 'canary', NAME, 'canary.k8shuginn.io/command=go', '--overwrite']);
  const unknown = await waitStatus(ws, NAME, 'the unknown command named', (s) =>
    /"go"/.test(s.message ?? ''),
  );
  for (const valid of ['apply', 'stop', 'rollback', 'completion']) {
    t.match(unknown.status?.message, new RegExp(`\\b${valid}\\b`), `the message lists ${valid}`);
  }
  t.match(
    unknown.status,
    { currentStep: 0, oldReplicas: 10, newReplicas: 0 },
    'an unknown command moves nothing',
  );
});

await t.test('7. delete the Canary: the Deployments stay, with their replicas', async (t) => {
  const before = await Promise.all([getDeployment(ws, OLD), getDeployment(ws, NEW)]);
  // kubectl 1.36 names the namespace; the README shows the older form.
  t.equal(
    (await ws.kubectlOk(typed(7, 0))).trim(),
    `canary.canary.k8shuginn.io "my-app" deleted from ${ws.namespace} namespace`,
  );
  // The garbage collector deletes what still names a deleted owner; give it the time to.
  await sleep(5000);
  const shown = await deploymentTable(ws, 'app=my-app');
  for (const d of before) {
    const r = d.spec.replicas ?? 0;
    t.match(
      shown[d.metadata.name],
      { READY: `${r}/${r}`, AVAILABLE: String(r) },
      `${d.metadata.name} stays at ${r}`,
    );
    const now = await getDeployment(ws, d.metadata.name);
    t.equal(now.spec.replicas, r, `${d.metadata.name}: replicas kept`);
    t.same(
      (now.metadata.ownerReferences ?? []).filter((o) => o.kind === 'Canary'),
      [],
      `${d.metadata.name}: no ownerReference to the Canary`,
    );
  }
});

await t.test(
  'never a stale view: no regression, replica changes only as the steps need, each step decided once',
  async (t) => {
    await recorder.stop();
    const canary = recorder.canary(NAME);
    const v1 = recorder.deployment(OLD);
    const v2 = recorder.deployment(NEW);
    // The steps the walkthrough takes, in order: 1 to 5 on schedule, rollback,
    // step 1 and the automatic rollback, the restart, completion, rollback.
    const steps = [0, 1, 2, 3, 4, 5, 0, 1, 0, 1, 5, 0];
    const expected = expectedReplicaSequences(TOTAL, STEP, steps, { old: 10, new: 0 });
    const seen = { old: replicaSequence(v1), new: replicaSequence(v2) };
    const regressions = stepRegressions(canary);
    const restarts = rolledBackRestarts(canary, v2);
    const decisions = decisionsFromLog(serviceLog(), canaryKey, startedAt);
    const moves = moveLabels(decisions);
    const expectedMoves = [
      'Started(ApplyCommand)->1',
      'StepAdvanced(Schedule)->2',
      'StepAdvanced(Schedule)->3',
      'StepAdvanced(Schedule)->4',
      'Completed(AllStepsDone)->5',
      'RolledBack(RollbackCommand)->0',
      'Started(ApplyCommand)->1',
      'RolledBack(CrashLoopBackOff)->0',
      'Restarted(NewPodTemplate)->1',
      'Completed(CompletionCommand)->5',
      'RolledBack(RollbackCommand)->0',
    ];
    const lateness = stepLateness(canary);
    const figures = {
      namespace: ws.namespace,
      regressions: regressions.length,
      regressionDetail: regressions,
      stepSequence: stepSequence(canary),
      replicaSequences: seen,
      expectedReplicaSequences: expected,
      // v1 steps down replica by replica with surge: what counts is a change no step explains.
      oldMisfits: surgeMisfits(seen.old, expected.old),
      extraReplicaChanges: { [NEW]: extraChanges(seen.new, expected.new) },
      decisions: countBy(moves),
      extraDecisions: Math.max(0, moves.length - expectedMoves.length),
      rolledBackRestarts: restarts.length,
      brokenTemplateSeen: v2.some((d) => d.template === brokenTemplate),
      stepLatenessMs: {
        p50: percentile(lateness, 50),
        p99: percentile(lateness, 99),
        max: Math.max(...lateness),
      },
      recorderProblems: recorder.problems,
    };
    report('walkthrough', figures);
    t.comment(
      JSON.stringify({ ...figures, regressionDetail: undefined, recorderProblems: recorder.problems.length }),
    );

    t.ok(
      canary.length > 0 && v1.length > 0 && v2.length > 0,
      'the recorder saw the Canary and both Deployments',
    );
    t.same(regressions, [], 'status.currentStep never went back but by a rollback');
    t.same(
      surgeMisfits(seen.old, expected.old),
      [],
      `${OLD}: down only as v2's replicas become available, never past a step; up only to a rollback's total`,
    );
    t.same(seen.new, expected.new, `${NEW}: one change of spec.replicas per step`);
    t.same(moves, expectedMoves, 'each step and command decided once, in order');
    t.same(restarts, [], 'a rolled-back v2 is not scaled up again without a new pod template');
  },
);
