/**
 * Renders where the state machine left the Canary into the response: the
 * replicas of the children (through the Placer, hooks/placement.ts), the
 * status with its message and conditions, and when to look again.
 */
import { unknownCommandMessage, type CommandReading } from './commands.js';
import { updateConditions, type ConditionUpdate } from './k8s/conditions.js';
import type { Availability } from './k8s/deployments.js';
import { desiredChildren, stampWhereWritten } from './children.js';
import { surged, weightOfPlacement, type Placement, type RoutedPlacement } from './steps/placement.js';
import { scaleStatus } from './scale.js';
import { findCrashLoopingPod } from './k8s/pods.js';
import { untilText } from './machine.js';
import {
  deadlineOf,
  dueTime,
  hasReachedStep,
  isPartWay,
  isPaused,
  isRolledBack,
  newReplicasAvailability,
  placementOf,
  type Observed,
  type Progress,
} from './progress.js';
import { stepCount } from './steps/rollout.js';
import { numbered } from './sequence.js';
import { rfc3339 } from './k8s/time.js';
import type { PriorStatus } from './status.js';
import { isUnsettled, routedSplit, routeWriteFor } from './traffic.js';
import { routedCompletionLeft, trafficConditions } from './traffic-status.js';
import { commandCondition, completeCondition, rolledBackCondition } from './verdicts.js';
import type { CanaryStatus, Deployment, RouteWrite, SyncResponse } from './wire/index.js';

/** How soon to look again while waiting for the new replicas to become available. */
export const AVAILABILITY_RETRY_SECONDS = 10;

export const MESSAGES = {
  pending: 'Canary is Pending',
  running: 'Canary is Running',
  stopped: 'Canary is Stopped',
  complete: 'Canary is complete',
  paused: (step: number) => `Canary is Paused at step ${step}`,
  rolledBack: (time: string) => `[${time}] Canary is rollbacked`,
} as const;

function stateMessage(p: Progress, o: Observed, waiting: Availability | undefined): string {
  if (p.state === 'complete') return MESSAGES.complete;
  if (p.state === 'running') {
    const crash = o.spec.enableRollback ? undefined : findCrashLoopingPod(o.pods, o.newDeployment);
    if (crash) {
      return `${MESSAGES.running}: container ${crash.container} of pod ${crash.pod} is in CrashLoopBackOff (automatic rollback is disabled)`;
    }
    if (isPaused(p)) return `${MESSAGES.paused(p.step)} ${untilText(p.pause)}`;
    return waiting ? `${MESSAGES.running}: waiting for ${waiting.waitingFor}` : MESSAGES.running;
  }
  if (isRolledBack(p) && p.rollback) return MESSAGES.rolledBack(p.rollback.time);
  return p.step === 0 ? MESSAGES.pending : MESSAGES.stopped;
}

function progressingCondition(
  p: Progress,
  waiting: Availability | undefined,
  left: string | undefined,
): ConditionUpdate {
  if (p.state === 'running' && isPaused(p)) {
    return {
      type: 'Progressing',
      status: 'True',
      reason: 'Paused',
      message: `Paused at step ${p.step} ${untilText(p.pause)}`,
      since: p.runningSince ?? undefined,
    };
  }
  if (p.state === 'running') {
    return {
      type: 'Progressing',
      status: 'True',
      reason: waiting ? 'WaitingForAvailability' : 'StepScheduled',
      message: waiting ? `Waiting for ${waiting.waitingFor}` : `Running at step ${p.step}`,
      since: p.runningSince ?? undefined,
    };
  }
  if (p.state === 'complete') {
    return {
      type: 'Progressing',
      status: 'False',
      reason: 'Complete',
      message: left === undefined ? 'Every replica runs the new version' : `Every step is taken; ${left}`,
    };
  }
  if (isRolledBack(p)) {
    return { type: 'Progressing', status: 'False', reason: 'RolledBack', message: 'Rolled back to step 0' };
  }
  return p.step === 0
    ? { type: 'Progressing', status: 'False', reason: 'Pending', message: 'Waiting for the apply command' }
    : { type: 'Progressing', status: 'False', reason: 'Stopped', message: `Stopped at step ${p.step}` };
}

function stepAvailableCondition(p: Progress, o: Observed): ConditionUpdate {
  const asked = placementOf(p, o).newReplicas;
  if (hasReachedStep(p, o)) {
    return {
      type: 'StepAvailable',
      status: 'True',
      reason: 'ReplicasAvailable',
      message: `The ${asked} replicas of ${o.spec.newDeployment} asked at step ${p.step} became available`,
    };
  }
  return {
    type: 'StepAvailable',
    status: 'False',
    reason: 'WaitingForReplicas',
    message: `Waiting for ${newReplicasAvailability(p, o).waitingFor ?? o.spec.newDeployment}`,
  };
}

function pausedCondition(p: Progress): ConditionUpdate {
  if (isPaused(p)) {
    return {
      type: 'Paused',
      status: 'True',
      reason: p.pause.kind,
      message: `Paused at step ${p.step} ${untilText(p.pause)}`,
    };
  }
  return p.pauseEnded
    ? {
        type: 'Paused',
        status: 'False',
        reason: 'PauseEnded',
        message: `The pause at step ${p.step} is over`,
      }
    : { type: 'Paused', status: 'False', reason: 'NotPaused', message: 'No pause holds the rollout' };
}

/** When the Canary should next be looked at on its own: a step due, a pause ending, a deadline. */
function resyncAfter(p: Progress, o: Observed, waiting: Availability | undefined, surging: boolean): number {
  const wakeups: number[] = [];
  // Old replicas held for new ones still starting: look again soon to let them go.
  if (surging) wakeups.push(AVAILABILITY_RETRY_SECONDS);
  const ms = (time: number) => (time - o.now.getTime()) / 1000;
  if (isPaused(p)) {
    if (p.pause.until !== null) wakeups.push(ms(Date.parse(p.pause.until)));
  } else if (p.state === 'running') {
    const due = dueTime(p, o);
    if (waiting) wakeups.push(AVAILABILITY_RETRY_SECONDS);
    else if (due !== undefined) wakeups.push(ms(due.getTime()));
  }
  const deadline = isPartWay(p, o) && o.spec.enableRollback ? deadlineOf(p, o) : undefined;
  if (deadline !== undefined && !hasReachedStep(p, o)) {
    wakeups.push(ms(deadline));
  }
  if (wakeups.length === 0) return 0;
  return Math.max(1, Math.ceil(Math.min(...wakeups)));
}

/**
 * What a complete Canary still waits for before every replica runs the new
 * version, or undefined once nothing: with a router the route and then the
 * old Deployment (hooks/traffic-status.ts); with surge the old Deployment,
 * which gives way as the new replicas become available (SPEC 7a). Judged on
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
  // Only a routed Canary's message says what is left: with surge alone, as for every
  // other step, it does not tell the old Deployment's step-down apart.
  const completing =
    o.traffic !== undefined && left !== undefined ? `${MESSAGES.complete}: ${left}` : undefined;
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
    nextStepTime: next,
    rollback: p.rollback,
    conditions: updateConditions(
      prior.conditions,
      [
        { type: 'Valid', status: 'True', reason: 'Valid', message: 'Spec and Deployments are valid' },
        commandCondition(reading, p.observedCommand),
        progressingCondition(p, waiting, left),
        stepAvailableCondition(p, o),
        rolledBackCondition(p),
        completeCondition(p.state, left),
        pausedCondition(p),
        ...trafficConditions(o, target, split),
      ],
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
  const unsettled =
    traffic !== undefined && isUnsettled(target as RoutedPlacement, split as RoutedPlacement, traffic);
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
      resyncAfterSeconds: resyncAfter(p, o, waiting, unsettled || split.oldReplicas > target.oldReplicas),
    },
    routeWrite: traffic === undefined ? undefined : routeWriteFor(traffic, status.weight),
  };
}
