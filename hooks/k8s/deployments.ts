/** Owns what a Deployment's status tells: whether its replicas are available, and its pod template's identity. */
import { createHash } from 'node:crypto';
import type { Deployment } from '../wire/index.js';
import { canonicalJson } from './json.js';

export interface Availability {
  /** All replicas asked for are available, as seen by a Deployment controller that has caught up. */
  ready: boolean;
  available: number;
  asked: number;
  /** Why it is not ready, for the status message. */
  waitingFor?: string;
}

/** The Deployment controller has seen the latest spec, so its status counts speak for it. */
function isObservedGenerationCurrent(deployment: Deployment): boolean {
  const generation = deployment.metadata.generation;
  if (generation === undefined) return true;
  return (deployment.status?.observedGeneration ?? 0) >= generation;
}

/**
 * The Deployment controller has nothing left to write to it: it has seen
 * the latest spec and every replica asked for is updated and available.
 * One that is not at rest gets status writes soon, and a write of ours
 * made from an older copy of it is refused as a conflict.
 */
export function isAtRest(deployment: Deployment): boolean {
  const asked = deployment.spec.replicas ?? 1;
  const status = deployment.status;
  return (
    isObservedGenerationCurrent(deployment) &&
    (status?.replicas ?? 0) === asked &&
    (status?.updatedReplicas ?? 0) === asked &&
    (status?.availableReplicas ?? 0) === asked
  );
}

/**
 * What a step waits for, in words that stay the same from the step's
 * decision until its replicas are available: each change of a status
 * message is a status write, and counting replicas in it (1 of 4, 2 of 4,
 * ...) or naming the phase (scaled, observed, available) cost a write per
 * replica started (issue 11). The Deployment's own status has the counts.
 */
function waitingText(name: string, asked: number): string {
  return `${name} to have ${asked} ${asked === 1 ? 'replica' : 'replicas'} available`;
}

export function availability(deployment: Deployment, asked: number): Availability {
  const available = deployment.status?.availableReplicas ?? 0;
  if (asked === 0) return { ready: true, available, asked };
  const ready =
    (deployment.spec.replicas ?? 1) === asked &&
    isObservedGenerationCurrent(deployment) &&
    available >= asked;
  if (ready) return { ready: true, available, asked };
  return { ready: false, available, asked, waitingFor: waitingText(deployment.metadata.name, asked) };
}

/**
 * Identifies the new Deployment's pod template, so a rollback can wait for a
 * different one. A hash of the template itself rather than the
 * `deployment.kubernetes.io/revision` annotation: it changes the moment the
 * user edits the image, without waiting on the Deployment controller, and an
 * undo to an old template is recognised as that template.
 */
export function podTemplateRevision(deployment: Deployment): string {
  return createHash('sha256')
    .update(canonicalJson(deployment.spec.template ?? null))
    .digest('hex')
    .slice(0, 10);
}
