/**
 * 100 Canaries stepping together on the real engine: two Deployments each,
 * 2 to 4 replicas in steps of 1, a schedule every minute, all applied with
 * one command, watched until every one is complete (a step at apply, then
 * one per tick: three ticks for the largest). The same counts as the
 * walkthrough, summed over all of them: no regression of currentStep, one
 * replica change per Deployment per step, each step decided once, and each
 * step on a tick of its own.
 *
 * Metacontroller runs here with --client-go-qps=50 --client-go-burst=100
 * (E2E_SCALE_METACONTROLLER_ARGS; empty for its defaults): at its default 5
 * requests a second, 100 Canaries need about a minute per round of steps, so
 * they would not step together. It is restarted with those flags for this
 * test and with its own again afterwards.
 *
 *   E2E_SCALE_CANARIES   how many (default 100)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  countBy,
  decisionsFromLog,
  expectedReplicaSequences,
  moveLabels,
  percentile,
  replicaSequence,
  sameSequence,
  stepLateness,
  stepRegressions,
  byRevision,
} from './lib/analysis.js';
import { ctl, report, serviceLog, sleep, waitFor, workspace } from './lib/cluster.js';
import { getJson, Recorder } from './lib/recorder.js';

const COUNT = Number(process.env.E2E_SCALE_CANARIES ?? 100);
const MC_ARGS = (process.env.E2E_SCALE_METACONTROLLER_ARGS ?? '--client-go-qps=50 --client-go-burst=100')
  .split(/\s+/)
  .filter(Boolean);

interface Spec {
  name: string;
  total: number;
}
const specs: Spec[] = Array.from({ length: COUNT }, (_, i) => ({ name: `s${i}`, total: 2 + (i % 3) }));

function manifests(): string {
  const docs: unknown[] = [];
  for (const { name, total } of specs) {
    for (const [suffix, replicas] of [
      ['v1', total],
      ['v2', 0],
    ] as const) {
      const labels = { app: name, version: suffix };
      docs.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${name}-${suffix}`, labels },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: `registry.invalid/app:${suffix}` }] },
          },
        },
      });
    }
    docs.push({
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      metadata: { name },
      spec: {
        oldDeployment: `${name}-v1`,
        newDeployment: `${name}-v2`,
        totalReplicas: total,
        stepReplicas: 1,
        cronSchedule: '* * * * *',
        selector: { matchLabels: { app: name } },
      },
    });
  }
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

interface Listed<T> {
  items: T[];
}
interface C {
  metadata: { name: string };
  status?: { state?: string; currentStep?: number; totalSteps?: number };
}
interface D {
  metadata: { name: string; generation: number };
  spec: { replicas?: number };
  status?: { observedGeneration?: number; availableReplicas?: number; replicas?: number };
}

const ws = await workspace('e2e-scale');
const recorder = new Recorder(ws.kc, ws.namespace);

// Metacontroller with the client limits this test needs, put back after.
const mcCmd = join(process.env.E2E_STATE ?? '', 'metacontroller.cmd');
const mcOriginal = readFileSync(mcCmd, 'utf8');
if (MC_ARGS.length > 0) {
  writeFileSync(mcCmd, `${mcOriginal.trimEnd()}\n${MC_ARGS.join('\n')}\n`);
  ctl('restart', 'metacontroller');
}
t.teardown(async () => {
  await recorder.stop();
  // Delete the Canaries while Metacontroller still has the client limits for
  // 100 of them: at its defaults their finalize hooks would hold it busy for
  // minutes, and the next test's Canary would wait behind them.
  const deleted = await ws.kubectl(['delete', 'canaries', '--all', '--timeout=180s']);
  if (deleted.code !== 0) t.comment(`deleting the Canaries: ${deleted.stderr}`);
  if (MC_ARGS.length > 0) {
    writeFileSync(mcCmd, mcOriginal);
    ctl('restart', 'metacontroller');
  }
  await ws.kubectl(['delete', 'namespace', ws.namespace, '--wait=false']);
});

const listCanaries = async () =>
  (
    (await getJson(
      ws.kc,
      `/apis/canary.k8shuginn.io/v1alpha1/namespaces/${ws.namespace}/canaries`,
    )) as Listed<C>
  ).items;
const listDeployments = async () =>
  ((await getJson(ws.kc, `/apis/apps/v1/namespaces/${ws.namespace}/deployments`)) as Listed<D>).items;
const settled = (d: D, replicas: number) =>
  d.spec.replicas === replicas &&
  d.status?.observedGeneration === d.metadata.generation &&
  (d.status?.availableReplicas ?? 0) === replicas &&
  (d.status?.replicas ?? 0) === replicas;

await t.test(`${COUNT} Canaries created, pending, their v1 pods running`, async (t) => {
  await recorder.start();
  await ws.kubectlOk(['apply', '-f', '-'], manifests());
  const started = Date.now();
  await waitFor(
    `${COUNT} Canaries pending`,
    async () => {
      const cs = await listCanaries();
      return cs.length === COUNT && cs.every((c) => c.status?.state === 'stop') ? cs : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  await waitFor(
    'every v1 Deployment available',
    async () => {
      const ds = await listDeployments();
      const total = new Map(specs.map((s) => [s.name, s.total]));
      return (
        ds.length === 2 * COUNT &&
        ds.every((d) =>
          settled(d, d.metadata.name.endsWith('-v1') ? (total.get(d.metadata.name.slice(0, -3)) ?? -1) : 0),
        )
      );
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  t.pass(`ready after ${Math.round((Date.now() - started) / 1000)} s`);
});

let appliedAt = 0;

await t.test('all applied at once, every one steps to completion, a step per tick', async (t) => {
  appliedAt = Date.now();
  await ws.kubectlOk(['annotate', 'canaries', '--all', 'canary.k8shuginn.io/command=apply']);
  await waitFor(
    `${COUNT} Canaries complete`,
    async () => {
      const cs = await listCanaries();
      return cs.every((c) => c.status?.state === 'complete');
    },
    { timeoutMs: 360_000, intervalMs: 2000 },
  );
  const total = new Map(specs.map((s) => [s.name, s.total]));
  await waitFor(
    'every Deployment at its final replicas, available',
    async () =>
      (await listDeployments()).every((d) =>
        settled(d, d.metadata.name.endsWith('-v2') ? (total.get(d.metadata.name.slice(0, -3)) ?? -1) : 0),
      ),
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
  await sleep(2000);
  await recorder.stop();

  const log = serviceLog();
  let regressions = 0;
  let extraReplicaChanges = 0;
  let wrongSequences = 0;
  let repeatedDecisions = 0;
  let wrongDecisions = 0;
  let offTick = 0;
  const firstStepMs: number[] = [];
  const lateness: number[] = [];
  const problems: string[] = [];
  for (const { name, total: n } of specs) {
    const samples = recorder.canary(name);
    const r = stepRegressions(samples);
    regressions += r.length;
    if (r.length > 0) problems.push(`${name}: currentStep went back ${JSON.stringify(r)}`);

    const steps = Array.from({ length: n + 1 }, (_, k) => k);
    const want = expectedReplicaSequences(n, 1, steps, { old: n, new: 0 });
    for (const [deployment, expected] of [
      [`${name}-v1`, want.old],
      [`${name}-v2`, want.new],
    ] as const) {
      const seen = replicaSequence(recorder.deployment(deployment));
      extraReplicaChanges += Math.max(0, seen.length - expected.length);
      if (!sameSequence(seen, expected)) {
        wrongSequences += 1;
        problems.push(`${deployment}: spec.replicas went ${seen.join(' ')}, not ${expected.join(' ')}`);
      }
    }

    const moves = moveLabels(decisionsFromLog(log, `${ws.namespace}/${name}`, appliedAt - 1000));
    const expectedMoves = [
      'Started(ApplyCommand)->1',
      ...steps.slice(2, n).map((k) => `StepAdvanced(Schedule)->${k}`),
      `Completed(AllStepsDone)->${n}`,
    ];
    if (!sameSequence(moves, expectedMoves)) {
      wrongDecisions += 1;
      repeatedDecisions += Math.max(0, moves.length - expectedMoves.length);
      problems.push(`${name}: decided ${JSON.stringify(countBy(moves))}`);
    }

    // The time of each step, from the first status that shows it.
    const stepAt = new Map<number, string>();
    for (const s of byRevision(samples)) {
      if (s.step !== undefined && s.step > 0 && !stepAt.has(s.step) && s.lastStepTime)
        stepAt.set(s.step, s.lastStepTime);
    }
    const one = stepAt.get(1);
    if (one) firstStepMs.push(Date.parse(one) - appliedAt);
    for (let k = 2; k <= n; k++) {
      const prev = Date.parse(stepAt.get(k - 1) ?? '');
      const at = Date.parse(stepAt.get(k) ?? '');
      if (!(Math.floor(at / 60_000) > Math.floor(prev / 60_000))) {
        offTick += 1;
        problems.push(
          `${name}: step ${k} at ${stepAt.get(k)}, in the minute of step ${k - 1} (${stepAt.get(k - 1)})`,
        );
      }
    }
    lateness.push(...stepLateness(samples));
  }

  const figures = {
    canaries: COUNT,
    metacontrollerArgs: MC_ARGS,
    regressions,
    extraReplicaChanges,
    wrongSequences,
    repeatedDecisions,
    wrongDecisions,
    stepsOffTick: offTick,
    applyToStep1Ms: { p50: percentile(firstStepMs, 50), max: Math.max(...firstStepMs) },
    stepLatenessMs: {
      p50: percentile(lateness, 50),
      p99: percentile(lateness, 99),
      max: Math.max(...lateness),
    },
    problems: problems.slice(0, 50),
    recorderProblems: recorder.problems.length,
  };
  report('scale', figures);
  t.comment(JSON.stringify({ ...figures, problems: problems.length }));
  for (const p of problems.slice(0, 20)) t.comment(p);

  t.equal(firstStepMs.length, COUNT, 'every Canary took step 1');
  t.equal(regressions, 0, 'no currentStep went back');
  t.equal(extraReplicaChanges, 0, 'no replica change beyond one per Deployment per step');
  t.equal(wrongSequences, 0, 'every Deployment went through the steps in order, once each');
  t.equal(repeatedDecisions, 0, 'each step decided once');
  t.equal(wrongDecisions, 0, 'every Canary decided Started, each step, Completed, in order');
  t.equal(offTick, 0, 'each step on a tick of its own');
});
