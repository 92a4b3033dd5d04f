/**
 * Owns what the status says of traffic routing: the condition
 * `TrafficRouted`, and what a routed Canary complete still waits for.
 */
import type { ConditionUpdate } from '../k8s/conditions.js';
import type { Progress } from '../machine/position.js';
import type { Observed } from '../observed/observed.js';
import { replicasForWeight } from '../steps/weights.js';
import { describeWeight } from '../traffic/write.js';

/** TrafficRouted, for a Canary with a router: the weight is set, or held until replicas are available. */
export function trafficCondition(
  o: Observed,
  target: { weight?: number },
  split: { weight?: number },
): ConditionUpdate | undefined {
  const view = o.traffic;
  if (view === undefined) return undefined;
  const asked = split.weight ?? 0;
  const wanted = target.weight ?? asked;
  if (asked === wanted) {
    return {
      type: 'TrafficRouted',
      status: 'True',
      reason: 'WeightSet',
      message: describeWeight(view, asked),
    };
  }
  const needed = replicasForWeight(o.rollout.totalReplicas, wanted);
  return {
    type: 'TrafficRouted',
    status: 'False',
    reason: 'WaitingForReplicas',
    message:
      `${describeWeight(view, asked)}; ${wanted}% waits for ${needed} available replicas of ` +
      `${o.spec.newDeployment} (${o.newDeployment.status?.availableReplicas ?? 0} now)`,
  };
}

/**
 * A routed Canary is complete the moment its last step is, but the route and
 * the old Deployment follow over a few syncs (weight 100 once every new
 * replica is available, the old scaled down once the route shows it): which
 * of the two it still waits for, or undefined once neither.
 */
export function routedCompletionLeft(
  p: Progress,
  o: Observed,
  target: { oldReplicas: number; weight?: number },
  split: { oldReplicas: number; weight?: number },
): string | undefined {
  const view = o.traffic;
  if (view === undefined || p.state !== 'complete') return undefined;
  const { router, routing } = view;
  const route = `${router.kind} ${router.routeName(routing)}`;
  if (split.weight !== target.weight) {
    const total = o.rollout.totalReplicas;
    const available = o.newDeployment.status?.availableReplicas ?? 0;
    return (
      `100% goes to ${router.describe(routing, 'new').name} on ${route} once ` +
      `${total} replicas of ${o.spec.newDeployment} are available (${available} now)`
    );
  }
  if (split.oldReplicas !== target.oldReplicas) {
    return `${o.spec.oldDeployment} scales down once ${route} shows 100%`;
  }
  return undefined;
}
