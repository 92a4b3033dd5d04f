import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { buildApp } from '../../server/app.js';
import { endOfContainer, parseHookBody, withoutManagedFields } from '../../server/body.js';
import { decideSync } from '../../hooks/sync.js';
import type { SyncRequest } from '../../hooks/wire/index.js';
import { createMetrics } from '../../server/metrics.js';
import { canary, deployment, pod, syncRequest } from '../fixtures/cluster.js';
import sample from '../fixtures/sync-request.json' with { type: 'json' };
import { listen, post } from './support.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the cut must amount to: the parsed value without any array-valued `managedFields` member. */
function dropManagedFieldArrays(value: Json): Json {
  if (Array.isArray(value)) return value.map(dropManagedFieldArrays);
  if (value === null || typeof value !== 'object') return value;
  const kept: { [key: string]: Json } = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === 'managedFields' && Array.isArray(member)) continue;
    kept[key] = dropManagedFieldArrays(member);
  }
  return kept;
}

t.test('withoutManagedFields cuts each array member and leaves valid JSON', async (t) => {
  const cases: [string, string, string][] = [
    ['the only member', '{"managedFields":[{"manager":"kubectl"}]}', '{}'],
    ['the first member', '{"managedFields":[1],"name":"web"}', '{"name":"web"}'],
    ['the last member', '{"name":"web","managedFields":[1]}', '{"name":"web"}'],
    ['a middle member', '{"a":1,"managedFields":[],"b":2}', '{"a":1,"b":2}'],
    [
      'one per object',
      '[{"metadata":{"name":"a","managedFields":[1]}},{"metadata":{"managedFields":[2],"name":"b"}}]',
      '[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]',
    ],
    [
      'brackets, braces and escaped quotes in its strings',
      '{"managedFields":[{"fieldsV1":{"f:k:{\\"name\\":\\"a]}\\"}":{}}}],"b":"]"}',
      '{"b":"]"}',
    ],
    ['a string ending in a backslash', '{"managedFields":["x\\\\"],"b":1}', '{"b":1}'],
    ['a nested managedFields goes with its outer array', '{"managedFields":[{"managedFields":[1]}]}', '{}'],
    [
      'UTF-8 before, inside and after it',
      '{"note":"café ✓","managedFields":[{"f:k:{\\"name\\":\\"ü\\"}":{}}],"by":"Jürgen 🚀"}',
      '{"note":"café ✓","by":"Jürgen 🚀"}',
    ],
  ];
  for (const [name, text, expected] of cases) {
    const lean = withoutManagedFields(Buffer.from(text));
    t.equal(lean, expected, name);
    t.same(JSON.parse(lean), dropManagedFieldArrays(JSON.parse(text) as Json), `${name}: same value`);
  }
});

t.test('withoutManagedFields leaves alone what is not a managedFields array member', async (t) => {
  const cases: [string, string][] = [
    ['no managedFields', '{"metadata":{"name":"web"}}'],
    ['no managedFields, UTF-8', '{"metadata":{"name":"wéb ✓ 🚀"}}'],
    ['a label of that name (a string)', '{"labels":{"managedFields":"yes"}}'],
    ['inside a string (last-applied-configuration)', '{"a":"{\\"managedFields\\":[1]}"}'],
    ['pretty-printed', '{\n  "managedFields": [\n    1\n  ]\n}'],
    ['after a space', '{"a":1, "managedFields":[1]}'],
    ['an unterminated array', '{"managedFields":[1,'],
    ['an unterminated string in it', '{"managedFields":["x]}'],
    ['closed by the wrong bracket', '{"managedFields":[1}]'],
  ];
  for (const [name, text] of cases) t.equal(withoutManagedFields(Buffer.from(text)), text, name);
});

t.test('endOfContainer finds the matching closer, skipping strings', async (t) => {
  const cases: [string, number, number][] = [
    ['[]', 0, 2],
    ['{}', 0, 2],
    ['x[1,[2],{"a":"]"}]y', 1, 18],
    ['{"a":"\\"}"}', 0, 11],
    ['[', 0, -1],
    ['[}', 0, -1],
    ['{]', 0, -1],
  ];
  for (const [text, open, end] of cases)
    t.equal(endOfContainer(Buffer.from(text), open), end, JSON.stringify(text));
});

t.test('parseHookBody answers as fastify would for what it does not cut', async (t) => {
  const refused: [string, string, string][] = [
    ['an empty body', '', 'FST_ERR_CTP_EMPTY_JSON_BODY'],
    ['not JSON', '{"a":', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['a __proto__ key', '{"__proto__":{"polluted":true}}', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    [
      'a constructor.prototype key',
      '{"a":{"constructor":{"prototype":{}}}}',
      'FST_ERR_CTP_INVALID_JSON_BODY',
    ],
    ['not JSON after a cut', '{"managedFields":[1],"a":}', 'FST_ERR_CTP_INVALID_JSON_BODY'],
  ];
  for (const [name, text, code] of refused) {
    t.throws(() => parseHookBody(Buffer.from(text)), { code, statusCode: 400 }, name);
  }
  // The cut leaves `{ , "a":1}` here; the whole text is parsed instead.
  t.same(
    parseHookBody(Buffer.from('{"managedFields":[1] , "a":1}')),
    { managedFields: [1], a: 1 },
    'a cut that breaks the text',
  );
  t.same(parseHookBody(Buffer.from('{"labels":{"managedFields":"yes"}}')), {
    labels: { managedFields: 'yes' },
  });
});

const noPoisoning = (text: string) => !text.includes('__proto__') && !text.includes('constructor');

/** JSON values with any Unicode text in them, not just ASCII. */
const anyJson = fc.jsonValue({ stringUnit: 'grapheme' }) as fc.Arbitrary<Json>;

/** Any JSON value with `managedFields` arrays planted in some of its objects. */
const planted: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    anyJson,
    fc.array(tie('value')),
    fc
      .tuple(
        fc.dictionary(fc.string({ unit: 'grapheme' }), tie('value'), { maxKeys: 4 }),
        fc.option(fc.array(anyJson, { maxLength: 3 }), { nil: undefined }),
        fc.nat(4),
      )
      .map(([members, managedFields, position]) => {
        if (managedFields === undefined) return members;
        const entries = Object.entries(members).filter(([key]) => key !== 'managedFields');
        entries.splice(Math.min(position, entries.length), 0, ['managedFields', managedFields]);
        return Object.fromEntries(entries) as Json;
      }),
  ),
})).value;

// Properties return a verdict rather than call t.same per run: generated text
// holds line separators that would break the TAP stream as assertion names.
// fast-check reports the shrunk counterexample when one fails.
t.test('property: a compact text parses to its value without managedFields arrays', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(planted, (value) => {
        const text = JSON.stringify(value);
        fc.pre(noPoisoning(text));
        return isDeepStrictEqual(
          parseHookBody(Buffer.from(text)),
          dropManagedFieldArrays(JSON.parse(text) as Json),
        );
      }),
      { numRuns: 500 },
    ),
  );
});

t.test('property: pretty-printed texts parse exactly as JSON.parse does', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(planted, fc.constantFrom(1, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        fc.pre(noPoisoning(text));
        return isDeepStrictEqual(parseHookBody(Buffer.from(text)), JSON.parse(text));
      }),
      { numRuns: 300 },
    ),
  );
});

t.test('over HTTP, a sync with managedFields decides exactly as one without', async (t) => {
  const now = new Date('2026-11-23T09:00:30Z');
  const app = buildApp({
    kube: { releaseDeployment: async () => 'released' },
    clock: () => now,
    metrics: createMetrics({ defaultMetrics: false }),
  });
  t.teardown(() => app.close());
  const base = await listen(app);

  const running = canary({
    command: 'apply',
    status: {
      state: 'running',
      currentStep: 2,
      observedCommand: 'apply',
      lastStepTime: '2026-11-23T09:00:00Z',
    },
  });
  const requests: [string, SyncRequest][] = [
    ['the sample request', sample as unknown as SyncRequest],
    [
      'a running canary with a crash-looping pod',
      syncRequest(
        running,
        [deployment({ name: 'my-app-v1', replicas: 6 }), deployment({ name: 'my-app-v2', replicas: 4 })],
        [pod({ deployment: 'my-app-v2' }), pod({ deployment: 'my-app-v2', index: 1, crashLoop: true })],
      ),
    ],
  ];
  for (const [name, request] of requests) {
    const text = JSON.stringify(request);
    t.ok(text.includes('"managedFields":['), `${name} carries managedFields`);
    const lean = dropManagedFieldArrays(JSON.parse(text) as Json) as unknown as SyncRequest;
    const withThem = await post(base, '/sync', text);
    const without = await post(base, '/sync', lean);
    t.equal(withThem.status, 200, name);
    t.same(withThem.body, without.body, `${name}: same answer`);
    t.same(
      withThem.body,
      JSON.parse(JSON.stringify(decideSync(request, now).response)),
      `${name}: as decided in-process`,
    );
  }

  const broken = await post(base, '/sync', '{"parent":{"metadata":{"managedFields":[1]}},');
  t.equal(broken.status, 400);
  t.match(broken.body, { error: 'Bad Request', message: /not valid JSON/ });
  const empty = await post(base, '/sync', '');
  t.equal(empty.status, 400);
  t.match(empty.body, { message: /empty/i });
});
