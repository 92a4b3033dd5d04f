import t from 'tap';
import {
  canaryCrd,
  canaryWithDefaults,
  compileStructuralSchema,
  RULES_NOT_CHECKED,
  validateCanary,
  type StructuralSchema,
} from '../helpers/crd.js';
import { examples, find } from './manifests.js';
import { GROUP } from '../../hooks/wire/index.js';

const crd = canaryCrd();
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;

const good = () => ({
  apiVersion: 'canary.k8shuginn.io/v1alpha1',
  kind: 'Canary',
  metadata: { name: 'canary-sample', namespace: 'default' },
  spec: {
    oldDeployment: 'old-deployment',
    newDeployment: 'new-deployment',
    totalReplicas: 10,
    stepReplicas: 2,
    cronSchedule: '* * * * *',
    timeZone: 'Asia/Seoul',
    enableRollback: true,
    progressDeadlineSeconds: 600,
    selector: { matchLabels: { app: 'my-app' } },
  },
});

t.test('the CRD names the API the SPEC fixes', async (t) => {
  t.equal(crd.metadata.name, `canaries.${GROUP}`);
  t.equal(crd.spec.group, GROUP);
  t.equal(crd.spec.scope, 'Namespaced');
  t.match(crd.spec.names, { kind: 'Canary', plural: 'canaries', singular: 'canary' });
  t.ok(crd.spec.names.shortNames?.length, 'has a short name');
  t.equal(crd.spec.versions.length, 1);
  t.match(version, { name: 'v1alpha1', served: true, storage: true });
  t.same(version.subresources?.status, {}, 'status subresource, which Metacontroller writes through');
});

t.test('kubectl get -o wide prints OLDREPLICAS NEWREPLICAS CURRENTSTEP STATE MESSAGE first', async (t) => {
  const columns = version.additionalPrinterColumns ?? [];
  // kubectl upper-cases the names; -o wide shows every column, in this order.
  t.same(
    columns.slice(0, 5).map((c) => c.name.toUpperCase()),
    ['OLDREPLICAS', 'NEWREPLICAS', 'CURRENTSTEP', 'STATE', 'MESSAGE'],
  );
  t.ok(
    columns.slice(0, 5).every((c) => (c.priority ?? 0) === 0),
    'the original five also show without -o wide',
  );
  for (const column of columns) {
    // A jsonPath that names no field prints an empty column forever; check it against the schema.
    const path = column.jsonPath.replace(/^\./, '').split('.');
    let node: StructuralSchema | undefined = root;
    for (const part of path) node = part === 'metadata' ? { type: 'object' } : node?.properties?.[part];
    if (path[0] === 'metadata') continue;
    t.ok(node, `${column.name}: ${column.jsonPath} is a field of the schema`);
    const expected = column.type === 'date' ? 'string' : column.type;
    t.equal(node?.type, expected, `${column.name} column type matches the field`);
  }
  const next = columns.find((c) => c.jsonPath === '.status.nextStepTime');
  t.not(next?.type, 'date', 'a future time as a date column would print "<invalid>"');
});

/** Kubernetes refuses a CRD whose schema is not structural; check the rules that bite most. */
function structuralProblems(node: StructuralSchema, path: string): string[] {
  const problems: string[] = [];
  const special = node['x-kubernetes-int-or-string'] || node['x-kubernetes-preserve-unknown-fields'];
  if (!node.type && !special) problems.push(`${path}: no type`);
  if (node.properties && node.additionalProperties !== undefined) {
    problems.push(`${path}: properties and additionalProperties together`);
  }
  if (node.type === 'array' && !node.items) problems.push(`${path}: array without items`);
  if (node.nullable && !node.type) problems.push(`${path}: nullable without type`);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    problems.push(...structuralProblems(child, `${path}.${name}`));
  }
  if (node.items) problems.push(...structuralProblems(node.items, `${path}[]`));
  if (typeof node.additionalProperties === 'object') {
    problems.push(...structuralProblems(node.additionalProperties, `${path}{}`));
  }
  for (const key of node.required ?? []) {
    if (!node.properties?.[key]) problems.push(`${path}: requires undeclared "${key}"`);
  }
  return problems;
}

t.test('the schema is structural', async (t) => {
  t.same(structuralProblems(root, 'openAPIV3Schema'), []);
  t.same(
    structuralProblems({ type: 'object', properties: { a: { nullable: true } }, required: ['b'] }, 'x'),
    ['x.a: no type', 'x.a: nullable without type', 'x: requires undeclared "b"'],
    'the check finds what it looks for',
  );
});

t.test('the spec declares every field of docs/design.md §2', async (t) => {
  const spec = root.properties?.spec;
  t.same(Object.keys(spec?.properties ?? {}).sort(), [
    'cronSchedule',
    'enableRollback',
    'newDeployment',
    'oldDeployment',
    'progressDeadlineSeconds',
    'selector',
    'stepReplicas',
    'steps',
    'surge',
    'timeZone',
    'totalReplicas',
    'trafficRouting',
  ]);
  // stepReplicas and cronSchedule are required by rules now: one of two forms (docs/design.md §8).
  t.same([...(spec?.required ?? [])].sort(), ['newDeployment', 'oldDeployment', 'selector', 'totalReplicas']);
});

t.test('the example Canary and the SPEC sample are accepted', async (t) => {
  const example = find(examples(), 'Canary', 'my-app');
  t.same(validateCanary(example), []);
  t.same(validateCanary(good()), []);
  const minimal = good();
  delete (minimal.spec as Partial<typeof minimal.spec>).timeZone;
  delete (minimal.spec as Partial<typeof minimal.spec>).enableRollback;
  delete (minimal.spec as Partial<typeof minimal.spec>).progressDeadlineSeconds;
  t.same(validateCanary(minimal), [], 'optional fields may be left out');
  t.same(
    validateCanary({ ...good(), spec: { ...good().spec, stepReplicas: 10, totalReplicas: 10 } }),
    [],
    'one step of everything is allowed',
  );
  t.same(
    validateCanary({
      ...good(),
      spec: {
        ...good().spec,
        cronSchedule: '@hourly',
        timeZone: 'America/Argentina/Buenos_Aires',
        oldDeployment: 'web.v1',
        selector: {
          matchExpressions: [
            { key: 'app', operator: 'In', values: ['web'] },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
      },
    }),
    [],
    'macros, deep zone names, dotted names and matchExpressions',
  );
});

t.test('enableRollback defaults to true, and an explicit false stays', async (t) => {
  const minimal = good();
  delete (minimal.spec as Partial<typeof minimal.spec>).enableRollback;
  t.equal(canaryWithDefaults(minimal).spec.enableRollback, true);
  t.equal(minimal.spec.enableRollback, undefined, "the caller's object is not changed");
  t.equal(
    canaryWithDefaults({ ...good(), spec: { ...good().spec, enableRollback: false } }).spec.enableRollback,
    false,
  );
});

t.test('surge is on unless turned off (docs/design.md §7a); false is kept', async (t) => {
  const surgeOf = (spec: Record<string, unknown>) =>
    (canaryWithDefaults({ ...good(), spec: { ...good().spec, ...spec } }).spec as { surge?: unknown }).surge;
  t.equal(surgeOf({}), true);
  t.equal(surgeOf({ surge: false }), false);
});

type Spec = ReturnType<typeof good>['spec'];
const withSpec = (patch: Record<string, unknown>, drop: (keyof Spec)[] = []) => {
  const obj = good() as { spec: Record<string, unknown> };
  Object.assign(obj.spec, patch);
  for (const key of drop) delete obj.spec[key];
  return obj;
};

const bad: [string, unknown, RegExp][] = [
  ['missing oldDeployment', withSpec({}, ['oldDeployment']), /spec: missing required field "oldDeployment"/],
  ['missing newDeployment', withSpec({}, ['newDeployment']), /spec: missing required field "newDeployment"/],
  ['missing totalReplicas', withSpec({}, ['totalReplicas']), /spec: missing required field "totalReplicas"/],
  [
    'neither stepReplicas nor steps',
    withSpec({}, ['stepReplicas']),
    /^spec: give exactly one of steps and stepReplicas/,
  ],
  [
    'stepReplicas without cronSchedule',
    withSpec({}, ['cronSchedule']),
    /^spec: cronSchedule is required with stepReplicas/,
  ],
  [
    'a setWeight that is not a number',
    withSpec({ steps: [{ setWeight: '10%' }] }, ['stepReplicas']),
    /setWeight/,
  ],
  ['missing selector', withSpec({}, ['selector']), /spec: missing required field "selector"/],
  [
    'missing spec',
    { apiVersion: 'canary.k8shuginn.io/v1alpha1', kind: 'Canary', metadata: {} },
    /missing required field "spec"/,
  ],
  [
    'upper-case name',
    withSpec({ oldDeployment: 'My-App' }),
    /spec\.oldDeployment: must be a Deployment name: lowercase letters, digits, '-' and '\.'/,
  ],
  [
    'name ending in a dash',
    withSpec({ newDeployment: 'my-app-' }),
    /spec\.newDeployment: must be a Deployment name/,
  ],
  [
    'name too long',
    withSpec({ newDeployment: 'a'.repeat(254) }),
    /spec\.newDeployment: must NOT have more than 253/,
  ],
  ['empty name', withSpec({ oldDeployment: '' }), /spec\.oldDeployment: must NOT have fewer than 1/],
  [
    'zero totalReplicas',
    withSpec({ totalReplicas: 0, stepReplicas: 0 }),
    /spec\.totalReplicas: must be >= 1/,
  ],
  ['zero stepReplicas', withSpec({ stepReplicas: 0 }), /spec\.stepReplicas: must be >= 1/],
  ['negative stepReplicas', withSpec({ stepReplicas: -2 }), /spec\.stepReplicas: must be >= 1/],
  ['fractional totalReplicas', withSpec({ totalReplicas: 2.5 }), /spec\.totalReplicas: must be integer/],
  ['replicas as a string', withSpec({ totalReplicas: '10' }), /spec\.totalReplicas: must be integer/],
  [
    'zero progressDeadlineSeconds',
    withSpec({ progressDeadlineSeconds: 0 }),
    /spec\.progressDeadlineSeconds: must be >= 1/,
  ],
  [
    'enableRollback as a string',
    withSpec({ enableRollback: 'yes' }),
    /spec\.enableRollback: must be boolean/,
  ],
  [
    'cron with four fields',
    withSpec({ cronSchedule: '* * * *' }),
    /spec\.cronSchedule: must be five cron fields/,
  ],
  ['empty cron', withSpec({ cronSchedule: '' }), /spec\.cronSchedule: must be five cron fields/],
  [
    'time zone with a space',
    withSpec({ timeZone: 'Asia/ Seoul' }),
    /spec\.timeZone: must be an IANA time zone name/,
  ],
  ['unknown spec field (typo)', withSpec({ stepReplica: 2 }), /spec: unknown field "stepReplica"/],
  [
    'bad selector operator',
    withSpec({ selector: { matchExpressions: [{ key: 'app', operator: 'Equals' }] } }),
    /spec\.selector\.matchExpressions\.0\.operator: must be one of "In", "NotIn", "Exists", "DoesNotExist"/,
  ],
  [
    'non-string label value',
    withSpec({ selector: { matchLabels: { app: 1 } } }),
    /spec\.selector\.matchLabels\.app: must be string/,
  ],
];

t.test('the schema rejects each kind of bad spec, naming the field', async (t) => {
  for (const [name, obj, message] of bad) {
    const errors = validateCanary(obj);
    t.match(errors.join('\n'), message, name);
  }
});

const celBad: [string, unknown, string][] = [
  [
    'old and new are the same Deployment',
    withSpec({ newDeployment: 'old-deployment' }),
    'oldDeployment and newDeployment must name two different Deployments',
  ],
  [
    'step larger than total',
    withSpec({ stepReplicas: 11 }),
    'stepReplicas must not be greater than totalReplicas',
  ],
  [
    'empty selector',
    withSpec({ selector: {} }),
    'selector must have at least one matchLabels entry or matchExpressions requirement',
  ],
  [
    'selector with empty lists',
    withSpec({ selector: { matchLabels: {}, matchExpressions: [] } }),
    'selector must have at least one matchLabels entry or matchExpressions requirement',
  ],
  [
    'In without values',
    withSpec({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } }),
    'values must list at least one value for operator In or NotIn',
  ],
  [
    'Exists with values',
    withSpec({ selector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } }),
    'must be empty for Exists or DoesNotExist',
  ],
];

t.test('the CEL rules reject what the schema alone cannot, with a readable message', async (t) => {
  for (const [name, obj, message] of celBad) {
    const errors = validateCanary(obj);
    t.equal(errors.length, 1, `${name}: one error`);
    t.match(errors[0], message, name);
  }
  const both = validateCanary(withSpec({ newDeployment: 'old-deployment', stepReplicas: 20 }));
  t.equal(both.length, 2, 'every failing rule is reported');
  t.match(both.join('\n'), /^spec: /m, 'CEL errors name the object the rule sits on');
  t.same(
    validateCanary(withSpec({ newDeployment: 'old-deployment' }, ['selector'])),
    ['spec: missing required field "selector"', `<root>: ${RULES_NOT_CHECKED}`],
    'as on the API server, rules wait until the schema passes',
  );
});

t.test('every CEL rule carries a message', async (t) => {
  const rules: { rule: string; message?: string }[] = [];
  const walk = (node: StructuralSchema) => {
    rules.push(...(node['x-kubernetes-validations'] ?? []));
    Object.values(node.properties ?? {}).forEach(walk);
    if (node.items) walk(node.items);
  };
  walk(root);
  // Four rules across fields, and four that give names, schedules and zones a sentence, not a regex;
  // three more across fields and seven on the step list (docs/design.md §8); eight on trafficRouting
  // (one router, two backends, two destinations, four names, the list of routes: docs/design.md §9).
  t.equal(rules.length, 26);
  for (const { rule, message } of rules) t.ok(message && message.length > 20, `${rule} has a message`);
});

t.test('the validator itself: CEL on ints, defaults before rules, bad rules, unknown fields', async (t) => {
  const schema: StructuralSchema = {
    type: 'object',
    'x-kubernetes-validations': [
      { rule: 'self.a + 1 == self.b', message: 'b is a plus one' },
      { rule: 'self.flag' },
      { rule: 'self.missing > 0', message: 'never reached' },
    ],
    properties: {
      a: { type: 'integer' },
      b: { type: 'integer' },
      flag: { type: 'boolean', default: true },
      n: { type: 'integer', nullable: true },
      e: { type: 'string', enum: ['x'], nullable: true },
      open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      d: { type: 'string', format: 'duration' },
      io: { 'x-kubernetes-int-or-string': true },
      list: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['k'],
        items: { type: 'object', properties: { k: { type: 'string' }, v: { type: 'string' } } },
      },
      set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    },
  };
  const check = compileStructuralSchema(schema);
  const errors = check({
    a: 1,
    b: 2,
    n: null,
    e: null,
    open: { any: 1 },
    d: '1m30s',
    io: 'x',
    list: [],
    set: [],
  });
  t.same(
    errors,
    ['<root>: rule "self.missing > 0": No such key: missing'],
    'ints compare as CEL ints, default applied before the rules',
  );
  t.match(check({ a: 1, b: 3, flag: false }).join('\n'), /b is a plus one[\s\S]*failed rule: self\.flag/);
  t.match(check({ a: 1, b: 2, extra: true }).join('\n'), /unknown field "extra"/);
  t.match(
    check({ a: 1, b: 2, d: 'PT1M' }).join('\n'),
    /d: must match format "go-duration"/,
    "Go's durations, not ISO 8601",
  );
  t.match(check({ a: 1, b: 2, io: 1.5 }).join('\n'), /io: must be integer/);
  t.match(
    check({ a: 1, b: 2, list: [{ k: 'x' }, { k: 'x', v: 'y' }] }).join('\n'),
    /list: item 1 duplicates key k/,
  );
  t.match(check({ a: 1, b: 2, set: ['a', 'a'] }).join('\n'), /set: item 1 duplicates/);
  t.throws(() =>
    compileStructuralSchema({ type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a ==' }] }),
  );
  const loose = compileStructuralSchema(
    { type: 'object', properties: { a: { type: 'string' } } },
    { rejectUnknownFields: false },
  );
  t.same(loose({ b: 1 }), [], 'unknown fields pass when asked to prune instead');
});
