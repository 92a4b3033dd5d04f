/**
 * The sync hook: observed Canary, Deployments and pods in, desired replicas
 * and status out. Pure: the time comes in as `now`, and the same request at
 * the same time always gives the same answer.
 *
 * A sync runs as a short pipeline over a `Progress` value, each stage a small
 * function that may change it and say why:
 *   settle the prior status -> act on a new command -> restart a rolled-back
 *   canary whose pod template changed -> roll back crashing pods -> take the
 *   step the schedule says is due -> write status and children.
 * Errors (bad spec, missing Deployment) stop the pipeline before anything is
 * scaled.
 */
import { readCommand, unknownCommandMessage, type Command } from './commands.js';
import { findCondition, updateConditions, type ConditionType, type ConditionUpdate } from './conditions.js';
import { availability, podTemplateRevision, type Availability } from './deployments.js';
import { observedDeployments, observedPods } from './observed.js';
import { findCrashLoopingPod } from './pods.js';
import { nextTickAfter } from './schedule.js';
import { describeSelector } from './selectors.js';
import {
  DECISION_ANNOTATION,
  encodeRecord,
  newestRecord,
  priorFromRecord,
  readRecord,
  recordOf,
  sameDecision,
} from './record.js';
import { parseSpec, type CanarySpec, type SpecProblem } from './spec.js';
import { readPriorStatus, rfc3339, type PriorStatus } from './status.js';
import { clampStep, isFinalStep, stepReplicas, totalSteps } from './steps.js';
import type {
  Canary,
  CanaryState,
  CanaryStatus,
  Deployment,
  DesiredChild,
  Pod,
  RollbackRecord,
  SyncRequest,
  SyncResponse,
} from './wire.js';

/** How soon to look again while waiting for the new replicas to become available. */
export const AVAILABILITY_RETRY_SECONDS = 10;

export const MESSAGES = {
  pending: 'Canary is Pending',
  running: 'Canary is Running',
  stopped: 'Canary is Stopped',
  complete: 'Canary is complete',
  rolledBack: (time: string) => `[${time}] Canary is rollbacked`,
} as const;

export type TransitionKind =
  | 'Started'
  | 'StepAdvanced'
  | 'Stopped'
  | 'Resumed'
  | 'RolledBack'
  | 'Restarted'
  | 'Completed'
  | 'InvalidSpec'
  | 'DeploymentMissing'
  | 'Recovered'
  | 'UnknownCommand';

export type RollbackReason = 'CrashLoopBackOff' | 'ProgressDeadlineExceeded' | 'RollbackCommand';

export interface Position {
  state: CanaryState;
  step: number;
}

/** One change a sync decided, for logs, metrics and Events. */
export interface Transition {
  kind: TransitionKind;
  /** A CamelCase cause, low-cardinality, fit for a metric label or an Event reason. */
  reason: string;
  message: string;
  warning: boolean;
  from: Position;
  to: Position;
  /** The number of the decision it belongs to (status.sequence): the same decision announced twice is one Event. */
  sequence?: number;
}

export interface SyncDecision {
  response: SyncResponse;
  transitions: Transition[];
}

type SettledState = Exclude<CanaryState, 'error'>;

interface Progress {
  state: SettledState;
  step: number;
  lastStepTime: string | null;
  /** When the canary last started running: with lastStepTime, the anchor of the schedule. */
  runningSince: string | null;
  rollback: RollbackRecord | null;
  observedCommand: string;
  /**
   * The step (identified by its number and time) whose replicas the prior
   * status says all became available. Kept so that a pod evicted hours later
   * is not mistaken for a step that never made its progress deadline.
   */
  reachedStep: { step: number; lastStepTime: string | null } | null;
}

interface Observed {
  canary: Canary;
  spec: CanarySpec;
  oldDeployment: Deployment;
  newDeployment: Deployment;
  pods: readonly Pod[];
  now: Date;
  nowText: string;
}

interface Stage {
  progress: Progress;
  transitions: Transition[];
  /** A command or restart already moved the canary in this sync; no second move. */
  moved: boolean;
}

// ----------------------------------------------------------------- predicates

function isRolledBack(p: { state: CanaryState; step: number; rollback: RollbackRecord | null }): boolean {
  return p.state === 'stop' && p.step === 0 && p.rollback !== null;
}

/** Part-way through: the only positions where new pods run alongside old ones and can be rolled back. */
function isPartWay(p: Pick<Progress, 'state' | 'step'>, spec: CanarySpec): boolean {
  return (p.state === 'running' || p.state === 'stop') && p.step > 0 && !isFinalStep(spec, p.step);
}

function position(p: Pick<Progress, 'state' | 'step'>): Position {
  return { state: p.state, step: p.step };
}

function laterOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function rollbackCode(record: RollbackRecord): string {
  return /^([A-Za-z]+):/.exec(record.reason)?.[1] ?? 'RolledBack';
}

// ------------------------------------------------------- settling the prior

/**
 * Where the canary stands, from the last status. A canary coming out of
 * `error` has lost its state, so it is rebuilt from what remains: the step and
 * the last command acted on.
 */
function settle(prior: PriorStatus, spec: CanarySpec, nowText: string): Progress {
  const step = clampStep(spec, prior.currentStep);
  let state: SettledState;
  if (prior.state === 'complete' || isFinalStep(spec, step)) state = 'complete';
  else if (step === 0) state = 'stop';
  else if (prior.state === 'running' || prior.state === 'stop') state = prior.state;
  else state = prior.observedCommand === 'apply' ? 'running' : 'stop';

  const progressing = findCondition(prior.conditions, 'Progressing');
  const wasRunning = prior.state === 'running' && state === 'running';
  let runningSince: string | null = null;
  if (state === 'running') {
    if (wasRunning && progressing?.status === 'True') runningSince = progressing.lastTransitionTime;
    else if (wasRunning) runningSince = prior.lastStepTime ?? nowText;
    else runningSince = nowText;
  }
  return {
    state,
    step: state === 'complete' ? totalSteps(spec) : step,
    lastStepTime: prior.lastStepTime,
    runningSince,
    rollback: prior.rollback,
    observedCommand: prior.observedCommand,
    reachedStep:
      findCondition(prior.conditions, 'StepAvailable')?.status === 'True'
        ? { step: prior.currentStep, lastStepTime: prior.lastStepTime }
        : null,
  };
}

// --------------------------------------------------------------- the stages

function transition(
  kind: TransitionKind,
  reason: string,
  message: string,
  from: Progress,
  to: Progress,
  warning = false,
): Transition {
  return { kind, reason, message, warning, from: position(from), to: position(to) };
}

function startAt(progress: Progress, step: number, o: Observed): Progress {
  // With stepReplicas == totalReplicas step 1 is the last: complete now, not `running` until a tick.
  if (isFinalStep(o.spec, step)) {
    return { ...progress, state: 'complete', step, lastStepTime: o.nowText, runningSince: null };
  }
  return { ...progress, state: 'running', step, lastStepTime: o.nowText, runningSince: o.nowText };
}

/** A one-step Canary (stepReplicas == totalReplicas) completes with the step that starts it. */
function completedAtOnce(next: Progress, o: Observed): Transition[] {
  if (next.state !== 'complete') return [];
  const message = `Completed at once: step 1 of ${totalSteps(o.spec)} is the last`;
  return [transition('Completed', 'SingleStep', message, next, next)];
}

function rollBack(progress: Progress, o: Observed, reason: RollbackReason, detail: string): Progress {
  return {
    ...progress,
    state: 'stop',
    step: 0,
    runningSince: null,
    rollback: {
      time: o.nowText,
      reason: `${reason}: ${detail}`,
      revision: podTemplateRevision(o.newDeployment),
    },
  };
}

function actOnCommand(command: Command, p: Progress, o: Observed): Stage {
  const progress: Progress = { ...p, observedCommand: command };
  const unchanged: Stage = { progress, transitions: [], moved: false };
  const moved = (next: Progress, t: Transition): Stage => ({ progress: next, transitions: [t], moved: true });
  const via = `by command ${command}`;
  switch (command) {
    case 'apply': {
      if (p.state === 'complete' || p.state === 'running') return unchanged;
      if (p.step === 0) {
        const next = startAt(progress, 1, o);
        return {
          progress: next,
          transitions: [
            transition('Started', 'ApplyCommand', `Started the rollout at step 1 ${via}`, p, next),
            ...completedAtOnce(next, o),
          ],
          moved: true,
        };
      }
      const next: Progress = { ...progress, state: 'running', runningSince: o.nowText };
      return moved(next, transition('Resumed', 'ApplyCommand', `Resumed at step ${p.step} ${via}`, p, next));
    }
    case 'stop': {
      if (p.state !== 'running') return unchanged;
      const next: Progress = { ...progress, state: 'stop', runningSince: null };
      return moved(next, transition('Stopped', 'StopCommand', `Stopped at step ${p.step} ${via}`, p, next));
    }
    case 'rollback': {
      const next = rollBack(progress, o, 'RollbackCommand', 'rolled back by the command annotation');
      return moved(next, transition('RolledBack', 'RollbackCommand', `Rolled back ${via}`, p, next, true));
    }
    case 'completion': {
      if (p.state === 'complete') return unchanged;
      const next: Progress = { ...progress, state: 'complete', step: totalSteps(o.spec), runningSince: null };
      return moved(next, transition('Completed', 'CompletionCommand', `Completed ${via}`, p, next));
    }
  }
}

/**
 * After an automatic rollback the `apply` that started the rollout is still
 * annotated. Starting again on that alone would crash the same pods again, so
 * it waits for a different pod template: the fix.
 */
function restartWithNewTemplate(p: Progress, o: Observed, annotation: string): Stage {
  const waitingForFix =
    isRolledBack(p) && p.observedCommand === 'apply' && annotation === 'apply' && p.rollback !== null;
  if (!waitingForFix || podTemplateRevision(o.newDeployment) === p.rollback?.revision) {
    return { progress: p, transitions: [], moved: false };
  }
  const next = startAt(p, 1, o);
  return {
    progress: next,
    transitions: [
      transition(
        'Restarted',
        'NewPodTemplate',
        `Restarted at step 1: ${o.spec.newDeployment} has a new pod template since the rollback`,
        p,
        next,
      ),
      ...completedAtOnce(next, o),
    ],
    moved: true,
  };
}

function newReplicasAvailability(p: Progress, o: Observed): Availability {
  return availability(o.newDeployment, stepReplicas(o.spec, p.step).newReplicas);
}

/** The replicas asked at this step are available now, or were at some point since the step was taken. */
function hasReachedStep(p: Progress, o: Observed): boolean {
  const remembered = p.reachedStep?.step === p.step && p.reachedStep.lastStepTime === p.lastStepTime;
  return remembered || newReplicasAvailability(p, o).ready;
}

function deadlineOf(p: Progress, o: Observed): number | undefined {
  if (o.spec.progressDeadlineSeconds === undefined || p.lastStepTime === null) return undefined;
  return Date.parse(p.lastStepTime) + o.spec.progressDeadlineSeconds * 1000;
}

function automaticRollback(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (!o.spec.enableRollback || !isPartWay(p, o.spec)) return stage;
  const crash = findCrashLoopingPod(o.pods, o.newDeployment);
  let reason: RollbackReason | undefined;
  let detail = '';
  if (crash) {
    reason = 'CrashLoopBackOff';
    detail = `container ${crash.container} of pod ${crash.pod} is in CrashLoopBackOff`;
  } else {
    const deadline = deadlineOf(p, o);
    const ready = newReplicasAvailability(p, o);
    if (deadline !== undefined && o.now.getTime() >= deadline && !hasReachedStep(p, o)) {
      reason = 'ProgressDeadlineExceeded';
      detail =
        `${ready.available} of ${ready.asked} replicas of ${o.spec.newDeployment} available ` +
        `${o.spec.progressDeadlineSeconds}s after step ${p.step}`;
    }
  }
  if (reason === undefined) return stage;
  const next = rollBack(p, o, reason, detail);
  return {
    progress: next,
    transitions: [
      ...stage.transitions,
      transition('RolledBack', reason, `Rolled back automatically: ${detail}`, p, next, true),
    ],
    moved: true,
  };
}

/** The first tick after both the last step and the moment it (re)started running. */
function dueTime(p: Progress, o: Observed): Date {
  const anchor = laterOf(p.lastStepTime, p.runningSince) ?? o.nowText;
  return nextTickAfter(o.spec.cronSchedule, o.spec.timeZone, new Date(anchor));
}

function scheduledStep(stage: Stage, o: Observed): Stage {
  const p = stage.progress;
  if (stage.moved || p.state !== 'running') return stage;
  if (o.now < dueTime(p, o) || !newReplicasAvailability(p, o).ready) return stage;
  const step = p.step + 1;
  const final = isFinalStep(o.spec, step);
  const next: Progress = {
    ...p,
    step,
    state: final ? 'complete' : 'running',
    lastStepTime: o.nowText,
    runningSince: final ? null : p.runningSince,
  };
  const t = final
    ? transition(
        'Completed',
        'AllStepsDone',
        `Completed: step ${step} of ${step} reached on schedule`,
        p,
        next,
      )
    : transition('StepAdvanced', 'Schedule', `Advanced to step ${step} of ${totalSteps(o.spec)}`, p, next);
  return { progress: next, transitions: [...stage.transitions, t], moved: true };
}

// ------------------------------------------------------------ the response

function minimalChild(
  deployment: Deployment,
  replicas: number | undefined,
  stamp: string | undefined,
): DesiredChild {
  const child: DesiredChild = {
    apiVersion: deployment.apiVersion,
    kind: deployment.kind,
    metadata: { name: deployment.metadata.name },
    spec: {},
  };
  if (deployment.metadata.labels !== undefined) child.metadata.labels = deployment.metadata.labels;
  if (stamp !== undefined) child.metadata.annotations = { [DECISION_ANNOTATION]: stamp };
  if (replicas !== undefined) child.spec.replicas = replicas;
  return child;
}

/** The decision record to stamp on some of the children (hooks/record.ts). */
export interface Stamp {
  names: ReadonlySet<string>;
  value: string;
}

/** Every observed Deployment, each as observed except the two the canary scales. */
export function desiredChildren(
  deployments: ReadonlyMap<string, Deployment>,
  replicas: ReadonlyMap<string, number> = new Map(),
  stamp?: Stamp,
): DesiredChild[] {
  return [...deployments.entries()].map(([name, deployment]) =>
    minimalChild(
      deployment,
      replicas.get(name) ?? deployment.spec.replicas,
      stamp?.names.has(name) ? stamp.value : undefined,
    ),
  );
}

/**
 * Numbers the decision: the number goes up only when the decision differs
 * from the one the sync started from, so a sync that changes nothing leaves
 * the record, and the Deployments carrying it, as they are.
 */
function numbered(
  status: Omit<CanaryStatus, 'sequence'>,
  prior: PriorStatus,
  uid: string,
): { status: CanaryStatus; record: string } {
  const before = recordOf(prior, uid, prior.sequence);
  const sequence = sameDecision(recordOf(status, uid, 0), before) ? prior.sequence : prior.sequence + 1;
  return { status: { ...status, sequence }, record: encodeRecord(recordOf(status, uid, sequence)) };
}

/**
 * Where the sync starts from: the parent's status, or, when a Deployment
 * records a later decision than that status, the decision it records (the
 * parent came from a cache that has not seen the status write yet, or that
 * write was lost).
 */
function startingPoint(canary: Canary, deployments: ReadonlyMap<string, Deployment>): PriorStatus {
  const fromParent = readPriorStatus(canary.status);
  const record = newestRecord(deployments.values(), canary.metadata.uid ?? '');
  return record && record.sequence > fromParent.sequence ? priorFromRecord(record, fromParent) : fromParent;
}

function stateMessage(p: Progress, o: Observed, waiting: Availability | undefined): string {
  if (p.state === 'complete') return MESSAGES.complete;
  if (p.state === 'running') {
    const crash = o.spec.enableRollback ? undefined : findCrashLoopingPod(o.pods, o.newDeployment);
    if (crash) {
      return `${MESSAGES.running}: container ${crash.container} of pod ${crash.pod} is in CrashLoopBackOff (automatic rollback is disabled)`;
    }
    return waiting ? `${MESSAGES.running}: waiting for ${waiting.waitingFor}` : MESSAGES.running;
  }
  if (isRolledBack(p) && p.rollback) return MESSAGES.rolledBack(p.rollback.time);
  return p.step === 0 ? MESSAGES.pending : MESSAGES.stopped;
}

function progressingCondition(p: Progress, waiting: Availability | undefined): ConditionUpdate {
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
      message: 'Every replica runs the new version',
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
  const asked = stepReplicas(o.spec, p.step).newReplicas;
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

function rolledBackCondition(p: {
  state: CanaryState;
  step: number;
  rollback: RollbackRecord | null;
}): ConditionUpdate {
  return isRolledBack(p) && p.rollback
    ? { type: 'RolledBack', status: 'True', reason: rollbackCode(p.rollback), message: p.rollback.reason }
    : { type: 'RolledBack', status: 'False', reason: 'NotRolledBack', message: 'Not rolled back' };
}

function completeCondition(state: CanaryState): ConditionUpdate {
  return state === 'complete'
    ? { type: 'Complete', status: 'True', reason: 'Complete', message: 'Every replica runs the new version' }
    : {
        type: 'Complete',
        status: 'False',
        reason: 'InProgress',
        message: 'Not every replica runs the new version',
      };
}

function commandCondition(reading: ReturnType<typeof readCommand>, observedCommand: string): ConditionUpdate {
  if (reading.kind === 'unknown') {
    return {
      type: 'CommandAccepted',
      status: 'False',
      reason: 'UnknownCommand',
      message: unknownCommandMessage(reading.value),
    };
  }
  return observedCommand === ''
    ? { type: 'CommandAccepted', status: 'True', reason: 'NoCommand', message: 'No command annotated' }
    : {
        type: 'CommandAccepted',
        status: 'True',
        reason: 'Accepted',
        message: `Acted on command ${observedCommand}`,
      };
}

function resyncAfter(p: Progress, o: Observed, waiting: Availability | undefined): number {
  const wakeups: number[] = [];
  if (p.state === 'running') {
    wakeups.push(waiting ? AVAILABILITY_RETRY_SECONDS : (dueTime(p, o).getTime() - o.now.getTime()) / 1000);
  }
  const deadline = isPartWay(p, o.spec) && o.spec.enableRollback ? deadlineOf(p, o) : undefined;
  if (deadline !== undefined && !hasReachedStep(p, o)) {
    wakeups.push((deadline - o.now.getTime()) / 1000);
  }
  if (wakeups.length === 0) return 0;
  return Math.max(1, Math.ceil(Math.min(...wakeups)));
}

function successResponse(
  stage: Stage,
  o: Observed,
  prior: PriorStatus,
  reading: ReturnType<typeof readCommand>,
  deployments: ReadonlyMap<string, Deployment>,
): SyncResponse {
  const p = stage.progress;
  const split = stepReplicas(o.spec, p.step);
  const due = p.state === 'running' ? dueTime(p, o) : undefined;
  const ready = p.state === 'running' ? newReplicasAvailability(p, o) : undefined;
  // Waiting matters only once the step is due; before that the replicas still have time.
  const waiting = ready && !ready.ready && due && o.now >= due ? ready : undefined;
  const message =
    reading.kind === 'unknown' ? unknownCommandMessage(reading.value) : stateMessage(p, o, waiting);
  const decided: Omit<CanaryStatus, 'sequence'> = {
    oldReplicas: split.oldReplicas,
    newReplicas: split.newReplicas,
    currentStep: p.step,
    totalSteps: totalSteps(o.spec),
    state: p.state,
    message,
    observedCommand: p.observedCommand,
    lastStepTime: p.lastStepTime,
    nextStepTime: due ? rfc3339(due) : null,
    rollback: p.rollback,
    conditions: updateConditions(
      prior.conditions,
      [
        { type: 'Valid', status: 'True', reason: 'Valid', message: 'Spec and Deployments are valid' },
        commandCondition(reading, p.observedCommand),
        progressingCondition(p, waiting),
        stepAvailableCondition(p, o),
        rolledBackCondition(p),
        completeCondition(p.state),
      ],
      o.nowText,
    ),
  };
  const replicas = new Map([
    [o.spec.oldDeployment, split.oldReplicas],
    [o.spec.newDeployment, split.newReplicas],
  ]);
  const { status, record } = numbered(decided, prior, o.canary.metadata.uid ?? '');
  return {
    status,
    children: desiredChildren(deployments, replicas, stampOn(o.canary, deployments, replicas.keys(), record)),
    resyncAfterSeconds: resyncAfter(p, o, waiting),
  };
}

// ------------------------------------------------------------------ errors

interface Problem {
  kind: 'InvalidSpec' | 'DeploymentMissing';
  reason: string;
  message: string;
}

function specProblem(problem: SpecProblem): Problem {
  return { kind: 'InvalidSpec', reason: 'InvalidSpec', message: `Invalid spec: ${problem.message}` };
}

function missingDeployments(spec: CanarySpec, canary: Canary, deployments: ReadonlyMap<string, Deployment>) {
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
  } satisfies Problem;
}

/**
 * The Deployments to carry the record: the two the Canary scales, and any
 * that carries its record already (a spec too broken to name them must not
 * leave a stale record behind). None without a uid to tell Canaries apart.
 */
function stampOn(
  canary: Canary,
  deployments: ReadonlyMap<string, Deployment>,
  scaled: Iterable<string>,
  record: string,
): Stamp | undefined {
  const uid = canary.metadata.uid ?? '';
  if (uid === '') return undefined;
  const names = new Set([...scaled].filter((name) => deployments.has(name)));
  for (const [name, deployment] of deployments) {
    if (readRecord(deployment, uid)) names.add(name);
  }
  return { names, value: record };
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
function errorDecision(
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
  const wasComplete = prior.state === 'complete' || heldTrue('Complete');
  const decided: Omit<CanaryStatus, 'sequence'> = {
    oldReplicas: replicasOf(deployments, canary.spec.oldDeployment),
    newReplicas: replicasOf(deployments, canary.spec.newDeployment),
    currentStep: prior.currentStep,
    totalSteps: spec ? totalSteps(spec) : prior.totalSteps,
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
        completeCondition(wasComplete ? 'complete' : 'error'),
      ],
      nowText,
    ),
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

// ------------------------------------------------------------------- sync

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

  const o: Observed = {
    canary,
    spec,
    oldDeployment: deployments.get(spec.oldDeployment) as Deployment,
    newDeployment: deployments.get(spec.newDeployment) as Deployment,
    pods: observedPods(request),
    now,
    nowText,
  };

  const settled = settle(prior, spec, nowText);
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

  const reading = readCommand(canary, settled.observedCommand);
  let stage: Stage;
  if (reading.kind === 'new') {
    stage = actOnCommand(reading.command, settled, o);
  } else {
    const forgotten = reading.kind === 'none' ? { ...settled, observedCommand: '' } : settled;
    stage = restartWithNewTemplate(forgotten, o, reading.kind === 'seen' ? reading.value : '');
    if (reading.kind === 'unknown' && prior.message !== unknownCommandMessage(reading.value)) {
      stage.transitions.push(
        transition(
          'UnknownCommand',
          'UnknownCommand',
          unknownCommandMessage(reading.value),
          settled,
          settled,
          true,
        ),
      );
    }
  }
  stage = scheduledStep(automaticRollback(stage, o), o);

  const response = successResponse(stage, o, prior, reading, deployments);
  return { response, transitions: numberedTransitions([...transitions, ...stage.transitions], response) };
}

function numberedTransitions(transitions: Transition[], response: SyncResponse): Transition[] {
  return transitions.map((t) => ({ ...t, sequence: response.status.sequence }));
}
