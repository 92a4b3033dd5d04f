/**
 * Owns the spec the decision can trust: the spec as observed parsed into a
 * CanarySpec, or the first field that is wrong. The CRD schema catches most of this before it is
 * stored; this catches what a schema cannot (cron syntax, time zones) and
 * whatever reached us without the schema.
 */
import { DEFAULT_TIME_ZONE, isKnownTimeZone, scheduleError } from '../k8s/cron.js';
import { FieldError, failField as fail, parseFields, type FieldProblem } from '../k8s/fields.js';
import { isPlainObject } from '../k8s/json.js';
import { isDnsSubdomain } from '../k8s/names.js';
import { SELECTOR_OPERATORS, isEmptySelector } from '../k8s/selectors.js';
import { parseTrafficRouting, type TrafficRouting } from '../routers/registry.js';
import type { LabelSelector, RawCanarySpec } from '../wire/index.js';

/** A pause of a step list: until `promote`, for a while, or until a cron tick in the Canary's zone. */
export type PauseSpec =
  | { kind: 'Manual' }
  | { kind: 'Duration'; seconds: number; text: string }
  | { kind: 'Schedule'; schedule: string };

/** One entry of `spec.steps`, as written. */
export type SpecStep = { setWeight: number } | { setReplicas: number } | { pause: PauseSpec };

export interface CanarySpec {
  oldDeployment: string;
  newDeployment: string;
  totalReplicas: number;
  /** The shorthand form; exactly one of this and `steps` is set. */
  stepReplicas: number | undefined;
  steps: SpecStep[] | undefined;
  /** Required with stepReplicas; with steps an optional gate before every set-step after the first. */
  cronSchedule: string | undefined;
  timeZone: string;
  enableRollback: boolean;
  /** docs/design.md §7a: a step adds new replicas before it removes old ones; false is the round-1 behaviour. */
  surge: boolean;
  progressDeadlineSeconds: number | undefined;
  selector: LabelSelector;
  /** docs/design.md §9: the route that carries the weight, or undefined when replicas alone split the traffic. */
  trafficRouting: TrafficRouting | undefined;
}

export type SpecProblem = FieldProblem;

export type SpecResult = { ok: true; spec: CanarySpec } | { ok: false; problem: SpecProblem };

function deploymentName(raw: RawCanarySpec, field: 'oldDeployment' | 'newDeployment'): string {
  const value = raw[field];
  if (value === undefined || value === null || value === '') fail(field, 'is required');
  if (typeof value !== 'string') fail(field, `must be a Deployment name, got ${JSON.stringify(value)}`);
  if (!isDnsSubdomain(value)) {
    fail(field, `"${value}" is not a valid Deployment name (lowercase letters, digits, '-' and '.')`);
  }
  return value;
}

/**
 * The hook's own bound, whatever the CRD let through (docs/design.md §12): the
 * old and new Deployments' replicas together, surge included, stay an int32,
 * as a Deployment's and the scale subresource's replicas are.
 */
export const MAX_TOTAL_REPLICAS = Math.floor((2 ** 31 - 1) / 2);
const MAX_STEP_REPLICAS = 2 ** 31 - 1;

function integer(
  raw: RawCanarySpec,
  field: 'totalReplicas' | 'stepReplicas',
  min: number,
  max: number,
): number {
  const value = raw[field];
  if (value === undefined || value === null) fail(field, 'is required');
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    fail(field, `must be an integer, got ${JSON.stringify(value)}`);
  }
  if (value < min) fail(field, `must be at least ${min}, got ${value}`);
  if (value > max) fail(field, `must be at most ${max}, got ${value}`);
  return value;
}

function selector(raw: RawCanarySpec): LabelSelector {
  const value = raw.selector;
  if (value === undefined || value === null)
    fail('selector', 'is required: the labels both Deployments carry');
  if (typeof value !== 'object' || Array.isArray(value)) fail('selector', 'must be a label selector');
  const candidate = value as LabelSelector;
  const labels = candidate.matchLabels;
  if (labels !== undefined && (typeof labels !== 'object' || labels === null || Array.isArray(labels))) {
    fail('selector.matchLabels', 'must be a map of label names to values');
  }
  for (const [key, v] of Object.entries(labels ?? {})) {
    if (typeof v !== 'string') fail(`selector.matchLabels.${key}`, 'must be a string');
  }
  const expressions = candidate.matchExpressions;
  if (expressions !== undefined && !Array.isArray(expressions)) {
    fail('selector.matchExpressions', 'must be a list');
  }
  (expressions ?? []).forEach((r, i) => {
    const at = `selector.matchExpressions[${i}]`;
    if (!r || typeof r.key !== 'string' || r.key === '') fail(`${at}.key`, 'is required');
    if (!(SELECTOR_OPERATORS as readonly string[]).includes(r.operator)) {
      fail(
        `${at}.operator`,
        `must be one of ${SELECTOR_OPERATORS.join(', ')}, got ${JSON.stringify(r.operator)}`,
      );
    }
    const needsValues = r.operator === 'In' || r.operator === 'NotIn';
    if (needsValues && (!Array.isArray(r.values) || r.values.length === 0)) {
      fail(`${at}.values`, `must list at least one value for ${r.operator}`);
    }
  });
  if (isEmptySelector(candidate)) {
    fail('selector', 'must not be empty: give matchLabels or matchExpressions that both Deployments carry');
  }
  return candidate;
}

function timeZone(raw: RawCanarySpec): string {
  const value = raw.timeZone;
  if (value === undefined || value === null || value === '') return DEFAULT_TIME_ZONE;
  if (typeof value !== 'string' || !isKnownTimeZone(value)) {
    fail(
      'timeZone',
      `${JSON.stringify(value)} is not a known IANA time zone (for example Europe/Berlin or UTC)`,
    );
  }
  return value;
}

function cronSchedule(raw: RawCanarySpec, zone: string, required: boolean): string | undefined {
  const value = raw.cronSchedule;
  if (value === undefined || value === null || value === '') {
    if (!required) return undefined;
    fail('cronSchedule', 'is required');
  }
  if (typeof value !== 'string') fail('cronSchedule', `must be a string, got ${JSON.stringify(value)}`);
  const problem = scheduleError(value, zone);
  if (problem !== undefined) fail('cronSchedule', `"${value}" is not a valid cron schedule: ${problem}`);
  return value;
}

function enableRollback(raw: RawCanarySpec): boolean {
  const value = raw.enableRollback;
  if (value === undefined || value === null) return true;
  if (typeof value !== 'boolean')
    fail('enableRollback', `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * On unless turned off (docs/design.md §7a): every step adds before it removes;
 * `surge: false` keeps round 1's both-at-once steps for clusters with no room.
 */
function surge(raw: RawCanarySpec): boolean {
  const value = raw.surge;
  if (value === undefined || value === null) return true;
  if (typeof value !== 'boolean') fail('surge', `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function progressDeadlineSeconds(raw: RawCanarySpec): number | undefined {
  const value = raw.progressDeadlineSeconds;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(
      'progressDeadlineSeconds',
      `must be a whole number of seconds of at least 1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** "90s", "10m", "1h30m": seconds, or undefined for anything else. */
function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  const [h, m, s] = [match[1], match[2], match[3]].map((v) => Number(v ?? 0));
  return (h as number) * 3600 + (m as number) * 60 + (s as number);
}

function pause(value: unknown, at: string, zone: string): PauseSpec {
  if (!isPlainObject(value))
    fail(at, 'must be an object: {}, {duration: 30m} or {untilSchedule: "0 9 * * 1-5"}');
  const { duration, untilSchedule } = value;
  if (duration !== undefined && untilSchedule !== undefined) {
    fail(at, 'must have at most one of duration and untilSchedule');
  }
  if (duration !== undefined) {
    const seconds = typeof duration === 'string' ? parseDuration(duration) : undefined;
    if (seconds === undefined) {
      fail(`${at}.duration`, `${JSON.stringify(duration)} is not a duration such as 90s, 10m or 1h30m`);
    }
    return { kind: 'Duration', seconds, text: duration as string };
  }
  if (untilSchedule !== undefined) {
    if (typeof untilSchedule !== 'string') fail(`${at}.untilSchedule`, 'must be a cron schedule string');
    const problem = scheduleError(untilSchedule, zone);
    if (problem !== undefined) {
      fail(`${at}.untilSchedule`, `"${untilSchedule}" is not a valid cron schedule: ${problem}`);
    }
    return { kind: 'Schedule', schedule: untilSchedule };
  }
  return { kind: 'Manual' };
}

function wholeNumber(value: unknown, at: string, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    fail(at, `must be an integer from 0 to ${max} (${what}), got ${JSON.stringify(value)}`);
  }
  return value;
}

function steps(raw: RawCanarySpec, zone: string): SpecStep[] {
  const value = raw.steps;
  if (!Array.isArray(value)) fail('steps', 'must be a list of steps');
  if (value.length === 0) fail('steps', 'must list at least one step');
  return value.map((item: unknown, i): SpecStep => {
    const at = `steps[${i}]`;
    const keys = isPlainObject(item) ? Object.keys(item) : [];
    if (!isPlainObject(item) || keys.length !== 1) {
      fail(at, 'must have exactly one of setWeight, setReplicas and pause');
    }
    if ('setWeight' in item)
      return { setWeight: wholeNumber(item.setWeight, `${at}.setWeight`, 100, 'percent') };
    if ('setReplicas' in item) {
      // Above the total is not an error: an HPA or kubectl scale may lower the total
      // under the list, and the step asks for all of it then (docs/design.md §10, hooks/steps/rollout.ts).
      return { setReplicas: wholeNumber(item.setReplicas, `${at}.setReplicas`, MAX_REPLICAS, 'replicas') };
    }
    if ('pause' in item) return { pause: pause(item.pause, `${at}.pause`, zone) };
    return fail(at, `has an unknown kind of step "${keys[0]}": use setWeight, setReplicas or pause`);
  });
}

function trafficRouting(raw: RawCanarySpec): TrafficRouting | undefined {
  const parsed = parseTrafficRouting(raw.trafficRouting);
  if (!parsed.ok) throw new FieldError(parsed.problem);
  return parsed.routing;
}

const given = (v: unknown) => v !== undefined && v !== null;

/** int32, as the CRD declares replica counts. */
const MAX_REPLICAS = 2147483647;

export function parseSpec(raw: RawCanarySpec | undefined | null): SpecResult {
  const parsed = parseFields(() => specFields(raw ?? {}));
  return parsed.ok ? { ok: true, spec: parsed.value } : parsed;
}

function specFields(spec: RawCanarySpec): CanarySpec {
  const oldDeployment = deploymentName(spec, 'oldDeployment');
  const newDeployment = deploymentName(spec, 'newDeployment');
  if (oldDeployment === newDeployment) {
    fail('newDeployment', `must name a different Deployment than spec.oldDeployment ("${oldDeployment}")`);
  }
  const totalReplicas = integer(spec, 'totalReplicas', 1, MAX_TOTAL_REPLICAS);
  if (given(spec.steps) && given(spec.stepReplicas)) {
    fail('steps', 'and spec.stepReplicas are two forms of the rollout: give exactly one of them');
  }
  const zone = timeZone(spec);
  const list = given(spec.steps) ? steps(spec, zone) : undefined;
  // A stepReplicas above the total is one step of the whole total: the CRD refuses it when
  // written, but the total alone may be scaled below it later (docs/design.md §10).
  const stepReplicas = list === undefined ? integer(spec, 'stepReplicas', 1, MAX_STEP_REPLICAS) : undefined;
  return {
    oldDeployment,
    newDeployment,
    totalReplicas,
    stepReplicas,
    steps: list,
    cronSchedule: cronSchedule(spec, zone, list === undefined),
    timeZone: zone,
    enableRollback: enableRollback(spec),
    surge: surge(spec),
    progressDeadlineSeconds: progressDeadlineSeconds(spec),
    selector: selector(spec),
    trafficRouting: trafficRouting(spec),
  };
}
