/** Owns the customize hook: it asks Metacontroller for the pods the Canary's selector picks, and its route. */
import { isPlainObject } from './k8s/json.js';
import { routeRules } from './routers/related.js';
import { isEmptySelector } from './k8s/selectors.js';
import type { CustomizeRequest, CustomizeResponse, LabelSelector } from './wire/index.js';

/**
 * An empty or malformed selector asks for no pods at all: to Metacontroller an
 * empty one means every pod in the namespace, which would cost every sync
 * dearly and tell us nothing. The sync hook reports the bad selector.
 */
export function decideCustomize(request: CustomizeRequest): CustomizeResponse {
  const routes = routeRules(request.parent);
  const pods = podRules(request);
  return { relatedResources: [...pods, ...routes] };
}

function podRules(request: CustomizeRequest): CustomizeResponse['relatedResources'] {
  const raw = request.parent.spec?.selector;
  if (!isPlainObject(raw)) return [];
  const selector: LabelSelector = {};
  if (isPlainObject(raw.matchLabels)) selector.matchLabels = raw.matchLabels as Record<string, string>;
  if (Array.isArray(raw.matchExpressions)) {
    selector.matchExpressions = raw.matchExpressions as LabelSelector['matchExpressions'];
  }
  if (isEmptySelector(selector)) return [];
  return [{ apiVersion: 'v1', resource: 'pods', labelSelector: selector }];
}
