/**
 * Every router's route may be patched by the service's ServiceAccount, and
 * only got and patched: a router added to hooks/routers/ without its
 * ClusterRole rule fails here rather than with a 403 in a cluster.
 */
import t from 'tap';
import { ROUTERS } from '../../hooks/routers/registry.js';
import { find, installed, type K8sObject } from './manifests.js';

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

t.test('get and patch on each router resource, in a rule of its own', async (t) => {
  const role = find<K8sObject & { rules: PolicyRule[] }>(installed(), 'ClusterRole', 'canary-hooks');
  t.equal(ROUTERS.length, 2);
  for (const router of ROUTERS) {
    const rules = role.rules.filter((r) => r.apiGroups.includes(router.group));
    t.same(
      rules,
      [{ apiGroups: [router.group], resources: [router.resource], verbs: ['get', 'patch'] }],
      router.id,
    );
  }
});
