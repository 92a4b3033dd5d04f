/**
 * Owns the limits a spec's counts keep beyond what its parse checks: what
 * the CRD refuses when a manifest is written, but lets stand once stored.
 */
import type { CanarySpec, SpecProblem } from './parse.js';

/**
 * Counts above the total, which the CRD refuses when stepReplicas or steps
 * are written (a typo, most likely) but lets stand when only the total moved
 * below them since. The sync hook clamps them; `kubectl canary plan`, which
 * plans a manifest about to be applied, refuses them as the API server would.
 */
export function countAboveTotal(
  spec: Pick<CanarySpec, 'totalReplicas' | 'stepReplicas' | 'steps'>,
): SpecProblem | undefined {
  const total = spec.totalReplicas;
  if (spec.stepReplicas !== undefined && spec.stepReplicas > total) {
    const message = `spec.stepReplicas (${spec.stepReplicas}) must not exceed spec.totalReplicas (${total})`;
    return { field: 'stepReplicas', message };
  }
  const i = (spec.steps ?? []).findIndex((s) => 'setReplicas' in s && s.setReplicas > total);
  if (i === -1) return undefined;
  const asked = (spec.steps?.[i] as { setReplicas: number }).setReplicas;
  const message = `spec.steps[${i}].setReplicas (${asked}) must not exceed spec.totalReplicas (${total})`;
  return { field: `steps[${i}].setReplicas`, message };
}
