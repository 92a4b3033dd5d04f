/** Reading a router's block of spec.trafficRouting: each problem names its field. */
import type { SpecProblem } from '../spec.js';
import { isPlainObject } from './router.js';

/** Thrown by the readers below, caught by hooks/routers/index.ts and turned into a SpecProblem. */
export class RoutingSpecError extends Error {
  constructor(readonly problem: SpecProblem) {
    super(problem.message);
  }
}

export function routingFail(field: string, message: string): never {
  throw new RoutingSpecError({ field, message: `spec.${field} ${message}` });
}

// A Kubernetes object name (DNS-1123 subdomain), as the route and a Service are named.
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function objectName(block: Record<string, unknown>, at: string, key: string, what: string): string {
  const value = block[key];
  if (value === undefined || value === null || value === '') routingFail(`${at}.${key}`, 'is required');
  if (typeof value !== 'string' || value.length > 253 || !OBJECT_NAME.test(value)) {
    routingFail(`${at}.${key}`, `must be the name of ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function nonEmptyString(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '') routingFail(field, 'is required');
  if (typeof value !== 'string') routingFail(field, `must be a string, got ${JSON.stringify(value)}`);
  return value;
}

export function block(raw: unknown, at: string): Record<string, unknown> {
  if (!isPlainObject(raw)) routingFail(at, 'must be an object');
  return raw;
}
