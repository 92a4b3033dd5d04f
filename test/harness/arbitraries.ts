/**
 * Random inputs for the property tests (test/properties/): specs (valid and invalid), statuses
 * (from plausible to garbage), annotations, Deployments, pods and times,
 * assembled into sync requests shaped as Metacontroller sends them.
 */
import fc from 'fast-check';
import { COMMAND_ANNOTATION, DEPLOYMENT_CHILD_KEY, POD_RELATED_KEY } from '../../hooks/wire/index.js';
import type { Canary, Deployment, Pod, SyncRequest } from '../../hooks/wire/index.js';
import { canary, deployment, pod } from '../fixtures/cluster.js';

export const OLD = 'my-app-v1';
export const NEW = 'my-app-v2';
export const EXTRA = 'my-app-debug';

const CRONS = ['* * * * *', '*/5 * * * *', '0 9 * * 1-5', '30 2 * * *', '@hourly', '@daily', '0 */6 * * *'];
const ZONES = ['UTC', 'Asia/Seoul', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'];
export const COMMAND_VALUES = ['apply', 'stop', 'rollback', 'completion'] as const;

/**
 * Object keys for junk. Not `__proto__` or `constructor`: fastify refuses such
 * bodies outright (prototype-poisoning protection), and no Kubernetes object
 * can carry them (pruned, or not a valid key), so they test nothing here.
 */
const junkKey = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__' && k !== 'constructor');
const junk = (maxDepth: number) => fc.anything({ maxDepth, key: junkKey });

const selectorArb = fc.constantFrom<Record<string, unknown>>(
  { matchLabels: { app: 'my-app' } },
  { matchExpressions: [{ key: 'app', operator: 'In', values: ['my-app'] }] },
  { matchLabels: { app: 'my-app' }, matchExpressions: [{ key: 'version', operator: 'Exists' }] },
);

/** A spec the CRD schema and the hooks both accept. */
export const validSpec: fc.Arbitrary<Record<string, unknown>> = fc
  .integer({ min: 1, max: 40 })
  .chain((total) =>
    fc.record(
      {
        oldDeployment: fc.constant(OLD),
        newDeployment: fc.constant(NEW),
        totalReplicas: fc.constant(total),
        stepReplicas: fc.integer({ min: 1, max: total }),
        cronSchedule: fc.constantFrom(...CRONS),
        timeZone: fc.constantFrom(...ZONES),
        enableRollback: fc.boolean(),
        progressDeadlineSeconds: fc.integer({ min: 1, max: 3600 }),
        selector: selectorArb,
      },
      {
        requiredKeys: [
          'oldDeployment',
          'newDeployment',
          'totalReplicas',
          'stepReplicas',
          'cronSchedule',
          'selector',
        ],
      },
    ),
  );

/** One thing wrong that the hooks must name: the schema would catch some, not all. */
const breakages: fc.Arbitrary<(spec: Record<string, unknown>) => Record<string, unknown>>[] = [
  fc
    .constantFrom<unknown>(0, -3, 2.5, '10', null, true, [])
    .map((v) => (s: Record<string, unknown>) => ({ ...s, totalReplicas: v })),
  fc
    .constantFrom<unknown>(0, -1, 1.5, '2', {})
    .map((v) => (s: Record<string, unknown>) => ({ ...s, stepReplicas: v })),
  fc.constant((s) => ({ ...s, newDeployment: s.oldDeployment })),
  fc
    .constantFrom('61 * * * *', '* * *', '@every 5m', 'a b c d e', '* * * * * *', '', '0 25 * * *', 42)
    .map((v) => (s: Record<string, unknown>) => ({ ...s, cronSchedule: v })),
  fc
    .constantFrom<unknown>('Mars/Olympus_Mons', 'Asia/Atlantis', 'UTC+25', 7)
    .map((v) => (s: Record<string, unknown>) => ({ ...s, timeZone: v })),
  fc
    .constantFrom<unknown>(
      {},
      null,
      'app=my-app',
      { matchLabels: {} },
      { matchLabels: { app: 7 } },
      { matchExpressions: [{ key: 'app', operator: 'Like', values: ['x'] }] },
      { matchExpressions: [{ key: 'app', operator: 'In' }] },
    )
    .map((v) => (s: Record<string, unknown>) => ({ ...s, selector: v })),
  fc
    .constantFrom<unknown>('My_App', '', 42, '-app', 'a'.repeat(254))
    .map((v) => (s: Record<string, unknown>) => ({ ...s, oldDeployment: v })),
  fc
    .constantFrom<unknown>('yes', 1)
    .map((v) => (s: Record<string, unknown>) => ({ ...s, enableRollback: v })),
  fc
    .constantFrom<unknown>(0, -5, 1.5, '60')
    .map((v) => (s: Record<string, unknown>) => ({ ...s, progressDeadlineSeconds: v })),
  fc
    .constantFrom(
      'oldDeployment',
      'newDeployment',
      'totalReplicas',
      'stepReplicas',
      'cronSchedule',
      'selector',
    )
    .map((field) => (s: Record<string, unknown>) => {
      const copy = { ...s };
      delete copy[field];
      return copy;
    }),
];

export const invalidSpec: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(validSpec, fc.oneof(...breakages))
  .map(([spec, breakIt]) => breakIt(spec));

/** Anything at all in any field. */
export const garbageSpec: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    validSpec,
    fc.dictionary(
      fc.constantFrom(
        'totalReplicas',
        'stepReplicas',
        'cronSchedule',
        'timeZone',
        'selector',
        'oldDeployment',
        'extra',
      ),
      junk(3),
    ),
  )
  .map(([spec, fields]) => ({ ...spec, ...fields }));

export type SpecKind = 'valid' | 'invalid' | 'garbage';
export const anySpec: fc.Arbitrary<{ kind: SpecKind; spec: Record<string, unknown> }> = fc.oneof(
  { weight: 6, arbitrary: validSpec.map((spec) => ({ kind: 'valid' as const, spec })) },
  { weight: 3, arbitrary: invalidSpec.map((spec) => ({ kind: 'invalid' as const, spec })) },
  { weight: 1, arbitrary: garbageSpec.map((spec) => ({ kind: 'garbage' as const, spec })) },
);

const MIN_TIME = Date.parse('2026-01-01T00:00:00Z');
const MAX_TIME = Date.parse('2028-12-31T00:00:00Z');

export const time: fc.Arbitrary<Date> = fc.date({
  min: new Date(MIN_TIME),
  max: new Date(MAX_TIME),
  noInvalidDate: true,
});

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A timestamp as the API server stores one, or something else in its place. */
const timestampish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: time.map(rfc3339) },
  { weight: 1, arbitrary: time.map((d) => d.toISOString()) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      null,
      '',
      'yesterday',
      12,
      '2026-02-30T00:00:00Z',
      '2026-11-22T10:00',
      {},
    ),
  },
);

const condition: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    type: fc.constantFrom('Valid', 'CommandAccepted', 'Progressing', 'RolledBack', 'Complete', 'Ready'),
    status: fc.constantFrom('True', 'False', 'Unknown', 'maybe'),
    reason: fc.constantFrom('StepScheduled', 'WaitingForAvailability', 'Pending', ''),
    message: fc.string({ maxLength: 20 }),
    lastTransitionTime: timestampish,
  }),
  junk(1),
);

const count: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 45 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 2.5, '3', null, 2 ** 40) },
);

/** A status as a previous response might have left it, or as someone might have written it. */
export const priorStatus: fc.Arbitrary<Record<string, unknown> | null | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
  {
    weight: 1,
    arbitrary: fc.dictionary(junkKey, junk(2), { maxKeys: 4 }),
  },
  {
    weight: 8,
    arbitrary: fc.record(
      {
        oldReplicas: count,
        newReplicas: count,
        currentStep: count,
        totalSteps: count,
        state: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom('stop', 'running', 'complete', 'error') },
          { weight: 1, arbitrary: fc.constantFrom<unknown>('Running', 'paused', 3, null) },
        ),
        message: fc.constantFrom('Canary is Running', 'Canary is Pending', ''),
        observedCommand: fc.constantFrom<unknown>('', 'apply', 'stop', 'rollback', 'completion', 'pause', 5),
        lastStepTime: timestampish,
        nextStepTime: timestampish,
        rollback: fc.oneof(
          fc.constant(null),
          fc.record({
            time: timestampish,
            reason: fc.constantFrom('CrashLoopBackOff: x', 'RollbackCommand: y', 'a:', '', 'no colon'),
            revision: fc.constantFrom('abc', ''),
          }),
          junk(1),
        ),
        conditions: fc.oneof(fc.array(condition, { maxLength: 6 }), junk(1)),
        observedGeneration: fc.integer({ min: 0, max: 9 }),
      },
      { requiredKeys: [] },
    ),
  },
);

export const annotation: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.constantFrom(...COMMAND_VALUES) },
  { weight: 1, arbitrary: fc.constantFrom(' apply ', 'APPLY', '', 'pause', 'resume') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const IMAGES = [
  'containersol/k8s-deployment-strategies:v1',
  'containersol/k8s-deployment-strategies:v2',
  'example/app:v2.0.1',
];

const deploymentArb = (name: string): fc.Arbitrary<Deployment> =>
  fc
    .record({
      replicas: fc.option(fc.integer({ min: 0, max: 45 }), { nil: undefined }),
      available: fc.integer({ min: 0, max: 45 }),
      generation: fc.integer({ min: 1, max: 6 }),
      lag: fc.integer({ min: 0, max: 2 }),
      image: fc.constantFrom(...IMAGES),
      owned: fc.boolean(),
      labels: fc.constantFrom<Record<string, string> | undefined>(undefined, { tier: 'web' }),
    })
    .map((o) => {
      const d = deployment({
        name,
        replicas: o.replicas ?? 0,
        available: o.available,
        generation: o.generation,
        observedGeneration: Math.max(0, o.generation - o.lag),
        image: o.image,
        owned: o.owned,
        labels: o.labels,
      });
      if (o.replicas === undefined) delete d.spec.replicas;
      return d;
    });

export const deployments: fc.Arbitrary<Deployment[]> = fc
  .record({
    old: fc.option(deploymentArb(OLD), { freq: 8, nil: undefined }),
    new: fc.option(deploymentArb(NEW), { freq: 8, nil: undefined }),
    extra: fc.option(deploymentArb(EXTRA), { freq: 3, nil: undefined }),
  })
  .map((d) => [d.old, d.new, d.extra].filter((x): x is Deployment => x !== undefined));

export const pods: fc.Arbitrary<Pod[]> = fc.array(
  fc
    .record({
      deployment: fc.constantFrom(OLD, NEW, EXTRA),
      hash: fc.constantFrom('5b9c7d6f8', '7d4f8c9b5', '6c8d9f7b4'),
      index: fc.integer({ min: 0, max: 9 }),
      crashLoop: fc.boolean(),
      initCrashLoop: fc.boolean(),
      terminating: fc.boolean(),
      foreignOwner: fc.boolean(),
    })
    .map((o) =>
      pod({
        deployment: o.deployment,
        hash: o.hash,
        index: o.index,
        crashLoop: o.crashLoop,
        initCrashLoop: o.initCrashLoop && o.crashLoop,
        terminating: o.terminating,
        replicaSet: o.foreignOwner ? 'someone-else-123' : undefined,
      }),
    ),
  { maxLength: 6 },
);

export interface Case {
  kind: SpecKind;
  request: SyncRequest;
  now: Date;
}

export function syncRequest(parent: Canary, children: Deployment[], related: Pod[]): SyncRequest {
  return {
    controller: {
      apiVersion: 'metacontroller.k8s.io/v1alpha1',
      kind: 'CompositeController',
      metadata: { name: 'canary-hooks' },
    },
    parent,
    children: { [DEPLOYMENT_CHILD_KEY]: Object.fromEntries(children.map((d) => [d.metadata.name, d])) },
    related: { [POD_RELATED_KEY]: Object.fromEntries(related.map((p) => [p.metadata.name, p])) },
    finalizing: false,
  };
}

/** A whole sync request at a time. */
export const syncCase: fc.Arbitrary<Case> = fc
  .record({
    spec: anySpec,
    status: priorStatus,
    command: annotation,
    generation: fc.integer({ min: 1, max: 9 }),
    deployments,
    pods,
    now: time,
  })
  .map((c) => {
    const parent = canary({ spec: {}, command: c.command, generation: c.generation });
    parent.spec = c.spec.spec;
    if (c.status !== undefined) parent.status = c.status as Canary['status'];
    if (c.command !== undefined) parent.metadata.annotations = { [COMMAND_ANNOTATION]: c.command };
    return { kind: c.spec.kind, request: syncRequest(parent, c.deployments, c.pods), now: c.now };
  });
