/**
 * Every router's route may be patched by the service's ServiceAccount, and
 * only patched (Metacontroller reads the route and hands it over; the claim
 * check reads the Canary, not the route): a router added to hooks/routers/
 * without its ClusterRole rule fails here rather than with a 403 in a cluster.
 */
import t from 'tap';
import { ROUTERS } from '../../hooks/routers/registry.js';
import { find, installed, type K8sObject } from './manifests.js';

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

t.test('patch, and only patch, on each router resource, in a rule of its own', async (t) => {
  const role = find<K8sObject & { rules: PolicyRule[] }>(installed(), 'ClusterRole', 'canary-hooks');
  t.equal(ROUTERS.length, 2);
  for (const router of ROUTERS) {
    const rules = role.rules.filter((r) => r.apiGroups.includes(router.group));
    t.same(rules, [{ apiGroups: [router.group], resources: [router.resource], verbs: ['patch'] }], router.id);
  }
});
