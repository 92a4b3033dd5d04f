/**
 * Owns the response to a sync that could decide: where the state machine
 * left the Canary, rendered into the replicas of the children (through the
 * placement of hooks/steps/placement.ts and, with a router, the order of
 * hooks/traffic/), the status (hooks/status/), and when to look again.
 */
import { rfc3339 } from '../k8s/time.js';
import {
  dueTime,
  isPaused,
  newReplicasAvailability,
  placementOf,
  type Progress,
} from '../machine/position.js';
import type { Transition } from '../machine/transitions.js';
import { unknownCommandMessage, type CommandReading } from '../observed/command.js';
import type { Observed } from '../observed/observed.js';
import type { PriorStatus } from '../observed/prior.js';
import {
  commandCondition,
  completeCondition,
  pausedCondition,
  progressingCondition,
  rolledBackCondition,
  statusConditions,
  stepAvailableCondition,
  validCondition,
} from '../status/conditions.js';
import { MESSAGES, stateMessage } from '../status/message.js';
import { scaleStatus } from '../status/scale.js';
import { routedCompletionLeft, trafficCondition } from '../status/traffic.js';
import { surged, weightOfPlacement, type Placement, type RoutedPlacement } from '../steps/placement.js';
import { stepCount } from '../steps/rollout.js';
import { routedSplit } from '../traffic/split.js';
import { routeWriteFor } from '../traffic/write.js';
import type { CanaryStatus, Deployment, RouteWrite, SyncResponse } from '../wire/index.js';
import { desiredChildren, stampWhereWritten } from './children.js';
import { numbered } from './numbered.js';
import { resyncAfter } from './resync.js';

/**
 * What a complete Canary still waits for before every replica runs the new
 * version, or undefined once nothing: with a router the route and then the
 * old Deployment (hooks/status/traffic.ts); with surge the old Deployment,
 * which gives way as the new replicas become available (docs/design.md §7a). Judged on
 * what this answer asks, as status.oldReplicas is.
 */
function completionLeft(p: Progress, o: Observed, target: Placement, split: Placement): string | undefined {
  if (p.state !== 'complete') return undefined;
  if (o.traffic !== undefined) return routedCompletionLeft(p, o, target, split);
  if (split.oldReplicas <= target.oldReplicas) return undefined;
  const available = o.newDeployment.status?.availableReplicas ?? 0;
  return (
    `${o.spec.oldDeployment} keeps ${split.oldReplicas} replicas until ${target.newReplicas} ` +
    `replicas of ${o.spec.newDeployment} are available (${available} now)`
  );
}

/** The replicas (and with a router the weight) this sync asks, from the position's target and what is observed. */
function splitOf(target: ReturnType<typeof placementOf>, o: Observed) {
  if (o.traffic !== undefined) {
    return routedSplit(target as RoutedPlacement, o.traffic, o.newDeployment, o.rollout.totalReplicas);
  }
  return o.spec.surge
    ? surged(
        target,
        o.rollout.totalReplicas,
        o.oldDeployment.spec.replicas ?? 0,
        o.newDeployment.status?.availableReplicas ?? 0,
      )
    : target;
}

/** What the sync hook answers, and the changes it announces. */
export interface SyncDecision {
  response: SyncResponse;
  transitions: Transition[];
  /** The write on the route of spec.trafficRouting the server makes before it answers (hooks/routers/router.ts). */
  routeWrite?: RouteWrite;
}

export function renderDecision(
  p: Progress,
  o: Observed,
  prior: PriorStatus,
  reading: CommandReading,
  deployments: ReadonlyMap<string, Deployment>,
): { response: SyncResponse; routeWrite: RouteWrite | undefined } {
  const target = placementOf(p, o);
  const split = splitOf(target, o);
  const running = p.state === 'running';
  const due = running && !isPaused(p) ? dueTime(p, o) : undefined;
  const ready = running && !isPaused(p) ? newReplicasAvailability(p, o) : undefined;
  // Waiting matters only once the step is due; before that the replicas still have time.
  const waiting = ready && !ready.ready && o.now >= (due ?? o.now) ? ready : undefined;
  // While paused the next step is due when the pause ends (unknown for one that waits for promote).
  const next = running && isPaused(p) ? p.pause.until : due ? rfc3339(due) : null;
  const left = completionLeft(p, o, target, split);
  // `complete` is decided at once, but until the old Deployment follows (surge) or the
  // route shows 100% the message says what is left, as the Complete condition does.
  const completing = left !== undefined ? `${MESSAGES.complete}: ${left}` : undefined;
  const message =
    reading.kind === 'unknown'
      ? unknownCommandMessage(reading.value)
      : (completing ?? stateMessage(p, o, waiting));
  const decided: Omit<CanaryStatus, 'sequence'> = {
    oldReplicas: split.oldReplicas,
    newReplicas: split.newReplicas,
    currentStep: p.step,
    totalSteps: stepCount(o.rollout),
    weight: weightOfPlacement(split, o.rollout.totalReplicas),
    pause: p.pause,
    state: p.state,
    message,
    observedCommand: p.observedCommand,
    lastStepTime: p.lastStepTime,
    ...(next === null ? {} : { nextStepTime: next }),
    rollback: p.rollback,
    conditions: statusConditions(
      prior.conditions,
      {
        Valid: validCondition(),
        CommandAccepted: commandCondition(reading, p.observedCommand),
        Progressing: progressingCondition(p, o, waiting, left),
        StepAvailable: stepAvailableCondition(p, o),
        RolledBack: rolledBackCondition(p),
        Complete: completeCondition(p.state, left),
        Paused: pausedCondition(p),
        TrafficRouted: trafficCondition(o, target, split),
      },
      o.nowText,
    ),
    ...scaleStatus(o.spec.selector, split),
  };
  const replicas = new Map([
    [o.spec.oldDeployment, split.oldReplicas],
    [o.spec.newDeployment, split.newReplicas],
  ]);
  const { status, record } = numbered(decided, prior, o.canary.metadata.uid ?? '');
  const traffic = o.traffic;
  return {
    response: {
      status,
      children: desiredChildren(
        deployments,
        replicas,
        stampWhereWritten(
          o.canary,
          deployments,
          replicas,
          [o.spec.newDeployment, o.spec.oldDeployment],
          record,
        ),
      ),
      resyncAfterSeconds: resyncAfter(p, o),
    },
    routeWrite: traffic === undefined ? undefined : routeWriteFor(traffic, status.weight),
  };
}
