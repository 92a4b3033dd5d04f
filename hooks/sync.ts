/**
 * The sync hook: observed Canary, Deployments and pods in, desired replicas
 * and status out. Pure: the time comes in as `now`, and the same request at
 * the same time always gives the same answer.
 *
 * The step engine, one file per part:
 *   hooks/rollout.ts    the spec (either form) as the list of steps
 *   hooks/progress.ts   where the Canary stands in that list, read from the status
 *   hooks/machine.ts    the state machine: commands, pauses, restarts, rollback, the next step
 *   hooks/placement.ts  a position as replicas (the seam for traffic routing)
 *   hooks/render.ts     a position as the response: children, status, resync
 *   hooks/errors.ts     what is answered when nothing can be decided
 * Errors (bad spec, missing Deployment) stop the sync before anything is
 * scaled.
 */
import { readCommand, unknownCommandMessage } from './commands.js';
import { errorDecision, missingDeployments, specProblem } from './errors.js';
import {
  actOnCommand,
  automaticRollback,
  restartWithNewTemplate,
  scheduledStep,
  timedPauses,
} from './machine.js';
import { observedDeployments, observedPods } from './observed.js';
import { observe, settle, type Stage } from './progress.js';
import { renderDecision } from './render.js';
import { completedByShorterRollout } from './scale.js';
import { startingPoint } from './sequence.js';
import { parseSpec } from './spec/parse.js';
import { rfc3339 } from './k8s/time.js';
import { observeTraffic } from './traffic.js';
import { trafficTransitions } from './traffic-status.js';
import { position, transition, type SyncDecision, type Transition } from './transitions.js';
import type { Deployment, SyncRequest, SyncResponse } from './wire/index.js';

export { desiredChildren, type Stamp } from './children.js';
export { AVAILABILITY_RETRY_SECONDS, MESSAGES } from './render.js';
export type { Position, RollbackReason, SyncDecision, Transition, TransitionKind } from './transitions.js';

export function decideSync(request: SyncRequest, now: Date): SyncDecision {
  const canary = request.parent;
  const nowText = rfc3339(now);
  const deployments = observedDeployments(request);
  const prior = startingPoint(canary, deployments);

  const parsed = parseSpec(canary.spec);
  if (!parsed.ok) return errorDecision(specProblem(parsed.problem), prior, canary, deployments, nowText);
  const spec = parsed.spec;
  const missing = missingDeployments(spec, canary, deployments);
  if (missing) return errorDecision(missing, prior, canary, deployments, nowText, spec);
  const traffic = observeTraffic(spec, canary, request.related);
  if (!traffic.ok) return errorDecision(traffic.problem, prior, canary, deployments, nowText, spec);

  const o = observe({
    canary,
    spec,
    oldDeployment: deployments.get(spec.oldDeployment) as Deployment,
    newDeployment: deployments.get(spec.newDeployment) as Deployment,
    pods: observedPods(request),
    traffic: traffic.view,
    now,
    nowText,
  });

  const settled = settle(prior, o.rollout, nowText);
  const transitions: Transition[] = [];
  if (prior.state === 'error') {
    transitions.push({
      kind: 'Recovered',
      reason: 'Valid',
      message: `Spec and Deployments are valid again; ${settled.state} at step ${settled.step}`,
      warning: false,
      from: { state: 'error', step: prior.currentStep },
      to: position(settled),
    });
  }
  const shortened = completedByShorterRollout(prior, settled, o.rollout);
  if (shortened) transitions.push(shortened);

  const reading = readCommand(canary, settled.observedCommand);
  let stage: Stage;
  if (reading.kind === 'new') {
    stage = actOnCommand(reading.command, settled, o);
  } else {
    const forgotten = reading.kind === 'none' ? { ...settled, observedCommand: '' } : settled;
    stage = restartWithNewTemplate(forgotten, o, reading.kind === 'seen' ? reading.value : '');
    if (reading.kind === 'unknown' && prior.message !== unknownCommandMessage(reading.value)) {
      const message = unknownCommandMessage(reading.value);
      stage.transitions.push(transition('UnknownCommand', 'UnknownCommand', message, settled, settled, true));
    }
  }
  stage = scheduledStep(timedPauses(automaticRollback(stage, o), o), o);

  const { response, routeWrite } = renderDecision(stage.progress, o, prior, reading, deployments);
  const announced = [
    ...transitions,
    ...stage.transitions,
    ...trafficTransitions(o, stage.progress, routeWrite),
  ];
  return {
    response,
    transitions: numberedTransitions(announced, response),
    ...(routeWrite ? { routeWrite } : {}),
  };
}

function numberedTransitions(transitions: Transition[], response: SyncResponse): Transition[] {
  return transitions.map((t) => ({ ...t, sequence: response.status.sequence }));
}
