import t from 'tap';
import { canaryCrd, validateCanary, validateCanaryStatus, type StructuralSchema } from '../helpers/crd.js';
import { CanaryStatus, CANARY_STATES, type CanaryStatus as Status } from '../../hooks/wire/index.js';

const pending = (): Status => ({
  oldReplicas: 10,
  newReplicas: 0,
  currentStep: 0,
  totalSteps: 5,
  weight: 0,
  pause: null,
  state: 'stop',
  message: 'Canary is Pending',
  observedCommand: '',
  lastStepTime: null,
  rollback: null,
  conditions: [],
  sequence: 0,
  replicas: 10,
  labelSelector: 'app=my-app',
});

const rolledBack = (): Status => ({
  ...pending(),
  message: '[2026-11-22T10:03:00Z] Canary is rollbacked',
  observedCommand: 'apply',
  lastStepTime: '2026-11-22T10:03:00Z',
  rollback: {
    time: '2026-11-22T10:03:00Z',
    reason: 'pod my-app-v2-5d9c-x is in CrashLoopBackOff',
    revision: '3',
  },
  conditions: [
    {
      type: 'Progressing',
      status: 'False',
      reason: 'RolledBack',
      message: 'new pods crashed',
      lastTransitionTime: '2026-11-22T10:03:00.000Z',
    },
    {
      type: 'Ready',
      status: 'Unknown',
      reason: 'WaitingForReplicas',
      message: '',
      lastTransitionTime: '2026-11-22T19:03:00+09:00',
    },
  ],
});

const running = (): Status & { observedGeneration: number } => ({
  ...pending(),
  oldReplicas: 8,
  newReplicas: 2,
  currentStep: 1,
  state: 'running',
  message: 'Canary is Running',
  observedCommand: 'apply',
  lastStepTime: '2026-11-22T10:01:00Z',
  nextStepTime: '2026-11-22T10:02:00Z',
  observedGeneration: 3,
});

t.test('statuses of the shape the hooks produce are valid', async (t) => {
  t.same(validateCanaryStatus(pending()), []);
  t.same(validateCanaryStatus(rolledBack()), []);
  t.same(validateCanaryStatus(running()), [], 'observedGeneration, which Metacontroller adds, is allowed');
  for (const state of CANARY_STATES) t.same(validateCanaryStatus({ ...pending(), state }), [], state);
  t.notOk('nextStepTime' in pending(), 'a pending status has no nextStepTime');
  t.same(
    validateCanaryStatus({ ...pending(), nextStepTime: null }),
    [],
    'a null nextStepTime, as an older service wrote it, is still accepted',
  );
  t.same(
    validateCanary({
      apiVersion: 'canary.k8shuginn.io/v1alpha1',
      kind: 'Canary',
      metadata: { name: 'x' },
      spec: {
        oldDeployment: 'a',
        newDeployment: 'b',
        totalReplicas: 10,
        stepReplicas: 2,
        cronSchedule: '* * * * *',
        selector: { matchLabels: { app: 'a' } },
      },
      status: running(),
    }),
    [],
    'and inside a whole Canary',
  );
});

const invalid: [string, unknown, RegExp][] = [
  ['a negative replica count', { ...pending(), oldReplicas: -1 }, /status\.oldReplicas: must be >= 0/],
  ['a fractional step', { ...pending(), currentStep: 1.5 }, /status\.currentStep: must be integer/],
  [
    'a capitalised state',
    { ...pending(), state: 'Running' },
    /status\.state: must be one of "stop", "running"/,
  ],
  ['a null state', { ...pending(), state: null }, /status\.state: must be/],
  [
    'a time that is not RFC 3339',
    { ...pending(), lastStepTime: '22/11/2026 10:00' },
    /status\.lastStepTime: must match format "date-time"/,
  ],
  [
    'a time without zone',
    { ...pending(), nextStepTime: '2026-11-22T10:00:00' },
    /status\.nextStepTime: must match format "date-time"/,
  ],
  [
    'an epoch number for a time',
    { ...pending(), nextStepTime: 1795000000 },
    /status\.nextStepTime: must be string,null/,
  ],
  [
    'a missing field',
    (({ observedCommand: _, ...rest }) => rest)(pending()),
    /status: missing required field "observedCommand"/,
  ],
  ['an undeclared field', { ...pending(), phase: 'Running' }, /status: unknown field "phase"/],
  [
    'a rollback without revision',
    { ...pending(), rollback: { time: '2026-11-22T10:03:00Z', reason: 'x' } },
    /status\.rollback: missing required field "revision"/,
  ],
  [
    'a rollback with a bad time',
    { ...pending(), rollback: { time: 'yesterday', reason: 'x', revision: '1' } },
    /status\.rollback\.time: must match format/,
  ],
  ['conditions as null', { ...pending(), conditions: null }, /status\.conditions: must be array/],
  [
    'a condition status that is not True/False/Unknown',
    { ...pending(), conditions: [{ ...rolledBack().conditions[0], status: 'true' }] },
    /status\.conditions\.0\.status: must be one of "True", "False", "Unknown"/,
  ],
  [
    'a condition with an empty reason',
    { ...pending(), conditions: [{ ...rolledBack().conditions[0], reason: '' }] },
    /status\.conditions\.0\.reason/,
  ],
  [
    'a condition reason with spaces',
    { ...pending(), conditions: [{ ...rolledBack().conditions[0], reason: 'Rolled back' }] },
    /status\.conditions\.0\.reason: must match pattern/,
  ],
  [
    'two conditions of one type',
    { ...pending(), conditions: [rolledBack().conditions[0], rolledBack().conditions[0]] },
    /status\.conditions: item 1 duplicates key type/,
  ],
  [
    'a string observedGeneration',
    { ...pending(), observedGeneration: '3' },
    /status\.observedGeneration: must be integer/,
  ],
];

t.test('statuses the API server would reject are reported, naming the field', async (t) => {
  for (const [name, status, message] of invalid) {
    t.match(validateCanaryStatus(status).join('\n'), message, name);
  }
  t.match(validateCanaryStatus(undefined).join('\n'), /must be object/, 'no status at all is not a status');
});

// The TypeBox schema in hooks/wire/payloads.ts is what the server validates its own
// answers against; it and the CRD must list the same fields.
t.test('the CRD status and the CanaryStatus wire type declare the same fields', async (t) => {
  const crdStatus = canaryCrd().spec.versions[0]!.schema.openAPIV3Schema.properties!.status!;
  const wire = CanaryStatus as unknown as {
    properties: Record<string, { properties?: object; items?: { properties?: object } }>;
    required?: string[];
  };
  const declared = (s: StructuralSchema | undefined) => Object.keys(s?.properties ?? {}).sort();
  t.same(
    declared(crdStatus).filter((k) => k !== 'observedGeneration'),
    Object.keys(wire.properties).sort(),
  );
  t.same(
    [...(crdStatus.required ?? [])].sort(),
    [...(wire.required ?? [])].sort(),
    'the same fields are always there',
  );
  const wireRollback = (
    wire.properties.rollback as unknown as { anyOf: { properties?: object }[] }
  ).anyOf.find((s) => s.properties);
  t.same(
    declared(crdStatus.properties!.rollback),
    Object.keys(wireRollback?.properties ?? {}).sort(),
    'rollback',
  );
  t.same(
    declared(crdStatus.properties!.conditions!.items),
    Object.keys(wire.properties.conditions?.items?.properties ?? {}).sort(),
    'conditions',
  );
});
