/** The rows, the Canary panel, the plan and the chart, rendered from plain objects. */
import t from 'tap';
import { chartSvg } from '../../cli/dashboard/chart.js';
import { detailBody, detailLive, missingBody, type DetailInput } from '../../cli/dashboard/detail.js';
import { escapeHtml } from '../../cli/dashboard/escape.js';
import { connectionNotice, overviewBody, page, rowHtml, timeTag } from '../../cli/dashboard/html.js';
import { slimCanary, slimDeployment } from '../../cli/dashboard/model.js';
import { planView } from '../../cli/dashboard/plan.js';
import type { Sample } from '../../cli/dashboard/store.js';
import { phaseOf, rowView, segmentsOf } from '../../cli/dashboard/views.js';
import { commandButtons } from '../../cli/dashboard/actions.js';
import type { Canary } from '../../hooks/wire/index.js';
import { canaryObject, deploymentObject, NOW, runningStatus } from './helpers.js';

function canary(status?: Record<string, unknown>, spec: Record<string, unknown> = {}, name = 'web'): Canary {
  return slimCanary(canaryObject(name, { status, spec }))!;
}

const rollbackStatus = runningStatus({
  state: 'stop',
  currentStep: 0,
  oldReplicas: 10,
  newReplicas: 0,
  message: '[2026-11-22T04:58:00Z] Canary is rollbacked',
  nextStepTime: null,
  rollback: { time: '2026-11-22T04:58:00Z', reason: 'CrashLoopBackOff: pod <b>x</b>', revision: '3f2a' },
});

t.test('phaseOf reads what a person wants to know from state, step and message', async (t) => {
  t.equal(phaseOf({}), 'no status');
  t.equal(phaseOf({ state: 'error' }), 'error');
  t.equal(phaseOf({ state: 'complete' }), 'complete');
  t.equal(phaseOf({ state: 'running', message: 'Canary is Running' }), 'running');
  t.equal(phaseOf({ state: 'running', message: 'Canary is Running: waiting for web-v2: 1 of 2' }), 'waiting');
  t.equal(phaseOf({ state: 'running', pause: { kind: 'Manual' } } as never), 'paused');
  t.equal(phaseOf({ state: 'stop', currentStep: 0 }), 'pending');
  t.equal(phaseOf({ state: 'stop', currentStep: 2 }), 'stopped');
  t.equal(phaseOf(rollbackStatus as never), 'rolled back');
  t.equal(
    phaseOf({
      state: 'stop',
      currentStep: 0,
      conditions: [{ type: 'RolledBack', status: 'True', reason: 'r', message: '', lastTransitionTime: '' }],
    }),
    'rolled back',
  );
});

t.test('segments: one per step, done up to the current one, pauses of a step list marked', async (t) => {
  t.same(
    segmentsOf(canary(runningStatus())).map((s) => s.state),
    ['done', 'current', 'todo', 'todo', 'todo'],
  );
  t.same(
    segmentsOf(canary(runningStatus({ state: 'complete', currentStep: 5 }))).map((s) => s.state),
    ['done', 'done', 'done', 'done', 'done'],
  );
  t.equal(segmentsOf(canary(undefined)).length, 5, 'no status: from the spec (10 by 2)');
  t.same(segmentsOf(canary(undefined, { totalReplicas: 'x' })), [], 'not computable');
  const steps = canary(runningStatus({ currentStep: 2, totalSteps: 3 }), {
    steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }],
  });
  t.same(segmentsOf(steps), [
    { step: 1, state: 'done', pause: false },
    { step: 2, state: 'current', pause: true },
    { step: 3, state: 'todo', pause: false },
  ]);
  t.equal(segmentsOf(canary(runningStatus({ totalSteps: 1000 }))).length, 100, 'capped');
});

t.test('a row: replicas asked and available, weight, countdown, rollback, all escaped', async (t) => {
  const web = canary(runningStatus());
  const row = rowView(web, {
    old: slimDeployment(deploymentObject('web-v1', 6, 6)),
    new: slimDeployment(deploymentObject('web-v2', 4, 3)),
  });
  t.match(row, {
    key: 'default/web',
    phase: 'running',
    step: 2,
    totalSteps: 5,
    old: { deployment: 'web-v1', asked: 6, available: 6 },
    new: { deployment: 'web-v2', asked: 4, available: 3 },
    weight: { value: 40, reported: false },
  });
  const html = rowHtml(row, { allNamespaces: true, now: NOW });
  t.match(
    html,
    /^<tr id="row-default\/web" data-key="default\/web" data-name="web" data-namespace="default"/,
  );
  t.match(
    html,
    /data-state="running" data-phase="running" data-progress="0.4" data-next="\d+" data-weight="40"/,
  );
  t.match(html, /<td class="ns">default<\/td>/, 'the namespace column with -A');
  t.match(html, /<span class="available short">3<\/span>/, 'fewer available than asked stands out');
  t.match(html, /title="from the replicas \(no status.weight\)">40%/);
  t.match(html, /in 4m 30s/);
  t.notMatch(rowHtml(row, { allNamespaces: false, now: NOW }), /class="ns"/);

  const rolled = rowHtml(rowView(canary(rollbackStatus), {}), { allNamespaces: false, now: NOW });
  t.match(rolled, /p-rolled-back/);
  t.match(rolled, /CrashLoopBackOff: pod &lt;b&gt;x&lt;\/b&gt;/, 'user text is escaped');
  t.notMatch(rolled, /<b>x/);
  t.match(
    rolled,
    /<span class="asked" title="web-v1">10<\/span><span class="sep">\/<\/span><span class="available">-/,
  );

  const paused = rowView(
    canary(
      runningStatus({
        weight: 10,
        pause: { kind: 'Duration', since: '2026-11-22T04:50:00Z', until: '2026-11-22T05:20:00Z' },
      }),
    ),
    {},
  );
  const pausedHtml = rowHtml(paused, { allNamespaces: false, now: NOW });
  t.match(pausedHtml, /paused \(Duration\)<\/span> until <time/);
  t.match(pausedHtml, /<td class="num weight">10%<\/td>/, 'a reported weight as it is');
  const manual = rowHtml(rowView(canary(runningStatus({ pause: { kind: 'Manual' } })), {}), {
    allNamespaces: false,
    now: NOW,
  });
  t.match(manual, /until promote/);
  const none = rowHtml(rowView(canary(undefined), {}), { allNamespaces: false, now: NOW });
  t.match(none, /data-state="none"/);
  t.match(none, /data-progress="-1"/);
  t.match(none, /<td class="num weight">-<\/td>/);
});

t.test('times: relative, "due" once a next step is past, exact in the title', async (t) => {
  t.equal(
    timeTag(new Date('2026-11-22T05:01:00Z'), NOW, 'next'),
    `<time class="rel" data-mode="next" data-at="${Date.parse('2026-11-22T05:01:00Z')}" datetime="2026-11-22T05:01:00Z" title="2026-11-22T05:01:00Z">in 1m</time>`,
  );
  t.match(timeTag(new Date('2026-11-22T04:59:30Z'), NOW, 'next'), />due 30s ago</);
  t.match(timeTag(new Date('2026-11-22T04:59:30Z'), NOW), />30s ago</);
});

t.test('the connection notice is hidden while connected and says what and why otherwise', async (t) => {
  t.match(connectionNotice({ state: 'connected', since: 0, kinds: [] }, NOW), /hidden/);
  t.match(
    connectionNotice({ state: 'connecting', since: NOW.getTime(), kinds: ['canaries'] }, NOW),
    /Connecting to the Kubernetes API \(Canaries\)/,
  );
  const notice = connectionNotice(
    {
      state: 'reconnecting',
      since: NOW.getTime() - 5000,
      error: 'cannot reach <it>',
      kinds: ['canaries', 'events'],
    },
    NOW,
  );
  t.match(notice, /data-state="reconnecting"/);
  t.match(
    notice,
    /Reconnecting to the Kubernetes API \(Canaries, Events watch\)… since 2026-11-22T04:59:55Z \(5s ago\): cannot reach &lt;it&gt;/,
  );
});

t.test('the page shell carries the token, the stream position and nothing from elsewhere', async (t) => {
  const html = page({
    title: 'T <x>',
    view: 'canary',
    since: 'b00t.7',
    scope: 'context c',
    connection: '',
    body: '<p>body</p>',
    canaryKey: 'default/web',
  });
  t.notMatch(html, /token/, 'the page carries no token: the URL the dashboard prints does');
  t.match(html, /<body data-view="canary" data-since="b00t.7" data-canary="default\/web">/);
  t.match(html, /<title>T &lt;x&gt;<\/title>/);
  t.notMatch(html, /https?:\/\//, 'no asset from another host');
  const overview = overviewBody([], { allNamespaces: true, where: 'in all namespaces' });
  t.match(overview, /data-sort="namespace"/);
  t.match(overview, /<p id="empty" class="empty">No Canaries in all namespaces yet/);
  t.match(
    overviewBody(['<tr></tr>'], { allNamespaces: false, where: 'in x' }),
    /<p id="empty" class="empty" hidden>/,
  );
});

t.test('the plan: from planRollout, anchored where the Canary is', async (t) => {
  const history: Sample[] = [
    {
      t: Date.parse('2026-11-22T04:50:00Z'),
      step: 1,
      stepTime: Date.parse('2026-11-22T04:49:00Z'),
      old: 8,
      new: 2,
      weight: 20,
      oldAvailable: 8,
      newAvailable: 2,
    },
  ];
  const running = planView(canary(runningStatus()), history, NOW);
  t.equal(running.ok, true);
  if (!running.ok) return;
  t.equal(running.zone, 'UTC');
  t.same(
    running.rows.map((r) => [r.step, r.old, r.new, r.status, r.time?.toISOString()]),
    [
      [0, 10, 0, 'before', undefined],
      [1, 8, 2, 'done', '2026-11-22T04:49:00.000Z'],
      [2, 6, 4, 'current', '2026-11-22T04:55:00.000Z'],
      [3, 4, 6, 'planned', '2026-11-22T05:04:30.000Z'],
      [4, 2, 8, 'planned', '2026-11-22T05:05:00.000Z'],
      [5, 0, 10, 'planned', '2026-11-22T05:10:00.000Z'],
    ],
    'the next step when the status says, then the following ticks of */5',
  );
  const pending = planView(canary(undefined, { timeZone: 'Asia/Seoul' }), [], NOW);
  t.match(pending, { ok: true, zone: 'Asia/Seoul', basis: 'as if applied now' });
  if (pending.ok) t.same(pending.rows[1]?.time, NOW, 'step 1 at once');
  const stopped = planView(canary(runningStatus({ state: 'stop', nextStepTime: null })), [], NOW);
  if (stopped.ok) {
    t.match(stopped.basis, /resumed now/);
    t.same(stopped.rows[3]?.time, new Date('2026-11-22T05:05:00Z'), 'resumes on the next tick');
    t.equal(stopped.rows[1]?.time, undefined, 'step 1 happened before the dashboard looked');
  }
  const seenOnly: Sample[] = [{ ...history[0]!, stepTime: undefined }];
  const fallback = planView(canary(runningStatus({ state: 'stop', nextStepTime: null })), seenOnly, NOW);
  if (fallback.ok) {
    t.same(
      fallback.rows[1]?.time,
      new Date('2026-11-22T04:50:00Z'),
      'no lastStepTime: when the dashboard saw it',
    );
  }
  const complete = planView(
    canary(runningStatus({ state: 'complete', currentStep: 5, nextStepTime: null })),
    [],
    NOW,
  );
  if (complete.ok) {
    t.same(
      complete.rows.map((r) => r.status),
      ['before', 'done', 'done', 'done', 'done', 'done'],
    );
    t.same(complete.rows[5]?.time, new Date('2026-11-22T04:55:00Z'), 'the last step when it was taken');
  }
  const error = planView(canary(runningStatus({ state: 'error', nextStepTime: null })), [], NOW);
  t.match(error, { ok: true, basis: 'state error: no step is due' });
  t.match(planView(canary(undefined, { cronSchedule: 'nope' }), [], NOW), {
    ok: false,
    problem: /spec.cronSchedule/,
  });
});

t.test(
  'the plan of a step list: weights, pauses, and the times after a promote as the earliest',
  async (t) => {
    const steps = [
      { setWeight: 10 },
      { pause: {} },
      { setWeight: 50 },
      { pause: { duration: '30m' } },
      { setWeight: 80 },
    ];
    const list = (status?: Record<string, unknown>) =>
      canary(status, { stepReplicas: undefined, cronSchedule: undefined, steps });
    const running = planView(
      list(runningStatus({ currentStep: 3, totalSteps: 5, nextStepTime: '2026-11-22T05:01:00Z' })),
      [],
      NOW,
    );
    t.equal(running.ok, true);
    if (!running.ok) return;
    t.same(
      running.rows.map((r) => [
        r.step,
        r.new,
        r.weight,
        r.pause ?? '',
        r.status,
        r.time?.toISOString() ?? '',
      ]),
      [
        [0, 0, 0, '', 'before', ''],
        [1, 1, 10, '', 'done', ''],
        [2, 1, 10, 'until promote', 'done', ''],
        [3, 5, 50, '', 'current', '2026-11-22T04:55:00.000Z'],
        [4, 5, 50, 'for 30m', 'planned', '2026-11-22T05:01:00.000Z'],
        [5, 8, 80, '', 'planned', '2026-11-22T05:31:00.000Z'],
      ],
      'the rest of the list planned from the next step, the 30m pause included',
    );
    const pending = planView(list(undefined), [], NOW);
    if (!pending.ok) return;
    t.same(
      pending.rows.map((r) => [r.step, r.afterPromote]),
      [
        [0, false],
        [1, false],
        [2, false],
        [3, true],
        [4, true],
        [5, true],
      ],
      'after a pause until promote, the times are the earliest',
    );
    const html = detailLive(base({ canary: list(undefined) }));
    t.match(html, /<th class="num">Weight<\/th><th>Pause<\/th>/);
    t.match(html, /<td class="num">10%<\/td><td>until promote<\/td>/);
    t.match(html, /at the earliest: after a promote/);
    t.notMatch(detailLive(base()), /<th>Pause<\/th>/, 'no pause column without pauses');
    const done = planView(
      list(runningStatus({ state: 'stop', currentStep: 5, totalSteps: 5, nextStepTime: null })),
      [],
      NOW,
    );
    if (done.ok) t.equal(done.rows[5]?.status, 'current', 'stopped at the last step: nothing left to plan');
  },
);

t.test('the chart: a step line per series from the first sample to now', async (t) => {
  t.equal(chartSvg([], NOW, 10), '<p class="empty">Nothing seen yet.</p>');
  const t0 = NOW.getTime() - 120_000;
  const samples: Sample[] = [
    {
      t: t0,
      step: 1,
      stepTime: undefined,
      old: 8,
      new: 2,
      weight: 20,
      oldAvailable: 8,
      newAvailable: undefined,
    },
    {
      t: t0 + 60_000,
      step: 2,
      stepTime: undefined,
      old: 6,
      new: 4,
      weight: 40,
      oldAvailable: 6,
      newAvailable: 4,
    },
  ];
  const svg = chartSvg(samples, NOW, 10, { width: 180, height: 138 });
  // Plot 100 x 100 from (36, 12): x = 36 + 100 * t/120s, replicas y = 112 - 10 * v, weight y = 112 - v.
  t.match(svg, '<path class="line old" d="M36 32H86V52H136"/>');
  t.match(svg, '<path class="line new" d="M36 92H86V72H136"/>');
  t.match(svg, '<path class="line newAvailable" d="M86 72H136"/>', 'starts where it is first known');
  t.match(svg, '<path class="line weight" d="M36 92H86V72H136"/>');
  t.match(svg, />2026-11-22T04:58:00Z</);
  t.match(svg, /2 changes seen/);
  const one = chartSvg([{ ...samples[0]!, t: NOW.getTime() }], NOW, undefined);
  t.match(one, /1 change seen/);
  t.match(one, />8<\/text>/, 'the axis goes to the largest value when the total is unknown');
  const gap = chartSvg(
    [{ ...samples[0]!, old: undefined, new: undefined, weight: undefined, newAvailable: undefined }],
    NOW,
    10,
  );
  t.notMatch(gap, /<path/, 'nothing known, nothing drawn');
});

const base = (over: Partial<DetailInput> = {}): DetailInput => ({
  canary: canary(runningStatus(), { timeZone: 'Asia/Seoul' }),
  deployments: {
    old: slimDeployment({
      ...deploymentObject('web-v1', 6, 6),
      spec: { replicas: 6, template: { spec: { containers: [{ image: 'web:1' }] } } },
    }),
    new: slimDeployment(deploymentObject('web-v2', 4, 3)),
  },
  events: [
    {
      uid: 'e',
      namespace: 'default',
      name: 'web',
      involvedUid: undefined,
      type: 'Warning',
      reason: 'Boom',
      message: 'it <broke>',
      count: 2,
      time: '2026-11-22T04:59:00Z',
    },
  ],
  history: [],
  route: undefined,
  now: NOW,
  ...over,
});

t.test(
  "one Canary's panel: status, Deployments, chart, plan in its zone and UTC, conditions, Events",
  async (t) => {
    const html = detailLive(base());
    for (const heading of [
      'Status',
      'Deployments',
      'Replicas and weight seen',
      'Step plan',
      'Conditions',
      'Events',
    ]) {
      t.match(html, `<h2>${heading}</h2>`);
    }
    t.notMatch(html, /Route:/, 'no route without trafficRouting');
    t.match(html, /<th>Time \(Asia\/Seoul\)<\/th><th>UTC<\/th>/);
    t.match(html, /Sun 2026-11-22 14:04:30 \+09:00<\/td><td>2026-11-22T05:04:30Z/);
    t.match(html, /<code>web:1<\/code>/);
    t.match(html, /it &lt;broke&gt;/);
    t.match(html, /<code>\*\/5 \* \* \* \*<\/code> in Asia\/Seoul/);
    t.match(html, /- <span class="muted">\(acted on: apply\)<\/span>/);
    t.match(html, /<dt>Last rollback<\/dt><dd>none<\/dd>/);

    const rolled = detailLive(base({ canary: canary(rollbackStatus), deployments: {}, events: [] }));
    t.match(rolled, /revision 3f2a/);
    t.match(rolled, /<td colspan="5" class="error">not found<\/td>/);
    t.match(rolled, /none seen/);
    t.match(
      detailLive(base({ canary: canary(runningStatus(), { oldDeployment: '' }) })),
      /not named in the spec/,
    );
    t.match(detailLive(base({ canary: canary(undefined) })), /no status yet: is canary-hooks running/);
    t.match(
      detailLive(base({ canary: canary(runningStatus({ conditions: [] })) })),
      /<td colspan="5" class="muted">none<\/td>/,
    );
    t.match(
      detailLive(base({ canary: canary(undefined, { cronSchedule: 'bad' }) })),
      /<p class="error">spec.cronSchedule/,
    );
    const paused = detailLive(base({ canary: canary(runningStatus({ pause: { kind: 'Manual' } })) }));
    t.match(paused, /<dt>Pause<\/dt><dd>Manual, until promote<\/dd>/);
    t.match(
      detailLive(
        base({
          canary: canary(runningStatus({ pause: { kind: 'Duration', until: '2026-11-22T05:30:00Z' } })),
        }),
      ),
      /Duration, until 2026-11-22T05:30:00Z/,
    );
  },
);

t.test('the route panel: the weights of each rule that names both, or why there are none', async (t) => {
  const route = { kind: 'HTTPRoute' as const, name: 'web', oldBackend: 'web-v1', newBackend: 'web-v2' };
  t.match(
    detailLive(
      base({
        route: {
          ...route,
          rules: [
            { label: 'rules[0]', old: 90, new: 10 },
            { label: 'x', old: undefined, new: 5 },
          ],
        },
      }),
    ),
    /<h2>Route: HTTPRoute web<\/h2><table><tr><th>Rule<\/th><th class="num">web-v1<\/th><th class="num">web-v2<\/th><\/tr><tr><td>rules\[0\]<\/td><td class="num">90<\/td><td class="num">10<\/td><\/tr><tr><td>x<\/td><td class="num">-<\/td>/,
  );
  t.match(
    detailLive(
      base({
        route: { ...route, rules: [], problem: 'HTTPRoute web has no rule that names backend web-v2' },
      }),
    ),
    /<p class="error">No weight can be set: HTTPRoute web has no rule that names backend web-v2<\/p>/,
  );
  t.match(
    detailLive(base({ route: { ...route, rules: [], error: 'forbidden: no' } })),
    /<p class="error">forbidden: no<\/p>/,
  );
});

t.test('the buttons: every plugin command, in order; one the plugin lacks is shown disabled', async (t) => {
  const buttons = commandButtons();
  t.same(
    buttons.map((b) => [b.command, b.value, b.unavailable === undefined]),
    [
      ['apply', 'apply', true],
      ['stop', 'stop', true],
      ['promote', 'promote', true],
      ['rollback', 'rollback', true],
      ['complete', 'completion', true],
    ],
    "the plugin's COMMAND_VALUES, promote included",
  );
  const older = commandButtons({ apply: 'apply', stop: 'stop', pause: 'pause' });
  t.same(
    older.map((b) => [b.command, b.unavailable === undefined]),
    [
      ['apply', true],
      ['stop', true],
      ['promote', false],
      ['pause', true],
    ],
    'a plugin without promote: the button is there, disabled; a new command gets a button too',
  );
  const html = detailBody({ namespace: 'default', name: 'web' }, buttons, '<p>live</p>');
  t.match(
    html,
    /<button type="button" class="command" data-command="stop" data-confirm="stop default\/web: hold it at the current step\? This sets canary.k8shuginn.io\/command=stop, as kubectl canary stop does.">stop<\/button>/,
  );
  t.match(html, /data-command="promote" data-confirm="promote default\/web: end the current pause/);
  t.match(
    detailBody({ namespace: 'default', name: 'web' }, older, ''),
    /data-command="promote"[^>]* disabled title="kubectl canary promote does not exist in this version of the plugin"/,
  );
  t.match(html, /class="command danger" data-command="rollback"/);
  t.match(html, /<div id="canary-live"><p>live<\/p><\/div>/);
  t.match(missingBody('shop', '<x>'), /There is no Canary &lt;x&gt; in namespace shop/);
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
