/**
 * The dashboard with 1,000 Canaries (and their 2,000 Deployments) in the
 * real API server of the integration tests: its memory, how fast the first
 * page comes, and how long a status change takes to show in a browser tab.
 * A benchmark, not a test: it asserts nothing and prints figures. Run it with
 *
 *   bash test/integration/dashboard-bench.sh [CANARIES]
 *
 * The dashboard runs as it ships: tsc's build of cli/ (not the TypeScript
 * loader the tests use, which costs memory of its own), started as
 * `node dist/cli/main.js dashboard`, or the file DASHBOARD_BENCH_MAIN names.
 * Memory is read from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { REPO, createNamespace, installAll, kubeConfig, validSpec } from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';
import { launch } from './dashboard/browser.js';
import { SseReader } from '../cli/dashboard-support.js';

const COUNT = Number(process.argv[2] ?? 1000);
const SAMPLES = 40;
const GROUP = 'canary.k8shuginn.io';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const mb = (n: number) => `${n.toFixed(0)} MB`;
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function main() {
  await installAll();
  const ns = await createNamespace('bench');
  const kc = kubeConfig();
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);

  // One real status from the real hooks, copied to every Canary: the status
  // schema wants every field, and this is what they look like on a cluster.
  const hooks = await HookServer.start(kc, new Date());
  const mc = new Metacontroller(hooks);
  const names = Array.from({ length: COUNT }, (_, i) => `app-${String(i).padStart(4, '0')}`);
  const started = Date.now();
  await pool(names, 16, async (name) => {
    for (const [version, replicas] of [
      ['v1', 10],
      ['v2', 0],
    ] as const) {
      const labels = { app: name, version };
      await apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: `${name}-${version}`, labels },
          spec: {
            replicas,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'app', image: `registry.example/${name}:${version}` }] },
            },
          },
        },
      });
    }
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: 'v1alpha1',
      namespace: ns,
      plural: 'canaries',
      body: {
        apiVersion: `${GROUP}/v1alpha1`,
        kind: 'Canary',
        metadata: { name },
        spec: validSpec({
          oldDeployment: `${name}-v1`,
          newDeployment: `${name}-v2`,
          selector: { matchLabels: { app: name } },
        }),
      },
    });
  });
  const template = (await mc.sync(ns, names[0]!)).status;
  await hooks.close();
  await pool(names.slice(1), 16, (name) =>
    custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: 'v1alpha1',
        namespace: ns,
        plural: 'canaries',
        name,
        // A JSON patch, not a merge patch: the nulls of the status must stay, not delete their fields.
        body: [{ op: 'add', path: '/status', value: template }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    ),
  );
  console.log(
    `created ${COUNT} Canaries and ${2 * COUNT} Deployments with statuses in ${((Date.now() - started) / 1000).toFixed(0)}s`,
  );

  // The plugin as it ships.
  // DASHBOARD_BENCH_MAIN: another build of the plugin to measure (a bundle, say).
  const out = join(REPO, 'test', 'integration', '.cache', 'bench-dist');
  const main = process.env.DASHBOARD_BENCH_MAIN ?? join(out, 'cli', 'main.js');
  if (!process.env.DASHBOARD_BENCH_MAIN) {
    rmSync(out, { recursive: true, force: true });
    execFileSync(
      join(REPO, 'node_modules', '.bin', 'tsc'),
      ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', out],
      {
        stdio: 'inherit',
      },
    );
  }
  const start = async (namespace: string) => {
    const t0 = Date.now();
    const child = spawn('node', [main, 'dashboard', '-n', namespace, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        const m = /(http:\/\/\S+\/)/.exec(text);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
    });
    const ready = Date.now() - t0;
    // Settled: the watches open, the first lists' garbage there to be collected or not.
    await new Promise((r) => setTimeout(r, 3000));
    return { child, url, ready, pid: child.pid! };
  };
  const stop = async (child: ReturnType<typeof spawn>) => {
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
  };

  // The floor: node, client-node and the dashboard watching an empty namespace.
  const empty = await start(await createNamespace('bench-empty'));
  const floor = memory(empty.pid);
  await stop(empty.child);

  const { child, url, ready, pid } = await start(ns);
  const idle = memory(pid);

  const browser = await launch();
  const page = browser.page;
  const loadStart = Date.now();
  const response = await page.goto(url, { waitUntil: 'load' });
  const html = (await response?.body())?.length ?? 0;
  // Browser code as strings: the project is typed for Node, not the DOM.
  await page.waitForFunction(
    `document.querySelectorAll('#canaries tbody tr').length === ${COUNT}`,
    undefined,
    {
      timeout: 120_000,
    },
  );
  const loaded = Date.now() - loadStart;
  // The page notes when each row's step text changes, by the page's clock (the machine's).
  await page.evaluate(`(() => {
    const seen = (window.seen = {});
    new MutationObserver((mutations) => {
      const now = Date.now();
      for (const m of mutations)
        for (const el of m.addedNodes)
          if (el.getAttribute && el.getAttribute('data-key'))
            seen[el.getAttribute('data-key') + '|' + el.querySelector('.steps').textContent] ??= now;
    }).observe(document.querySelector('#canaries tbody'), { childList: true });
  })()`);
  const withTab = memory(pid);

  const patchStep = (name: string, step: number) =>
    custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: 'v1alpha1',
        namespace: ns,
        plural: 'canaries',
        name,
        body: { status: { currentStep: step, oldReplicas: 10 - 2 * step, newReplicas: 2 * step } },
      },
      MERGE,
    );
  // Polled from here (the page's CSP forbids the eval a polling waitForFunction needs); the time
  // taken is the page's own record, so the polling interval does not add to it.
  const seenAt = async (key: string): Promise<number> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const at = (await page.evaluate(`window.seen[${JSON.stringify(key)}]`)) as number | undefined;
      if (at !== undefined) return at;
      if (Date.now() > deadline) throw new Error(`row ${key} never shown`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  // One change at a time: from the API server's answer to the patch to the row in the tab.
  const latencies: number[] = [];
  const cpuBefore = cpuSeconds(pid);
  for (let i = 0; i < SAMPLES; i++) {
    const name = names[(i * 37) % COUNT]!;
    const step = 2 + (i % 3);
    await patchStep(name, step);
    const patched = Date.now();
    const at = await seenAt(`${ns}/${name}|${step}/5`);
    latencies.push(at - patched);
  }
  const cpu = cpuSeconds(pid) - cpuBefore;

  // A burst: 200 Canaries change at once.
  const burst = names.slice(0, 200);
  const burstStart = Date.now();
  await pool(burst, 16, (name) => patchStep(name, 5));
  const patchedAll = Date.now();
  for (const name of burst) await seenAt(`${ns}/${name}|5/5`);
  const burstLast = Math.max(
    ...((await page.evaluate(
      `${JSON.stringify(burst.map((n) => `${ns}/${n}|5/5`))}.map((k) => window.seen[k])`,
    )) as number[]),
  );

  // Twenty more open streams: each page costs the server a socket and a render, not a watch.
  const streams = await Promise.all(
    Array.from({ length: 20 }, () => SseReader.open(`${url}api/stream?view=overview&since=x.0`)),
  );
  await new Promise((r) => setTimeout(r, 1000));
  const withStreams = memory(pid);
  for (const s of streams) s.end();

  await stop(child);
  await browser.close();
  rmSync(out, { recursive: true, force: true });

  console.log(`
dashboard with ${COUNT} Canaries, ${2 * COUNT} Deployments (node ${process.version}, ${process.arch}, ${main})
  serving after            ${ms(ready)} (from start to the URL: the first list of Canaries done)
  RSS, empty namespace     ${mb(floor.rss)} (node, client-node, the dashboard: the floor)
  RSS idle                 ${mb(idle.rss)}
  RSS, one tab open        ${mb(withTab.rss)}
  RSS, 21 streams open     ${mb(withStreams.rss)}
  peak RSS                 ${mb(withStreams.peak)}
  overview page            ${(html / 1024).toFixed(0)} KB of HTML, ${ms(loaded)} to load and show ${COUNT} rows
  one change to the tab    median ${ms(quantile(latencies, 0.5))}, p95 ${ms(quantile(latencies, 0.95))}, max ${ms(Math.max(...latencies))} (${SAMPLES} changes, ${cpu.toFixed(2)} s of dashboard CPU)
  200 changes at once      last row shown ${ms(burstLast - burstStart)} after the first patch was sent (${ms(patchedAll - burstStart)} to send them all)
`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
