/**
 * The Grafana dashboard and the alert rules against a real Prometheus
 * (Debian's, started on loopback) scraping the real service while the real
 * Metacontroller steps three Canaries: one completes, one keeps running, one
 * crashes and rolls back by itself.
 *
 * Every query of charts/canary-hooks/files/dashboard.json, its Grafana
 * variables filled in, goes through `promtool query instant` (which parses
 * it) and must return series; the per-Canary ones must name this test's
 * Canaries with the values their status shows. The alert rules of
 * charts/canary-hooks/files/alerts.yaml are loaded by that Prometheus: each
 * must evaluate without error, and CanaryRolledBack must fire for the Canary
 * that crashed and for no other.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { REPO, run, waitFor, workspace } from './lib/cluster.js';

const PROMETHEUS = process.env.PROMETHEUS ?? 'prometheus';
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const SERVICE_URL = process.env.E2E_SERVICE_URL ?? '';
if (!SERVICE_URL) throw new Error('E2E_SERVICE_URL is not set: run under test/e2e/run.sh');
// Where the service serves /metrics: its own port when run.sh gives one.
const METRICS_URL = new URL(process.env.E2E_SERVICE_METRICS_URL ?? new URL('/metrics', SERVICE_URL).href);
const CRASH_LABEL = 'canary-e2e/crash';
const JOB = 'canary-hooks';

const ws = await workspace('e2e-mon');
t.comment(`namespace ${ws.namespace}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

// ------------------------------------------------------------------ Prometheus
const dir = mkdtempSync(join(tmpdir(), 'canary-e2e-prometheus-'));
const port = await freePort();
const prometheusUrl = `http://127.0.0.1:${port}`;
writeFileSync(
  join(dir, 'prometheus.yml'),
  JSON.stringify({
    // Seconds rather than Grafana's minutes, so a few steps make enough samples.
    global: { scrape_interval: '2s', evaluation_interval: '2s' },
    rule_files: [join(REPO, 'charts', 'canary-hooks', 'files', 'alerts.yaml')],
    scrape_configs: [
      {
        job_name: JOB,
        metrics_path: METRICS_URL.pathname,
        static_configs: [{ targets: [METRICS_URL.host] }],
      },
    ],
  }),
);
const prometheus = spawn(
  PROMETHEUS,
  [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let prometheusLog = '';
prometheus.stderr
  .setEncoding('utf8')
  .on('data', (d: string) => (prometheusLog = (prometheusLog + d).slice(-8000)));
t.teardown(async () => {
  prometheus.kill('SIGTERM');
  await ws.kubectl(['delete', 'namespace', ws.namespace, '--wait=false']);
  rmSync(dir, { recursive: true, force: true });
});
await waitFor('Prometheus to be ready', async () => (await fetch(`${prometheusUrl}/-/ready`)).ok, {
  timeoutMs: 60_000,
}).catch((err: Error) => {
  throw new Error(`${err.message}\n${prometheusLog}`);
});

// ------------------------------------------------------------------ the apps
function deployment(name: string, app: string, version: string, replicas: number, crash = false) {
  const labels: Record<string, string> = { app, version };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: crash ? { ...labels, [CRASH_LABEL]: 'true' } : labels },
        spec: { containers: [{ name: 'app', image: `registry.example/${app}:${version}` }] },
      },
    },
  };
}

interface App {
  name: string;
  total: number;
  crash: boolean;
}
const APPS: App[] = [
  { name: 'walk', total: 2, crash: false },
  { name: 'long', total: 10, crash: false },
  { name: 'crash', total: 4, crash: true },
];

for (const app of APPS) {
  const objects = [
    deployment(`${app.name}-v1`, app.name, 'v1', app.total),
    deployment(`${app.name}-v2`, app.name, 'v2', 0, app.crash),
    {
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      metadata: { name: app.name, annotations: { 'canary.k8shuginn.io/command': 'apply' } },
      spec: {
        oldDeployment: `${app.name}-v1`,
        newDeployment: `${app.name}-v2`,
        totalReplicas: app.total,
        stepReplicas: 1,
        cronSchedule: '* * * * *',
        selector: { matchLabels: { app: app.name } },
      },
    },
  ];
  await ws.kubectlOk(
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
}

// A request Metacontroller never sends, so the error panels have an error to show.
const bad = await fetch(new URL('/sync', SERVICE_URL), {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"parent": 1}',
});
t.equal(bad.status, 400, 'the service refuses a malformed sync');

interface CanaryStatus {
  state: string;
  currentStep: number;
  weight: number;
  rollback: { reason: string } | null;
}
async function status(name: string): Promise<CanaryStatus | undefined> {
  const r = await ws.kubectl(['get', 'canary', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as { status?: CanaryStatus }).status : undefined;
}

await t.test('the Canaries step, complete and roll back on the real engine', async (t) => {
  const walk = await waitFor(
    'walk to complete',
    async () => ((await status('walk'))?.state === 'complete' ? status('walk') : undefined),
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  t.equal(walk?.currentStep, 2);
  const crash = await waitFor(
    'crash to roll back',
    async () => {
      const s = await status('crash');
      return s?.rollback ? s : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  t.match(crash.rollback?.reason, /^CrashLoopBackOff: /);
  const long = await waitFor(
    'long to take its second step',
    async () => {
      const s = await status('long');
      return s && s.currentStep >= 2 ? s : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  t.equal(long.state, 'running');
});

// ------------------------------------------------------------------ queries
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** promtool query instant, as JSON; a query Prometheus cannot parse fails here. */
async function query(expr: string): Promise<Sample[]> {
  const r = await run(PROMTOOL, ['query', 'instant', '-o', 'json', prometheusUrl, expr], process.env);
  if (r.code !== 0) throw new Error(`promtool query instant ${expr}: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout) as Sample[];
}

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(
  readFileSync(join(REPO, 'charts', 'canary-hooks', 'files', 'dashboard.json'), 'utf8'),
) as {
  panels: Panel[];
  templating: { list: { name: string; query?: unknown }[] };
};
/** Grafana's variables, filled as Grafana would: this test's namespace, its job, a 5-minute rate window. */
const VARIABLES: Record<string, string> = { namespace: ws.namespace, job: JOB, __rate_interval: '5m' };
const fill = (expr: string) =>
  expr.replace(/\$(\w+)/g, (whole, name: string) => {
    const value = VARIABLES[name];
    if (value === undefined) throw new Error(`${expr} uses $${name}, which the test does not fill`);
    return value;
  });

const targets = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr })),
);
const perCanary = (samples: Sample[], label = 'name') =>
  samples.filter((s) => s.metric.namespace === ws.namespace).map((s) => s.metric[label]);

await t.test('every query of the dashboard returns series from the real Prometheus', async (t) => {
  t.ok(targets.length >= 15, `${targets.length} queries`);
  for (const variable of dashboard.templating.list)
    t.ok(variable.name === 'datasource' || variable.name in VARIABLES, `$${variable.name} is filled`);
  // Scrapes every 2 s: wait until the last of them has seen all three Canaries settled.
  await waitFor(
    'every query to return series',
    async () => {
      for (const target of targets) if ((await query(fill(target.expr))).length === 0) return false;
      return true;
    },
    { timeoutMs: 180_000, intervalMs: 3000 },
  ).catch(async (err: Error) => {
    for (const target of targets) {
      const n = (await query(fill(target.expr)).catch(() => [])).length;
      if (n === 0) t.fail(`${target.panel}: ${fill(target.expr)} returns nothing`);
    }
    throw err;
  });
  for (const target of targets) {
    const samples = await query(fill(target.expr));
    t.ok(samples.length > 0, `${target.panel}: ${target.expr}`);
  }
});

await t.test("the per-Canary panels show the Canaries' status", async (t) => {
  const step = await query(fill('max by (namespace, name) (canary_current_step{namespace=~"$namespace"})'));
  const stepOf = (name: string) => Number(step.find((s) => s.metric.name === name)?.value[1]);
  t.same(perCanary(step).sort(), ['crash', 'long', 'walk']);
  t.equal(stepOf('walk'), 2);
  t.equal(stepOf('crash'), 0, 'rolled back to step 0');
  t.ok(stepOf('long') >= 2);

  const states = await query(
    fill('max by (namespace, name, state) (canary_state{namespace=~"$namespace"}) == 1'),
  );
  t.same(states.map((s) => `${s.metric.name}=${s.metric.state}`).sort(), [
    'crash=stop',
    'long=running',
    'walk=complete',
  ]);
  const weight = await query(
    fill('max by (namespace, name) (canary_traffic_weight{namespace=~"$namespace"})'),
  );
  t.equal(Number(weight.find((s) => s.metric.name === 'walk')?.value[1]), 100);
  const rollbacks = await query(
    fill(
      'max by (namespace, name, reason) (canary_rollback_timestamp_seconds{namespace=~"$namespace"}) * 1000',
    ),
  );
  t.same(
    rollbacks.map((s) => `${s.metric.name} ${s.metric.reason}`),
    ['crash CrashLoopBackOff'],
  );
  const next = await query(
    fill('max by (namespace, name) (canary_next_step_timestamp_seconds{namespace=~"$namespace"}) - time()'),
  );
  t.same(perCanary(next), ['long'], 'only the running Canary has a next step');
});

await t.test(
  'the alert rules evaluate, and CanaryRolledBack fires for the Canary that crashed',
  async (t) => {
    const alert = await waitFor(
      'CanaryRolledBack to fire',
      async () => {
        const samples = await query(
          `ALERTS{alertname="CanaryRolledBack", namespace="${ws.namespace}", alertstate="firing"}`,
        );
        return samples.length > 0 ? samples : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2000 },
    );
    t.same(
      alert.map((s) => `${s.metric.name} ${s.metric.reason} ${s.metric.severity}`),
      ['crash CrashLoopBackOff warning'],
    );
    const others = await query(`ALERTS{namespace="${ws.namespace}", alertname!="CanaryRolledBack"}`);
    t.same(
      others.map((s) => `${s.metric.alertname} ${s.metric.name}`),
      [],
      'nothing else fires or is pending for these Canaries',
    );

    const res = await fetch(`${prometheusUrl}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    t.equal(rules.length, 5, 'every rule of alerts.yaml is loaded');
    for (const rule of rules)
      t.equal(rule.health, 'ok', `${rule.name} evaluates${rule.lastError ? `: ${rule.lastError}` : ''}`);
  },
);
