/**
 * Owns the one change the server makes to a sync's answer: when its write
 * on the route is refused, TrafficRouted says so and the sync comes back soon.
 */
import { transition, type Transition } from '../machine/transitions.js';
import type { Condition, RouteWrite } from '../wire/index.js';
import type { SyncDecision } from './decision.js';

const TRAFFIC_CONDITION = 'TrafficRouted';

/**
 * How soon to write again after the API refused the route's patch: no watch
 * event brings a retry (the route did not change), so this is a clock.
 */
export const ROUTE_RETRY_SECONDS = 10;

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
      resyncAfterSeconds: resync > 0 ? Math.min(resync, ROUTE_RETRY_SECONDS) : ROUTE_RETRY_SECONDS,
    },
    transitions: [...announced, failure],
  };
}
