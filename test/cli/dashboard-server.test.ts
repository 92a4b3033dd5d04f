/**
 * `kubectl canary dashboard` over real HTTP: what it prints, the pages and
 * assets, the safety checks (Host, token, Origin, the commands it knows),
 * and the buttons going through the plugin's own command code.
 */
import t from 'tap';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { EXIT } from '../../cli/errors.js';
import { http, SseReader, startDashboard, until, type Running } from './dashboard-support.js';
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

async function page(d: Running, path = '/') {
  return http(`${d.url}${path.slice(1)}`);
}

/** A command as the dashboard's page sends it: JSON, the token, its own Origin. */
async function post(
  d: Running,
  path: string,
  token: string,
  extra: { headers?: Record<string, string>; body?: string } = {},
) {
  return http(`${d.url}${path.slice(1)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-dashboard-token': token,
      origin: `http://127.0.0.1:${d.port}`,
      ...extra.headers,
    },
    body: extra.body ?? '{}',
  });
}

const patches = (d: Running) => d.api.requests.filter((q) => q.method === 'PATCH');

t.test('prints its URL, serves every Canary of the namespace, and stops on Ctrl-C', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  t.match(
    d.stdout(),
    /^Dashboard: http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{43} \(context stand-in, namespace default\); Ctrl-C stops it\n$/,
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
  t.match(d.token, /^[\w-]{43}$/, 'a 256-bit token, in the printed URL');
  t.notOk(r.body.includes(d.token), 'and not in the page');
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
  t.notOk(evil.body.includes(d.token));
  const rebound = await post(d, '/api/canaries/default/web/stop', d.token, {
    headers: { host: `attacker.example:${d.port}`, origin: `http://attacker.example:${d.port}` },
  });
  t.equal(rebound.status, 421, 'not even with the token');
  t.same(patches(d), []);
});

t.test('no page hands out the token: the printed URL is the only place it is', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  for (const path of [
    '/',
    '/?token=',
    '/canaries/default/web',
    '/canaries/default/nope',
    '/assets/dashboard.js',
    '/assets/dashboard.css',
    '/healthz',
    '/nope',
    '/api/canaries/default/web/stop',
  ]) {
    const r = await page(d, path);
    t.ok(r.status > 0, path);
    t.notOk(r.body.includes(d.token), `${path} (${r.status}) does not carry the token`);
    t.notOk(JSON.stringify(r.headers).includes(d.token), `nor its headers`);
  }
  const since = /data-since="([^"]+)"/.exec((await page(d)).body)?.[1] ?? '';
  const stream = await SseReader.open(`${d.url}api/stream?view=overview&since=${since}`);
  d.api.putCanary(canaryObject('fresh', { status: runningStatus() }));
  await stream.next((e) => e.event === 'rows' && e.data.includes('fresh'));
  stream.end();
  t.notOk(JSON.stringify(stream.events).includes(d.token), 'nor the event stream');
  // Without the token a command is refused; with it, it runs.
  t.equal((await post(d, '/api/canaries/default/web/stop', '')).status, 403);
  t.same(patches(d), []);
  t.equal((await post(d, '/api/canaries/default/web/stop', d.token)).status, 200);
});

t.test('only the commands it knows: prototype names are unknown commands, not Object members', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  for (const name of [
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__defineGetter__',
  ]) {
    const r = await post(d, `/api/canaries/default/web/${name}`, d.token);
    t.equal(r.status, 404, name);
    t.equal(
      JSON.parse(r.body).error,
      `error: kubectl canary ${name} does not exist in this version of the plugin`,
      name,
    );
  }
  t.same(patches(d), [], 'nothing reached the API');
});

t.test('a button: the same annotation patch as kubectl canary stop, its output on the page', async (t) => {
  const d = await startDashboard(t, [], withCanaries);
  const token = d.token;
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
    const token = d.token;
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
  const token = d.token;
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
  const token = d.token;
  const path = '/api/canaries/default/web/rollback';
  const cases: [string, Promise<{ status: number; body: string }>, number, RegExp][] = [
    [
      'no token',
      post(d, path, ''),
      403,
      /wrong dashboard token: open the URL `kubectl canary dashboard` printed/,
    ],
    ['a wrong token', post(d, path, `${token.slice(1)}x`), 403, /token/],
    [
      'another origin',
      post(d, path, token, { headers: { origin: 'http://attacker.example' } }),
      403,
      /only from the dashboard/,
    ],
    [
      'no Origin (no page sent it)',
      post(d, path, token, { headers: { origin: '' } }),
      403,
      /only from the dashboard/,
    ],
    [
      'the Origin of another port of this machine',
      post(d, path, token, { headers: { origin: 'http://127.0.0.1:1' } }),
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
  const answer = await post(d, '/api/canaries/shop/other/stop', d.token);
  t.equal(answer.status, 200);
  t.equal(
    d.api.requests.find((q) => q.method === 'PATCH')?.path,
    '/apis/canary.k8shuginn.io/v1alpha1/namespaces/shop/canaries/other',
  );
});

t.test('on every interface: only the names given with --allowed-host, and loopback', async (t) => {
  const d = await startDashboard(
    t,
    ['--address', '0.0.0.0', '--allowed-host', 'Dashboard.Internal,192.0.2.10'],
    withCanaries,
  );
  t.match(
    d.stdout(),
    new RegExp(`^Dashboard: http://dashboard\\.internal:${d.port}/#token=${d.token} \\(context stand-in`),
    'the URL names the first name given',
  );
  for (const host of [
    `dashboard.internal:${d.port}`,
    `DASHBOARD.internal:${d.port}`,
    `192.0.2.10:${d.port}`,
    'dashboard.internal',
    `127.0.0.1:${d.port}`,
    `localhost:${d.port}`,
  ]) {
    t.equal((await http(d.url, { headers: { host } })).status, 200, host);
  }
  for (const host of [`attacker.example:${d.port}`, `dashboard.internal:${d.port + 1}`, 'attacker.example']) {
    const r = await http(d.url, { headers: { host } });
    t.equal(r.status, 421, `Host "${host}"`);
    t.notOk(r.body.includes(d.token));
  }
  // The attack of the issue: a page whose DNS name now points here, holding the token even.
  const rebound = await post(d, '/api/canaries/default/web/rollback', d.token, {
    headers: { host: `attacker.example:${d.port}`, origin: `http://attacker.example:${d.port}` },
  });
  t.equal(rebound.status, 421);
  t.same(patches(d), []);
  const own = await post(d, '/api/canaries/default/web/rollback', d.token, {
    headers: { host: `dashboard.internal:${d.port}`, origin: `http://dashboard.internal:${d.port}` },
  });
  t.equal(own.status, 200, 'from its own name, with the token, a command runs');
  const result = await d.stop();
  t.match(
    result.stderr,
    /^warning: listening on 0\.0\.0\.0, not loopback: anyone who can reach port \d+ by dashboard\.internal, 192\.0\.2\.10 can see every Canary; the commands need the token in the URL above, which steers rollouts with the credentials of context stand-in\n$/,
  );
});

t.test(
  '--allowed-host: a name given with a port is served on that port, as a proxy in front is',
  async (t) => {
    const d = await startDashboard(t, ['--allowed-host', 'canary.proxy.example:443'], withCanaries);
    t.match(d.stdout(), /^Dashboard: http:\/\/127\.0\.0\.1:/, 'on loopback the URL is the address');
    t.equal((await http(d.url, { headers: { host: 'canary.proxy.example:443' } })).status, 200);
    t.equal((await http(d.url, { headers: { host: `canary.proxy.example:${d.port}` } })).status, 421);
  },
);

t.test('usage and start-up errors', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [['dashboard', '--port', 'x'], EXIT.usage, /--port must be a port number, got "x"/],
    [['dashboard', '--port', '70000'], EXIT.usage, /--port must be a port number/],
    [['list', '--port', '1'], EXIT.usage, /--port, --address and --allowed-host go with dashboard/],
    [
      ['status', 'web', '--address', '127.0.0.1'],
      EXIT.usage,
      /--port, --address and --allowed-host go with dashboard/,
    ],
    [['list', '--allowed-host', 'x'], EXIT.usage, /--port, --address and --allowed-host go with dashboard/],
    [['dashboard', 'extra'], EXIT.usage, /unexpected argument "extra" for dashboard/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(args);
    t.equal(r.code, code, args.join(' '));
    t.match(r.stderr, message);
  }
  const help = await runCli(['--help']);
  t.match(help.stdout, /dashboard \[--port N\] \[--address IP\] \[--allowed-host NAME\]/);
  t.match(help.stdout, /carries the run's access token \(after #token=\)/);
  t.match(help.stdout, /--allowed-host NAME {7}dashboard: a host name/);
  t.match(help.stdout, /Required with --address 0\.0\.0\.0 or ::/);
});

t.test('start-up errors against a cluster', async (t) => {
  const d = await startDashboard(t);
  const bad = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--address', 'example.com']);
  t.equal(bad.code, EXIT.usage);
  t.match(bad.stderr, /--address must be an IP address or localhost, got "example.com"/);
  // Every interface, and no name to check the Host against: refused before anything listens.
  for (const address of ['0.0.0.0', '::']) {
    const open = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--address', address]);
    t.equal(open.code, EXIT.usage, address);
    t.equal(
      open.stderr,
      `error: --address ${address} listens on every interface: name the host names it may be reached by with --allowed-host NAME (repeatable or comma-separated)\n`,
    );
  }
  for (const name of [
    '*',
    '*.example.com',
    'http://x.example',
    'a b',
    'x.example:99999',
    'x.example:',
    'x-.example',
  ]) {
    const wrong = await runCli(['dashboard', '--kubeconfig', d.kubeconfig, '--allowed-host', name]);
    t.equal(wrong.code, EXIT.usage, name);
    t.match(wrong.stderr, /--allowed-host takes a host name or IP address, optionally with :PORT, got/, name);
  }
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
