/**
 * Owns what stops a sync before anything is decided: a spec the hook cannot
 * trust, a Deployment it cannot see, a route that cannot carry the Canary.
 * hooks/render/error.ts answers each the same way.
 */
import { describeSelector } from '../k8s/selectors.js';
import type { CanarySpec, SpecProblem } from '../spec/parse.js';
import type { Canary, Deployment } from '../wire/index.js';

export interface Problem {
  kind: 'InvalidSpec' | 'DeploymentMissing' | 'RouteInvalid';
  reason: string;
  message: string;
}

export function specProblem(problem: SpecProblem): Problem {
  return { kind: 'InvalidSpec', reason: 'InvalidSpec', message: `Invalid spec: ${problem.message}` };
}

export function missingDeployments(
  spec: CanarySpec,
  canary: Canary,
  deployments: ReadonlyMap<string, Deployment>,
): Problem | undefined {
  const missing = (['oldDeployment', 'newDeployment'] as const).filter((f) => !deployments.has(spec[f]));
  if (missing.length === 0) return undefined;
  const names = missing.map((f) => `${spec[f]} (spec.${f})`).join(' and ');
  const namespace = canary.metadata.namespace ?? 'default';
  return {
    kind: 'DeploymentMissing',
    reason: 'DeploymentNotFound',
    message:
      `Deployment ${names} not found among this Canary's children: it may not exist in namespace ` +
      `${namespace}, or its labels do not match spec.selector (${describeSelector(spec.selector)}), ` +
      `or another controller owns it`,
  };
}
