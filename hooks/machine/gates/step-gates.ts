/**
 * Owns the gates that hold a step until it is done: the pods could be read,
 * its pause is over, the
 * route shows its weight (with a router), its new replicas are available,
 * and (with surge) the old Deployment is down to its share.
 */
import type { Observed } from '../../observed/observed.js';
import { pauseAt } from '../../steps/rollout.js';
import { newReplicasAvailability, placementOf, type Progress } from '../position.js';
import type { StepGate } from './gate.js';

/** Unread pods may be crashing: stepping past them on a guess would spread the crash (docs/design.md §11). */
export const podsReadGate: StepGate = {
  name: 'PodsRead',
  isOpen: (_p, o) => o.podsUnread === undefined,
};

/** A pause holding the rollout, or a pause step whose pause has not ended. */
export const pauseGate: StepGate = {
  name: 'Pause',
  isOpen: (p, o) => p.pause === null && (pauseAt(o.rollout, p.step) === undefined || p.pauseEnded),
};

/** With a router, the route shows the weight the step asks. */
export const routeGate: StepGate = {
  name: 'Route',
  isOpen: (p, o) => o.traffic === undefined || o.traffic.shown === placementOf(p, o).weight,
};

/** The replicas the step asks of the new Deployment are available. */
export const availabilityGate: StepGate = {
  name: 'Availability',
  isOpen: (p, o) => newReplicasAvailability(p, o).ready,
};

/**
 * Surge (docs/design.md §7a) steps the old Deployment down only after the new replicas
 * are available, so the old one reaches the step's split a sync later.
 * Until it has, the next step waits: Metacontroller writes one child at a
 * time, and a step taken in the same answer as the step-down before it
 * would, for a moment, add the next step's replicas on top of the old ones
 * not yet removed (seen on the real engine: 3 + 4 with a total of 5 and a
 * step of 1).
 */
export const oldSettledGate: StepGate = {
  name: 'OldSettled',
  isOpen: (p: Progress, o: Observed) =>
    !o.spec.surge ||
    o.traffic !== undefined ||
    (o.oldDeployment.spec.replicas ?? 0) <= placementOf(p, o).oldReplicas,
};
