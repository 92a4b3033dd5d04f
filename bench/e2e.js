/**
 * `npm run bench:e2e [N]`: N Canaries (100 by default) on the real engine of
 * test/e2e/run.sh, which starts the cluster and runs this file inside it.
 * A figure printer, not a test: it never fails on slow figures.
 *
 * Each Canary has two Deployments (2 to 4 replicas, steps of 1) and a schedule
 * every minute; all are created, left idle, then applied with one command and
 * watched until every one is complete (a step on apply, then one per tick:
 * three ticks for the largest), then left idle again. Printed:
 *
 *   - apply to step 1, and step lateness (status.lastStepTime against the
 *     tick after the step before): p50, p99, max;
 *   - CPU seconds and peak RSS of canary-hooks, Metacontroller and
 *     kube-apiserver over the rollout (from /proc of the pids ctl.sh knows);
 *   - syncs per second and the bytes of an average sync request, counted by a
 *     pass-through proxy on loopback that the CompositeController's hooks are
 *     pointed at for the run (the service's own /metrics agree on the count);
 *   - API writes from kube-apiserver's audit log: Metacontroller's and the
 *     service's, while idle (the target is none) and per step (the target is
 *     the two Deployments and the status a step needs, plus its Event);
 *   - syncs per step, syncs per Canary per minute at rest (the idle windows),
 *     the CPU of the service and Metacontroller at rest and in the first 5
 *     minutes after the apply (the window Argo Rollouts was measured in), and
 *     how late a surge's old replicas are let go after the new ones become
 *     available (bench/e2e-surge.js): p50 and p90.
 *
 * The audit log: run.sh starts kube-apiserver without one, so this adds
 * --audit-policy-file and --audit-log-path to the command line ctl.sh keeps
 * for it ($E2E_STATE/kube-apiserver.cmd) and restarts it, before any Canary
 * exists.
 *
 *   npm run bench:e2e                  # 100 Canaries, Metacontroller's default client limits
 *   npm run bench:e2e -- 500
 *   METACONTROLLER_ARGS="--client-go-qps=50 --client-go-burst=100" npm run bench:e2e
 *   METACONTROLLER_ENV="GOGC=50" npm run bench:e2e     # Metacontroller's environment alone
 *   BENCH_E2E_RESULTS=path.json        # also write the figures as JSON
 *   BENCH_E2E_IDLE_SECONDS=30          # each idle window
 *   npm run bench:e2e -- crowd         # unrelated pods instead (bench/e2e-crowd.js)
 */
/* global fetch -- Node's own, since 18 */
import { spawn } from 'node:child_process';
import console from 'node:console';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { cpuSecondsOf, memoryOf } from './lib.js';
import { letGoLateness, watchDeployments } from './e2e-surge.js';

if (process.argv[2] === 'crowd') {
  await import('./e2e-crowd.js');
  process.exit(0);
}

const env = process.env;
for (const name of ['E2E_STATE', 'E2E_CTL', 'KUBECONFIG', 'E2E_SERVICE_URL']) {
  if (!env[name]) {
    console.error(
      `${name} is not set: run this with \`npm run bench:e2e\` (bash test/e2e/run.sh node bench/e2e.js)`,
    );
    process.exit(2);
  }
}
const STATE = /** @type {string} */ (env.E2E_STATE);
const CTL = /** @type {string} */ (env.E2E_CTL);
const KUBECTL = env.KUBECTL ?? 'kubectl';
const SERVICE = new URL(/** @type {string} */ (env.E2E_SERVICE_URL));
/** The service's /metrics, on a port of its own (test/e2e/run.sh). */
const SERVICE_METRICS = new URL(/** @type {string} */ (env.E2E_SERVICE_METRICS_URL));
const COUNT = Number(process.argv[2] ?? 100);
const loadAtStart = Number(loadavg()[0].toFixed(1));
const IDLE_MS = Number(env.BENCH_E2E_IDLE_SECONDS ?? 30) * 1000;
const NS = `bench-e2e-${Date.now().toString(36)}`;
const COMPONENTS = [
  'canary-hooks',
  'metacontroller',
  'kube-apiserver',
  'etcd',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
];
/** KWOK plays the kubelets: not part of the control plane whose CPU the service's share is of. */
const CONTROL_PLANE = COMPONENTS.filter((c) => c !== 'kwok');

/** @param {string} msg */
const say = (msg) => console.error(`[bench:e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);

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
    // A child may exit before it reads its input (EPIPE): its exit code tells.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}
/** @param {string[]} args @param {string} [input] */
const kubectl = (args, input) => run(KUBECTL, args, input);
/** @param {string[]} args */
const ctl = (args) => run('bash', [CTL, ...args]);
/** @param {string} name */
const pidOf = async (name) => Number((await ctl(['pid', name])).trim());

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

/** @param {number[]} values */
function spread(values) {
  const s = [...values].sort((a, b) => a - b);
  /** @param {number} p */
  const at = (p) =>
    s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN;
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: s.length ? s[s.length - 1] : NaN };
}

// --- the audit log --------------------------------------------------------
const auditLog = join(STATE, 'audit.log');
const policy = join(STATE, 'audit-policy.yaml');
// Writes only, of what a rollout writes; reads and everything else unlogged.
writeFileSync(
  policy,
  `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete]
    resources:
      - group: apps
        resources: [deployments, deployments/scale, deployments/status]
      - group: canary.k8shuginn.io
        resources: [canaries, canaries/status]
      - group: ""
        resources: [events]
      - group: events.k8s.io
        resources: [events]
  - level: None
`,
);
const apiCmd = join(STATE, 'kube-apiserver.cmd');
if (!readFileSync(apiCmd, 'utf8').includes('--audit-log-path')) {
  appendFileSync(
    apiCmd,
    `--audit-policy-file=${policy}\n--audit-log-path=${auditLog}\n--audit-log-format=json\n`,
  );
  say('restarting kube-apiserver with an audit log of writes');
  await ctl(['restart', 'kube-apiserver']);
}

/**
 * @typedef {{ at: number, who: string, verb: string, resource: string, code: number, name: string }} Write
 * @returns {Write[]}
 */
function writes() {
  /** @type {Write[]} */
  const out = [];
  let text = '';
  try {
    text = readFileSync(auditLog, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    /** @type {any} */
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.stage !== 'ResponseComplete' || e.objectRef?.namespace !== NS) continue;
    const ua = String(e.userAgent ?? '');
    const user = String(e.user?.username ?? '');
    const who = ua.startsWith('metacontroller')
      ? 'metacontroller'
      : user === 'system:serviceaccount:canary-system:canary-hooks'
        ? 'canary-hooks'
        : ua.split('/')[0] || user;
    const sub = e.objectRef.subresource ? `/${e.objectRef.subresource}` : '';
    out.push({
      at: Date.parse(e.stageTimestamp),
      who,
      verb: e.verb,
      resource: `${e.objectRef.resource}${sub}`,
      code: Number(e.responseStatus?.code ?? 0),
      name: String(e.objectRef.name ?? ''),
    });
  }
  return out;
}

/**
 * @param {Write[]} ws
 * @param {string} who
 */
function tally(ws, who) {
  /** @type {Record<string, number>} */
  const by = {};
  let failed = 0;
  for (const w of ws) {
    if (w.who !== who) continue;
    if (w.code >= 400) {
      failed += 1;
      continue;
    }
    const key = `${w.verb} ${w.resource}`;
    by[key] = (by[key] ?? 0) + 1;
  }
  return { total: Object.values(by).reduce((a, b) => a + b, 0), failed, by };
}

// --- the counting proxy ------------------------------------------------------
const hookStats = /** @type {Record<string, { requests: number, bytes: number }>} */ ({});
const proxy = http.createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const stat = (hookStats[path] ??= { requests: 0, bytes: 0 });
  stat.requests += 1;
  const upstream = http.request(
    { host: SERVICE.hostname, port: SERVICE.port, path: req.url, method: req.method, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.on('data', (chunk) => (stat.bytes += chunk.length));
  req.pipe(upstream);
});
await new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(undefined)));
const proxyPort = /** @type {import('node:net').AddressInfo} */ (proxy.address()).port;
const ccJson = JSON.parse(await kubectl(['get', 'compositecontroller', 'canary-hooks', '-o', 'json']));
for (const hook of Object.values(ccJson.spec.hooks)) {
  const url = new URL(hook.webhook.url);
  url.port = String(proxyPort);
  hook.webhook.url = url.toString();
}
// Metacontroller restarts its controller for a changed CompositeController;
// v4.17.2 can crash on a nil parent (syncParentObject, controller.go:643) if
// Canaries are created while it does, so create none until it has.
const mcLog = (await ctl(['log', 'metacontroller'])).trim();
const starts = () => readFileSync(mcLog, 'utf8').split('Starting CompositeController').length;
const startsBefore = starts();
await kubectl(['replace', '-f', '-'], JSON.stringify(ccJson));
await waitFor(
  'Metacontroller to restart its controller on the proxy',
  async () => starts() > startsBefore,
  120_000,
);
say(`hooks pointed at the counting proxy on 127.0.0.1:${proxyPort}`);

/** The service's V8 heap in use (its own /metrics), in MB: what its RSS holds beyond the heap is not per Canary. */
async function serviceHeapMB() {
  const text = await (await fetch(SERVICE_METRICS)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text);
  return m ? Number((Number(m[1]) / 2 ** 20).toFixed(1)) : NaN;
}

async function serviceSyncs() {
  const res = await fetch(SERVICE_METRICS);
  const text = await res.text();
  let n = 0;
  for (const m of text.matchAll(/^canary_hooks_requests_total\{[^}]*hook="sync"[^}]*\} (\d+)/gm))
    n += Number(m[1]);
  return n;
}

/** Lists of pods the service made (docs/design.md §11), every outcome. */
async function servicePodReads() {
  const text = await (await fetch(new URL('/metrics', SERVICE))).text();
  return [...text.matchAll(/^canary_pod_reads_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
}

// --- the Canaries -------------------------------------------------------------
const specs = Array.from({ length: COUNT }, (_, i) => ({ name: `c${i}`, total: 2 + (i % 3) }));
/** @type {unknown[]} */
const items = [];
for (const { name, total } of specs) {
  for (const [version, replicas] of /** @type {const} */ ([
    ['v1', total],
    ['v2', 0],
  ])) {
    const labels = { app: name, version };
    items.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${name}-${version}`, namespace: NS, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: `registry.invalid/${name}:${version}` }] },
        },
      },
    });
  }
  items.push({
    apiVersion: 'canary.k8shuginn.io/v1alpha1',
    kind: 'Canary',
    metadata: { name, namespace: NS },
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

/**
 * @typedef {{ metadata: { name: string }, status?: { state?: string, currentStep?: number, lastStepTime?: string | null } }} Canary
 * @returns {Promise<Canary[]>}
 */
async function canaries() {
  return JSON.parse(await kubectl(['get', 'canaries', '-n', NS, '-o', 'json'])).items;
}

// run.sh's three KWOK Nodes hold 400 pods each, room for about 250 Canaries
// of up to 4 replicas and a step's surge; more Nodes of the same kind for
// more (KWOK plays every Node with its annotation). Labelled apart from
// run.sh's, whose readiness check counts those labelled type=kwok.
const extraNodes = Math.max(0, Math.ceil((COUNT * 5 - 1200) / 400));
for (let i = 0; i < extraNodes; i++) {
  const name = `kwok-bench-${i}`;
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok-bench' },
      },
      status: {
        allocatable: { cpu: '64', memory: '256Gi', pods: '400' },
        capacity: { cpu: '64', memory: '256Gi', pods: '400' },
      },
    }),
  );
}
if (extraNodes > 0) {
  await waitFor(
    `${extraNodes} more KWOK Nodes ready`,
    async () =>
      (
        await kubectl([
          'get',
          'nodes',
          '-l',
          'type=kwok-bench',
          '-o',
          'jsonpath={..conditions[?(@.type=="Ready")].status}',
        ])
      )
        .split(' ')
        .filter((s) => s === 'True').length === extraNodes,
    120_000,
  );
  say(`${extraNodes} more KWOK Nodes, for ${COUNT} Canaries' pods`);
}

// Resident memory before any Canary exists, for the cost per Canary.
const rssBefore = await Promise.all(COMPONENTS.map(async (c) => memoryOf(await pidOf(c)).rssMB));
const heapBefore = await serviceHeapMB();
await kubectl(['create', 'namespace', NS]);
await waitFor(
  'the default ServiceAccount',
  async () => (await kubectl(['get', 'sa', 'default', '-n', NS]), true),
  60_000,
);
const createdAt = Date.now();
await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
say(`${COUNT} Canaries and ${2 * COUNT} Deployments created`);
await waitFor(
  `${COUNT} Canaries pending`,
  async () => {
    const cs = await canaries();
    return cs.length === COUNT && cs.every((c) => c.status?.state === 'stop');
  },
  600_000,
);
const totals = new Map(specs.map((s) => [s.name, s.total]));
/** @param {'v1' | 'v2'} full */
const deploymentsAt = async (full) => {
  const ds = JSON.parse(await kubectl(['get', 'deployments', '-n', NS, '-o', 'json'])).items;
  return ds.every(
    (/** @type {any} */ d) =>
      (d.status?.availableReplicas ?? 0) ===
      (d.metadata.name.endsWith(`-${full}`) ? totals.get(d.metadata.name.slice(0, -3)) : 0),
  );
};
await waitFor('every v1 available', () => deploymentsAt('v1'), 600_000);
const readyAt = Date.now();
say(
  `all pending and v1 available after ${((readyAt - createdAt) / 1000).toFixed(0)} s; idle for ${IDLE_MS / 1000} s`,
);

/**
 * Waits until neither Metacontroller nor the service has written for 10 s:
 * at its default 5 requests a second Metacontroller is still working through
 * the first syncs' Deployment updates long after every status shows, and
 * that backlog is not idle.
 */
async function quiet() {
  const from = Date.now();
  for (;;) {
    const last = Math.max(
      from,
      ...writes()
        .filter((w) => w.who === 'metacontroller' || w.who === 'canary-hooks')
        .map((w) => w.at),
    );
    if (Date.now() - last >= 10_000) return Math.round((Date.now() - from) / 1000);
    if (Date.now() - from > 600_000) {
      say('still writing after 10 minutes; measuring idle anyway');
      return -1;
    }
    await sleep(2000);
  }
}

/** @param {number[]} pids */
const cpu = (pids) => pids.map((p) => cpuSecondsOf(p));
const pids = await Promise.all(COMPONENTS.map(pidOf));
/** The syncs and CPU seconds (all components) of one idle window: the cost at rest. */
async function idleWindow() {
  const syncsFrom = hookStats['/sync']?.requests ?? 0;
  const cpuFrom = cpu(pids);
  const from = Date.now();
  await sleep(IDLE_MS);
  const to = Date.now();
  const cpuTo = cpu(pids);
  return {
    from,
    to,
    syncs: (hookStats['/sync']?.requests ?? 0) - syncsFrom,
    cpu: cpuTo.map((c, i) => c - (cpuFrom[i] ?? 0)),
  };
}

// Idle: nothing changes, so nothing should be written.
say(`writes settled ${await quiet()} s later`);
const idleBefore = await idleWindow();
const idle1From = idleBefore.from;
const idle1To = idleBefore.to;
const watch = watchDeployments(KUBECTL, NS);

// Early in a minute, so step 1 of all lands before the first tick.
while (new Date().getUTCSeconds() >= 10) await sleep(500);
const cpu0 = cpu(pids);
const syncs0 = await serviceSyncs();
const reads0 = await servicePodReads();
const proxy0 = JSON.parse(JSON.stringify(hookStats));
const appliedAt = Date.now();
// Argo Rollouts' controller was measured over 5 minutes of the same work (issue 26): the same window here.
const WINDOW_MS = 300_000;
/** @type {Promise<number[]>} */
const cpuWindow = sleep(WINDOW_MS).then(() => cpu(pids));
await kubectl(['annotate', 'canaries', '--all', '-n', NS, 'canary.k8shuginn.io/command=apply']);
say(`applied at ${new Date(appliedAt).toISOString()}`);

// Watch the statuses every two seconds; each step's time is its lastStepTime.
const stepTimes = new Map(specs.map((s) => [s.name, /** @type {Map<number, number>} */ (new Map())]));
let doneAt = 0;
const deadline = appliedAt + (COUNT >= 300 ? 1_800_000 : 900_000);
while (Date.now() < deadline) {
  let cs;
  try {
    cs = await canaries();
  } catch {
    await sleep(2000);
    continue;
  }
  for (const c of cs) {
    const s = c.status ?? {};
    const times = stepTimes.get(c.metadata.name);
    if (times && s.currentStep && s.lastStepTime && !times.has(s.currentStep))
      times.set(s.currentStep, Date.parse(s.lastStepTime));
  }
  if (cs.length === COUNT && cs.every((c) => c.status?.state === 'complete')) {
    doneAt = Date.now();
    break;
  }
  await sleep(2000);
}
if (!doneAt) say('not all complete before the deadline: figures so far');
await waitFor('every v2 available', () => deploymentsAt('v2'), 300_000).catch((e) => say(String(e)));
const settledAt = Date.now();
const cpu1 = cpu(pids);
const syncs1 = await serviceSyncs();
const reads1 = await servicePodReads();
const proxy1 = JSON.parse(JSON.stringify(hookStats));
const peaks = pids.map((p) => memoryOf(p).peakMB);
const rssAfter = pids.map((p) => memoryOf(p).rssMB);
const heapAfter = await serviceHeapMB();

say(`rollout done; writes settled ${await quiet()} s later`);
const cpu5 = await cpuWindow;
watch.stop();
const idleAfter = await idleWindow();
const idle2From = idleAfter.from;
const idle2To = idleAfter.to;
const allWrites = writes();
const readsIdle = (await servicePodReads()) - reads1;

// --- figures -------------------------------------------------------------------
const first = [];
const lateness = [];
let steps = 0;
for (const [, times] of stepTimes) {
  const one = times.get(1);
  // lastStepTime has whole seconds: compare with the second the apply was in.
  if (one !== undefined) first.push(one - Math.floor(appliedAt / 1000) * 1000);
  steps += times.size;
  for (const [k, at] of times) {
    const prev = times.get(k - 1);
    if (k < 2 || prev === undefined) continue;
    const tick = (Math.floor(prev / 60_000) + 1) * 60_000;
    lateness.push(at - tick);
  }
}
// Up to the idle window: a status write still queued when the last v2 became available is the rollout's.
const rollout = allWrites.filter((w) => w.at >= appliedAt - 1000 && w.at < idle2From);
const idle = allWrites.filter(
  (w) => (w.at >= idle1From && w.at <= idle1To) || (w.at >= idle2From && w.at <= idle2To),
);
const seconds = (settledAt - appliedAt) / 1000;
// Every step each Canary has: one replica a step, so as many as its replicas.
const stepsTaken = specs.reduce((a, s) => a + s.total, 0);
const idleMinutes = (idleBefore.to - idleBefore.from + idleAfter.to - idleAfter.from) / 60_000;
const idleSyncs = idleBefore.syncs + idleAfter.syncs;
const [svcAt, mcAt] = ['canary-hooks', 'metacontroller'].map((c) => COMPONENTS.indexOf(c));
/** @param {number[]} a @param {number[]} b @param {number} i */
const delta = (a, b, i) => Number(((b[i] ?? 0) - (a[i] ?? 0)).toFixed(2));
const idleCpu = (/** @type {number} */ i) => (idleBefore.cpu[i] ?? 0) + (idleAfter.cpu[i] ?? 0);
const syncReq = (proxy1['/sync']?.requests ?? 0) - (proxy0['/sync']?.requests ?? 0);
const syncBytes = (proxy1['/sync']?.bytes ?? 0) - (proxy0['/sync']?.bytes ?? 0);
const mc = tally(rollout, 'metacontroller');
const svc = tally(rollout, 'canary-hooks');
const usage = Object.fromEntries(
  COMPONENTS.map((name, i) => [
    name,
    {
      cpuSeconds: Number(((cpu1[i] ?? 0) - (cpu0[i] ?? 0)).toFixed(2)),
      peakRssMB: Number((peaks[i] ?? 0).toFixed(1)),
      rssBeforeMB: Number((rssBefore[i] ?? 0).toFixed(1)),
      rssAfterMB: Number((rssAfter[i] ?? 0).toFixed(1)),
    },
  ]),
);
const cpuTotal = CONTROL_PLANE.reduce((a, name) => a + (usage[name]?.cpuSeconds ?? 0), 0);
const figures = {
  canaries: COUNT,
  metacontrollerArgs: env.METACONTROLLER_ARGS ?? '',
  metacontrollerEnv: env.METACONTROLLER_ENV ?? '',
  createdToPendingSeconds: Math.round((readyAt - createdAt) / 1000),
  rolloutSeconds: Math.round(seconds),
  allComplete: doneAt > 0,
  steps,
  applyToStep1Ms: spread(first),
  stepLatenessMs: spread(lateness),
  surgeLetGoLatenessMs: spread(letGoLateness(watch.timelines, specs, appliedAt)),
  stepsTaken,
  syncsPerStep: Number((syncReq / stepsTaken).toFixed(2)),
  atRest: {
    syncsPerCanaryPerMinute: Number((idleSyncs / COUNT / idleMinutes).toFixed(3)),
    // CPU ms per Canary per minute at rest, the service and Metacontroller.
    serviceCpuMsPerCanaryMinute: Number(((idleCpu(svcAt) * 1000) / COUNT / idleMinutes).toFixed(2)),
    metacontrollerCpuMsPerCanaryMinute: Number(((idleCpu(mcAt) * 1000) / COUNT / idleMinutes).toFixed(2)),
    cpuMsPerSync: Number((((idleCpu(svcAt) + idleCpu(mcAt)) * 1000) / (idleSyncs || 1)).toFixed(2)),
  },
  firstFiveMinutesCpuSeconds: {
    canaryHooks: delta(cpu0, cpu5, svcAt),
    metacontroller: delta(cpu0, cpu5, mcAt),
  },
  usage,
  serviceHeapUsedMB: { before: heapBefore, after: heapAfter },
  serviceShareOfCpu: Number(((usage['canary-hooks']?.cpuSeconds ?? 0) / (cpuTotal || 1)).toFixed(3)),
  syncsPerSecond: Number((syncReq / seconds).toFixed(2)),
  syncsByServiceMetrics: syncs1 - syncs0,
  syncs: syncReq,
  averageSyncRequestBytes: Math.round(syncBytes / (syncReq || 1)),
  // Metacontroller caches a customize answer per (parent uid, generation):
  // a status write or a command annotation asks for no new one.
  customizeCalls: {
    total: hookStats['/customize']?.requests ?? 0,
    rollout: (proxy1['/customize']?.requests ?? 0) - (proxy0['/customize']?.requests ?? 0),
  },
  loadAverage: { start: loadAtStart, end: Number(loadavg()[0].toFixed(1)) },
  apiWrites: {
    idle: {
      metacontroller: tally(idle, 'metacontroller'),
      canaryHooks: tally(idle, 'canary-hooks'),
      sample: idle
        .filter((w) => w.who === 'metacontroller' || w.who === 'canary-hooks')
        .slice(0, 10)
        .map(
          (w) =>
            `${new Date(w.at).toISOString().slice(11, 23)} ${w.who} ${w.verb} ${w.resource} ${w.name} ${w.code}`,
        ),
    },
    rollout: { metacontroller: mc, canaryHooks: svc },
    metacontrollerPerStep: Number((mc.total / (steps || 1)).toFixed(2)),
    canaryHooksPerStep: Number((svc.total / (steps || 1)).toFixed(2)),
  },
};
/** @param {{ n: number, p50: number, p99: number, max: number }} s */
const fmt = (s) =>
  `p50 ${(s.p50 / 1000).toFixed(1)} s, p90 ${(s.p90 / 1000).toFixed(1)} s, p99 ${(s.p99 / 1000).toFixed(1)} s, max ${(s.max / 1000).toFixed(1)} s (n=${s.n})`;
console.log(
  `\n${COUNT} Canaries, Metacontroller ${figures.metacontrollerArgs || 'with its default client limits'}` +
    (figures.metacontrollerEnv ? `, environment ${figures.metacontrollerEnv}` : ''),
);
console.log(
  `  rollout: ${figures.rolloutSeconds} s from apply to every v2 available; ${steps} steps${doneAt ? '' : ' (NOT all complete)'}`,
);
console.log(`  apply to step 1: ${fmt(figures.applyToStep1Ms)}`);
console.log(`  step lateness after its tick: ${fmt(figures.stepLatenessMs)}`);
console.log(
  `  surge: old replicas let go after the new became available: ${fmt(figures.surgeLetGoLatenessMs)}`,
);
console.log(`  syncs per step: ${figures.syncsPerStep} (${syncReq} syncs, ${stepsTaken} steps)`);
const rest = figures.atRest;
console.log(
  `  at rest: ${rest.syncsPerCanaryPerMinute} syncs per Canary per minute; CPU ms per Canary per minute: canary-hooks ${rest.serviceCpuMsPerCanaryMinute}, Metacontroller ${rest.metacontrollerCpuMsPerCanaryMinute}; ${rest.cpuMsPerSync} CPU ms per sync (both)`,
);
const five = figures.firstFiveMinutesCpuSeconds;
console.log(
  `  first 5 minutes after the apply: canary-hooks ${five.canaryHooks} CPU s, Metacontroller ${five.metacontroller} CPU s, together ${(five.canaryHooks + five.metacontroller).toFixed(1)} s (Argo Rollouts' controller: 23.6 s for 100, issue 26)`,
);
for (const [name, u] of Object.entries(usage))
  console.log(
    `  ${name}: ${u.cpuSeconds} CPU s, peak RSS ${u.peakRssMB} MB, RSS ${u.rssBeforeMB} MB before the Canaries, ${u.rssAfterMB} MB after`,
  );
console.log(
  `  canary-hooks' V8 heap in use: ${figures.serviceHeapUsedMB.before} MB before the Canaries, ${figures.serviceHeapUsedMB.after} MB after`,
);
console.log(
  `  control plane (all but kwok): ${cpuTotal.toFixed(2)} CPU s, ${((cpuTotal / COUNT) * 1000).toFixed(0)} CPU ms per Canary`,
);
console.log(`  canary-hooks' share of this CPU: ${(figures.serviceShareOfCpu * 100).toFixed(1)}%`);
console.log(
  `  syncs: ${syncReq} (${figures.syncsPerSecond}/s; the service counted ${figures.syncsByServiceMetrics}), ${figures.averageSyncRequestBytes} bytes each on average`,
);
console.log(
  `  customize calls: ${figures.customizeCalls.total} in all, ${figures.customizeCalls.rollout} in the rollout; load average ${figures.loadAverage.start} at the start, ${figures.loadAverage.end} at the end`,
);
console.log(
  `  API writes while idle: metacontroller ${figures.apiWrites.idle.metacontroller.total}, canary-hooks ${figures.apiWrites.idle.canaryHooks.total}`,
);
for (const line of figures.apiWrites.idle.sample) console.log(`    ${line}`);
console.log(
  `  API writes in the rollout: metacontroller ${mc.total} (${figures.apiWrites.metacontrollerPerStep}/step; ${mc.failed} refused) ${JSON.stringify(mc.by)}`,
);
console.log(
  `                            canary-hooks ${svc.total} (${figures.apiWrites.canaryHooksPerStep}/step) ${JSON.stringify(svc.by)}`,
);
console.log(
  `  pod reads: ${reads1 - reads0} in the rollout (${((reads1 - reads0) / (steps || 1)).toFixed(2)}/step), ${readsIdle} while idle after it`,
);
if (env.BENCH_E2E_RESULTS) writeFileSync(env.BENCH_E2E_RESULTS, `${JSON.stringify(figures, null, 2)}\n`);
proxy.close();
await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => undefined);
