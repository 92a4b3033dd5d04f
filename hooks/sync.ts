/**
 * Owns the sync hook: observed Canary, Deployments and pods in, desired
 * replicas and status out. Pure: the time comes in as `now`, and the same
 * request at the same time always gives the same answer.
 *
 * The stages, in order (docs/architecture.md):
 *   observed/  the request read into one value: prior status (or the newer
 *              decision record), spec (spec/), list of steps (steps/), route
 *   machine/   settle the prior into a position, then at most one move:
 *              a command or a restart, a rollback, a pause ending, the step due
 *   render/    the position as the response: replicas (with traffic/ when
 *              routed), status (status/), resync; or, when nothing can be
 *              decided, an error that scales nothing
 * Errors (bad spec, missing Deployment, a route that cannot carry the
 * Canary) stop the sync before anything is scaled.
 */
import { rfc3339 } from './k8s/time.js';
import { actOnCommand, restartWithNewTemplate } from './machine/commands.js';
import type { Stage } from './machine/position.js';
import { automaticRollback } from './machine/rollback.js';
import { scheduledStep, timedPauses } from './machine/schedule.js';
import { completedByShorterRollout, settle } from './machine/settle.js';
import { position, transition, type Transition } from './machine/transitions.js';
import { readCommand, unknownCommandMessage } from './observed/command.js';
import { observe } from './observed/observed.js';
import { missingDeployments, specProblem } from './observed/problem.js';
import { observedDeployments, observedPods, type PodReadFailure } from './observed/request.js';
import { observeTraffic } from './observed/route.js';
import { startingPoint } from './observed/start.js';
import { renderDecision, type SyncDecision } from './render/decision.js';
import { errorDecision } from './render/error.js';
import { podsUnreadTransition } from './status/pods.js';
import { parseSpec } from './spec/parse.js';
import { trafficTransitions } from './traffic/write.js';
import type { Deployment, SyncRequest, SyncResponse } from './wire/index.js';

export { desiredChildren, type Stamp } from './render/children.js';
export type { SyncDecision } from './render/decision.js';
export { ROUTE_RETRY_SECONDS } from './render/route-failed.js';
export { MESSAGES } from './status/message.js';
export type { Position, RollbackReason, Transition, TransitionKind } from './machine/transitions.js';

/**
 * `podsUnread`: the server had to read the new Deployment's pods and could
 * not (docs/design.md §11); the sync then decides nothing that needs them.
 */
export function decideSync(request: SyncRequest, now: Date, podsUnread?: PodReadFailure): SyncDecision {
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
    ...(podsUnread ? { podsUnread } : {}),
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
  const unread = podsUnreadTransition(stage.progress, o, prior);
  const announced = [
    ...transitions,
    ...stage.transitions,
    ...(unread ? [unread] : []),
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
