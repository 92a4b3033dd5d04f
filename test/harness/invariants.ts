/**
 * What must hold of every sync response, whatever the request: the
 * invariants of issue 4, written against the raw request and response so
 * they share nothing with the decision they check. Each returns readable
 * complaints, empty when the response is fine.
 */
import { validateCanaryStatus } from '../helpers/crd.js';
import { DEPLOYMENT_CHILD_KEY } from '../../hooks/wire/index.js';
import type { Deployment, DesiredChild } from '../../hooks/wire/index.js';
import { routedComplaints } from './routed-invariants.js';

interface RequestLike {
  parent: { spec?: unknown; status?: unknown };
  children?: Record<string, Record<string, Deployment> | null | undefined> | null;
  related?: unknown;
}

interface ResponseLike {
  status: Record<string, unknown>;
  children: DesiredChild[];
  resyncAfterSeconds?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function observedChildren(request: RequestLike): Record<string, Deployment> {
  return request.children?.[DEPLOYMENT_CHILD_KEY] ?? {};
}

/** Every observed child comes back once, by name, nothing extra; no negative replicas. */
export function childrenComplaints(request: RequestLike, response: ResponseLike): string[] {
  const complaints: string[] = [];
  const observed = observedChildren(request);
  const names = response.children.map((c) => c.metadata.name);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) complaints.push(`child ${name} returned twice`);
    seen.add(name);
    if (!Object.prototype.hasOwnProperty.call(observed, name))
      complaints.push(`child ${name} was not observed`);
  }
  for (const name of Object.keys(observed)) {
    if (!seen.has(name)) complaints.push(`observed child ${name} left out (Metacontroller would delete it)`);
  }
  for (const child of response.children) {
    const replicas = child.spec.replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
      complaints.push(`child ${child.metadata.name} asks for ${replicas} replicas`);
    }
    if (child.apiVersion !== 'apps/v1' || child.kind !== 'Deployment') {
      complaints.push(`child ${child.metadata.name} is ${child.apiVersion} ${child.kind}`);
    }
  }
  return complaints;
}

/** Children named here keep what was observed: replicas and labels. */
export function untouchedComplaints(
  request: RequestLike,
  response: ResponseLike,
  names: readonly string[] | 'all',
): string[] {
  const observed = observedChildren(request);
  const complaints: string[] = [];
  for (const child of response.children) {
    const name = child.metadata.name;
    const before = observed[name];
    if (!before || (names !== 'all' && !names.includes(name))) continue;
    if (child.spec.replicas !== before.spec.replicas) {
      complaints.push(`child ${name} scaled from ${before.spec.replicas} to ${child.spec.replicas}`);
    }
    if (JSON.stringify(child.metadata.labels) !== JSON.stringify(before.metadata.labels)) {
      complaints.push(`child ${name} labels changed`);
    }
  }
  return complaints;
}

function count(raw: unknown): number {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw : 0;
}

/**
 * The step the sync started from: the parent's, or the step a child's
 * decision annotation records under a higher sequence than the parent's
 * status (the parent came from a cache behind the children: issue 10).
 */
function priorStep(request: RequestLike): number {
  const status = request.parent.status;
  let sequence = count(isRecord(status) ? status.sequence : undefined);
  let step = count(isRecord(status) ? status.currentStep : undefined);
  for (const child of Object.values(observedChildren(request))) {
    const text = child.metadata.annotations?.['canary.k8shuginn.io/decision'];
    if (text === undefined) continue;
    const record: unknown = JSON.parse(text);
    if (isRecord(record) && count(record.sequence) > sequence) {
      sequence = count(record.sequence);
      step = count(record.step);
    }
  }
  return step;
}

function pauseOf(status: unknown): { kind: string; since: string; until: string | null } | null {
  const pause = isRecord(status) ? status.pause : undefined;
  return isRecord(pause) ? (pause as { kind: string; since: string; until: string | null }) : null;
}

/**
 * Pauses: only at a pause step of the list, never a step while one holds,
 * and an end fixed when the pause began.
 */
function pauseComplaints(request: RequestLike, status: Record<string, unknown>, now?: Date): string[] {
  const complaints: string[] = [];
  const spec = isRecord(request.parent.spec) ? request.parent.spec : {};
  const steps: unknown[] = Array.isArray(spec.steps) ? spec.steps : [];
  const pause = pauseOf(status);
  const step = status.currentStep as number;
  if (pause !== null) {
    if (!isRecord(steps[step - 1]) || !('pause' in (steps[step - 1] as object))) {
      complaints.push(`paused (${pause.kind}) at step ${step}, which is not a pause`);
    }
    if (status.state !== 'running' && status.state !== 'stop')
      complaints.push(`paused while ${String(status.state)}`);
  }
  // Against the parent's status only when it is the view the sync started from (not stale).
  const parent = isRecord(request.parent.status) ? request.parent.status : {};
  const before = parent.currentStep === priorStep(request) ? pauseOf(parent) : null;
  const moved = step !== parent.currentStep && step !== 0 && status.state !== 'complete';
  if (before !== null && moved) {
    const command = (request.parent as { metadata?: { annotations?: Record<string, string> } }).metadata
      ?.annotations?.['canary.k8shuginn.io/command'];
    const timeUp = before.until !== null && now !== undefined && now.getTime() >= Date.parse(before.until);
    if (!timeUp && command !== 'promote') {
      complaints.push(`left the ${before.kind} pause at step ${String(parent.currentStep)} before it ended`);
    }
  }
  if (pause !== null && before !== null && parent.currentStep === step && before.since === pause.since) {
    if (before.until !== pause.until)
      complaints.push(`the pause's end moved from ${before.until} to ${pause.until}`);
  }
  return complaints;
}

/**
 * The invariants of a sync response. `spec` is read only for names and
 * sizes, and only when the state is not `error` (so the spec was valid).
 */
export function syncComplaints(request: RequestLike, response: ResponseLike, now?: Date): string[] {
  const complaints = [...childrenComplaints(request, response)];
  const status = response.status;
  complaints.push(...validateCanaryStatus(status).map((e) => `status schema: ${e}`));
  if (
    response.resyncAfterSeconds !== undefined &&
    !(Number.isFinite(response.resyncAfterSeconds) && response.resyncAfterSeconds >= 0)
  ) {
    complaints.push(`resyncAfterSeconds ${response.resyncAfterSeconds}`);
  }
  for (const field of ['oldReplicas', 'newReplicas', 'currentStep', 'totalSteps']) {
    const value = status[field];
    if (typeof value !== 'number' || value < 0) complaints.push(`status.${field} is ${String(value)}`);
  }
  // The scale subresource's replicas (docs/design.md §10): what the two Deployments are asked, in every state.
  if (status.replicas !== (status.oldReplicas as number) + (status.newReplicas as number)) {
    complaints.push(`status.replicas ${String(status.replicas)} is not old + new`);
  }
  const state = status.state;
  const spec = isRecord(request.parent.spec) ? request.parent.spec : {};
  if (state === 'error') {
    complaints.push(...untouchedComplaints(request, response, 'all'));
    return complaints;
  }
  const total = spec.totalReplicas as number;
  const oldReplicas = status.oldReplicas as number;
  const newReplicas = status.newReplicas as number;
  const observed = observedChildren(request);
  const observedOld = observed[String(spec.oldDeployment)]?.spec.replicas ?? 0;
  const newAvailable = observed[String(spec.newDeployment)]?.status?.availableReplicas ?? 0;
  const routed = isRecord(spec.trafficRouting);
  if (routed) {
    // With a router the replicas carry the route's weight instead (docs/design.md §9).
    complaints.push(...routedComplaints(spec, request.related, observed, status));
  } else if (spec.surge === false) {
    // Surge is the default (docs/design.md §7a): only `surge: false` takes both at once, as round 1 did.
    if (oldReplicas + newReplicas !== total) {
      complaints.push(`old ${oldReplicas} + new ${newReplicas} != total ${total} in state ${String(state)}`);
    }
  } else {
    // docs/design.md §7a: never fewer than the total asked, never more than the total plus the step's new replicas.
    if (oldReplicas + newReplicas < total || oldReplicas > total) {
      complaints.push(
        `surge: old ${oldReplicas} + new ${newReplicas} with total ${total} in state ${String(state)}`,
      );
    }
    const observedNew = observed[String(spec.newDeployment)]?.spec.replicas ?? 0;
    const atRest = observedNew === newReplicas && newAvailable >= newReplicas;
    if (atRest && oldReplicas + newReplicas !== total) {
      complaints.push(`surge at rest: old ${oldReplicas} + new ${newReplicas} != total ${total}`);
    }
    // Never more than the total plus the new replicas not yet available: a step's increase at most.
    if (oldReplicas + Math.min(newAvailable, newReplicas) > total) {
      complaints.push(
        `surge: old ${oldReplicas} + ${Math.min(newAvailable, newReplicas)} available new > total ${total}`,
      );
    }
    // The old Deployment gives up only replicas the new one has available to replace them.
    if (oldReplicas < observedOld && oldReplicas + Math.min(newAvailable, newReplicas) < total) {
      complaints.push(
        `surge: old scaled ${observedOld} -> ${oldReplicas} with ${newAvailable} of ${newReplicas} new available`,
      );
    }
  }
  const byName = new Map(response.children.map((c) => [c.metadata.name, c]));
  const oldName = String(spec.oldDeployment);
  const newName = String(spec.newDeployment);
  if (byName.get(oldName)?.spec.replicas !== oldReplicas) {
    complaints.push(`${oldName} asked for ${byName.get(oldName)?.spec.replicas}, status says ${oldReplicas}`);
  }
  if (byName.get(newName)?.spec.replicas !== newReplicas) {
    complaints.push(`${newName} asked for ${byName.get(newName)?.spec.replicas}, status says ${newReplicas}`);
  }
  const others = Object.keys(observedChildren(request)).filter((n) => n !== oldName && n !== newName);
  complaints.push(...untouchedComplaints(request, response, others));

  // Where the canary stands agrees with its state: running is part-way, complete is at the end.
  // A list's last step need not ask for every replica, so a list may run (or stop) at it.
  const listed = Array.isArray(spec.steps);
  const step = status.currentStep as number;
  const steps = status.totalSteps as number;
  const lastOpen = listed ? steps : steps - 1;
  if (state === 'running' && !(step > 0 && step <= lastOpen))
    complaints.push(`running at step ${step} of ${steps}`);
  if (state === 'complete' && step !== steps) complaints.push(`complete at step ${step} of ${steps}`);
  if (state === 'stop' && step > lastOpen) complaints.push(`stopped at step ${step} of ${steps}`);
  if (!routed && state === 'complete' && (newReplicas !== total || status.weight !== 100)) {
    complaints.push(`complete with ${newReplicas} of ${total} new replicas, weight ${String(status.weight)}`);
  }
  if (!routed && status.weight !== Math.round((100 * newReplicas) / total)) {
    complaints.push(`weight ${String(status.weight)} with ${newReplicas} of ${total} new replicas`);
  }
  complaints.push(...pauseComplaints(request, status, now));

  // A running canary says when its next step is due and wakes up for it at that time;
  // nothing else has a next step. A list may have none to say: a pause until promote, or
  // no cronSchedule and no pause ahead. Once due it asks for no poll: what it waits for
  // then (replicas, old ones let go) comes as a watch event; only a progress deadline
  // is a clock still ahead.
  const next = status.nextStepTime as string | null | undefined;
  // Left out rather than null: kubectl prints a null column as "<no value>".
  if (next === null) complaints.push('nextStepTime null instead of left out');
  if (state !== 'running' && next !== undefined && next !== null)
    complaints.push(`nextStepTime ${String(next)} while ${String(state)}`);
  if (state === 'running') {
    const after = response.resyncAfterSeconds ?? 0;
    if (typeof next !== 'string') {
      if (!listed) complaints.push('running without a nextStepTime');
    } else if (now) {
      const untilDue = Math.ceil((Date.parse(next) - now.getTime()) / 1000);
      if (untilDue > 0 && !(after > 0 && after <= untilDue)) {
        complaints.push(`resyncAfterSeconds ${after} with the next step due in ${untilDue}s`);
      }
      if (untilDue <= 0 && after > 0 && spec.progressDeadlineSeconds === undefined) {
        complaints.push(`resyncAfterSeconds ${after} once the step is due: a poll`);
      }
    }
  }

  // Never more than one step per sync, except back to 0 (rollback) or to the end (completion).
  const totalSteps = status.totalSteps as number;
  const before = Math.min(priorStep(request), totalSteps);
  const after = status.currentStep as number;
  const oneStep = after === before || after === before + 1;
  const rolledBack = after === 0 && state === 'stop';
  const completed = after === totalSteps && state === 'complete';
  if (!oneStep && !rolledBack && !completed) {
    complaints.push(`step ${before} -> ${after} (${String(state)}) in one sync`);
  }
  return complaints;
}
