/**
 * Owns which gates the state machine consults, and in what order: a new
 * gate is one entry here (hooks/machine/gates/gate.ts).
 */
import type { Observed } from '../../observed/observed.js';
import type { Progress } from '../position.js';
import { crashLoopGate, deadlineGate } from './failure-gates.js';
import type { Failure, FailureGate, StepGate } from './gate.js';
import { availabilityGate, oldSettledGate, pauseGate, podsReadGate, routeGate } from './step-gates.js';

const STEP_GATES: readonly StepGate[] = [
  podsReadGate,
  pauseGate,
  routeGate,
  availabilityGate,
  oldSettledGate,
];

/** First come, first named: a crash says more than the deadline it also misses. */
const FAILURE_GATES: readonly FailureGate[] = [crashLoopGate, deadlineGate];

/** The step at the current position is done: no step gate holds it. */
export function isStepDone(p: Progress, o: Observed): boolean {
  return STEP_GATES.every((gate) => gate.isOpen(p, o));
}

/** Why the new version has failed, if a failure gate says it has. */
export function failureOf(p: Progress, o: Observed): Failure | undefined {
  for (const gate of FAILURE_GATES) {
    const failed = gate.failure(p, o);
    if (failed !== undefined) return failed;
  }
  return undefined;
}
