/**
 * Owns the readers of the fields a router's block of spec.trafficRouting
 * shares with the others: each fails with the field it names
 * (hooks/k8s/fields.ts), caught once in hooks/routers/registry.ts.
 */
import { failField } from '../k8s/fields.js';
import { isPlainObject } from '../k8s/json.js';
import { isDnsSubdomain } from '../k8s/names.js';

export function objectName(block: Record<string, unknown>, at: string, key: string, what: string): string {
  const value = block[key];
  if (value === undefined || value === null || value === '') failField(`${at}.${key}`, 'is required');
  // A Kubernetes object name (DNS-1123 subdomain), as the route and a Service are named.
  if (!isDnsSubdomain(value)) {
    failField(`${at}.${key}`, `must be the name of ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function nonEmptyString(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '') failField(field, 'is required');
  if (typeof value !== 'string') failField(field, `must be a string, got ${JSON.stringify(value)}`);
  return value;
}

export function block(raw: unknown, at: string): Record<string, unknown> {
  if (!isPlainObject(raw)) failField(at, 'must be an object');
  return raw;
}
