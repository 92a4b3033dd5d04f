/**
 * Owns the customize hook: it asks Metacontroller for the Canary's route (by name),
 * and for no pods. Metacontroller keeps one informer per related kind over
 * the whole cluster, whatever the selector, so asking for the few pods of
 * one Deployment made it cache every pod of the cluster; the server reads
 * them itself, when they can matter (hooks/pod-read.ts, docs/design.md §11).
 */
import { routeRules } from './routers/related.js';
import type { CustomizeRequest, CustomizeResponse } from './wire/index.js';

export function decideCustomize(request: CustomizeRequest): CustomizeResponse {
  return { relatedResources: routeRules(request.parent) };
}
