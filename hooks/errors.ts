/**
 * When the Canary cannot be decided: a spec the hook cannot trust, or a
 * Deployment it cannot see. Nothing is scaled; every child goes back as
 * observed, and the status says what is wrong.
 */
import { readCommand } from './commands.js';
import { findCondition, updateConditions, type ConditionUpdate } from './k8s/conditions.js';
import { desiredChildren, stampOn } from './children.js';
import { wasComplete as isComplete } from './progress.js';
import { rolloutOf, stepCount } from './steps/rollout.js';
import { scaleStatus } from './scale.js';
import { describeSelector } from './k8s/selectors.js';
import { numbered } from './sequence.js';
import type { CanarySpec, SpecProblem } from './spec/parse.js';
import type { PriorStatus } from './status.js';
import type { Position, SyncDecision } from './transitions.js';
import { commandCondition, completeCondition, rolledBackCondition } from './verdicts.js';
import type { Canary, CanaryStatus, ConditionType, Deployment } from './wire/index.js';

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

/** What a Deployment has: an error scales nothing, so its status reports what is there, not a split. */
function replicasOf(deployments: ReadonlyMap<string, Deployment>, name: unknown): number {
  const replicas = typeof name === 'string' ? deployments.get(name)?.spec.replicas : undefined;
  return replicas ?? 0;
}

function heldCondition(prior: PriorStatus, type: ConditionType): ConditionUpdate[] {
  const held = findCondition(prior.conditions, type);
  if (held?.status !== 'True' && held?.status !== 'False') return [];
  return [{ type, status: held.status, reason: held.reason, message: held.message }];
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
    nextStepTime: null,
    rollback: prior.rollback,
    conditions: updateConditions(
      prior.conditions,
      [
        { type: 'Valid', status: 'False', reason: problem.reason, message: problem.message },
        commandCondition(readCommand(canary, prior.observedCommand), prior.observedCommand),
        { type: 'Progressing', status: 'False', reason: 'Error', message: problem.message },
        // Held as it was: the step has not moved, and the memory must survive the error.
        ...heldCondition(prior, 'StepAvailable'),
        rolledBackCondition(rolledBack),
        // A Canary complete but still completing holds what it had (Completing, and what was left).
        ...(wasComplete && heldCondition(prior, 'Complete').length > 0
          ? heldCondition(prior, 'Complete')
          : [completeCondition(wasComplete ? 'complete' : 'error')]),
        ...heldCondition(prior, 'Paused'),
        // A route that cannot carry the Canary says so; any other error leaves what the route had.
        ...(problem.kind === 'RouteInvalid'
          ? [
              {
                type: 'TrafficRouted' as const,
                status: 'False' as const,
                reason: problem.reason,
                message: problem.message,
              },
            ]
          : heldCondition(prior, 'TrafficRouted')),
      ],
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
