/**
 * What traffic routing says about itself: the condition `TrafficRouted`,
 * the transition that announces a weight written, and the one change the
 * server makes to an answer when its write on the route is refused.
 */
import type { ConditionUpdate } from './k8s/conditions.js';
import type { Observed, Progress } from './progress.js';
import { AVAILABILITY_RETRY_SECONDS } from './render.js';
import { replicasForWeight } from './steps/weights.js';
import { describeWeight } from './traffic.js';
import { transition, type SyncDecision, type Transition } from './transitions.js';
import type { Condition, RouteWrite } from './wire/index.js';

export const TRAFFIC_CONDITION = 'TrafficRouted';

/** TrafficRouted, for a Canary with a router: the weight is set, or held until replicas are available. */
export function trafficConditions(
  o: Observed,
  target: { weight?: number },
  split: { weight?: number },
): ConditionUpdate[] {
  const view = o.traffic;
  if (view === undefined) return [];
  const asked = split.weight ?? 0;
  const wanted = target.weight ?? asked;
  if (asked === wanted) {
    return [
      { type: 'TrafficRouted', status: 'True', reason: 'WeightSet', message: describeWeight(view, asked) },
    ];
  }
  const needed = replicasForWeight(o.rollout.totalReplicas, wanted);
  return [
    {
      type: 'TrafficRouted',
      status: 'False',
      reason: 'WaitingForReplicas',
      message:
        `${describeWeight(view, asked)}; ${wanted}% waits for ${needed} available replicas of ` +
        `${o.spec.newDeployment} (${o.newDeployment.status?.availableReplicas ?? 0} now)`,
    },
  ];
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

/** The weight written this sync, announced once per weight and decision. */
export function trafficTransitions(o: Observed, p: Progress, write: RouteWrite | undefined): Transition[] {
  if (o.traffic === undefined || write === undefined) return [];
  const t = transition('WeightSet', 'WeightSet', `Set ${describeWeight(o.traffic, write.weight)}`, p, p);
  return [{ ...t, eventKey: `w${write.weight}` }];
}

/** An admission webhook may answer at length; the condition and the Event need the gist. */
const MAX_API_MESSAGE = 800;

function routeText(write: RouteWrite): string {
  return `${write.route.kind} ${write.route.namespace}/${write.route.name}`;
}

/**
 * The answer once the server's write was refused: TrafficRouted False,
 * PatchFailed, with the API's message; a resync soon, to write again; the
 * announcement of the weight replaced by the failure. Replicas and the rest
 * of the status stay as decided: they never depended on the write.
 */
export function routeWriteFailed(
  decision: SyncDecision,
  write: RouteWrite,
  apiMessage: string,
  priorConditions: readonly Condition[],
  nowText: string,
): SyncDecision {
  const why = apiMessage.length > MAX_API_MESSAGE ? `${apiMessage.slice(0, MAX_API_MESSAGE)}...` : apiMessage;
  const message = `Could not set ${write.weight}% on ${routeText(write)}: ${why}; retrying`;
  const before = priorConditions.find((c) => c.type === TRAFFIC_CONDITION);
  const failed: Condition = {
    type: TRAFFIC_CONDITION,
    status: 'False',
    reason: 'PatchFailed',
    message,
    lastTransitionTime: before?.status === 'False' ? before.lastTransitionTime : nowText,
  };
  const status = decision.response.status;
  const conditions = status.conditions.some((c) => c.type === TRAFFIC_CONDITION)
    ? status.conditions.map((c) => (c.type === TRAFFIC_CONDITION ? failed : c))
    : [...status.conditions, failed];
  const resync = decision.response.resyncAfterSeconds;
  const announced = decision.transitions.filter((t) => t.kind !== 'WeightSet');
  const position = { state: status.state, step: status.currentStep };
  const failure: Transition = {
    ...transition('RoutePatchFailed', 'PatchFailed', message, position, position, true),
    sequence: status.sequence,
    eventKey: `pf${write.weight}`,
  };
  return {
    ...decision,
    response: {
      ...decision.response,
      status: { ...status, conditions },
      resyncAfterSeconds:
        resync > 0 ? Math.min(resync, AVAILABILITY_RETRY_SECONDS) : AVAILABILITY_RETRY_SECONDS,
    },
    transitions: [...announced, failure],
  };
}
