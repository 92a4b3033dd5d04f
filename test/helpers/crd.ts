/**
 * Checks objects against a CustomResourceDefinition's schema the way the API
 * server would, without one: the `openAPIV3Schema` with ajv, the CEL
 * `x-kubernetes-validations` with cel-js, defaults applied first.
 *
 * Hook tests call `validateCanaryStatus` on every status the hooks produce, so
 * a status field the code writes but the CRD does not declare (which the API
 * server would reject, and Metacontroller would then never record) fails a
 * test instead of a rollout.
 *
 * As on the API server, the CEL rules are reported only when the schema
 * passes. What differs from it, knowingly: the CEL environment has only
 * the standard library (the CRDs here use nothing else), rule cost is not
 * estimated, and formats are limited to those listed in K8S_FORMATS.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchemaObject, type ErrorObject, type FuncKeywordDefinition } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { Environment, Optional } from '@marcbachmann/cel-js';
import { parseAllDocuments } from 'yaml';

/** An OpenAPI v3 schema node as Kubernetes structural schemas write it. */
export interface StructuralSchema {
  type?: string;
  properties?: Record<string, StructuralSchema>;
  items?: StructuralSchema;
  additionalProperties?: boolean | StructuralSchema;
  required?: string[];
  nullable?: boolean;
  enum?: unknown[];
  format?: string;
  default?: unknown;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  [keyword: string]: unknown;
}

export interface CelRule {
  rule: string;
  optionalOldSelf?: boolean;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

export interface CrdDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular?: string; shortNames?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
      schema: { openAPIV3Schema: StructuralSchema };
    }[];
  };
}

/** A repository-relative path made absolute, so tests run from any directory. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** Every document of a YAML file, parsed; throws naming the file on a syntax error. */
export function readYamlDocuments(path: string): unknown[] {
  const docs = [];
  for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
    const [first] = doc.errors;
    if (first) throw new Error(`${path}: ${first.message}`);
    const value: unknown = doc.toJS();
    // A trailing `---` or a comment-only document is no object.
    if (value !== null && value !== undefined) docs.push(value);
  }
  return docs;
}

// Kubernetes validates only a fixed set of formats and ignores the rest
// (int32, int64 are annotations). `duration` there is Go's, not ISO 8601.
const GO_DURATION = /^(0|-?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$/;
const K8S_FORMATS: Record<string, string> = {
  'date-time': 'date-time',
  date: 'date',
  duration: 'go-duration',
  uri: 'uri',
  email: 'email',
  hostname: 'hostname',
  ipv4: 'ipv4',
  ipv6: 'ipv6',
  uuid: 'uuid',
  byte: 'byte',
};

/**
 * Rewrites a structural schema into JSON Schema that ajv evaluates with the
 * API server's meaning:
 * - `nullable: true` admits null (ajv knows `nullable` only in its OpenAPI
 *   mode, and there only beside `type`, so it is spelled out as a type union,
 *   and null is added to an `enum`, which would otherwise still exclude it);
 * - `x-kubernetes-int-or-string` becomes integer-or-string;
 * - with `rejectUnknownFields`, an object that lists its properties admits no
 *   others, as `kubectl apply` (field validation Strict) does; without it the
 *   server would prune them silently, which hides a typo just as badly.
 */
export function toAjvSchema(node: StructuralSchema, rejectUnknownFields: boolean): AnySchemaObject {
  const out: AnySchemaObject = {};
  for (const [keyword, value] of Object.entries(node)) {
    switch (keyword) {
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, StructuralSchema>).map(([name, child]) => [
            name,
            toAjvSchema(child, rejectUnknownFields),
          ]),
        );
        break;
      case 'items':
      case 'not':
        out[keyword] = toAjvSchema(value as StructuralSchema, rejectUnknownFields);
        break;
      case 'additionalProperties':
        out.additionalProperties =
          typeof value === 'boolean' ? value : toAjvSchema(value as StructuralSchema, rejectUnknownFields);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[keyword] = (value as StructuralSchema[]).map((child) => toAjvSchema(child, rejectUnknownFields));
        break;
      case 'nullable':
        break;
      case 'format': {
        const format = K8S_FORMATS[value as string];
        if (format) out.format = format;
        break;
      }
      default:
        out[keyword] = value;
    }
  }
  if (node['x-kubernetes-int-or-string']) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (
    rejectUnknownFields &&
    node.properties &&
    node.additionalProperties === undefined &&
    !node['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  if (node.nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (out.anyOf) out.anyOf = [...(out.anyOf as AnySchemaObject[]), { type: 'null' }];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  }
  return out;
}

/** CEL sees a schema `integer` as int (BigInt in cel-js) and `number` as double. */
function toCelValue(value: unknown, schema: AnySchemaObject | undefined): unknown {
  if (typeof value === 'number') {
    // A fractional value in an integer field has already failed the schema;
    // it stays a double here rather than throwing.
    const declared = [schema?.type].flat();
    const asInt = declared.includes('integer') || schema?.type === undefined;
    return asInt && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => toCelValue(item, schema?.items as AnySchemaObject));
  if (value !== null && typeof value === 'object') {
    const properties = (schema?.properties ?? {}) as Record<string, AnySchemaObject>;
    const additional =
      typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, toCelValue(item, properties[key] ?? additional)]),
    );
  }
  return value;
}

const celEnvironment = new Environment().registerVariable('self', 'dyn');
// Rules with optionalOldSelf also run on create, with oldSelf an empty optional.
const transitionEnvironment = new Environment({ enableOptionalTypes: true })
  .registerVariable('self', 'dyn')
  .registerVariable('oldSelf', 'optional<dyn>');

/**
 * `x-kubernetes-validations`: each rule is parsed when the schema compiles
 * (a rule that does not parse fails the CRD's tests, as the API server would
 * refuse the CRD) and evaluated with `self` bound to the object it sits on.
 * It runs after the node's other keywords, so defaults are already applied.
 */
const celKeyword: FuncKeywordDefinition = {
  keyword: 'x-kubernetes-validations',
  schemaType: 'array',
  post: true,
  errors: true,
  compile(rules: CelRule[], parentSchema) {
    // An object validated on its own is a create: a transition rule (oldSelf) runs only
    // if it opts in with optionalOldSelf, and then sees no old object.
    const compiled = rules
      .filter((rule) => rule.optionalOldSelf === true || !/\boldSelf\b/.test(rule.rule))
      .map((rule) => {
        const env = rule.optionalOldSelf ? transitionEnvironment : celEnvironment;
        const parsed = env.parse(rule.rule);
        return {
          rule,
          evaluate: rule.optionalOldSelf
            ? (vars: { self: unknown }) => parsed({ ...vars, oldSelf: Optional.none() })
            : parsed,
          message: rule.messageExpression ? env.parse(rule.messageExpression) : undefined,
        };
      });
    return keywordValidator((data: unknown) => {
      const self = toCelValue(data, parentSchema);
      const errors: Partial<ErrorObject>[] = [];
      for (const { rule, evaluate, message } of compiled) {
        let result: unknown;
        try {
          result = evaluate({ self });
        } catch (error) {
          // The API server reports a rule that cannot be evaluated (e.g. "no
          // such key" on a missing field) as an invalid value too.
          errors.push({
            keyword: 'x-kubernetes-validations',
            message: `rule "${rule.rule}": ${firstLine(error)}`,
          });
          continue;
        }
        if (result !== true) {
          const text = message ? String(message({ self })) : (rule.message ?? `failed rule: ${rule.rule}`);
          errors.push({
            keyword: 'x-kubernetes-validations',
            message: text,
            params: { fieldPath: rule.fieldPath },
          });
        }
      }
      return errors;
    });
  },
};

/** `x-kubernetes-list-type`: `set` items are unique, `map` items unique by their map keys. */
const listTypeKeyword: FuncKeywordDefinition = {
  keyword: 'x-kubernetes-list-type',
  schemaType: 'string',
  type: 'array',
  errors: true,
  compile(listType: string, parentSchema) {
    const keys = (parentSchema['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
    const identity = (item: unknown): string =>
      listType === 'map'
        ? JSON.stringify(keys.map((key) => (item as Record<string, unknown>)[key]))
        : JSON.stringify(item);
    return keywordValidator((data: unknown[]) => {
      if (listType !== 'set' && listType !== 'map') return [];
      const seen = new Set<string>();
      const errors: Partial<ErrorObject>[] = [];
      data.forEach((item, index) => {
        const id = identity(item);
        if (seen.has(id)) {
          errors.push({
            keyword: 'x-kubernetes-list-type',
            message: `item ${index} duplicates ${listType === 'map' ? `key ${keys.join(',')}=${id}` : id}`,
          });
        }
        seen.add(id);
      });
      return errors;
    });
  },
};

type KeywordValidate<T> = ((data: T) => boolean) & { errors?: Partial<ErrorObject>[] };

/** ajv reads a function keyword's errors from the validator's own `errors` property. */
function keywordValidator<T>(check: (data: T) => Partial<ErrorObject>[]): KeywordValidate<T> {
  const validate: KeywordValidate<T> = (data) => {
    const errors = check(data);
    validate.errors = errors;
    return errors.length === 0;
  };
  return validate;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
  // ajv-formats is CommonJS; its module object is the plugin function.
  const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addFormat('go-duration', GO_DURATION);
  ajv.addVocabulary([
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-int-or-string',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-embedded-resource',
  ]);
  ajv.addKeyword(celKeyword);
  ajv.addKeyword(listTypeKeyword);
  return ajv;
}

/** "spec.selector.matchLabels"-style path, as kubectl prints field errors. */
function fieldPath(instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.');
  return path === '' ? '<root>' : path;
}

function describe(error: ErrorObject, prefix: string): string {
  const at = fieldPath(prefix + error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${at}: missing required field "${String(params.missingProperty)}"`;
    case 'additionalProperties':
      return `${at}: unknown field "${String(params.additionalProperty)}"`;
    case 'enum':
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${at}: ${error.message ?? error.keyword}`;
  }
}

export type Validator = (value: unknown) => string[];

/** The API server's words when schema errors keep it from running the CEL rules. */
export const RULES_NOT_CHECKED =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

/**
 * Compiles a structural schema once. The returned function validates a copy
 * (defaults are applied to it, not to the caller's object) and returns
 * readable errors, empty when valid. `pathPrefix` names where the schema sits
 * in the object, for the messages of a sub-schema such as `/status`.
 */
export function compileStructuralSchema(
  schema: StructuralSchema,
  options: { rejectUnknownFields?: boolean; pathPrefix?: string } = {},
): Validator & { withDefaults: (value: unknown) => unknown } {
  const validate = newAjv().compile(toAjvSchema(schema, options.rejectUnknownFields ?? true));
  const prefix = options.pathPrefix ?? '';
  const hasRules = JSON.stringify(schema).includes('"x-kubernetes-validations"');
  const check = (value: unknown): string[] => {
    const copy: unknown = value === undefined ? undefined : structuredClone(value);
    if (validate(copy)) return [];
    const errors = validate.errors ?? [];
    const schemaErrors = errors.filter((e) => e.keyword !== 'x-kubernetes-validations');
    if (schemaErrors.length === 0) return errors.map((error) => describe(error, prefix));
    // As the API server does: CEL rules count only on an object that passed
    // the schema, so a missing field is reported once, not again as a rule's
    // "no such key".
    const described = schemaErrors.map((error) => describe(error, prefix));
    return hasRules ? [...described, `${fieldPath(prefix)}: ${RULES_NOT_CHECKED}`] : described;
  };
  const withDefaults = (value: unknown): unknown => {
    const copy: unknown = structuredClone(value);
    validate(copy);
    return copy;
  };
  return Object.assign(check, { withDefaults });
}

export const CANARY_CRD_PATH = repoPath('manifests/crd-canary.yaml');

let canary:
  { crd: CrdDocument; object: ReturnType<typeof compileStructuralSchema>; status: Validator } | undefined;

function canaryValidators() {
  if (!canary) {
    const [crd] = readYamlDocuments(CANARY_CRD_PATH) as CrdDocument[];
    const version = crd?.spec.versions.find((v) => v.storage);
    if (!crd || !version) throw new Error(`${CANARY_CRD_PATH}: no CRD with a storage version`);
    const root = version.schema.openAPIV3Schema;
    const statusSchema = root.properties?.status;
    if (!statusSchema) throw new Error(`${CANARY_CRD_PATH}: the schema has no status`);
    canary = {
      crd,
      object: compileStructuralSchema(root),
      status: compileStructuralSchema(statusSchema, { pathPrefix: '/status' }),
    };
  }
  return canary;
}

/** The Canary CRD as written in manifests/. */
export function canaryCrd(): CrdDocument {
  return canaryValidators().crd;
}

/** Errors the API server would give for this Canary (schema and CEL), empty when valid. */
export function validateCanary(obj: unknown): string[] {
  return canaryValidators().object(obj);
}

/** The Canary as the API server would store it: with the schema's defaults filled in. */
export function canaryWithDefaults<T>(obj: T): T {
  return canaryValidators().object.withDefaults(obj) as T;
}

/**
 * Errors the API server would give for this status on the status subresource,
 * empty when valid. Call it on every status a hook returns.
 */
export function validateCanaryStatus(status: unknown): string[] {
  return canaryValidators().status(status);
}
