/**
 * The CRD's rules for spec.trafficRouting (docs/design.md §9): what the API
 * server refuses before a Canary is stored. What a schema cannot know (the
 * route exists, a backend is in a rule) the sync hook reports instead
 * (test/hooks/traffic-errors.test.ts).
 */
import t from 'tap';
import { validateCanary } from '../helpers/crd.js';
import { BAD_ROUTINGS, GATEWAY_ROUTING, ISTIO_ROUTING, routedCanary } from './traffic-cases.js';

t.test('one router, written as docs/design.md §9 shows it, is accepted', async (t) => {
  t.same(validateCanary(routedCanary(GATEWAY_ROUTING)), [], 'gatewayAPI');
  t.same(validateCanary(routedCanary(ISTIO_ROUTING)), [], 'istio with routes and subsets');
  const { routes: _routes, ...noRoutes } = ISTIO_ROUTING.istio;
  t.same(
    validateCanary(
      routedCanary({
        istio: {
          ...noRoutes,
          oldDestination: { host: 'reviews-v1' },
          newDestination: { host: 'reviews-v2' },
        },
      }),
    ),
    [],
    'istio by host alone, every http route',
  );
  t.same(validateCanary(routedCanary(undefined)), [], 'no trafficRouting at all');
});

const NOT_CHECKED = /^<root>: some validation rules were not checked/;

t.test('each bad routing is refused with a sentence naming what is wrong', async (t) => {
  for (const { name, trafficRouting, at, message } of BAD_ROUTINGS) {
    // A missing field stops the CEL rules, and the API server says so in a note of its own.
    const errors = validateCanary(routedCanary(trafficRouting)).filter((e) => !NOT_CHECKED.test(e));
    t.ok(errors.length >= 1, `${name}: refused (${errors.join('; ')})`);
    const [path, sentence] = (errors[0] ?? '').split(/: (.*)/s);
    t.equal(sentence, message, `${name}: the sentence`);
    t.equal(path, at, `${name}: names ${at}`);
  }
});

t.test('an unknown router is refused, not pruned into a Canary without routing', async (t) => {
  const errors = validateCanary(routedCanary({ linkerd: { serviceProfile: 'x' } }));
  t.ok(errors.length > 0, errors.join('; '));
});
