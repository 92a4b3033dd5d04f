/**
 * `kubectl canary dashboard` in a real browser (Debian's chromium, driven by
 * playwright-core) against the real kube-apiserver, with the Metacontroller
 * stand-in running the real hooks service:
 *
 * 1. the overview shows a Canary as it is created, and its row follows its
 *    status; its page has the plan, the Deployments and the Events; stop,
 *    confirmed, sets the annotation in the API, through the plugin's code;
 * 2. the API server restarts: the page says it is reconnecting, then shows
 *    what changed once it is back. This one restarts a throwaway API server
 *    of its own (dashboard/apiserver.ts says why);
 * 3. on every interface (--address 0.0.0.0 --allowed-host), a page of
 *    another origin and a page whose DNS name was rebound to the dashboard
 *    can neither read the token nor run a command; the printed URL can.
 *
 * The screenshots in docs/ are taken here, from what the browser shows.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  REPO,
  canaryObject,
  createCanaryApp,
  createNamespace,
  deploymentObject,
  installAll,
  kubeConfig,
  kubectlOk,
  validSpec,
} from './helpers.js';
import { HookServer, Metacontroller } from './metacontroller.js';
import { launch, rowSelector, waitForText, UI_TIMEOUT_MS, type Browser } from './dashboard/browser.js';
import type { Page } from 'playwright-core';
import { pluginBin, startDashboard, type RunningDashboard } from './dashboard/plugin.js';
import { ThrowawayCluster } from './dashboard/apiserver.js';

const COMMAND = 'canary.k8shuginn.io/command';
const DOCS = join(REPO, 'docs');
const bin = pluginBin();
let browser: Browser;

t.before(async () => {
  await installAll();
  // attacker.example plays a rebound DNS name, dashboard.test the name a user gives.
  browser = await launch({ resolve: { 'attacker.example': '127.0.0.1', 'dashboard.test': '127.0.0.1' } });
});

t.teardown(async () => {
  await browser?.close();
  bin.remove();
});

/** Plays Metacontroller until the status settles: a sync, the Deployments settled, another sync. */
async function settle(mc: Metacontroller, ns: string, app: string) {
  await mc.sync(ns, app);
  await mc.settleDeployment(ns, `${app}-v1`);
  await mc.settleDeployment(ns, `${app}-v2`);
  return mc.sync(ns, app);
}

t.test('overview, a row that follows its Canary, its page, and stop with confirmation', async (t) => {
  const ns = await createNamespace('dashboard');
  // The hooks' clock starts two ticks back, so after the two steps taken on
  // schedule below the last step is this minute's tick and the next is due
  // within the minute: the times on the page read as on a live cluster.
  const start = new Date(Date.now() - 2 * 60_000);
  start.setUTCSeconds(0, 0);
  const hooks = await HookServer.start(kubeConfig(), start);
  t.teardown(() => hooks.close());
  const mc = new Metacontroller(hooks);

  const dashboard = await startDashboard(bin.dir, ['-n', ns, '--port', '0']);
  // Cleanup only; the exit code is checked at the end of the test.
  t.teardown(() => dashboard.stop());
  t.match(
    dashboard.stdout(),
    new RegExp(
      `^Dashboard: http://127\\.0\\.0\\.1:\\d+/#token=[\\w-]{43} \\(context itest, namespace ${ns}\\)`,
    ),
  );
  const page = browser.page;
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

  await page.goto(dashboard.url);
  await page.locator('#empty').waitFor({ state: 'visible' });
  await page.waitForURL((url) => url.hash === '');
  t.notOk(page.url().includes(dashboard.token), 'the token leaves the address bar');
  t.notOk((await page.content()).includes(dashboard.token), 'and is nowhere in the page');
  t.match(await page.textContent('#empty'), /No Canaries in .* yet/);

  // A Canary appears as it is created, before any status.
  await createCanaryApp(ns, 'web', { totalReplicas: 10, stepReplicas: 2 });
  const web = rowSelector(ns, 'web');
  await page.locator(web).waitFor();
  t.match(await page.textContent(`${web} .state`), /no status/);
  t.equal(await page.locator('#empty').isVisible(), false);

  // Its row follows its status.
  await settle(mc, ns, 'web');
  await waitForText(page, `${web} .state`, /pending/);
  await waitForText(page, `${web} .steps`, /^0\/5$/);
  await kubectlOk(['annotate', 'canary', 'web', '-n', ns, `${COMMAND}=apply`]);
  await settle(mc, ns, 'web');
  await waitForText(page, `${web} .state`, /running/);
  await waitForText(page, `${web} .steps`, /^1\/5$/);
  t.match(await page.textContent(`${web} .old`), /^8\/8$/, 'old: 8 asked, 8 available');
  t.equal(await page.locator(`${web} .seg.current`).count(), 1, 'the current step marked');
  for (let step = 2; step <= 3; step++) {
    hooks.advance(60);
    await settle(mc, ns, 'web');
    await waitForText(page, `${web} .steps`, new RegExp(`^${step}/5$`));
  }
  await waitForText(page, `${web} .new`, /^6\/6$/);
  await waitForText(page, `${web} .weight`, /^60%$/);

  // More Canaries, for the screenshot and the filter: one rolled back by a crash, one complete.
  await createCanaryApp(ns, 'checkout', { totalReplicas: 6, stepReplicas: 3 });
  await kubectlOk(['annotate', 'canary', 'checkout', '-n', ns, `${COMMAND}=completion`]);
  await settle(mc, ns, 'checkout');
  await createCanaryApp(ns, 'search', { totalReplicas: 4, stepReplicas: 1 });
  await kubectlOk(['annotate', 'canary', 'search', '-n', ns, `${COMMAND}=apply`]);
  await settle(mc, ns, 'search');
  await mc.createPod(ns, 'search-v2', 'search-v2-pod-1');
  await mc.crashLoop(ns, 'search-v2-pod-1');
  await mc.sync(ns, 'search');
  await waitForText(page, `${rowSelector(ns, 'search')} .state`, /rolled back/);
  await waitForText(page, `${rowSelector(ns, 'search')} .rollback`, /CrashLoopBackOff/);
  await waitForText(page, `${rowSelector(ns, 'checkout')} .state`, /complete/);
  await createCanaryApp(ns, 'api', { totalReplicas: 3, stepReplicas: 1 });
  await settle(mc, ns, 'api');
  await waitForText(page, '#count', /^4 of 4$/);

  // Filter and sort, in the page.
  await page.selectOption('#state-filter', 'running');
  await waitForText(page, '#count', /^1 of 4$/);
  t.equal(await page.locator(web).isVisible(), true);
  await page.selectOption('#state-filter', '');
  await page.fill('#filter', 'che');
  await waitForText(page, '#count', /^1 of 4$/);
  await page.fill('#filter', '');
  await page.click('th[data-sort="progress"] button');
  await page.click('th[data-sort="progress"] button');
  const order = await page.$$eval('#canaries tbody tr', (rows) =>
    rows.map((r) => r.getAttribute('data-name')),
  );
  t.same(order, ['checkout', 'web', 'api', 'search'], 'by progress, highest first');
  t.match(page.url(), /\?sort=progress&dir=desc$/, 'the sort is kept in the URL');
  await page.click('th[data-sort="name"] button');
  await page.waitForURL((url) => !url.search.includes('sort='));

  await page.mouse.move(0, 0);
  mkdirSync(DOCS, { recursive: true });
  // Only as tall as the table, for the README.
  await page.setViewportSize({ width: 1360, height: 420 });
  await page.screenshot({ path: join(DOCS, 'dashboard-overview.png') });
  await page.setViewportSize({ width: 1360, height: 820 });

  // Its page: status, chart, plan, Deployments, conditions, Events.
  await page.click(`${web} td.name a`);
  await page.waitForURL(new RegExp(`/canaries/${ns}/web$`));
  await page.locator('#canary-live .summary').waitFor();
  t.match(await page.textContent('#canary-live .summary'), /running/);
  t.match(await page.textContent('#canary-live .plan'), /3\s*4\s*6.*current/s);
  t.match(await page.textContent('#canary-live .deployments'), /web-v2\s*6\s*6\s*6/);
  t.match(await page.textContent('#canary-live .deployments'), /registry\.example\/web:v2/);
  await waitForText(page, '#canary-live .events', /Advanced to step 3 of 5/);
  t.ok((await page.locator('#canary-live svg.chart path.line.new').count()) === 1, 'the chart');
  for (const command of ['apply', 'stop', 'promote', 'rollback', 'complete']) {
    t.equal(await page.locator(`button[data-command="${command}"]`).isEnabled(), true, `a ${command} button`);
  }
  await page.screenshot({ path: join(DOCS, 'dashboard-canary.png'), fullPage: true });

  // stop: asked, confirmed, done through the plugin's command, the result on the page.
  await page.click('button[data-command="stop"]');
  await page.locator('#confirm').waitFor({ state: 'visible' });
  t.match(
    await page.textContent('#confirm-text'),
    /stop .*\/web: hold it at the current step\? This sets canary\.k8shuginn\.io\/command=stop/,
  );
  await page.click('#confirm-ok');
  await waitForText(page, '#result', new RegExp(`canary/web annotated: ${COMMAND}=stop`));
  const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  const stored = (await custom.getNamespacedCustomObject({
    group: 'canary.k8shuginn.io',
    version: 'v1alpha1',
    namespace: ns,
    plural: 'canaries',
    name: 'web',
  })) as { metadata: { annotations?: Record<string, string> } };
  t.equal(stored.metadata.annotations?.[COMMAND], 'stop', 'the annotation is set in the API');
  await mc.sync(ns, 'web');
  await waitForText(page, '#canary-live .summary', /stopped/);

  // Cancel changes nothing.
  await page.click('button[data-command="rollback"]');
  await page.locator('#confirm').waitFor({ state: 'visible' });
  await page.click('#confirm button[value="cancel"]');
  await page.locator('#confirm').waitFor({ state: 'hidden' });
  t.equal(
    (
      (await custom.getNamespacedCustomObject({
        group: 'canary.k8shuginn.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'canaries',
        name: 'web',
      })) as { metadata: { annotations?: Record<string, string> } }
    ).metadata.annotations?.[COMMAND],
    'stop',
    'cancel sends nothing',
  );
  t.same(errors, [], 'no script error on the page');
  t.equal(await dashboard.stop(), 0, 'Ctrl-C ends it with exit 0');
});

t.test('the API server restarts: the page says it is reconnecting, then recovers', async (t) => {
  const cluster = await ThrowawayCluster.start();
  t.teardown(() => cluster.close());
  for (const [version, replicas] of [
    ['v1', 4],
    ['v2', 0],
  ] as const) {
    await cluster.kubectlOk(
      ['create', '-f', '-'],
      JSON.stringify(
        deploymentObject({ name: `app-${version}`, namespace: 'default', version, app: 'app', replicas }),
      ),
    );
  }
  await cluster.kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(canaryObject('app', 'default', validSpec({ totalReplicas: 4, stepReplicas: 1 }))),
  );

  const dashboard: RunningDashboard = await startDashboard(bin.dir, [
    '--kubeconfig',
    cluster.kubeconfig,
    '--port',
    '0',
  ]);
  t.teardown(() => dashboard.stop());
  const page = await browser.context.newPage();
  t.teardown(() => page.close());
  await page.goto(dashboard.url);
  const row = rowSelector('default', 'app');
  await page.locator(row).waitFor();
  t.equal(await page.locator('#connection').isVisible(), false, 'no notice while connected');

  await cluster.stopApiServer();
  await page
    .locator('#connection[data-state="reconnecting"]')
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  t.match(
    await page.textContent('#connection'),
    /Reconnecting to the Kubernetes API .*What is shown may be out of date/,
  );
  t.equal(await page.locator(row).isVisible(), true, 'the last known rows stay');
  t.match(
    await page.textContent('#stream-state'),
    /live/,
    'the page is still connected to the dashboard itself',
  );

  await cluster.startApiServer();
  await page.locator('#connection').waitFor({ state: 'hidden', timeout: 120_000 });
  // The watches are really back: a Canary created now appears.
  await cluster.kubectlOk(
    ['create', '-f', '-'],
    JSON.stringify(canaryObject('after', 'default', validSpec({ totalReplicas: 4, stepReplicas: 1 }))),
  );
  await page.locator(rowSelector('default', 'after')).waitFor({ timeout: 120_000 });
  t.pass('recovered');
  t.equal(await dashboard.stop(), 0, 'Ctrl-C ends it with exit 0');
});

/** The attacker's script, as a page of theirs would run it; what it learned is in window.attack. */
function attackPage(script: string): string {
  return `<!doctype html><html><body><script>window.attack = (async () => {${script}})();</script></body></html>`;
}

/** What an attack page learned, once its script is done. */
async function attackResult(page: Page): Promise<Record<string, string | number>> {
  return page.evaluate(
    () => (globalThis as unknown as { attack: Promise<Record<string, string | number>> }).attack,
  );
}

t.test('another origin and a rebound DNS name get neither the token nor a command', async (t) => {
  const ns = await createNamespace('dashboard-attack');
  await createCanaryApp(ns, 'web', { totalReplicas: 4, stepReplicas: 1 });
  // The case: on every interface the Host check used to be off.
  const dashboard = await startDashboard(bin.dir, [
    '-n',
    ns,
    '--port',
    '0',
    '--address',
    '0.0.0.0',
    '--allowed-host',
    'dashboard.test',
  ]);
  t.teardown(() => dashboard.stop());
  const port = new URL(dashboard.url).port;
  t.match(dashboard.url, new RegExp(`^http://dashboard\\.test:${port}/#token=`));
  const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
  const command = async () =>
    (
      (await custom.getNamespacedCustomObject({
        group: 'canary.k8shuginn.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'canaries',
        name: 'web',
      })) as { metadata: { annotations?: Record<string, string> } }
    ).metadata.annotations?.[COMMAND];
  const rollback = `/api/canaries/${ns}/web/rollback`;

  // 1. DNS rebinding: the attacker's page is served from attacker.example:PORT, then the name
  //    points at 127.0.0.1, so its same-origin requests reach the dashboard under its own name.
  const page = await browser.context.newPage();
  t.teardown(() => page.close());
  await page.route(`http://attacker.example:${port}/evil.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: attackPage(`
        const out = {};
        const home = await fetch('/');
        out.homeStatus = home.status;
        out.home = await home.text();
        out.token = (/token=([\\w-]+)/.exec(out.home) || /dashboard-token" content="([^"]+)"/.exec(out.home) || [])[1] || '';
        const run = await fetch('${rollback}', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-dashboard-token': out.token },
          body: '{}',
        });
        out.commandStatus = run.status;
        out.command = await run.text();
        return out;`),
    }),
  );
  await page.goto(`http://attacker.example:${port}/evil.html`);
  const rebound = await attackResult(page);
  t.equal(rebound.homeStatus, 421, 'the page is refused for its Host: it reached the dashboard');
  t.equal(rebound.token, '', 'no token read');
  t.notOk(String(rebound.home).includes(dashboard.token));
  t.equal(rebound.commandStatus, 421, 'the command is refused');
  t.equal(await command(), undefined, 'no annotation set');

  // 2. Another origin: cross-origin reads are blocked by the browser, a blind POST by the server.
  await page.route('http://attacker.example:8081/evil.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: attackPage(`
        const out = {};
        const target = 'http://dashboard.test:${port}';
        try {
          out.home = await (await fetch(target + '/')).text();
        } catch (err) {
          out.homeError = String(err);
        }
        // A "simple" request needs no preflight, so it is sent; its answer is never readable
        // (an opaque response, or a network error where Chrome blocks a JSON answer outright).
        try {
          const blind = await fetch(target + '${rollback}', {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: '{}',
          });
          out.blind = blind.type + ' ' + blind.status + ' ' + (await blind.text());
        } catch (err) {
          out.blind = String(err);
        }
        try {
          await fetch(target + '${rollback}', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-dashboard-token': 'guess' },
            body: '{}',
          });
          out.preflight = 'answered';
        } catch (err) {
          out.preflight = String(err);
        }
        const frame = document.createElement('iframe');
        frame.src = target + '/';
        document.body.appendChild(frame);
        await new Promise((resolve) => { frame.onload = resolve; setTimeout(resolve, 3000); });
        try {
          out.frame = frame.contentDocument ? frame.contentDocument.documentElement.outerHTML : 'no document';
        } catch (err) {
          out.frame = String(err);
        }
        return out;`),
    }),
  );
  await page.goto('http://attacker.example:8081/evil.html');
  const cross = await attackResult(page);
  t.match(cross.homeError, /TypeError/, 'the page cannot be read from another origin');
  t.equal(cross.home, undefined);
  t.match(cross.blind, /^(opaque 0 |TypeError)/, 'a blind POST learns nothing');
  t.match(cross.preflight, /TypeError/, 'a request with the token header needs a preflight, never answered');
  t.notOk(JSON.stringify(cross).includes(dashboard.token), 'no token anywhere it could look');
  t.equal(await command(), undefined, 'no annotation set');

  // 3. The printed URL, in the browser: its page gets the token, and its button runs.
  await page.goto(dashboard.url);
  await page.locator(rowSelector(ns, 'web')).waitFor();
  await page.waitForURL((url) => url.hash === '');
  await page.click(`${rowSelector(ns, 'web')} td.name a`);
  await page.waitForURL(new RegExp(`/canaries/${ns}/web$`));
  await page.click('button[data-command="rollback"]');
  await page.click('#confirm-ok');
  await waitForText(page, '#result', new RegExp(`canary/web annotated: ${COMMAND}=rollback`));
  t.equal(await command(), 'rollback', 'the page of the printed URL runs it');
  t.equal(await dashboard.stop(), 0);
});
