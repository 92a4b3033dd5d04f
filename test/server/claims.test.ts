/**
 * The claim checks (server/claims.ts), case by case, against a live Canary
 * as the API server would return it; the real API server runs them in
 * test/integration/claims.itest.ts.
 */
import t from 'tap';
import type { RouteWrite } from '../../hooks/wire/index.js';
import { createClaimChecker, noApiClaims, routeMismatch, type LiveCanary } from '../../server/claims.js';
import { CANARY_UID, canary } from '../fixtures/cluster.js';
import { GATEWAY, ISTIO } from '../hooks/routed-cases.js';

const routed = (trafficRouting: unknown = GATEWAY.trafficRouting) => canary({ spec: { trafficRouting } });

const write = (over: Partial<RouteWrite['route']> = {}, router = 'gatewayAPI'): RouteWrite => ({
  router,
  route: {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    resource: 'httproutes',
    kind: 'HTTPRoute',
    namespace: 'default',
    name: 'backend-canary',
    ...over,
  },
  patch: [],
  weight: 10,
});

t.test('a route write holds only for the live route, namespace and backends', async (t) => {
  const live = routed() as LiveCanary;
  const cases: [string, ReturnType<typeof routed>, LiveCanary, RouteWrite, RegExp | undefined][] = [
    ['the live spec names it', routed(), live, write(), undefined],
    [
      'another namespace',
      routed(),
      live,
      write({ namespace: 'payments' }),
      /not in the Canary's namespace default/,
    ],
    ['another route', routed(), live, write({ name: 'checkout' }), /does not name HTTPRoute checkout/],
    ['another kind of route', routed(), live, write({ resource: 'virtualservices' }), /does not name/],
    [
      'other backends in the request',
      routed({ gatewayAPI: { httpRoute: 'backend-canary', oldBackend: 'backend-v1', newBackend: 'evil' } }),
      live,
      write(),
      /route or backends/,
    ],
    ['no routing live', routed(), { spec: {} }, write(), /no usable spec.trafficRouting/],
    [
      'istio live, gateway written',
      routed(),
      routed(ISTIO.trafficRouting) as LiveCanary,
      write(),
      /does not name/,
    ],
  ];
  for (const [name, request, liveCanary, w, why] of cases) {
    const got = routeMismatch(request, liveCanary, w);
    if (why === undefined) t.equal(got, undefined, name);
    else t.match(got, why, name);
  }
});

t.test(
  'verdicts: holds, refused (absent, another uid, no uid, not deleting), unverified, no API',
  async (t) => {
    const deleting = {
      ...canary(),
      metadata: { ...canary().metadata, deletionTimestamp: '2026-11-23T09:00:00Z' },
    };
    const reader = (live: LiveCanary | undefined | Error) => async () => {
      if (live instanceof Error) throw live;
      return live;
    };
    const noUid = canary();
    delete noUid.metadata.uid;
    const cases: [string, Promise<unknown>, Record<string, unknown>][] = [
      ['exists', createClaimChecker(reader(canary() as LiveCanary)).exists(canary()), { kind: 'holds' }],
      [
        'absent',
        createClaimChecker(reader(undefined)).exists(canary()),
        { kind: 'refused', why: /does not exist/ },
      ],
      [
        'another uid',
        createClaimChecker(reader({ metadata: { uid: 'other' } })).exists(canary()),
        { kind: 'refused', why: new RegExp(`another uid than ${CANARY_UID}`) },
      ],
      [
        'no uid in the request',
        createClaimChecker(reader(canary() as LiveCanary)).exists(noUid),
        { kind: 'refused', why: /no uid/ },
      ],
      [
        'finalize, not being deleted',
        createClaimChecker(reader(canary() as LiveCanary)).finalizing(canary()),
        { kind: 'refused', why: /is not being deleted/ },
      ],
      [
        'finalize, being deleted',
        createClaimChecker(reader(deleting as LiveCanary)).finalizing(canary()),
        { kind: 'holds' },
      ],
      [
        'the API fails',
        createClaimChecker(reader(new Error('connect ECONNREFUSED'))).exists(canary()),
        { kind: 'unverified', why: /could not read Canary default\/my-app: connect ECONNREFUSED/ },
      ],
      [
        'no API',
        noApiClaims('no kubeconfig').routeWrite(canary(), write()),
        { kind: 'no-api', why: 'no kubeconfig' },
      ],
    ];
    for (const [name, verdict, want] of cases) t.match(await verdict, want, name);
  },
);
