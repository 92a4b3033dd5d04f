/**
 * Owns the Kubernetes objects of the Metacontroller v4 hook payloads: the
 * Canary (its raw spec and the status the service writes), the Deployments
 * and the pods, with the metadata and selectors they share.
 * hooks/wire/payloads.ts wraps them into the requests and responses of each
 * hook.
 *
 * Each shape is written once, as a JSON schema with TypeBox, and its TypeScript
 * type is derived from it, so the validator the server runs and the types the
 * hooks are written against cannot drift apart.
 *
 * The schemas of what arrives describe only the fields the hooks read and say
 * nothing about the rest (`additionalProperties` stays open): Kubernetes
 * objects carry far more than we look at (managedFields, pod specs), and
 * validating or copying what we never read would cost time on every sync for
 * nothing.
 */
import { Type, type Static, type TOptional, type TSchema, type TUnknown } from '@sinclair/typebox';

// Exported for hooks/wire/payloads.ts, whose request schemas are as open as the objects in them.
export const Open = { additionalProperties: true } as const;
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/*
 * The status schemas below go out in every response, compiled by
 * fast-json-stringify (hooks/wire/payloads.ts SyncResponse), which turns
 * an `anyOf` into an ajv validation of the value at run time, on every
 * response, to pick the branch (a date-time regex per timestamp, a call per
 * condition status). A list of types or an `enum` serialises the same JSON
 * with a `typeof` test instead. Schemas of what arrives keep `Nullable` and unions:
 * ajv's messages for them are the ones the 400s name.
 */

/** A string or null, as one JSON schema type list. */
const NullableString = (options: { format?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });

/** One of a few strings, as an `enum` rather than a union of literals. */
const StringEnum = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const GROUP = 'canary.k8shuginn.io';
export const COMMAND_ANNOTATION = `${GROUP}/command`;

export const StringMap = Type.Record(Type.String(), Type.String());
export type StringMap = Static<typeof StringMap>;

export const OwnerReference = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    uid: Type.String(),
    controller: Type.Optional(Type.Boolean()),
    blockOwnerDeletion: Type.Optional(Type.Boolean()),
  },
  Open,
);
export type OwnerReference = Static<typeof OwnerReference>;

export const ObjectMeta = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    resourceVersion: Type.Optional(Type.String()),
    labels: Type.Optional(StringMap),
    annotations: Type.Optional(StringMap),
    ownerReferences: Type.Optional(Type.Array(OwnerReference)),
    deletionTimestamp: Type.Optional(Type.String()),
  },
  Open,
);
export type ObjectMeta = Static<typeof ObjectMeta>;

export const LabelSelectorRequirement = Type.Object(
  {
    key: Type.String(),
    operator: Type.String(),
    values: Type.Optional(Type.Array(Type.String())),
  },
  Open,
);
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirement>;

export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(StringMap),
    matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirement)),
  },
  Open,
);
export type LabelSelector = Static<typeof LabelSelector>;

// ---------------------------------------------------------------- the Canary

export const CANARY_STATES = ['stop', 'running', 'complete', 'error'] as const;
export const CanaryState = StringEnum(CANARY_STATES);
export type CanaryState = Static<typeof CanaryState>;

/**
 * The spec as it may arrive. Every field is optional and loosely typed here on
 * purpose: the CRD schema is the first line of defence, but a Canary written
 * before a schema change, or with a CRD installed without validation, must
 * still get a status that names the wrong field rather than a 400 that leaves
 * the user nothing to read. hooks/spec/parse.ts turns this into a `CanarySpec`.
 */
const RAW_SPEC_FIELDS = [
  'oldDeployment',
  'newDeployment',
  'totalReplicas',
  'stepReplicas',
  'steps',
  'cronSchedule',
  'timeZone',
  'enableRollback',
  'surge',
  'progressDeadlineSeconds',
  'selector',
  'trafficRouting',
] as const;

/** Each of `keys` optional and of any type at all. */
const anything = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, Type.Optional(Type.Unknown())])) as {
    [P in K]: TOptional<TUnknown>;
  };

export const RawCanarySpec = Type.Object(anything(RAW_SPEC_FIELDS), Open);
export type RawCanarySpec = Static<typeof RawCanarySpec>;

/** The conditions of a Canary's status, in the order every status lists them. */
export const CONDITION_TYPES = [
  'Valid',
  'CommandAccepted',
  'Progressing',
  'StepAvailable',
  'RolledBack',
  'Complete',
  'Paused',
  'TrafficRouted',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const Condition = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Type.String(),
  message: Type.String(),
  lastTransitionTime: Type.String({ format: 'date-time' }),
});
export type Condition = Static<typeof Condition>;

export const RollbackRecord = Type.Object({
  time: Type.String({ format: 'date-time' }),
  reason: Type.String(),
  revision: Type.String(),
});
export type RollbackRecord = Static<typeof RollbackRecord>;

export const PAUSE_KINDS = ['Manual', 'Duration', 'Schedule'] as const;
export type PauseKind = (typeof PAUSE_KINDS)[number];

/** A pause step holding the rollout: since when, and until when (null: until `promote`). */
export const PauseStatus = Type.Object({
  kind: StringEnum(PAUSE_KINDS),
  since: Type.String({ format: 'date-time' }),
  until: NullableString({ format: 'date-time' }),
});
export type PauseStatus = Static<typeof PauseStatus>;

/** The status the service writes: every field, every time. */
export const CanaryStatus = Type.Object({
  oldReplicas: Type.Integer({ minimum: 0 }),
  newReplicas: Type.Integer({ minimum: 0 }),
  currentStep: Type.Integer({ minimum: 0 }),
  totalSteps: Type.Integer({ minimum: 0 }),
  /** Percent of the app asked of the new version. */
  weight: Type.Integer({ minimum: 0, maximum: 100 }),
  /** The pause holding the rollout, or null. */
  pause: Nullable(PauseStatus),
  state: CanaryState,
  message: Type.String(),
  observedCommand: Type.String(),
  lastStepTime: NullableString({ format: 'date-time' }),
  /**
   * When the next step is due; left out when none is (kubectl prints a null
   * printer column as `<no value>`, a missing one as `<none>`).
   */
  nextStepTime: Type.Optional(Type.String({ format: 'date-time' })),
  rollback: Nullable(RollbackRecord),
  conditions: Type.Array(Condition),
  // Before sequence, which hooks/render/numbered.ts adds last: the serializer writes keys in this order.
  /** The scale subresource's status replicas: old + new asked (hooks/status/scale.ts). */
  replicas: Type.Integer({ minimum: 0 }),
  /** The scale subresource's selector: spec.selector as a selector string, "" when unusable. */
  labelSelector: Type.String(),
  /** The number of the decision this status records, also stamped on the Deployments (hooks/observed/record.ts). */
  sequence: Type.Integer({ minimum: 0 }),
});
export type CanaryStatus = Static<typeof CanaryStatus>;

/**
 * The status as observed: whatever the last response left, plus the
 * `observedGeneration` Metacontroller adds, or nothing at all on a new Canary.
 * Read defensively, field by field (see `hooks/observed/prior.ts`).
 */
export const ObservedStatus = Type.Object({}, Open);
export type ObservedStatus = Partial<Omit<CanaryStatus, 'nextStepTime'>> & {
  observedGeneration?: number;
  /** null in a status an older service wrote. */
  nextStepTime?: string | null;
};

export const Canary = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: ObjectMeta,
    spec: RawCanarySpec,
    status: Type.Optional(Nullable(ObservedStatus)),
  },
  Open,
);
export type Canary = Omit<Static<typeof Canary>, 'status'> & { status?: ObservedStatus | null };

// ------------------------------------------------------------ the children

export const Deployment = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: ObjectMeta,
    spec: Type.Object(
      {
        replicas: Type.Optional(Type.Integer({ minimum: 0 })),
        selector: Type.Optional(LabelSelector),
        template: Type.Optional(Type.Unknown()),
      },
      Open,
    ),
    status: Type.Optional(
      Type.Object(
        {
          observedGeneration: Type.Optional(Type.Integer()),
          replicas: Type.Optional(Type.Integer()),
          readyReplicas: Type.Optional(Type.Integer()),
          availableReplicas: Type.Optional(Type.Integer()),
          unavailableReplicas: Type.Optional(Type.Integer()),
          updatedReplicas: Type.Optional(Type.Integer()),
        },
        Open,
      ),
    ),
  },
  Open,
);
export type Deployment = Static<typeof Deployment>;

export const ContainerStatus = Type.Object(
  {
    name: Type.String(),
    state: Type.Optional(
      Type.Object(
        {
          waiting: Type.Optional(
            Type.Object(
              { reason: Type.Optional(Type.String()), message: Type.Optional(Type.String()) },
              Open,
            ),
          ),
        },
        Open,
      ),
    ),
    restartCount: Type.Optional(Type.Integer()),
  },
  Open,
);
export type ContainerStatus = Static<typeof ContainerStatus>;

export const Pod = Type.Object(
  {
    apiVersion: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    metadata: ObjectMeta,
    status: Type.Optional(
      Type.Object(
        {
          phase: Type.Optional(Type.String()),
          containerStatuses: Type.Optional(Type.Array(ContainerStatus)),
          initContainerStatuses: Type.Optional(Type.Array(ContainerStatus)),
        },
        Open,
      ),
    ),
  },
  Open,
);
export type Pod = Static<typeof Pod>;
