/**
 * The step-list walkthrough of docs/step-lists.md, command by command as a
 * user types them (read from the page, so the page stays true), on the real engine (as
 * walkthrough.e2e.ts: Metacontroller, the Deployment controller, KWOK,
 * canary-hooks from the bundle): the seed's Argo-style list from
 * manifests/examples-steps/, setWeight 20, a manual pause, then 40, 60 and
 * 80 each with a 20 s pause, to complete. Each step checks what the README
 * prints: the `-o wide` rows with their WEIGHT and NEXTSTEP, `kubectl canary
 * status` while paused, promote and promote again, the Events and the
 * decisions in the service's log. About 100 s of wall time, most of it the
 * three 20 s pauses.
 */
import t from 'tap';
import { changes, decisionsFromLog } from './lib/analysis.js';
import { parseTable, serviceLog, sleep, workspace } from './lib/cluster.js';
import { argv, commandsOf, readPage } from './lib/page.js';
import { Recorder } from './lib/recorder.js';
import {
  RFC3339,
  WIDE_COLUMNS,
  background,
  distinctWatchRows,
  getCanary,
  stopBackground,
  waitSettled,
  waitStatus,
  rowOf,
  type Row,
} from './lib/walk.js';

const NAME = 'my-app';
const OLD = 'my-app-v1';
const NEW = 'my-app-v2';
const TOTAL = 10;
const STEPS = 8;
/** NEXTSTEP when no step is due: the status leaves nextStepTime out, and kubectl prints the column empty. */
const NO_VALUE = '';
/** The commands docs/step-lists.md shows for this walkthrough, in order: what this test types. */
const TYPED = [
  'kubectl apply -k manifests/examples-steps/',
  'kubectl canary apply my-app',
  'kubectl get canaries -o wide -w',
  'kubectl canary status my-app',
  'kubectl canary promote my-app',
  'kubectl canary promote my-app',
];
const PAGE_COMMANDS = commandsOf(readPage('docs/step-lists.md'));

/** The `kubectl` arguments of the page's command `i` of TYPED. */
function typed(i: number): string[] {
  const [kubectl, ...args] = argv(TYPED[i] ?? '');
  if (kubectl !== 'kubectl') throw new Error(`command ${i} is not kubectl`);
  return args;
}
const PAUSE_MS = 20_000;
/** The list of manifests/examples-steps/: set-steps by weight, pauses by kind. */
const LIST: ({ weight: number } | { pause: 'Manual' | 'Duration' })[] = [
  { weight: 20 },
  { pause: 'Manual' },
  { weight: 40 },
  { pause: 'Duration' },
  { weight: 60 },
  { pause: 'Duration' },
  { weight: 80 },
  { pause: 'Duration' },
];

/** New replicas at a 1-based step: the set-step's, or for a pause the set-step's before it. */
function newAt(step: number): number {
  for (let i = step - 1; i >= 0; i--) {
    const s = LIST[i];
    if (s && 'weight' in s) return (TOTAL * s.weight) / 100;
  }
  return 0;
}

const ws = await workspace('e2e-steps');
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

async function wideRow(): Promise<{ header: string[]; row: Row }> {
  const { header, rows } = parseTable(await ws.kubectlOk(['get', 'canaries', '-o', 'wide']));
  const cells = rows.find((r) => r.NAME === NAME);
  if (!cells) throw new Error(`kubectl get canaries lists no ${NAME}`);
  return { header, row: rowOf(cells) };
}

let watch: ReturnType<typeof background> | undefined;

await t.test('0. docs/step-lists.md shows the commands this test types, in order', async (t) => {
  t.same(
    PAGE_COMMANDS.filter((c) => TYPED.includes(c)),
    TYPED,
  );
});

await t.test('1. apply -k the list: pending at step 0 of 8', async (t) => {
  const out = await ws.kubectlOk(typed(0));
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
  const shown = await wideRow();
  t.same(shown.header, WIDE_COLUMNS, '-o wide columns');
  t.same(shown.row, {
    old: '10',
    new: '0',
    step: '0',
    state: 'stop',
    message: 'Canary is Pending',
    weight: '0',
    totalSteps: String(STEPS),
    nextStep: NO_VALUE,
  });
});

await t.test('2. kubectl canary apply: 20% on v2, then the manual pause holds', async (t) => {
  watch = background(ws, typed(2));
  t.equal(
    (await ws.kubectlOk(typed(1))).trim(),
    `canary/${NAME} annotated: canary.k8shuginn.io/command=apply`,
  );
  const paused = await waitStatus(ws, NAME, 'paused at step 2', (s) => s.currentStep === 2, 60_000);
  await waitSettled(ws, { [OLD]: 8, [NEW]: 2 }, 60_000);
  t.match(paused.status, { state: 'running', pause: { kind: 'Manual', since: RFC3339, until: null } });
  const shown = await wideRow();
  t.same(shown.row, {
    old: '8',
    new: '2',
    step: '2',
    state: 'running',
    message: 'Canary is Paused at step 2 until the promote command',
    weight: '20',
    totalSteps: String(STEPS),
    nextStep: NO_VALUE,
  });
  const status = await ws.kubectlOk(typed(3));
  t.comment(status);
  t.match(status, /^Progress:\s+\[.*\] 2\/8 \(25%\)$/m, 'kubectl canary status: progress');
  t.match(status, /^Weight:\s+20% on the new version$/m, 'kubectl canary status: weight');
  t.match(
    status,
    /^Paused:\s+Manual since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, until kubectl canary promote$/m,
    'kubectl canary status: the pause waits for promote',
  );
  t.match(status, /^Next step:\s+-/m, 'kubectl canary status: no next step while a manual pause holds');
  t.match(status, /^\s+Paused\s+True\s+Manual\s/m, 'kubectl canary status: condition Paused True, Manual');
  // Nothing moves while it holds: Metacontroller's resyncs find nothing to do.
  await sleep(8000);
  const still = await getCanary(ws, NAME);
  t.match(
    still.status,
    { currentStep: 2, oldReplicas: 8, newReplicas: 2, pause: { kind: 'Manual' } },
    'still paused',
  );
});

let promotedAt = 0;

await t.test('3. promote: 40, 60 and 80% with their 20 s pauses, then complete', async (t) => {
  promotedAt = Date.now();
  t.equal(
    (await ws.kubectlOk(typed(4))).trim(),
    `canary/${NAME} annotated: canary.k8shuginn.io/command=promote`,
  );
  const timed = await waitStatus(ws, NAME, 'the 20 s pause at step 4', (s) => s.currentStep === 4, 60_000);
  await waitSettled(ws, { [OLD]: 6, [NEW]: 4 }, 60_000);
  const pause = timed.status?.pause ?? undefined;
  t.match(pause, { kind: 'Duration', since: RFC3339, until: RFC3339 });
  t.equal(Date.parse(pause?.until ?? '') - Date.parse(pause?.since ?? ''), PAUSE_MS, 'until is since + 20 s');
  const shown = await wideRow();
  t.same(shown.row, {
    old: '6',
    new: '4',
    step: '4',
    state: 'running',
    message: `Canary is Paused at step 4 until ${pause?.until}`,
    weight: '40',
    totalSteps: String(STEPS),
    nextStep: pause?.until ?? '',
  });
  const status = await ws.kubectlOk(['canary', 'status', NAME]);
  t.comment(status);
  t.match(
    status,
    new RegExp(`^Paused:\\s+Duration since ${pause?.since}, until ${pause?.until} \\(in `, 'm'),
  );

  const done = await waitStatus(
    ws,
    NAME,
    'complete',
    (s) => s.state === 'complete' && s.oldReplicas === 0,
    150_000,
  );
  await waitSettled(ws, { [OLD]: 0, [NEW]: TOTAL }, 60_000);
  t.match(done.status, {
    currentStep: STEPS,
    totalSteps: STEPS,
    weight: 100,
    pause: null,
    message: 'Canary is complete',
  });
  await sleep(1000);
  const lines = (await watch?.stop()) ?? [];
  // What -w printed, as the README shows it.
  for (const line of lines) t.comment(line);
  t.same(lines[0]?.trim().split(/\s+/), WIDE_COLUMNS, '-w prints the -o wide header');
  const rows = distinctWatchRows(lines).filter((r) => r.state !== 'stop');
  t.same(
    changes(rows.map((r) => r.step)),
    ['1', '2', '3', '4', '5', '6', '7', '8'],
    'every step of the list, in order',
  );
  for (let step = 1; step <= STEPS; step++) {
    const at = rows.filter((r) => r.step === String(step));
    const target = newAt(step);
    const news = changes(at.map((r) => Number(r.new)));
    const olds = changes(at.map((r) => Number(r.old)));
    const kind = LIST[step - 1];
    if (kind && 'weight' in kind) {
      // Surge: v2's replicas first with v1 where it was, then v1 down as they become available.
      t.same(news, [target], `step ${step} (setWeight ${kind.weight}): v2 asked ${target} at once`);
      t.equal(olds[0], TOTAL - newAt(step - 1), `step ${step}: v1 held where it was first`);
      // v1 reaches the split as the last of v2's become available: the sync that sees them
      // all also takes the next step (a pause, here), so that step's first row shows it.
      const after = rows.find((r) => Number(r.step) > step);
      t.equal(Number(after?.old), TOTAL - target, `step ${step}: v1 down to ${TOTAL - target} as it ends`);
      t.ok(
        olds.every((o) => o >= TOTAL - target),
        `step ${step}: v1 never below the split`,
      );
      t.ok(
        olds.every((o, i) => i === 0 || o < (olds[i - 1] as number)),
        `step ${step}: v1 only goes down`,
      );
      t.ok(
        at.every((r) => r.weight === String(kind.weight)),
        `step ${step}: WEIGHT ${kind.weight}`,
      );
    } else if (step < STEPS) {
      t.same(
        [...news, ...olds],
        [target, TOTAL - target],
        `step ${step} (pause): the split of the step before`,
      );
      t.ok(
        at.every((r) => /^Canary is Paused at step \d until /.test(r.message)),
        `step ${step}: the pause says so`,
      );
    }
  }
  const last = rows[rows.length - 1];
  t.same(last, {
    old: '0',
    new: '10',
    step: '8',
    state: 'complete',
    message: 'Canary is complete',
    weight: '100',
    totalSteps: '8',
    nextStep: NO_VALUE,
  });
});

await t.test('4. each timed pause lasts its 20 s; the log has each decision once', async (t) => {
  const decisions = decisionsFromLog(serviceLog(), canaryKey, startedAt).map(
    (d) => `${d.kind}(${d.why})->${d.toStep}`,
  );
  t.comment(decisions.join(' '));
  t.same(
    decisions.filter((d) => /^(Started|StepAdvanced|Paused|PauseEnded|Completed)\(/.test(d)),
    [
      'Started(ApplyCommand)->1',
      'StepAdvanced(StepDone)->2',
      'Paused(Manual)->2',
      'PauseEnded(PromoteCommand)->2',
      'StepAdvanced(StepDone)->3',
      'StepAdvanced(StepDone)->4',
      'Paused(Duration)->4',
      'PauseEnded(Duration)->4',
      'StepAdvanced(StepDone)->5',
      'StepAdvanced(StepDone)->6',
      'Paused(Duration)->6',
      'PauseEnded(Duration)->6',
      'StepAdvanced(StepDone)->7',
      'StepAdvanced(StepDone)->8',
      'Paused(Duration)->8',
      'PauseEnded(Duration)->8',
      'Completed(AllStepsDone)->8',
    ],
    'each step and pause decided once, in order',
  );
  const canary = recorder.canary(NAME);
  t.ok(canary.length > 0, 'the recorder saw the Canary');
  const ends = decisionsFromLog(serviceLog(), canaryKey, promotedAt).filter((d) => d.kind === 'PauseEnded');
  const begins = decisionsFromLog(serviceLog(), canaryKey, promotedAt).filter((d) => d.kind === 'Paused');
  for (const [i, begin] of begins.entries()) {
    const end = ends.find((e) => e.toStep === begin.toStep);
    const lasted = (end?.time ?? 0) - begin.time;
    t.ok(
      lasted >= PAUSE_MS - 1000 && lasted < PAUSE_MS + 5000,
      `pause ${i + 1} at step ${begin.toStep} lasted ${lasted} ms`,
    );
  }
});

await t.test('5. promote again: already acted on, so removed and given again; nothing moves', async (t) => {
  const before = await getCanary(ws, NAME);
  const out = await ws.kubectl(typed(5));
  t.comment(JSON.stringify(out));
  t.equal(out.code, 0, 'exit 0');
  t.match(
    out.stderr,
    `canary/${NAME}: command promote was already acted on; removed canary.k8shuginn.io/command so it can be given again`,
  );
  t.match(out.stdout, `canary/${NAME} annotated: canary.k8shuginn.io/command=promote`);
  t.match(
    out.stderr,
    `note: canary/${NAME} is not paused and waits for no cron tick: promote changes nothing`,
    'the plugin says promote changes nothing here',
  );
  await sleep(3000);
  const after = await getCanary(ws, NAME);
  t.match(
    after.status,
    { state: 'complete', currentStep: STEPS, oldReplicas: 0, newReplicas: TOTAL, observedCommand: 'promote' },
    'a complete Canary stays complete',
  );
  t.equal(after.status?.lastStepTime, before.status?.lastStepTime, 'no step taken');
});
