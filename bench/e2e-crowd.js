/**
 * `npm run bench:e2e -- crowd`: what pods that no Canary selects cost, on the
 * real engine of test/e2e/run.sh. A figure printer, not a test.
 *
 * One Canary (4 replicas, steps of 1, a schedule every minute) waits pending
 * while 0, then 1,000, then 3,000 plain pods run in another namespace
 * (KWOK plays their kubelets). At each count, once the pods are Running and
 * a settling window has passed: the RSS of Metacontroller and canary-hooks,
 * and the pod reads the service made in that window (a Canary at rest costs
 * none). Then the Canary is applied and rolls out among the 3,000; the pod
 * reads per step are printed (canary_pod_reads_total over the steps taken).
 *
 * Target (docs/design.md §11): Metacontroller's RSS grows less than 1 KB per
 * unrelated pod from 0 to 3,000 (it grew about 49 KB per pod while the
 * customize hook asked it for pods).
 *
 *   npm run bench:e2e -- crowd
 *   BENCH_CROWD_COUNTS=0,1000,3000     # the pod counts, in order
 *   BENCH_CROWD_SETTLE_SECONDS=45      # the window before each measure
 *   BENCH_E2E_RESULTS=path.json        # also write the figures as JSON
 */
/* global fetch -- Node's own, since 18 */
import { spawn } from 'node:child_process';
import console from 'node:console';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { memoryOf } from './lib.js';

const env = process.env;
for (const name of ['E2E_STATE', 'E2E_CTL', 'KUBECONFIG', 'E2E_SERVICE_URL']) {
  if (!env[name]) {
    console.error(`${name} is not set: run this with \`npm run bench:e2e -- crowd\``);
    process.exit(2);
  }
}
const CTL = /** @type {string} */ (env.E2E_CTL);
const KUBECTL = env.KUBECTL ?? 'kubectl';
const SERVICE = new URL(/** @type {string} */ (env.E2E_SERVICE_URL));
const COUNTS = (env.BENCH_CROWD_COUNTS ?? '0,1000,3000').split(',').map(Number);
const SETTLE_MS = Number(env.BENCH_CROWD_SETTLE_SECONDS ?? 45) * 1000;
const stamp = Date.now().toString(36);
const NS = `crowd-canary-${stamp}`;
const CROWD = `crowd-pods-${stamp}`;
const PODS_PER_NODE = 400;
const BATCH = 250;

/** @param {string} msg */
const say = (msg) => console.error(`[bench:e2e crowd ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} [input]
 * @returns {Promise<string>}
 */
function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`)),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}
/** @param {string[]} args @param {string} [input] */
const kubectl = (args, input) => run(KUBECTL, args, input);
/** @param {string} name */
const pidOf = async (name) => Number((await run('bash', [CTL, 'pid', name])).trim());

/**
 * @param {string} what
 * @param {() => Promise<boolean>} probe
 * @param {number} timeoutMs
 */
async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // the API server may be busy; try again
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2000);
  }
}

/** The service's own counters: pod reads (by outcome, summed) and steps. */
async function serviceCounters() {
  const text = await (await fetch(new URL('/metrics', SERVICE))).text();
  const sum = (/** @type {RegExp} */ re) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
  return {
    podReads: sum(/^canary_pod_reads_total\{[^}]*\} (\d+)/gm),
    steps: sum(/^canary_steps_total (\d+)/gm),
  };
}

const rssMB = async (/** @type {string} */ name) => Number(memoryOf(await pidOf(name)).rssMB.toFixed(1));

/** @param {string} namespace */
async function runningPods(namespace) {
  const out = await kubectl([
    'get',
    'pods',
    '-n',
    namespace,
    '--field-selector=status.phase=Running',
    '-o',
    'name',
  ]);
  return out.split('\n').filter(Boolean).length;
}

// Room for the crowd: run.sh's three Nodes hold 1,200 pods; more of the same kind.
const extraNodes = Math.max(0, Math.ceil((Math.max(...COUNTS) + 50 - 3 * PODS_PER_NODE) / PODS_PER_NODE));
for (let i = 0; i < extraNodes; i++) {
  const name = `kwok-crowd-${i}`;
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok-crowd' },
      },
      status: {
        allocatable: { cpu: '64', memory: '256Gi', pods: String(PODS_PER_NODE) },
        capacity: { cpu: '64', memory: '256Gi', pods: String(PODS_PER_NODE) },
      },
    }),
  );
}
say(`${extraNodes} more KWOK Nodes`);

// The one Canary, as the README's example, pending.
await kubectl(['create', 'namespace', NS]);
await kubectl(['create', 'namespace', CROWD]);
const app = 'shop';
/** @type {unknown[]} */
const items = [];
for (const [version, replicas] of /** @type {const} */ ([
  ['v1', 4],
  ['v2', 0],
])) {
  const labels = { app, version };
  items.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `${app}-${version}`, namespace: NS, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: `registry.invalid/${app}:${version}` }] },
      },
    },
  });
}
items.push({
  apiVersion: 'canary.k8shuginn.io/v1alpha1',
  kind: 'Canary',
  metadata: { name: app, namespace: NS },
  spec: {
    oldDeployment: `${app}-v1`,
    newDeployment: `${app}-v2`,
    totalReplicas: 4,
    stepReplicas: 1,
    cronSchedule: '* * * * *',
    selector: { matchLabels: { app } },
  },
});
await waitFor(
  'the default ServiceAccount',
  async () => (await kubectl(['get', 'sa', 'default', '-n', NS]), true),
  60_000,
);
await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
/** @returns {Promise<{ state?: string, currentStep?: number, totalSteps?: number }>} */
const canaryStatus = async () =>
  JSON.parse((await kubectl(['get', 'canary', app, '-n', NS, '-o', 'jsonpath={.status}'])) || '{}');
await waitFor('the Canary pending', async () => (await canaryStatus()).state === 'stop', 180_000);

/**
 * Plain pods with labels no Canary selects, as a busy cluster's other
 * workloads: each one a pod with two containers and the usual labels.
 *
 * @param {number} from
 * @param {number} to
 */
async function addCrowd(from, to) {
  for (let start = from; start < to; start += BATCH) {
    const pods = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      pods.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `other-${i}`,
          namespace: CROWD,
          labels: { app: `other-${i % 50}`, tier: 'backend', 'app.kubernetes.io/part-of': 'someone-else' },
        },
        spec: {
          containers: [
            { name: 'app', image: 'registry.invalid/other:1', ports: [{ containerPort: 8080 }] },
            { name: 'sidecar', image: 'registry.invalid/proxy:1' },
          ],
        },
      });
    }
    await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }));
  }
}

/** @type {{ pods: number, metacontrollerRssMB: number, serviceRssMB: number, podReadsAtRest: number }[]} */
const rows = [];
let have = 0;
for (const count of COUNTS) {
  if (count > have) {
    await addCrowd(have, count);
    have = count;
    await waitFor(
      `${count} unrelated pods Running`,
      async () => (await runningPods(CROWD)) >= count,
      900_000,
    );
  }
  say(`${count} unrelated pods Running; settling ${SETTLE_MS / 1000} s`);
  const before = await serviceCounters();
  await sleep(SETTLE_MS);
  const after = await serviceCounters();
  const row = {
    pods: count,
    metacontrollerRssMB: await rssMB('metacontroller'),
    serviceRssMB: await rssMB('canary-hooks'),
    podReadsAtRest: after.podReads - before.podReads,
  };
  rows.push(row);
  say(JSON.stringify(row));
}

// A rollout among the crowd: reads per step.
while (new Date().getUTCSeconds() >= 10) await sleep(500);
const rollout0 = await serviceCounters();
const appliedAt = Date.now();
await kubectl(['annotate', 'canary', app, '-n', NS, 'canary.k8shuginn.io/command=apply']);
await waitFor('the Canary complete', async () => (await canaryStatus()).state === 'complete', 600_000);
// The last step's new replicas starting are part of the rollout too.
await waitFor(
  'every new replica available',
  async () =>
    Number(
      await kubectl([
        'get',
        'deployment',
        `${app}-v2`,
        '-n',
        NS,
        '-o',
        'jsonpath={.status.availableReplicas}',
      ]),
    ) === 4,
  300_000,
);
await sleep(15_000);
const rollout1 = await serviceCounters();
const steps = rollout1.steps - rollout0.steps;
const reads = rollout1.podReads - rollout0.podReads;

const first = rows[0];
const last = rows[rows.length - 1];
const slopeKB = (/** @type {'metacontrollerRssMB' | 'serviceRssMB'} */ key) =>
  first && last && last.pods > first.pods
    ? ((last[key] - first[key]) * 1024) / (last.pods - first.pods)
    : NaN;
const figures = {
  date: new Date().toISOString(),
  loadAverage: Number(loadavg()[0].toFixed(1)),
  rows,
  metacontrollerKBPerPod: Number(slopeKB('metacontrollerRssMB').toFixed(2)),
  serviceKBPerPod: Number(slopeKB('serviceRssMB').toFixed(2)),
  rollout: {
    seconds: Math.round((Date.now() - appliedAt) / 1000),
    steps,
    podReads: reads,
    podReadsPerStep: Number((reads / (steps || 1)).toFixed(2)),
  },
};
console.log(
  `\nOne Canary among unrelated pods (another namespace), ${figures.date}, load ${figures.loadAverage}`,
);
console.log('  | unrelated pods | Metacontroller RSS | canary-hooks RSS | pod reads at rest |');
console.log('  | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(`  | ${r.pods} | ${r.metacontrollerRssMB} MB | ${r.serviceRssMB} MB | ${r.podReadsAtRest} |`);
console.log(
  `  Metacontroller: ${figures.metacontrollerKBPerPod} KB per unrelated pod; canary-hooks: ${figures.serviceKBPerPod} KB`,
);
console.log(
  `  rollout among ${have} pods: ${steps} steps in ${figures.rollout.seconds} s, ${reads} pod reads (${figures.rollout.podReadsPerStep} per step)`,
);
if (env.BENCH_E2E_RESULTS) writeFileSync(env.BENCH_E2E_RESULTS, `${JSON.stringify(figures, null, 2)}\n`);
await kubectl(['delete', 'namespace', NS, CROWD, '--wait=false']).catch(() => undefined);
