/**
 * Owns the response when the Canary cannot be decided (hooks/observed/problem.ts):
 * nothing is scaled, every child goes back as observed, and the status says
 * what is wrong while holding what it said before.
 */
import { findCondition } from '../k8s/conditions.js';
import type { Position } from '../machine/transitions.js';
import { readCommand } from '../observed/command.js';
import { wasComplete as isComplete, type PriorStatus } from '../observed/prior.js';
import type { Problem } from '../observed/problem.js';
import type { CanarySpec } from '../spec/parse.js';
import {
  commandCondition,
  completeCondition,
  heldCondition,
  rolledBackCondition,
  statusConditions,
  validCondition,
} from '../status/conditions.js';
import { scaleStatus } from '../status/scale.js';
import { rolloutOf, stepCount } from '../steps/rollout.js';
import type { Canary, CanaryStatus, Deployment } from '../wire/index.js';
import { desiredChildren, stampOn } from './children.js';
import type { SyncDecision } from './decision.js';
import { numbered } from './numbered.js';

/** What a Deployment has: an error scales nothing, so its status reports what is there, not a split. */
function replicasOf(deployments: ReadonlyMap<string, Deployment>, name: unknown): number {
  const replicas = typeof name === 'string' ? deployments.get(name)?.spec.replicas : undefined;
  return replicas ?? 0;
}

/** Nothing is scaled: every child goes back as observed, and the last replica counts stay on record. */
export function errorDecision(
  problem: Problem,
  prior: PriorStatus,
  canary: Canary,
  deployments: ReadonlyMap<string, Deployment>,
  nowText: string,
  spec?: CanarySpec,
): SyncDecision {
  const from: Position = { state: prior.state ?? 'stop', step: prior.currentStep };
  // The error holds the canary where it stood, and `state: error` hides where that was: on a
  // repeated error, RolledBack and Complete keep what they said on the first, rather than flap.
  const heldTrue = (type: string) =>
    prior.state === 'error' && findCondition(prior.conditions, type)?.status === 'True';
  const rolledBack = heldTrue('RolledBack')
    ? { state: 'stop' as const, step: 0, rollback: prior.rollback }
    : { state: prior.state ?? 'stop', step: prior.currentStep, rollback: prior.rollback };
  const wasComplete = isComplete(prior);
  const held = {
    oldReplicas: replicasOf(deployments, canary.spec.oldDeployment),
    newReplicas: replicasOf(deployments, canary.spec.newDeployment),
  };
  const decided: Omit<CanaryStatus, 'sequence'> = {
    ...held,
    currentStep: prior.currentStep,
    totalSteps: spec ? stepCount(rolloutOf(spec)) : prior.totalSteps,
    weight: prior.weight,
    pause: prior.pause,
    state: 'error',
    message: problem.message,
    observedCommand: prior.observedCommand,
    lastStepTime: prior.lastStepTime,
    rollback: prior.rollback,
    conditions: statusConditions(
      prior.conditions,
      {
        Valid: validCondition(problem),
        CommandAccepted: commandCondition(readCommand(canary, prior.observedCommand), prior.observedCommand),
        Progressing: { type: 'Progressing', status: 'False', reason: 'Error', message: problem.message },
        // Held as it was: the step has not moved, and the memory must survive the error.
        StepAvailable: heldCondition(prior, 'StepAvailable'),
        RolledBack: rolledBackCondition(rolledBack),
        // A Canary complete but still completing holds what it had (Completing, and what was left).
        // Only a Complete this hook writes for a complete Canary is held (True, or
        // Completing): anything else would be recomputed on the next sync, so the
        // same request fed back would not answer the same.
        Complete:
          (wasComplete ? heldCompleteCondition(prior) : undefined) ??
          completeCondition(wasComplete ? 'complete' : 'error'),
        Paused: heldCondition(prior, 'Paused'),
        // A route that cannot carry the Canary says so; any other error leaves what the route had.
        TrafficRouted:
          problem.kind === 'RouteInvalid'
            ? { type: 'TrafficRouted', status: 'False', reason: problem.reason, message: problem.message }
            : heldCondition(prior, 'TrafficRouted'),
      },
      nowText,
    ),
    // What is there, whatever spec.totalReplicas now says: an error scales nothing.
    ...scaleStatus(canary.spec.selector, held),
  };
  const isNews = prior.state !== 'error' || prior.message !== problem.message;
  const { status, record } = numbered(decided, prior, canary.metadata.uid ?? '');
  const scaled = spec ? [spec.oldDeployment, spec.newDeployment] : [];
  const children = desiredChildren(deployments, new Map(), stampOn(canary, deployments, scaled, record));
  return {
    response: { status, children, resyncAfterSeconds: 0 },
    transitions: isNews
      ? [
          {
            sequence: status.sequence,
            kind: problem.kind,
            reason: problem.reason,
            message: problem.message,
            warning: true,
            from,
            to: { state: 'error', step: prior.currentStep },
          },
        ]
      : [],
  };
}

function heldCompleteCondition(prior: PriorStatus): ReturnType<typeof heldCondition> {
  const held = heldCondition(prior, 'Complete');
  return held && (held.status === 'True' || held.reason === 'Completing') ? held : undefined;
}
