/**
 * The order rules of docs/design.md §9, each on both routers and with surge on
 * and off: no weight before the new replicas for it are available; on a
 * rollback weight 0 first and the new Deployment scaled down only once the
 * route shows 0; on completion weight 100 first and the old Deployment
 * scaled down only once the route shows 100; the old Deployment at full
 * size until completion. Rows: [old, new, step, state, weight asked,
 * weight the route shows].
 */
import t, { type Test } from 'tap';
import { RouteDriver } from './route-driver.js';
import { ROUTER_CASES, type RouterCase } from './routed-cases.js';

const T = '2026-11-23T09:00:00Z';
const at = (seconds: number) => new Date(Date.parse(T) + seconds * 1000).toISOString().replace('.000', '');

const LIST = [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];

function driver(c: RouterCase, surge: boolean, steps: unknown[] = LIST, t?: Test) {
  return new RouteDriver(
    { totalReplicas: 10, surge, steps, trafficRouting: c.trafficRouting },
    c.route(),
    c.key,
    t,
  );
}

const reason = (d: RouteDriver) =>
  d.last?.response.status.conditions.find((c) => c.type === 'TrafficRouted')?.reason;

for (const c of ROUTER_CASES) {
  for (const surge of [false, true]) {
    const name = `${c.name}, surge ${surge}`;

    t.test(`${name}: no weight moves before the new replicas for it are available`, async (t) => {
      const d = driver(c, surge, LIST, t);
      d.sync(at(0));
      t.same(d.row, [10, 0, 0, 'stop', 0, 0], 'pending: nothing on the new version');
      t.notOk(d.last?.routeWrite, 'the route already shows 0: no write');

      d.sync(at(5), { command: 'apply', available: 0 });
      t.same(d.row, [10, 1, 1, 'running', 0, 0], 'step 1: one new replica for 10%, the weight held at 0');
      t.notOk(d.last?.routeWrite, 'no write while the replica is not available');
      t.equal(reason(d), 'WaitingForReplicas');
      t.equal(
        d.last?.response.resyncAfterSeconds,
        0,
        "no poll: v2's own status change brings the sync that writes the weight",
      );

      d.sync(at(10), { available: 0 });
      t.same(d.row, [10, 1, 1, 'running', 0, 0], 'still waiting: still 0');

      d.sync(at(15));
      t.same(d.row, [10, 1, 1, 'running', 10, 10], 'available: 10% written');
      t.equal(d.last?.routeWrite?.weight, 10);
      t.equal(reason(d), 'WeightSet');
      t.equal(d.last?.transitions.at(-1)?.kind, 'WeightSet', 'announced');

      d.sync(at(20));
      t.same(d.row, [10, 1, 2, 'running', 10, 10], 'read back: the step is done and the pause begins');
      t.notOk(d.last?.routeWrite, 'nothing more to write');

      d.sync(at(25), { command: 'promote', available: 1 });
      t.same(
        d.row,
        [10, 5, 3, 'running', 10, 10],
        'setWeight 50: five replicas first, the weight stays at 10',
      );
      d.sync(at(30), { available: 4 });
      t.same(d.row, [10, 5, 3, 'running', 10, 10], 'four of five available is not enough for 50%');
      d.sync(at(35));
      t.same(d.row, [10, 5, 3, 'running', 50, 50], 'all five: 50%');
    });

    t.test(`${name}: a step is done only once the route shows its weight`, async (t) => {
      const d = driver(c, surge, [{ setWeight: 10 }, { setWeight: 30 }, { pause: {} }], t);
      d.sync(at(0), { command: 'apply' });
      d.sync(at(3));
      t.same(d.row, [10, 1, 1, 'running', 10, 10], '10% written once the replica is available');
      const refused = d.sync(at(5), { refuse: 'x' });
      t.notOk(refused.routeWrite, 'the route shows 10 (read back): nothing to write');
      t.same(
        d.row,
        [10, 3, 2, 'running', 10, 10],
        'step 2 asks three replicas, still 10% until they are available',
      );
      d.sync(at(10), { refuse: 'admission webhook "policy" denied the request' });
      t.same(d.row, [10, 3, 2, 'running', 30, 10], 'asked 30, the write refused: the route still shows 10');
      d.sync(at(15), { refuse: 'admission webhook "policy" denied the request' });
      t.same(d.row, [10, 3, 2, 'running', 30, 10], 'the step does not count as done: no pause begins');
      t.equal(d.last?.response.status.pause, null);
      d.sync(at(20));
      d.sync(at(25));
      t.same(d.row, [10, 3, 3, 'running', 30, 30], 'written and read back: on to the pause');
    });

    t.test(`${name}: rollback sets 0 at once, the new replicas go once the route shows 0`, async (t) => {
      const d = driver(c, surge, LIST, t);
      d.sync(at(0), { command: 'apply' });
      d.sync(at(5));
      d.sync(at(8));
      d.sync(at(10), { command: 'promote' });
      d.sync(at(12));
      d.sync(at(15));
      t.same(d.row, [10, 5, 4, 'running', 50, 50], 'at 50%, paused');

      d.sync(at(20), { command: 'rollback' });
      t.same(d.row, [10, 5, 0, 'stop', 0, 0], 'weight 0 written at once; the five new replicas stay');
      t.equal(d.last?.routeWrite?.weight, 0);
      d.sync(at(25));
      t.same(d.row, [10, 0, 0, 'stop', 0, 0], 'the route shows 0: now the new Deployment goes to 0');
    });

    t.test(`${name}: a refused rollback write keeps the new replicas serving their share`, async (t) => {
      const d = driver(c, surge, LIST, t);
      d.sync(at(0), { command: 'apply' });
      d.sync(at(5));
      t.same(d.row, [10, 1, 1, 'running', 10, 10], 'at 10%');
      d.sync(at(10), { command: 'rollback', refuse: 'httproutes is forbidden: User cannot patch' });
      t.same(
        d.row,
        [10, 1, 0, 'stop', 0, 10],
        'rolled back, the route still sends 10%: one new replica kept',
      );
      const cond = d.last?.response.status.conditions.find((x) => x.type === 'TrafficRouted');
      t.match(cond, { status: 'False', reason: 'PatchFailed', message: /cannot patch/ });
      t.equal(d.last?.transitions.at(-1)?.kind, 'RoutePatchFailed');
      t.notOk(
        d.last?.transitions.some((x) => x.kind === 'WeightSet'),
        'no announcement of a weight never set',
      );
      d.sync(at(20), { refuse: 'httproutes is forbidden: User cannot patch' });
      t.same(d.row, [10, 1, 0, 'stop', 0, 10], 'still refused: still held');
      t.equal(d.last?.routeWrite?.weight, 0, 'and written again on every sync');
      d.sync(at(25));
      d.sync(at(30));
      t.same(d.row, [10, 0, 0, 'stop', 0, 0], 'once allowed: 0, read back, then scaled down');
    });

    t.test(
      `${name}: completion sets 100 once every new replica is available, then scales the old down`,
      async (t) => {
        const d = driver(c, surge, LIST, t);
        d.sync(at(0), { command: 'apply' });
        d.sync(at(5));
        d.sync(at(8));
        t.same(d.row, [10, 1, 2, 'running', 10, 10]);

        d.sync(at(10), { command: 'completion', available: 1 });
        t.same(d.row, [10, 10, 4, 'complete', 10, 10], 'all ten new asked, the old kept, the weight held');
        t.match(
          d.last?.response.status.message,
          /^Canary is complete: 100% goes to (backend backend-v2|destination helloworld subset v2) on (HTTPRoute backend-canary|VirtualService helloworld) once 10 replicas of my-app-v2 are available \(1 now\)$/,
        );
        t.notOk(d.last?.routeWrite);
        const complete = () => d.last?.response.status.conditions.find((x) => x.type === 'Complete');
        t.match(complete(), {
          status: 'False',
          reason: 'Completing',
          message:
            /^Not every replica runs the new version yet: 100% goes to .* once 10 replicas of my-app-v2 are available \(1 now\)$/,
        });
        d.sync(at(15), { available: 9 });
        t.same(d.row, [10, 10, 4, 'complete', 10, 10], 'nine of ten: still held');
        d.sync(at(20));
        t.same(d.row, [10, 10, 4, 'complete', 100, 100], 'all ten: 100% written, the old still at full size');
        t.match(
          d.last?.response.status.message,
          /^Canary is complete: my-app-v1 scales down once .* shows 100%$/,
        );
        t.match(complete(), { status: 'False', reason: 'Completing', message: /my-app-v1 scales down once/ });
        d.sync(at(25));
        t.same(d.row, [0, 10, 4, 'complete', 100, 100], 'the route shows 100: the old Deployment goes to 0');
        t.equal(d.last?.response.status.message, 'Canary is complete');
        t.match(complete(), {
          status: 'True',
          reason: 'Complete',
          message: 'Every replica runs the new version',
        });
        d.sync(at(30));
        t.notOk(d.last?.routeWrite, 'a complete Canary writes nothing more');
      },
    );

    t.test(`${name}: the old Deployment keeps totalReplicas until the Canary completes`, async (t) => {
      const d = driver(c, surge, [{ setWeight: 30 }, { setWeight: 70 }, { setWeight: 100 }], t);
      const rows = [];
      d.sync(at(0), { command: 'apply' });
      for (let i = 1; i < 12; i++) {
        rows.push(d.row);
        d.sync(at(5 * i), { available: i % 2 === 0 ? 0 : undefined });
      }
      for (const row of rows.filter((r) => r[3] !== 'complete' || r[5] !== 100)) {
        t.equal(row[0], 10, `old at 10 in ${JSON.stringify(row)}`);
      }
      t.same(d.row, [0, 10, 3, 'complete', 100, 100], 'ends complete, all on the new version');
    });
  }
}

t.test('setReplicas steps and the shorthand keep the weight proportional', async (t) => {
  const cases: [total: number, setReplicas: number, weight: number, replicas: number][] = [
    [10, 3, 30, 3],
    [7, 3, 43, 4],
    [1000, 1, 0, 1],
    [4, 1, 25, 1],
    [3, 2, 67, 3],
  ];
  for (const [total, n, weight, replicas] of cases) {
    const d = new RouteDriver(
      {
        totalReplicas: total,
        steps: [{ setReplicas: n }, { pause: {} }],
        trafficRouting: ROUTER_CASES[0]!.trafficRouting,
      },
      ROUTER_CASES[0]!.route(),
      ROUTER_CASES[0]!.key,
    );
    d.sync(at(0), { command: 'apply' });
    d.sync(at(5));
    t.same(
      [d.row[1], d.row[4]],
      [replicas, weight],
      `setReplicas ${n} of ${total}: ${weight}% on at least ${replicas} replicas`,
    );
  }
  const shorthand = new RouteDriver(
    {
      totalReplicas: 10,
      stepReplicas: 4,
      cronSchedule: '0 * * * *',
      trafficRouting: ROUTER_CASES[1]!.trafficRouting,
    },
    ROUTER_CASES[1]!.route(),
    ROUTER_CASES[1]!.key,
  );
  shorthand.sync(at(0), { command: 'apply' });
  shorthand.sync(at(5));
  t.same(shorthand.row, [10, 4, 1, 'running', 40, 40], 'stepReplicas 4 of 10: 40%');
});

t.test('an idle Canary writes nothing, sync after sync', async (t) => {
  for (const c of ROUTER_CASES) {
    const d = driver(c, true);
    d.sync(at(0), { command: 'apply' });
    d.sync(at(5));
    d.sync(at(8));
    const writes = d.writes;
    for (let i = 2; i < 8; i++) d.sync(at(5 * i));
    t.equal(d.writes, writes, `${c.name}: paused at 10%, no further writes`);
    t.same(d.row, [10, 1, 2, 'running', 10, 10]);
  }
});
