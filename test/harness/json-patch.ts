/**
 * RFC 6902 as the API server applies a JSON patch to a custom object, for
 * the operations the service sends (test, add, replace): all or nothing,
 * a failed `test` or a missing path refuses the whole patch, as the API
 * server's 422 does. Returns a new object; the input is left alone.
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonPatchOperation } from '../../hooks/wire/index.js';

export class PatchRefused extends Error {}

function segments(path: string): string[] {
  if (!path.startsWith('/')) throw new PatchRefused(`path ${path} is not a JSON pointer`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function parentOf(doc: unknown, path: string): { parent: Container; key: string } {
  const keys = segments(path);
  const key = keys.pop() as string;
  let at: unknown = doc;
  for (const k of keys) {
    if (at === null || typeof at !== 'object') throw new PatchRefused(`${path}: no ${k}`);
    at = (at as Record<string, unknown>)[k];
  }
  if (at === null || typeof at !== 'object') throw new PatchRefused(`${path}: parent is missing`);
  return { parent: at as Container, key };
}

function has(parent: Container, key: string): boolean {
  if (Array.isArray(parent)) return /^\d+$/.test(key) && Number(key) < parent.length;
  return Object.prototype.hasOwnProperty.call(parent, key);
}

export function applyJsonPatch<T>(doc: T, ops: readonly JsonPatchOperation[]): T {
  const out = structuredClone(doc);
  for (const op of ops) {
    const { parent, key } = parentOf(out, op.path);
    const current = (parent as Record<string, unknown>)[key];
    if (op.op === 'test') {
      if (!has(parent, key) || !isDeepStrictEqual(current, op.value)) {
        throw new PatchRefused(`testing value ${op.path} failed`);
      }
    } else if (op.op === 'replace') {
      if (!has(parent, key)) throw new PatchRefused(`replace ${op.path}: missing`);
      (parent as Record<string, unknown>)[key] = structuredClone(op.value);
    } else if (Array.isArray(parent)) {
      if (key === '-') parent.push(structuredClone(op.value));
      else if (/^\d+$/.test(key) && Number(key) <= parent.length)
        parent.splice(Number(key), 0, structuredClone(op.value));
      else throw new PatchRefused(`add ${op.path}: bad index`);
    } else {
      parent[key] = structuredClone(op.value);
    }
  }
  return out;
}
