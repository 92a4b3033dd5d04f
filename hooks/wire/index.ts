/**
 * Owns nothing of its own: the one import for every wire type, the objects
 * (hooks/wire/objects.ts) and the hook payloads (hooks/wire/payloads.ts).
 * Wire is the first stage: it imports no other part of hooks/.
 */
export * from './objects.js';
export * from './payloads.js';
