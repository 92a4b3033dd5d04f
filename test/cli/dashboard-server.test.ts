/**
 * `kubectl canary dashboard` over real HTTP: what it prints, the pages and
 * assets, the safety checks, and the buttons going through the plugin's
 * own command code.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { EXIT } from '../../cli/errors.js';
import { http, startDashboard, until, type Running } from './dashboard-support.js';
import { canaryObject, deploymentObject, runCli, runningStatus } from './helpers.js';

const KEY = 'canary.k8shuginn.io/command';

function withCanaries(api: Running['api']) {
  api.putCanary(canaryObject('web', { status: runningStatus(), command: 'apply' }));
  api.putCanary(
    canaryObject('api', {
      status: runningStatus({ state: 'stop', observedCommand: 'stop' }),
      command: 'stop',
    }),
  );
  api.putCanary(canaryObject('other', { namespace: 'shop', status: runningStatus() }));
  api.putDeployment(deploymentObject('web-v1', 6, 6));
  api.putDeployment(deploymentObject('web-v2', 4, 3));
}

const tokenOf = (html: string) => /<meta name="dashboard-token" content="([^"]+)">/.exec(html)?.[1] ?? '';

async function page(d: Running, path = '/') {
  return http(`${d.url}${path.slice(1)}`);
}

async function post(
  d: Running,
  path: string,
  token: string,
  extra: { headers?: Record<string, string>; body?: string } = {},
) {
  return http(`${d.url}${path.slice(1)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dashboard-token': token, ...extra.headers },
    body: extra.body ?? '{}',
  });
}

t.test('prints its URL, serves every Canary of the namespace, and stops on Ctrl-C', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  t.match(
    d.stdout(),
    /^Dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(context stand-in, namespace default\); Ctrl-C stops it\n$/,
  );
  const r = await page(d);
  t.equal(r.status, 200);
  t.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  t.match(r.headers['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'/);
  t.match(r.headers['content-security-policy'], /form-action 'none'; frame-ancestors 'none'/);
  t.equal(r.headers['x-frame-options'], 'DENY');
  t.equal(r.headers['cache-control'], 'no-store');
  t.match(r.body, /<tr id="row-default\/web"/);
  t.match(r.body, /<tr id="row-default\/api"/);
  t.notMatch(r.body, /row-shop\/other/, 'only the namespace asked for');
  t.match(
    r.body,
    /<span class="available short">3<\/span>/,
    "web-v2's availability from the Deployment watch",
  );
  t.match(r.body, /data-since="[0-9a-f]{12}\.\d+"/);
  t.match(tokenOf(r.body), /^[\w-]{43}$/, 'a 256-bit token');
  const healthz = await page(d, '/healthz');
  t.same(JSON.parse(healthz.body), { status: 'ok', connection: 'connected' });
  const result = await d.stop();
  t.equal(result.code, EXIT.ok);
  await t.rejects(page(d), { code: 'ECONNREFUSED' }, 'the port is closed');
  await until('the watches to close', () => d.api.openWatches === 0);
  t.pass('and the watches');
});

t.test('one watch per kind, however many pages are open', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  await d.api.watching(3);
  await Promise.all([page(d), page(d), page(d, '/canaries/default/web'), page(d, '/canaries/default/api')]);
  t.equal(d.api.watchesOf('canaries'), 1);
  t.equal(d.api.watchesOf('deployments'), 1);
  t.equal(d.api.watchesOf('events'), 1);
  t.same(
    d.api.requests
      .filter((r) => r.query.get('watch') === 'true')
      .map((r) => r.path)
      .sort(),
    [
      '/api/v1/namespaces/default/events',
      '/apis/apps/v1/namespaces/default/deployments',
      '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries',
    ],
  );
});

t.test('the assets are its own: the script and the stylesheet', async (t) => {
  const d = await startDashboard(t);
  const js = await page(d, '/assets/dashboard.js');
  t.equal(js.status, 200);
  t.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.match(js.body, /^"use strict";\(function dashboardClient\(\)/);
  t.match(js.body, /new w\.EventSource/);
  t.notMatch(js.body, /\bimport\b|\brequire\(/, 'self-contained');
  const css = await page(d, '/assets/dashboard.css');
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  t.match(css.body, /\.seg\.current/);
  t.notMatch(css.body, /url\(|@import/, 'nothing fetched from elsewhere');
  t.equal((await page(d, '/nope')).status, 404);
  t.equal((await page(d, '/%E0%A4%A')).status, 400);
  t.equal((await page(d, '/api/stream?view=canary')).status, 400, 'a canary stream needs its key');
});

t.test('one Canary: its page, or a 404 that says so', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  const r = await page(d, '/canaries/default/web');
  t.equal(r.status, 200);
  t.match(r.body, /<body data-view="canary" data-since="[^"]+" data-canary="default\/web">/);
  t.match(r.body, /data-command="stop"/);
  t.match(r.body, /<h2>Step plan<\/h2>/);
  t.match(r.body, /web-v2<\/td><td class="num">4<\/td><td class="num">4<\/td><td class="num">3<\/td>/);
  const missing = await page(d, '/canaries/default/nope');
  t.equal(missing.status, 404);
  t.match(missing.body, /There is no Canary nope in namespace default/);
});

t.test('on loopback only its own Host is served: a rebound DNS name gets nothing', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  for (const host of [`localhost:${d.port}`, `127.0.0.1:${d.port}`]) {
    t.equal((await http(d.url, { headers: { host } })).status, 200, host);
  }
  const evil = await http(d.url, { headers: { host: `attacker.example:${d.port}` } });
  t.equal(evil.status, 421);
  t.notMatch(evil.body, /dashboard-token/);
  t.equal(
    (
      await http(`${d.url}api/canaries/default/web/stop`, {
        method: 'POST',
        headers: { host: 'attacker.example' },
      })
    ).status,
    421,
  );
});

t.test('a button: the same annotation patch as kubectl canary stop, its output on the page', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  const token = tokenOf((await page(d)).body);
  const r = await post(d, '/api/canaries/default/web/stop', token);
  t.equal(r.status, 200);
  t.same(JSON.parse(r.body), {
    ok: true,
    exitCode: 0,
    output: [`canary/web annotated: ${KEY}=stop`],
    notes: [],
  });
  t.same(
    d.api.requests
      .filter((q) => q.method === 'PATCH')
      .map((q) => [q.path, q.headers['content-type'], q.body]),
    [
      [
        '/apis/canary.k8shuginn.io/v1alpha1/namespaces/default/canaries/web',
        'application/merge-patch+json',
        { metadata: { annotations: { [KEY]: 'stop' } } },
      ],
    ],
  );
  const complete = JSON.parse((await post(d, '/api/canaries/default/web/complete', token)).body);
  t.same(complete.output, [`canary/web annotated: ${KEY}=completion`]);
  // The plugin's note for a command that moves nothing comes along.
  const promote = JSON.parse((await post(d, '/api/canaries/default/api/promote', token)).body);
  t.same(promote, {
    ok: true,
    exitCode: 0,
    output: [`canary/api annotated: ${KEY}=promote`],
    notes: ['note: canary/api is not paused and waits for no cron tick: promote changes nothing'],
  });
});

t.test(
  'a button for the command already acted on: removed, waited for, set again, as the plugin does',
  async (t) => {
    const d = await startDashboard(t, [], (api) => {
      api.putCanary(
        canaryObject('web', {
          status: runningStatus({ state: 'stop', observedCommand: 'stop' }),
          command: 'stop',
        }),
      );
      // canary-hooks' part: once the annotation is gone, record that.
      api.onCanaryPatched = (c) => {
        const annotations = (c.metadata.annotations ?? {}) as Record<string, string>;
        if (annotations[KEY] === undefined) {
          setTimeout(
            () => api.putCanary({ ...c, status: { ...(c.status as object), observedCommand: '' } }),
            20,
          );
        }
      };
    });
    const token = tokenOf((await page(d)).body);
    const r = JSON.parse((await post(d, '/api/canaries/default/web/stop', token)).body);
    t.equal(r.ok, true);
    t.same(r.notes, [
      `canary/web: command stop was already acted on; removed ${KEY} so it can be given again`,
      'note: canary/web is not running (state stop): stop changes nothing',
    ]);
    t.same(r.output, [`canary/web annotated: ${KEY}=stop`]);
    t.same(
      d.api.requests.filter((q) => q.method === 'PATCH').map((q) => q.body),
      [{ metadata: { annotations: { [KEY]: null } } }, { metadata: { annotations: { [KEY]: 'stop' } } }],
    );
  },
);

t.test("the plugin's errors reach the page as they would the terminal", async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  const token = tokenOf((await page(d)).body);
  const missing = await post(d, '/api/canaries/default/nope/stop', token);
  t.equal(missing.status, 404);
  t.match(JSON.parse(missing.body), {
    ok: false,
    exitCode: EXIT.notFound,
    error: 'error: canary "nope" in namespace "default" not found',
  });
  d.api.forbidden.push({ method: 'PATCH', prefix: '/apis/canary.k8shuginn.io' });
  const refused = await post(d, '/api/canaries/default/web/rollback', token);
  t.equal(refused.status, 403);
  t.match(JSON.parse(refused.body).error, /^error: forbidden: .*cannot patch this resource/);
  const unknown = await post(d, '/api/canaries/default/web/frobnicate', token);
  t.equal(unknown.status, 404);
  t.match(JSON.parse(unknown.body).error, /kubectl canary frobnicate does not exist in this version/);
});

t.test('a command needs the token, JSON, and no other origin', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  const token = tokenOf((await page(d)).body);
  const path = '/api/canaries/default/web/rollback';
  const cases: [string, Promise<{ status: number; body: string }>, number, RegExp][] = [
    ['no token', post(d, path, ''), 403, /token/],
    ['a wrong token', post(d, path, `${token.slice(1)}x`), 403, /token/],
    [
      'another origin',
      post(d, path, token, { headers: { origin: 'http://attacker.example' } }),
      403,
      /only from the dashboard/,
    ],
    [
      'a cross-site fetch',
      post(d, path, token, { headers: { 'sec-fetch-site': 'cross-site' } }),
      403,
      /only from the dashboard/,
    ],
    [
      'a form post',
      post(d, path, token, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      /application\/json/,
    ],
    ['not JSON', post(d, path, token, { body: 'stop' }), 400, /not JSON/],
    ['too big', post(d, path, token, { body: JSON.stringify({ pad: 'x'.repeat(5000) }) }), 413, /too large/],
  ];
  for (const [what, reply, status, message] of cases) {
    const r = await reply;
    t.equal(r.status, status, what);
    t.match(JSON.parse(r.body).error, message, what);
  }
  const get = await http(`${d.url}${path.slice(1)}`);
  t.equal(get.status, 405, 'GET never changes anything');
  t.equal(get.headers.allow, 'POST');
  t.equal(d.api.requests.filter((q) => q.method === 'PATCH').length, 0, 'none of them reached the API');
  const same = await post(d, path, token, {
    headers: { origin: `http://127.0.0.1:${d.port}`, 'sec-fetch-site': 'same-origin' },
  });
  t.equal(same.status, 200, 'the page itself, as a browser sends it');
});

t.test('-A: every namespace, a namespace column, and commands go to the right one', async (t) => {
  const d = await startDashboard(t, ['-A'], withCanaries);
  t.match(d.stdout(), /all namespaces\); Ctrl-C/);
  const r = await page(d);
  t.match(r.body, /<td class="ns">shop<\/td>/);
  t.match(r.body, /row-shop\/other/);
  const answer = await post(d, '/api/canaries/shop/other/stop', tokenOf(r.body));
  t.equal(answer.status, 200);
  t.equal(
    d.api.requests.find((q) => q.method === 'PATCH')?.path,
    '/apis/canary.k8shuginn.io/v1alpha1/namespaces/shop/canaries/other',
  );
});

t.test('beyond loopback it warns that anyone reaching the port can steer rollouts', async (t) => {
  const d = await startDashboard(t, ['--address', '0.0.0.0'], withCanaries);
  const result = await d.stop();
  t.match(
    result.stderr,
    /^warning: listening on 0\.0\.0\.0, not loopback: anyone who can reach port \d+ can see every Canary and steer rollouts with the credentials of context stand-in\n$/,
  );
});

t.test('any Host beyond loopback: the listener was chosen to be reachable by other names', async (t) => {
  const d = await startDashboard(t, ['--address', '0.0.0.0'], withCanaries);
  t.equal((await http(d.url, { headers: { host: `dashboard.internal:${d.port}` } })).status, 200);
});

t.test('usage and start-up errors', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['dashboard', '--port', 'x'], EXIT.usage, /--port must be a port number, got "x"/],
    [['dashboard', '--port', '70000'], EXIT.usage, /--port must be a port number/],
    [['list', '--port', '1'], EXIT.usage, /--port and --address go with dashboard/],
    [['status', 'web', '--address', '127.0.0.1'], EXIT.usage, /--port and --address go with dashboard/],
    [['dashboard', 'extra'], EXIT.usage, /unexpected argument "extra" for dashboard/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(args);
    t.equal(r.code, code, args.join(' '));
    t.match(r.stderr, message);
  }
  const help = await runCli(['--help']);
  t.match(help.stdout, /dashboard \[--port N\] \[--address IP\]/);
});

t.test('start-up errors against a cluster', async (t) => {
  const d = await startDashboard(t);
  const bad = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--address', 'example.com']);
  t.equal(bad.code, EXIT.usage);
  t.match(bad.stderr, /--address must be an IP address or localhost, got "example.com"/);
  const busy = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--port', String(d.port)]);
  t.equal(busy.code, EXIT.failed);
  t.match(
    busy.stderr,
    new RegExp(`^error: cannot listen on 127.0.0.1:${d.port}: the port is in use \\(pass --port\\)`),
  );
  d.api.crdInstalled = false;
  const noCrd = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--port', '0']);
  t.equal(noCrd.code, EXIT.notFound);
  t.match(noCrd.stderr, /canaries in namespace default \(is the Canary CRD installed\?\) not found/);
  // A listener that fails for another reason than a busy port says why.
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  d.api.crdInstalled = true;
  const v6 = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--port', '0', '--address', '::2']);
  t.equal(v6.code, EXIT.failed);
  t.match(v6.stderr, /^error: cannot listen on \[::2\]:0: /);
});
